import { z } from 'zod';
import { entityRefParam } from '../model/params';
import { pageParams } from '../model/pagination';

/**
 * The suite's actions for AI agents (Backstage's Actions Registry, served over MCP by the MCP actions backend): their
 * names, and the zod schemas of the read actions' inputs and outputs (each write action's schemas live with its
 * feature: incidents/, changes/, remediation/, chaos/; what destructive ones share, in model/actionParams.ts). Each action applies the permissions of the REST route that
 * does the same. Action ids are `reliability:<name>`.
 * @public
 */
export const RELIABILITY_ACTIONS = {
  sloStatus: 'get-slo-status',
  burning: 'list-burning',
  explainBurn: 'explain-burn',
  runbookSection: 'get-runbook-section',
  deployGate: 'get-deploy-gate',
  readiness: 'get-readiness',
  declareIncident: 'declare-incident',
  addTimelineEntry: 'add-incident-timeline-entry',
  runRemediation: 'run-remediation',
  abortChaosRun: 'abort-chaos-run',
  recordChange: 'record-change',
} as const;

const SLO_REF_RE = /^[a-zA-Z0-9_.-]{1,253}\/[a-zA-Z0-9_.-]{1,253}$/;

/** An SLO by its ref, `namespace/name`. @public */
export const sloRefParam = z
  .string({
    required_error: 'is required',
    invalid_type_error: 'must be a string',
  })
  .regex(
    SLO_REF_RE,
    'must be an SLO ref such as default/checkout-availability',
  );

/** A link to the evidence of a fact: a portal path (relative to app.baseUrl). @public */
const link = z.string();

// ---- read actions ----

/** get-slo-status. @public */
export const sloStatusActionInput = z
  .object({ slo: sloRefParam.describe('The SLO, namespace/name') })
  .strict();
/** get-slo-status: the SLO's summary with its status and budget, as GET /slos/:namespace/:name answers. @public */
export const sloStatusActionOutput = z.object({
  slo: z
    .object({ ref: z.string(), title: z.string().optional() })
    .passthrough(),
  link,
});

/** list-burning: what burns for an entity, for a team (the owner), or everywhere; one page. @public */
export const burningActionInput = z
  .object({
    entityRef: entityRefParam
      .optional()
      .describe('Only alerts about this entity (kind:namespace/name)'),
    owner: entityRefParam
      .optional()
      .describe('Only alerts about entities this team owns (group:default/x)'),
    ...pageParams,
  })
  .strict()
  .describe('Give entityRef, or owner, or neither for everywhere');
/** @public */
export const burningActionOutput = z.object({
  items: z.array(
    z
      .object({
        key: z.string(),
        name: z.string(),
        severity: z.string(),
        state: z.string(),
        entityRef: z.string(),
        owner: z.string().nullable(),
        startedAt: z.string(),
        summary: z.string(),
        link,
      })
      .passthrough(),
  ),
  nextCursor: z.string().optional(),
});

/** explain-burn: why an SLO burns. @public */
export const explainBurnActionInput = z
  .object({ slo: sloRefParam.describe('The burning SLO, namespace/name') })
  .strict();
const evidence = z.object({ link }).passthrough();
/** @public */
export const explainBurnActionOutput = z.object({
  slo: z.object({ ref: z.string(), entityRef: z.string() }).passthrough(),
  /** The burn-rate windows of the SLO's alert policy, with the alerts firing or pending now. */
  windows: z.array(z.object({}).passthrough()),
  alerts: z.array(evidence),
  /** The entity's changes, newest first, each with the budget its SLOs spent in the hour after it. */
  changes: z.array(evidence),
  remediations: z.array(evidence),
  chaosRuns: z.array(evidence),
  corrections: z.array(evidence),
  runbook: z
    .object({
      entityRef: z.string(),
      section: z.string(),
      title: z.string(),
      body: z.string(),
      link,
    })
    .nullable(),
  link,
});

/** get-runbook-section: the runbook section that answers an alert. @public */
export const runbookSectionActionInput = z
  .object({
    entityRef: entityRefParam.describe('The entity whose runbook answers'),
    alertname: z
      .string({ required_error: 'is required' })
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters'),
    labels: z
      .record(z.string().max(1024, 'must be at most 1024 characters'))
      .refine(l => Object.keys(l).length <= 50, 'must have at most 50 labels')
      .optional()
      .describe("The alert's other labels (slo, severity...)"),
  })
  .strict();
/** @public */
export const runbookSectionActionOutput = z.object({
  entityRef: z.string(),
  section: z
    .object({
      id: z.string(),
      title: z.string(),
      body: z.string(),
      link,
    })
    .nullable(),
  /** Why there is no section, when there is none. */
  reason: z.string().optional(),
});

/** get-deploy-gate and get-readiness: one entity. @public */
export const entityActionInput = z
  .object({ entityRef: entityRefParam.describe('kind:namespace/name') })
  .strict();
/** get-deploy-gate: the launch-freeze gate, as GET /gate answers. @public */
export const deployGateActionOutput = z
  .object({
    allow: z.boolean(),
    reason: z.string(),
    budgetRemaining: z.number().nullable(),
    threshold: z.number(),
    window: z.string(),
    slos: z.array(z.object({}).passthrough()),
  })
  .passthrough();
/** get-readiness: the readiness score, as GET /readiness answers. @public */
export const readinessActionOutput = z.object({}).passthrough();
