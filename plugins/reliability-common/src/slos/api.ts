import { z } from 'zod';
import { pageParams } from '../model/pagination';
import { entityRefParam } from '../model/params';
import { BURN_RATE_WINDOWS } from '../math/mwmb';
import type { SloStatus } from '../math/status';

/** The REST shapes of SLOs: lists, charts, the SLI ingest bodies and the launch gate. */

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
  alertPolicy?: {
    source: 'openslo' | 'annotation' | 'csv' | 'default';
    rules: string[];
    noData: boolean;
    targets?: { name: string; target: string }[];
  };
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
  /**
   * Set when the point was replayed from the SLI source's past (a Prometheus-backed SLO's history before the suite
   * evaluated it), not written by an evaluation. Its burn rate and SLI are over 1h; null for other lookbacks.
   */
  replayed?: boolean;
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
  /** For SLOs counted from ingested values: when their data begins (the first count reading), ISO-8601. */
  dataBegins?: string;
}

const isoTimestamp = z
  .string({
    required_error: 'is required',
    invalid_type_error: 'must be an ISO-8601 string',
  })
  .refine(
    v => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)),
    'must be an ISO-8601 timestamp such as 2026-11-22T10:00:00Z',
  );

const count = z
  .number({
    required_error: 'is required',
    invalid_type_error: 'must be a number',
  })
  .int('must be an integer')
  .nonnegative('must be >= 0')
  .max(Number.MAX_SAFE_INTEGER, 'is too large');

/** One SLI observation for the built-in ingest source. @public */
export const sliEventSchema = z
  .object({
    slo: z
      .string({
        required_error: 'is required',
        invalid_type_error: 'must be a string',
      })
      .max(
        507,
        'must be "<namespace>/<name>" of an SLO (at most 507 characters)',
      )
      .regex(
        /^[a-z0-9A-Z_.-]+\/[a-z0-9A-Z_.-]+$/,
        'must be "<namespace>/<name>" of an SLO',
      ),
    timestamp: isoTimestamp,
    good: count,
    total: count,
  })
  .strict()
  .refine(e => e.good <= e.total, {
    message: 'must be <= total',
    path: ['good'],
  });

/** @public */
export const MAX_EVENTS_PER_BATCH = 10_000;

/** A batch's items, unchecked: at least one, at most MAX_EVENTS_PER_BATCH (`event` / `value` in the messages). */
const batchOf = (noun: string) =>
  z
    .array(z.unknown(), {
      required_error: 'is required',
      invalid_type_error: 'must be an array',
    })
    .min(1, `must hold at least one ${noun}`)
    .max(
      MAX_EVENTS_PER_BATCH,
      `must hold at most ${MAX_EVENTS_PER_BATCH} ${noun}s per request`,
    );

/**
 * POST /sli-events body without its events' contents: the backend checks the shape and size first, then each
 * event with `sliEventSchema` in slices, so a 10,000-event batch never holds the event loop.
 * @public
 */
export const sliEventBatchShellSchema = z
  .object({ events: batchOf('event') })
  .strict();

/** POST /sli-events body. @public */
export const sliEventBatchSchema = z
  .object({
    events: z
      .array(sliEventSchema, {
        required_error: 'is required',
        invalid_type_error: 'must be an array',
      })
      .min(1, 'must hold at least one event')
      .max(
        MAX_EVENTS_PER_BATCH,
        `must hold at most ${MAX_EVENTS_PER_BATCH} events per request`,
      ),
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
    value: z
      .number({ invalid_type_error: 'must be a number' })
      .finite('must be a finite number')
      .optional(),
    histogram: z
      .object({
        quantile: z
          .number({
            required_error: 'is required',
            invalid_type_error: 'must be a number',
          })
          .gt(0, 'must be > 0')
          .lt(1, 'must be < 1'),
        buckets: z
          .array(
            z
              .object({
                le: z.union([z.number().finite(), z.literal('+Inf')], {
                  errorMap: () => ({ message: 'must be a number or "+Inf"' }),
                }),
                count: z
                  .number({
                    required_error: 'is required',
                    invalid_type_error: 'must be a number',
                  })
                  .nonnegative('must be >= 0')
                  .finite(),
              })
              .strict(),
            {
              required_error: 'is required',
              invalid_type_error: 'must be an array',
            },
          )
          .min(1, 'must hold at least one bucket')
          .max(
            MAX_HISTOGRAM_BUCKETS,
            `must hold at most ${MAX_HISTOGRAM_BUCKETS} buckets`,
          )
          .superRefine((buckets, ctx) => {
            for (let i = 1; i < buckets.length; i++) {
              const [a, b] = [buckets[i - 1], buckets[i]];
              const le = (x: number | '+Inf') => (x === '+Inf' ? Infinity : x);
              if (!(le(b.le) > le(a.le)))
                ctx.addIssue({
                  code: z.ZodIssueCode.custom,
                  path: [i, 'le'],
                  message: 'buckets must be in increasing order of le',
                });
              else if (b.count < a.count)
                ctx.addIssue({
                  code: z.ZodIssueCode.custom,
                  path: [i, 'count'],
                  message:
                    'counts are cumulative: each must be >= the one before',
                });
            }
          }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if ((v.value === undefined) === (v.histogram === undefined))
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['value'],
        message: 'give exactly one of value or histogram',
      });
  });

/** @public */
export type SliValue = z.infer<typeof sliValueSchema>;

/** POST /sli-values body without its values' contents (each is checked with `sliValueSchema`, in slices). @public */
export const sliValueBatchShellSchema = z
  .object({ values: batchOf('value') })
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
    window: z
      .enum(BURN_RATE_WINDOWS, {
        errorMap: () => ({
          message: `must be one of ${BURN_RATE_WINDOWS.join(', ')}`,
        }),
      })
      .default('1h'),
  })
  .strict()
  .refine(q => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: 'must be before to',
    path: ['from'],
  });

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
