import { z } from 'zod';
import {
  actionIdParam,
  destructiveActionOutput,
  destructiveParams,
} from '../model/actionParams';
import { durationMs, parseDuration } from '../math/duration';
import { entityRefParam } from '../model/params';
import { pageParams } from '../model/pagination';

/** An experiment holds at most this many faults. @public */
export const MAX_CHAOS_INJECTIONS = 10;

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

/** The node label Kubernetes sets to a node's region: regions select the pods on nodes of that region. @public */
export const REGION_NODE_LABEL = 'topology.kubernetes.io/region';

/** The pod labels that mark a canary when the target names none (Kubernetes' own canary convention). @public */
export const DEFAULT_CANARY_LABELS: Readonly<Record<string, string>> = {
  track: 'canary',
};

const labelMap = z.record(
  z.string().regex(LABEL_NAME, 'must be a label name'),
  z
    .string()
    .max(63, 'must be at most 63 characters')
    .regex(
      /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/,
      'must be a label value',
    ),
);

/**
 * Where the fault goes: a namespace and a label selector or a deployment. `service` is the Kubernetes Service that
 * fronts the workload (the Istio export's host); `canaryLabels` the pod labels of its canary (default
 * `track: canary`); `regionNamespaces` the namespace that runs the workload in each region, when regions are
 * namespaces rather than node labels (`topology.kubernetes.io/region`).
 * @public
 */
export const chaosTargetSchema = z
  .object({
    namespace: z
      .string({ required_error: 'is required' })
      .regex(K8S_NAME, 'must be a Kubernetes namespace name'),
    labels: labelMap.optional(),
    deployment: z
      .string()
      .regex(K8S_NAME, 'must be a Kubernetes object name')
      .optional(),
    service: z
      .string()
      .regex(K8S_NAME, 'must be a Kubernetes Service name')
      .optional(),
    canaryLabels: labelMap
      .refine(l => Object.keys(l).length > 0, 'needs at least one label')
      .optional(),
    regionNamespaces: z
      .record(
        z
          .string()
          .min(1, 'is required')
          .max(64, 'must be at most 64 characters'),
        z.string().regex(K8S_NAME, 'must be a Kubernetes namespace name'),
      )
      .refine(r => Object.keys(r).length <= 20, 'must list at most 20 regions')
      .optional(),
  })
  .strict()
  .refine(
    t => Boolean(t.deployment) || Object.keys(t.labels ?? {}).length > 0,
    { message: 'needs labels or a deployment to select the workload' },
  );

/**
 * How much is hit. `trafficPercent` is a share of requests (only engines that route requests honour it: the Istio
 * export); `podPercent` a share of the selected pods (Litmus, Chaos Mesh). `regions` and `canaryOnly` narrow the
 * pods or routes every export selects.
 * @public
 */
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

/** An experiment declares at most this many expectations. @public */
export const MAX_CHAOS_EXPECTATIONS = 10;
/** An expectation's `within` is at most this long (and at most the experiment's duration: the linter). @public */
export const MAX_EXPECTATION_WITHIN_MS = 3_600_000;

const within = fixedDuration.refine(v => {
  const d = parseDuration(v);
  if (!d) return true; // fixedDuration names the problem
  const ms = durationMs(d);
  return ms >= 1_000 && ms <= MAX_EXPECTATION_WITHIN_MS;
}, 'must be between 1s and 1h');

/**
 * What a run expects to see, checked when it ends (completed or aborted), each recorded as met, not met or unknown
 * with its evidence:
 *
 * - `remediation-fires`: the remediation rule `rule` (its id) has an execution (not a dry run) created within
 *   `within` of the run's start;
 * - `breaker-opens`: the circuit breaker `breaker` of the system under test opens within `within` of the start,
 *   read as a PromQL expression on the steady-state SLO's Prometheus (for example the breaker's state gauge,
 *   `max(payment_breaker_state{breaker="psp"})`) that must satisfy `op threshold` at some instant, sampled from the
 *   start up to `within` (remediation's own circuit breakers protect remediation targets, per replica and in memory,
 *   so they say nothing of the service's);
 * - `slo-burn-below`: the steady-state SLO's burn rate, from the suite's own counts, stays under `threshold` over
 *   the run: in every `window` (`1m`, `5m`) of the run, or over the whole run (`run`, the default).
 * @public
 */
export const chaosExpectationSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('remediation-fires'),
      /** The remediation rule's id, as in its rules file. */
      rule: text(200),
      within,
    })
    .strict(),
  z
    .object({
      type: z.literal('breaker-opens'),
      /** The breaker's name, for people (the query says how to read it). */
      breaker: text(100),
      query: text(4_000),
      op: z.enum(['>', '>=', '<', '<=', '==']).default('>='),
      threshold: z.number().finite().default(1),
      within,
    })
    .strict(),
  z
    .object({
      type: z.literal('slo-burn-below'),
      threshold: z
        .number({ invalid_type_error: 'must be a number' })
        .positive('must be above 0')
        .max(10_000, 'must be at most 10000'),
      window: z.enum(['1m', '5m', 'run']).default('run'),
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
export const chaosExperimentSchema = z.preprocess(
  migrateChaosExperiment,
  z
    .object({
      name: z
        .string({ required_error: 'is required' })
        .regex(
          K8S_NAME,
          'must be lowercase letters, digits and - (at most 63)',
        ),
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
      /** One fault (the original form, still read and written)... */
      injection: chaosInjectionSchema.optional(),
      /** ...or several at once, each with its own type and parameters (latency + 5xx for a brownout). */
      injections: z
        .array(chaosInjectionSchema)
        .min(1, 'needs at least one injection')
        .max(
          MAX_CHAOS_INJECTIONS,
          `must list at most ${MAX_CHAOS_INJECTIONS} injections`,
        )
        .optional(),
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
      /** What the run expects to see (checked when it ends): a fix fires, a breaker opens, the burn stays low. */
      expectations: z
        .array(chaosExpectationSchema)
        .max(
          MAX_CHAOS_EXPECTATIONS,
          `must list at most ${MAX_CHAOS_EXPECTATIONS} expectations`,
        )
        .default([]),
      result: chaosResultSchema.optional(),
    })
    .strict()
    .superRefine((e, ctx) => {
      if ((e.injection === undefined) === (e.injections === undefined))
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [e.injection === undefined ? 'injection' : 'injections'],
          message:
            e.injection === undefined
              ? 'is required (or injections, a list of them)'
              : 'give injection or injections, not both',
        });
    }),
);

/** The faults of an unparsed experiment, whichever form it uses (at most 20 are looked at). @public */
export function rawInjections(e: Record<string, unknown>): unknown[] {
  if (Array.isArray(e.injections)) return e.injections.slice(0, 20);
  return e.injection === undefined ? [] : [e.injection];
}

/** Faults that act on requests, which a share of traffic can scope (the Istio export). @public */
export const TRAFFIC_INJECTIONS: readonly string[] = ['latency', 'error-rate'];

/**
 * The migration at load of files written before blast radii said what they count: an experiment whose faults all
 * act on pods (pod kill, stress, partition, egress block) and that gives only `trafficPercent` meant a share of
 * pods (it was always exported so), and is read with that number as `podPercent`. Anything else is left as written.
 * @public
 */
export function migrateChaosExperiment(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return input;
  const e = input as Record<string, unknown>;
  const blast = e.blastRadius as Record<string, unknown> | undefined;
  if (
    typeof blast !== 'object' ||
    blast === null ||
    Array.isArray(blast) ||
    typeof blast.trafficPercent !== 'number' ||
    blast.podPercent !== undefined
  )
    return input;
  const faults = rawInjections(e);
  const types = faults.map(f =>
    typeof f === 'object' && f !== null ? (f as { type?: unknown }).type : f,
  );
  if (
    !types.length ||
    types.some(t => typeof t !== 'string' || TRAFFIC_INJECTIONS.includes(t))
  )
    return input;
  const { trafficPercent, ...rest } = blast;
  return { ...e, blastRadius: { ...rest, podPercent: trafficPercent } };
}

/** The faults of an experiment, whichever form it uses (`injection` or `injections`). @public */
export function chaosInjections(e: {
  injection?: ChaosInjection;
  injections?: ChaosInjection[];
}): ChaosInjection[] {
  return e.injections ?? (e.injection ? [e.injection] : []);
}

/** The path of the n-th fault in the experiment's own form, for messages naming the field. @public */
export function chaosInjectionField(
  e: { injections?: unknown },
  n: number,
): string {
  return e.injections !== undefined ? `injections.${n}` : 'injection';
}

/** @public */
export type ChaosExperiment = z.infer<typeof chaosExperimentSchema>;
/** @public */
export type ChaosInjection = z.infer<typeof chaosInjectionSchema>;
/** @public */
export type ChaosAbortCondition = z.infer<typeof chaosAbortConditionSchema>;
/** @public */
export type ChaosExpectation = z.infer<typeof chaosExpectationSchema>;

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
    format: z.enum(['litmus', 'chaos-mesh', 'chaos-toolkit', 'istio'], {
      errorMap: () => ({
        message: 'must be one of litmus, chaos-mesh, chaos-toolkit, istio',
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

/** The abort-chaos-run action for AI agents (destructive): as POST /chaos/:id/abort, with dryRun and confirm. @public */
export const abortChaosActionInput = z
  .object({
    experimentId: actionIdParam,
    reason: z
      .string({ invalid_type_error: 'must be a string' })
      .trim()
      .min(1, 'must not be empty')
      .max(1_000, 'must be at most 1000 characters')
      .optional(),
    ...destructiveParams,
  })
  .strict();
/** @public */
export const abortChaosActionOutput = destructiveActionOutput.extend({
  experiment: z.object({}).passthrough().nullable(),
});
