import { z } from 'zod';
import { parseDuration } from '../math/duration';
import { entityRefParam } from '../model/params';
import { pageParams } from '../model/pagination';

/** A fixed duration such as `90s`, `5m`, `2h`. */
const fixedDuration = z
  .string({
    required_error: 'is required',
    invalid_type_error: 'must be a duration such as 90s or 5m',
  })
  .max(16, 'must be a duration such as 90s or 5m')
  .refine(v => {
    const d = parseDuration(v);
    return Boolean(d && ['s', 'm', 'h', 'd'].includes(d.unit));
  }, 'must be a duration such as 90s, 5m or 2h');

const percent = (what: string) =>
  z
    .number({ invalid_type_error: `must be a number (${what})` })
    .min(0, 'must be at least 0')
    .max(100, 'must be at most 100');

const text = (max: number) =>
  z
    .string({
      required_error: 'is required',
      invalid_type_error: 'must be text',
    })
    .trim()
    .min(1, 'is required')
    .max(max, `must be at most ${max} characters`);

const LABEL_NAME = /^[A-Za-z0-9]([A-Za-z0-9_./-]{0,251}[A-Za-z0-9])?$/;
const K8S_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Where the fault goes: a namespace and a label selector or a deployment. @public */
export const chaosTargetSchema = z
  .object({
    namespace: z
      .string({ required_error: 'is required' })
      .regex(K8S_NAME, 'must be a Kubernetes namespace name'),
    labels: z
      .record(
        z.string().regex(LABEL_NAME, 'must be a label name'),
        z.string().max(63, 'must be at most 63 characters'),
      )
      .optional(),
    deployment: z
      .string()
      .regex(K8S_NAME, 'must be a Kubernetes object name')
      .optional(),
  })
  .strict()
  .refine(
    t => Boolean(t.deployment) || Object.keys(t.labels ?? {}).length > 0,
    { message: 'needs labels or a deployment to select the workload' },
  );

/** How much is hit. @public */
export const chaosBlastRadiusSchema = z
  .object({
    trafficPercent: percent('the share of traffic affected').optional(),
    podPercent: percent('the share of pods affected').optional(),
    regions: z
      .array(text(64))
      .max(20, 'must list at most 20 regions')
      .default([]),
    canaryOnly: z.boolean().default(false),
  })
  .strict()
  .refine(b => b.trafficPercent !== undefined || b.podPercent !== undefined, {
    message: 'needs trafficPercent or podPercent',
  });

/** The fault. @public */
export const chaosInjectionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('latency'),
      ms: z
        .number()
        .int()
        .min(1, 'must be at least 1')
        .max(60_000, 'must be at most 60000'),
      jitterMs: z.number().int().min(0).max(60_000).default(0),
    })
    .strict(),
  z
    .object({
      type: z.literal('error-rate'),
      percent: percent('the share of requests that fail').refine(
        v => v > 0,
        'must be above 0',
      ),
    })
    .strict(),
  z.object({ type: z.literal('pod-kill') }).strict(),
  z
    .object({
      type: z.literal('cpu-stress'),
      workers: z.number().int().min(1).max(64).default(1),
      loadPercent: percent('CPU load per worker').default(80),
    })
    .strict(),
  z
    .object({
      type: z.literal('memory-stress'),
      workers: z.number().int().min(1).max(64).default(1),
      size: z
        .string()
        .regex(
          /^[1-9][0-9]{0,5}(MB|GB)$/,
          'must be a size such as 256MB or 1GB',
        ),
    })
    .strict(),
  z
    .object({
      type: z.literal('network-partition'),
      direction: z.enum(['to', 'from', 'both']).default('both'),
    })
    .strict(),
  z
    .object({
      type: z.literal('egress-block'),
      hosts: z.array(text(253)).min(1, 'needs at least one host').max(50),
    })
    .strict(),
]);

/** When the guard stops the experiment. @public */
export const chaosAbortConditionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('burn-rate'),
      /** The steady-state SLO's burn rate at or above this... */
      threshold: z.number().positive('must be above 0').max(10_000),
      /** ...over this lookback... */
      window: z.enum(['5m', '30m', '1h', '2h', '6h', '1d', '3d']),
      /** ...for this long. */
      for: fixedDuration,
    })
    .strict(),
  z
    .object({
      type: z.literal('budget-spent'),
      /** This share of the whole error budget spent since the start... */
      percent: percent('of the whole error budget').refine(
        v => v > 0,
        'must be above 0',
      ),
      /** ...within this long (for example 5% in 90s). */
      within: fixedDuration,
    })
    .strict(),
  z
    .object({
      type: z.literal('promql'),
      /** A PromQL expression for Prometheus-backed entities, e.g. `histogram_quantile(0.95, …)`. */
      query: text(4_000),
      op: z.enum(['>', '>=', '<', '<=']),
      threshold: z.number().finite(),
      for: fixedDuration,
    })
    .strict(),
]);

/** What was seen and concluded after a run. @public */
export const chaosResultSchema = z
  .object({
    hypothesisHeld: z.boolean(),
    observations: z
      .string()
      .max(20_000, 'must be at most 20000 characters')
      .default(''),
    links: z
      .array(z.string().url('must be a URL').max(2_000))
      .max(50)
      .default([]),
  })
  .strict();

const ENTITY_REF = /^[a-zA-Z]+:[a-zA-Z0-9_.-]+\/[a-zA-Z0-9_.-]+$/;

/**
 * A chaos experiment: the one schema the form, the API, the linter and the importer of experiment files use.
 * @public
 */
export const chaosExperimentSchema = z
  .object({
    name: z
      .string({ required_error: 'is required' })
      .regex(K8S_NAME, 'must be lowercase letters, digits and - (at most 63)'),
    hypothesis: text(1_000),
    target: chaosTargetSchema,
    blastRadius: chaosBlastRadiusSchema,
    steadyState: z
      .object({
        /** An SLO of this entity, `namespace/name`. */
        slo: z
          .string({ required_error: 'is required' })
          .regex(
            /^[a-z0-9-_.]+\/[a-z0-9-_.]+$/,
            'must be an SLO ref such as default/checkout-latency',
          ),
        /** The least share of its budget left for the experiment to start and go on (default 0.5). */
        minBudgetRemaining: z
          .number()
          .min(0, 'must be between 0 and 1')
          .max(1, 'must be between 0 and 1')
          .default(0.5),
      })
      .strict(),
    injection: chaosInjectionSchema,
    duration: fixedDuration,
    schedule: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('once') }).strict(),
        z.object({ type: z.literal('cron'), cron: text(100) }).strict(),
      ])
      .default({ type: 'once' }),
    environment: z
      .string({ required_error: 'is required' })
      .regex(
        /^[a-z0-9-]{1,32}$/,
        'must be an environment name such as production or staging',
      ),
    owner: z
      .string({ required_error: 'is required' })
      .regex(
        ENTITY_REF,
        'must be an entity ref such as group:default/payments-sre',
      ),
    author: z
      .string()
      .regex(ENTITY_REF, 'must be an entity ref such as user:default/mei')
      .optional(),
    approver: z
      .string()
      .regex(ENTITY_REF, 'must be an entity ref such as user:default/ana')
      .optional(),
    abortConditions: z
      .array(chaosAbortConditionSchema)
      .max(20, 'must list at most 20 conditions')
      .default([]),
    rollback: z
      .array(text(1_000))
      .max(50, 'must list at most 50 steps')
      .default([]),
    result: chaosResultSchema.optional(),
  })
  .strict();

/** @public */
export type ChaosExperiment = z.infer<typeof chaosExperimentSchema>;
/** @public */
export type ChaosInjection = z.infer<typeof chaosInjectionSchema>;
/** @public */
export type ChaosAbortCondition = z.infer<typeof chaosAbortConditionSchema>;

/** Injections that remove capacity or cut traffic: they need rollback steps. @public */
export const DESTRUCTIVE_INJECTIONS: readonly ChaosInjection['type'][] = [
  'pod-kill',
  'network-partition',
  'egress-block',
  'memory-stress',
];

/** The alert an aborted experiment raises (guard or kill switch): remediation rules that match it call the halt. @public */
export const CHAOS_ABORT_ALERT = 'ChaosExperimentAborted';

/** The alert a start from the portal raises: remediation rules that match it call the engine. @public */
export const CHAOS_START_ALERT = 'ChaosExperimentStarted';

/** Where an experiment is in its life. @public */
export type ChaosState =
  | 'draft'
  | 'approved'
  | 'running'
  | 'completed'
  | 'aborted';

/** A stored experiment, as the API answers it. @public */
export interface ChaosExperimentRecord {
  id: number;
  entityRef: string;
  name: string;
  state: ChaosState;
  experiment: ChaosExperiment;
  version: number;
  author: string;
  approvedBy: string | null;
  approvedAt: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why it was aborted (a guard breach, the kill switch). */
  abortReason: string | null;
  /** The steady-state SLO's budget left when it started, and the share of the whole budget the run spent. */
  budgetAtStart: number | null;
  budgetSpent: number | null;
  /** Answered by a start from the portal: the remediation rules that went to call the engine (none: start it yourself). */
  engineCalls?: string[];
}

/** POST /chaos/lint. @public */
export const chaosLintRequestSchema = z
  .object({
    entityRef: entityRefParam.optional(),
    experiment: z.unknown(),
  })
  .strict();

/** POST /chaos. @public */
export const chaosCreateRequestSchema = z
  .object({
    entityRef: entityRefParam,
    experiment: z.unknown(),
  })
  .strict();

/** PUT /chaos/:id: a new version, from the version the editor started from. @public */
export const chaosUpdateRequestSchema = z
  .object({
    baseVersion: z.number({ required_error: 'is required' }).int().min(1),
    experiment: z.unknown(),
  })
  .strict();

/** POST /chaos/:id/abort. @public */
export const chaosAbortRequestSchema = z
  .object({
    reason: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(1_000, 'must be at most 1000 characters')
      .default('kill switch'),
  })
  .strict();

/** GET /chaos/:id/export. @public */
export const chaosExportQuerySchema = z
  .object({
    format: z.enum(['litmus', 'chaos-mesh', 'chaos-toolkit'], {
      errorMap: () => ({
        message: 'must be one of litmus, chaos-mesh, chaos-toolkit',
      }),
    }),
  })
  .strict();

/** GET /chaos. @public */
export const chaosListQuerySchema = z
  .object({
    entityRef: entityRefParam.optional(),
    ...pageParams,
  })
  .strict();

/** GET /chaos/:id/versions. @public */
export const chaosVersionsQuerySchema = z.object({ ...pageParams }).strict();

/**
 * Experiments as code: an entity annotation naming a folder of experiment YAML files (any URL the backend's
 * UrlReader can read), which the portal shows and lints. @public
 */
export const ANNOTATION_CHAOS_EXPERIMENTS = 'reliability.io/chaos-experiments';

/** GET /chaos/files. @public */
export interface ChaosFilesResponse {
  entityRef: string;
  /** The annotation's folder, or null when the entity has none. */
  location: string | null;
  files: {
    path: string;
    experiments: {
      name: string | null;
      ok: boolean;
      violations: { field: string; rule: string; message: string }[];
    }[];
  }[];
  /** Files left out (more than the limit, or too large). */
  skipped: string[];
}
