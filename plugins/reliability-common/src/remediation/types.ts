import { z } from 'zod';
import {
  destructiveActionOutput,
  destructiveParams,
} from '../model/actionParams';
import { pageParams } from '../model/pagination';
import { entityRefParam } from '../model/params';

/**
 * What can start a remediation: the suite's own alert, an Alertmanager alert, a person (Run now), a PagerDuty
 * incident (its V3 webhook), or a signed generic webhook. @public
 */
export const REMEDIATION_TRIGGER_KINDS = [
  'alert',
  'alertmanager',
  'manual',
  'pagerduty',
  'webhook',
] as const;

/** What set a remediation going. @public */
export type RemediationTriggerKind = (typeof REMEDIATION_TRIGGER_KINDS)[number];

/** Where one execution of a rule stands. @public */
export type RemediationState =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'escalated'
  | 'interrupted'
  | 'dry_run';

/** One attempt (one call to the target) of an execution. @public */
export interface RemediationAttempt {
  n: number;
  outcome: 'started' | 'succeeded' | 'failed' | 'interrupted';
  startedAt: string;
  finishedAt: string | null;
  latencyMs: number | null;
  error: string | null;
}

/** One execution of a remediation rule for one trigger. @public */
export interface RemediationExecution {
  id: number;
  ruleId: string;
  entityRef: string;
  action: string;
  target: string;
  trigger: RemediationTriggerKind;
  triggerId: string;
  triggerLabels: Record<string, string>;
  lockKey: string;
  state: RemediationState;
  dryRun: boolean;
  actor: string | null;
  duplicates: number;
  createdAt: string;
  finishedAt: string | null;
  /** From trigger received to the target's answer of the successful attempt. */
  latencyMs: number | null;
  detail: string | null;
  attempts: RemediationAttempt[];
}

/** A rule as the API shows it (no params: they may name secrets' places). @public */
export interface RemediationRuleSummary {
  id: string;
  entityRef: string;
  action: string;
  description: string;
  match: string[];
  triggers: RemediationTriggerKind[];
  lockKey: string;
  cooldown: string;
  maxAttempts: number;
  attemptWindow: string;
}

/** A remediation rule that spent its attempt budget and stopped: a human needs to look. @public */
export interface RemediationEscalation {
  id: number;
  ruleId: string;
  entityRef: string;
  state: 'open' | 'resolved';
  openedAt: string;
  resolvedAt: string | null;
  /** The execution that escalated. */
  executionId: number | null;
  /** Calls made within the attempt window when it escalated. */
  attempts: number;
  attemptWindow: string;
}

/** GET /remediations. @public */
export interface RemediationListResponse {
  rules: RemediationRuleSummary[];
  items: RemediationExecution[];
  /** The open escalations of the listed rules (they close when the rule succeeds again). */
  escalations: RemediationEscalation[];
  summary: {
    executions: number;
    succeeded: number;
    failed: number;
    deduplicated: number;
    successRate: number | null;
    latencyP50Ms: number | null;
    latencyP95Ms: number | null;
  };
}

/** @public */
export const remediationsQuerySchema = z
  .object({
    entityRef: entityRefParam.optional(),
    ...pageParams,
  })
  .strict();

/** POST /remediations/run. @public */
/** Labels a manual run cannot set: the rule sets them. @public */
export const RESERVED_RUN_LABELS = [
  'entity',
  'slo',
  'rule',
  'alertname',
] as const;

/** POST /remediations/run. @public */
export const runRemediationSchema = z
  .object({
    ruleId: z
      .string({
        required_error: 'is required',
        invalid_type_error: 'must be a string',
      })
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters'),
    dryRun: z
      .boolean({ invalid_type_error: 'must be true or false' })
      .optional(),
    labels: z
      .record(z.string().max(1024, 'must be at most 1024 characters'))
      .superRefine((labels, ctx) => {
        for (const key of Object.keys(labels)) {
          if ((RESERVED_RUN_LABELS as readonly string[]).includes(key)) {
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: [key],
              message: `is reserved (${RESERVED_RUN_LABELS.join(
                ', ',
              )} are set by the rule, so a run cannot pick another entity or lock key)`,
            });
          }
        }
      })
      .optional(),
  })
  .strict();

/** The run-remediation action for AI agents (destructive): as POST /remediations/run, with dryRun and confirm. @public */
export const runRemediationActionInput = runRemediationSchema
  .omit({ dryRun: true })
  .extend(destructiveParams);
/** @public */
export const runRemediationActionOutput = destructiveActionOutput.extend({
  execution: z.object({}).passthrough().nullable(),
});
