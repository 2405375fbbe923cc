import { z } from 'zod';
import { pageParams } from '../model/pagination';
import { entityRefParam } from '../model/params';
import { BURN_RATE_WINDOWS } from '../math/mwmb';
import type { SloStatus } from '../math/status';

/** One SLO as the REST API lists it. @public */
export interface SloSummary {
  /** `namespace/name` */
  ref: string;
  /** Entity ref of the SLO entity, e.g. slo:default/checkout-success. */
  entityRef: string;
  name: string;
  title: string;
  description?: string;
  componentRef: string;
  /** Ratio, e.g. 0.995. */
  objective: number;
  /** Duration as written, e.g. 30d or 1M. */
  window: string;
  /** `30d rolling`, `1M calendar (Europe/Berlin)`. */
  windowLabel: string;
  runbook?: string;
  /** metricSource.type of the indicator (Ingest, Prometheus, …). */
  sourceType?: string;
  /** The alert policy in force: where it was written, and its rules ("page 14.4x 1h&5m", …). */
  alertPolicy?: { source: 'openslo' | 'annotation' | 'csv' | 'default'; rules: string[]; noData: boolean; targets?: { name: string; target: string }[] };
  /** The SLO entity's own labels (metadata.labels): part of its alerts' labels. */
  labels?: Record<string, string>;
  /** Null until the first evaluation. */
  status: SloStatus | null;
}

/** @public */
export interface SloListResponse {
  items: SloSummary[];
}

/** One point of the charts' series. Values are null where there was no traffic. @public */
export interface HistoryPoint {
  /** Epoch milliseconds. */
  t: number;
  /** Budget remaining over the compliance window ending at t (1 = untouched). */
  budgetRemaining: number | null;
  /** Burn rate over the chosen lookback ending at t. */
  burnRate: number | null;
  /** SLI over the chosen lookback ending at t. */
  sli: number | null;
}

/** @public */
export interface HistoryResponse {
  ref: string;
  from: string;
  to: string;
  /** The lookback the burn-rate series uses. */
  burnRateWindow: string;
  /** Alert thresholds to draw as lines, from the multi-window table. */
  thresholds: { severity: string; burnRate: number; label: string }[];
  /** Resolution of the stored data behind the series, in ms per point before downsampling. */
  points: HistoryPoint[];
  downsampledFrom: number;
  /** Budget corrections in force over the chart's range: shaded, their counts left out. */
  exclusions?: { from: string; to: string; reason: string }[];
}

const isoTimestamp = z
  .string({ required_error: 'is required', invalid_type_error: 'must be an ISO-8601 string' })
  .refine(v => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 timestamp such as 2026-11-22T10:00:00Z');

const count = z
  .number({ required_error: 'is required', invalid_type_error: 'must be a number' })
  .int('must be an integer')
  .nonnegative('must be >= 0')
  .max(Number.MAX_SAFE_INTEGER, 'is too large');

/** One SLI observation for the built-in ingest source. @public */
export const sliEventSchema = z
  .object({
    slo: z
      .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
      .max(507, 'must be "<namespace>/<name>" of an SLO (at most 507 characters)')
      .regex(/^[a-z0-9A-Z_.-]+\/[a-z0-9A-Z_.-]+$/, 'must be "<namespace>/<name>" of an SLO'),
    timestamp: isoTimestamp,
    good: count,
    total: count,
  })
  .strict()
  .refine(e => e.good <= e.total, { message: 'must be <= total', path: ['good'] });

/** @public */
export const MAX_EVENTS_PER_BATCH = 10_000;

/**
 * POST /sli-events body without its events' contents: the backend checks the shape and size first, then each
 * event with `sliEventSchema` in slices, so a 10,000-event batch never holds the event loop.
 * @public
 */
export const sliEventBatchShellSchema = z
  .object({
    events: z
      .array(z.unknown(), { required_error: 'is required', invalid_type_error: 'must be an array' })
      .min(1, 'must hold at least one event')
      .max(MAX_EVENTS_PER_BATCH, `must hold at most ${MAX_EVENTS_PER_BATCH} events per request`),
  })
  .strict();

/** POST /sli-events body. @public */
export const sliEventBatchSchema = z
  .object({
    events: z
      .array(sliEventSchema, { required_error: 'is required', invalid_type_error: 'must be an array' })
      .min(1, 'must hold at least one event')
      .max(MAX_EVENTS_PER_BATCH, `must hold at most ${MAX_EVENTS_PER_BATCH} events per request`),
  })
  .strict();

/** @public */
export type SliEvent = z.infer<typeof sliEventSchema>;

/** At most this many buckets in one histogram of POST /sli-values. @public */
export const MAX_HISTOGRAM_BUCKETS = 200;

/**
 * One value of a threshold SLI (`thresholdMetric`) for POST /sli-values: the value itself (a p95 in ms), or a
 * histogram summary (cumulative bucket counts, as Prometheus keeps them) and the quantile to read from it.
 * @public
 */
export const sliValueSchema = z
  .object({
    slo: sliEventSchema.innerType().shape.slo,
    timestamp: isoTimestamp,
    value: z.number({ invalid_type_error: 'must be a number' }).finite('must be a finite number').optional(),
    histogram: z
      .object({
        quantile: z.number({ required_error: 'is required', invalid_type_error: 'must be a number' }).gt(0, 'must be > 0').lt(1, 'must be < 1'),
        buckets: z
          .array(
            z
              .object({
                le: z.union([z.number().finite(), z.literal('+Inf')], { errorMap: () => ({ message: 'must be a number or "+Inf"' }) }),
                count: z.number({ required_error: 'is required', invalid_type_error: 'must be a number' }).nonnegative('must be >= 0').finite(),
              })
              .strict(),
            { required_error: 'is required', invalid_type_error: 'must be an array' },
          )
          .min(1, 'must hold at least one bucket')
          .max(MAX_HISTOGRAM_BUCKETS, `must hold at most ${MAX_HISTOGRAM_BUCKETS} buckets`)
          .superRefine((buckets, ctx) => {
            for (let i = 1; i < buckets.length; i++) {
              const [a, b] = [buckets[i - 1], buckets[i]];
              const le = (x: number | '+Inf') => (x === '+Inf' ? Infinity : x);
              if (!(le(b.le) > le(a.le))) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'le'], message: 'buckets must be in increasing order of le' });
              else if (b.count < a.count) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'count'], message: 'counts are cumulative: each must be >= the one before' });
            }
          }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.value === undefined) === (v.histogram === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['value'], message: 'give exactly one of value or histogram' });
  });

/** @public */
export type SliValue = z.infer<typeof sliValueSchema>;

/** POST /sli-values body without its values' contents (each is checked with `sliValueSchema`, in slices). @public */
export const sliValueBatchShellSchema = z
  .object({
    values: z
      .array(z.unknown(), { required_error: 'is required', invalid_type_error: 'must be an array' })
      .min(1, 'must hold at least one value')
      .max(MAX_EVENTS_PER_BATCH, `must hold at most ${MAX_EVENTS_PER_BATCH} values per request`),
  })
  .strict();

/** GET /slos/:namespace/:name/history query. @public */
export const historyQuerySchema = z
  .object({
    from: isoTimestamp.optional(),
    to: isoTimestamp.optional(),
    points: z.coerce
      .number({ invalid_type_error: 'must be a number' })
      .int('must be an integer')
      .min(3, 'must be >= 3')
      .max(5000, 'must be <= 5000')
      .default(500),
    window: z.enum(BURN_RATE_WINDOWS, { errorMap: () => ({ message: `must be one of ${BURN_RATE_WINDOWS.join(', ')}` }) }).default('1h'),
  })
  .strict()
  .refine(q => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'must be before to', path: ['from'] });

/** GET /slos query. @public */
export const listQuerySchema = z
  .object({
    entityRef: entityRefParam.optional(),
    ...pageParams,
  })
  .strict();

/** GET /gate query: the entity whose SLOs the gate checks. @public */
export const gateQuerySchema = z
  .object({
    entityRef: entityRefParam,
  })
  .strict();

/** The launch-freeze gate's answer. @public */
export interface GateResponse {
  allow: boolean;
  reason: string;
  /** The lowest budget remaining over the gate window among the entity's SLOs (null without data). */
  budgetRemaining: number | null;
  threshold: number;
  window: string;
  slos: { ref: string; budgetRemaining: number | null; allow: boolean }[];
}

/** GET /alerts query. @public */
export const alertsQuerySchema = z
  .object({
    entityRef: entityRefParam.optional(),
    state: z.enum(['pending', 'firing', 'resolved', 'active'], { errorMap: () => ({ message: 'must be one of pending, firing, resolved, active' }) }).optional(),
    ...pageParams,
  })
  .strict();

const amLabels = z.record(z.string({ invalid_type_error: 'label values must be strings' }));

/** Alertmanager's webhook payload, version 4. @public */
export const alertmanagerWebhookSchema = z.object({
  version: z.literal('4', { errorMap: () => ({ message: 'must be "4" (Alertmanager webhook payload version 4)' }) }),
  groupKey: z.string({ required_error: 'is required' }).min(1, 'must not be empty'),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved'], { errorMap: () => ({ message: 'must be firing or resolved' }) }),
  receiver: z.string().optional(),
  groupLabels: amLabels.optional(),
  commonLabels: amLabels.optional(),
  commonAnnotations: amLabels.optional(),
  externalURL: z.string().optional(),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved'], { errorMap: () => ({ message: 'must be firing or resolved' }) }),
        labels: amLabels,
        annotations: amLabels.default({}),
        startsAt: z.string({ required_error: 'is required' }).refine(v => !Number.isNaN(Date.parse(v)), 'must be an RFC 3339 timestamp'),
        endsAt: z.string().optional(),
        generatorURL: z.string().optional(),
        fingerprint: z.string({ required_error: 'is required' }).regex(/^[0-9a-fA-F]{1,64}$/, 'must be the hex fingerprint Alertmanager sends'),
      }),
      { required_error: 'is required' },
    )
    .min(1, 'must hold at least one alert')
    .max(1000, 'must hold at most 1000 alerts'),
});

/** @public */
export type AlertmanagerWebhook = z.infer<typeof alertmanagerWebhookSchema>;

/** PUT /runbooks/:kind/:namespace/:name: a new version of the portal runbook and failure modes. @public */
export const runbookSaveSchema = z
  .object({
    baseVersion: z.number({ required_error: 'is required (0 for a new runbook)', invalid_type_error: 'must be a number' }).int('must be an integer').min(0, 'must be at least 0'),
    markdown: z.string({ invalid_type_error: 'must be a string' }).max(512 * 1024, 'must be at most 512 KiB').optional(),
    failureModes: z
      .array(
        z
          .object({
            mode: z.string({ required_error: 'is required' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
            detection: z.string({ required_error: 'is required' }).max(1000, 'must be at most 1000 characters'),
            mitigation: z.string({ required_error: 'is required' }).max(1000, 'must be at most 1000 characters'),
          })
          .strict(),
        { invalid_type_error: 'must be a list' },
      )
      .max(100, 'must hold at most 100 rows'),
    message: z.string({ invalid_type_error: 'must be a string' }).max(500, 'must be at most 500 characters').optional(),
  })
  .strict();

/** GET /runbooks/:kind/:namespace/:name. @public */
export interface RunbookResponse {
  entityRef: string;
  source: { type: 'url' | 'file' | 'portal'; location: string; version?: number; author?: string; updatedAt?: string };
  sections: import('../runbooks/runbook').RunbookSection[];
  markdown: string;
  /** The entity's failure-mode catalog; the seed's ten rows (template: true) until someone saves it. */
  failureModes: import('../runbooks/runbook').FailureMode[];
  failureModesTemplate: boolean;
  /** The latest portal version (runbook or failure modes), 0 when none: the baseVersion of the next save. */
  version: number;
  /** Whether the caller may edit (reliability.runbook.update on the entity), and what. */
  canEdit: boolean;
  editableMarkdown: boolean;
}

/** One row of the incident commander's view (GET /commander/alerts). @public */
export interface CommanderAlert {
  key: string;
  source: 'reliability' | 'alertmanager';
  name: string;
  severity: string;
  state: string;
  entityRef: string;
  entityTitle: string | null;
  owner: string | null;
  system: string | null;
  startedAt: string;
  ageMs: number;
  summary: string;
  slo: { ref: string; title: string; state: string | null; budgetRemaining: number | null } | null;
  /** The entity whose runbook answers this alert and the section that does (null without a runbook). */
  runbook: { entityRef: string; section: string | null; sectionTitle: string | null } | null;
  remediation: { state: string; ruleId: string; at: string } | null;
  /** The entity's last change before the alert started (a deploy, a config push, a flag flip), within a day. */
  lastChange?: { kind: string; version: string | null; summary: string | null; author: string | null; link: string | null; at: string } | null;
}

/** GET /alertmanager/alerts query. @public */
export const alertmanagerAlertsQuerySchema = z
  .object({
    status: z.enum(['firing', 'resolved'], { errorMap: () => ({ message: 'must be firing or resolved' }) }).optional(),
    ...pageParams,
  })
  .strict();

/** Query of lists that only page: runbook versions, the commander's alerts. @public */
export const pageQuerySchema = z.object({ ...pageParams }).strict();
