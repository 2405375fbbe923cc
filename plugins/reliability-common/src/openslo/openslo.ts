import { z } from 'zod';
import { openSloAlertPoliciesSchema } from './alertPolicy';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../math/duration';

/**
 * OpenSLO v1 `kind: SLO`, as this release evaluates it. Anything OpenSLO allows that we do not evaluate yet (several
 * objectives, composite SLOs) is rejected with an error naming the field, so an SLO never silently means something
 * other than what was written.
 */

/** OpenSLO names are RFC 1123 labels (the go-sdk's rule): lowercase letters, digits and -, at most 63. */
const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A label key, as the go-sdk checks it. */
const LABEL_KEY_RE = /^[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * An annotation key as the go-sdk checks it: an optional DNS prefix (at most 253 characters) and `/`, then a name of
 * at most 63 letters, digits, -, _ or . — checked part by part, with no backtracking.
 * @public
 */
export function isOpenSloAnnotationKey(key: string): boolean {
  if (key.length > 317) return false;
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (!LABEL_KEY_RE.test(name)) return false;
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  return (
    prefix.length <= 253 &&
    prefix.split('.').every(part => DNS_LABEL_RE.test(part))
  );
}

const durationString = (what: string) =>
  z.string().refine(v => parseDuration(v) !== undefined, {
    message: `${what} must be a duration like 5m, 1h, 28d, 1w or 1M`,
  });

/** A metric query, e.g. `{ type: Prometheus, spec: { query: 'sum(rate(x[5m]))' } }`. @public */
export const metricSourceSchema = z
  .object({
    metricSourceRef: z
      .string()
      .regex(
        /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
        'metricSource.metricSourceRef must be an RFC 1123 name of a DataSource or a configured instance',
      )
      .optional(),
    type: z
      .string()
      .min(1, 'metricSource.type must name the source, e.g. Prometheus')
      .optional(),
    // OpenSLO's go-sdk requires a spec with at least one field (a query; for the built-in ingest, its endpoint)
    spec: z
      .record(z.unknown(), {
        required_error:
          "metricSource.spec is required, as OpenSLO's go-sdk requires: the query (for the built-in ingest: endpoint: /api/reliability/sli-events)",
        invalid_type_error:
          'metricSource.spec must be a map of fields, such as query',
      })
      .refine(
        s => Object.keys(s).length > 0,
        "metricSource.spec must hold at least one field, as OpenSLO's go-sdk requires: the query (for the built-in ingest: endpoint: /api/reliability/sli-events)",
      ),
  })
  .passthrough();

const metricSchema = z
  .object({ metricSource: metricSourceSchema })
  .passthrough();

/**
 * A ratio metric: good or bad events over total events (`counter`), or a raw ratio read directly (`raw`, with
 * `rawType` saying whether it is the success or the failure ratio), as OpenSLO v1 allows.
 * @public
 */
export const ratioMetricSchema = z
  .object({
    counter: z.boolean().default(true),
    good: metricSchema.optional(),
    bad: metricSchema.optional(),
    total: metricSchema.optional(),
    rawType: z
      .enum(['success', 'failure'], {
        errorMap: () => ({
          message: 'ratioMetric.rawType must be success or failure',
        }),
      })
      .optional(),
    raw: metricSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.raw) {
      if (!v.rawType)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['rawType'],
          message:
            'ratioMetric.rawType is required with raw (success or failure)',
        });
      if (v.good || v.bad || v.total)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['raw'],
          message: 'ratioMetric.raw goes alone: not with good, bad or total',
        });
      return;
    }
    if (!!v.good === !!v.bad || !v.total) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [v.total ? 'good' : 'total'],
        message:
          'ratioMetric needs exactly one of good or bad, next to total (or a raw ratio with rawType)',
      });
    }
  });

/** @public */
export const indicatorSchema = z
  .object({
    metadata: z
      .object({
        name: z.string().optional(),
        displayName: z.string().optional(),
      })
      .passthrough()
      .optional(),
    spec: z
      .object({
        ratioMetric: ratioMetricSchema.optional(),
        // one value per data point (a p95 latency, a queue length), judged against the objective's op and value
        thresholdMetric: metricSchema.optional(),
      })
      .passthrough()
      .superRefine((s, ctx) => {
        if (!!s.ratioMetric === !!s.thresholdMetric) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['ratioMetric'],
            message:
              'an indicator has exactly one of ratioMetric or thresholdMetric',
          });
        }
      }),
  })
  .passthrough();

/** @public */
export const timeWindowSchema = z
  .object({
    duration: durationString('timeWindow.duration').refine(
      v => !v.trim().endsWith('s'),
      'timeWindow.duration takes OpenSLO units: m, h, d, w, M, Q or Y',
    ),
    // as OpenSLO's go-sdk reads it: a missing isRolling is false, and then the window is a calendar one
    isRolling: z
      .boolean({
        invalid_type_error: 'timeWindow.isRolling must be true or false',
      })
      .default(false),
    calendar: z
      .object({
        startTime: z
          .string({
            required_error:
              'calendar.startTime is required, such as 2026-01-01 00:00:00',
          })
          .regex(
            /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/,
            'calendar.startTime must be a date and time such as 2026-01-01 00:00:00',
          ),
        timeZone: z
          .string({
            required_error:
              'calendar.timeZone is required, such as Europe/Berlin',
          })
          .refine(tz => {
            try {
              return (
                new Intl.DateTimeFormat('en-US', {
                  timeZone: tz,
                }).resolvedOptions().timeZone.length > 0
              );
            } catch {
              return false;
            }
          }, 'calendar.timeZone must be an IANA time zone such as Europe/Berlin'),
      })
      .optional(),
  })
  .superRefine((w, ctx) => {
    if (!w.isRolling && !w.calendar) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['calendar'],
        message:
          'calendar must be set when isRolling is false (or missing): a calendar window needs calendar.startTime and calendar.timeZone',
      });
    }
    if (w.isRolling && w.calendar) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['calendar'],
        message: 'calendar cannot be set when isRolling is true',
      });
    }
  });

/** @public */
export const objectiveSchema = z
  .object({
    displayName: z.string().optional(),
    // the go-sdk's ranges: a target in [0, 1), a targetPercent in [0, 100)
    target: z
      .number()
      .gte(0, 'target must be >= 0')
      .lt(1, 'target must be < 1 (a ratio; use targetPercent for percentages)')
      .optional(),
    targetPercent: z
      .number()
      .gte(0, 'targetPercent must be >= 0')
      .lt(100, 'targetPercent must be < 100')
      .optional(),
    op: z
      .enum(['lt', 'lte', 'gt', 'gte'], {
        errorMap: () => ({ message: 'op must be one of lt, lte, gt or gte' }),
      })
      .optional(),
    value: z
      .number({
        invalid_type_error:
          "value must be a number, the threshold in the metric's unit",
      })
      .finite()
      .optional(),
    timeSliceTarget: z
      .number({ invalid_type_error: 'timeSliceTarget must be a number' })
      .gt(0, 'timeSliceTarget must be > 0')
      .lte(1, 'timeSliceTarget must be <= 1')
      .optional(),
    timeSliceWindow: durationString('timeSliceWindow').optional(),
    // a composite SLO: each objective has its own indicator, weighted by compositeWeight (default 1)
    indicator: indicatorSchema.optional(),
    indicatorRef: z.any().superRefine((v, ctx) => {
      if (v !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `names the SLI document ${String(
            v,
          )}, which was not put in place: the catalog resolves it (catalog-backend-module-reliability); elsewhere, inline the indicator`,
        });
    }),
    compositeWeight: z
      .number({ invalid_type_error: 'compositeWeight must be a number' })
      .gt(0, 'compositeWeight must be > 0')
      .finite()
      .optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.target === undefined) === (o.targetPercent === undefined)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['target'],
        message: 'each objective needs exactly one of target or targetPercent',
      });
    }
  });

/** @public */
export const openSloSpecSchema: z.ZodType<
  OpenSloDocument['spec'],
  z.ZodTypeDef,
  unknown
> = z
  .object({
    description: z
      .string()
      .max(1050, 'spec.description must be at most 1050 characters')
      .optional(),
    service: z
      .string()
      .min(1, 'spec.service must name the component this SLO measures'),
    indicator: indicatorSchema.optional(),
    indicatorRef: z.any().superRefine((v, ctx) => {
      if (v !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `names the SLI document ${String(
            v,
          )}, which was not put in place: the catalog resolves it (catalog-backend-module-reliability); elsewhere, inline the indicator in spec.indicator`,
        });
    }),
    timeWindow: z
      .array(timeWindowSchema)
      .length(1, 'spec.timeWindow must hold exactly one window'),
    budgetingMethod: z.enum(['Occurrences', 'Timeslices', 'RatioTimeslices'], {
      errorMap: () => ({
        message:
          'budgetingMethod must be Occurrences, Timeslices or RatioTimeslices',
      }),
    }),
    objectives: z
      .array(objectiveSchema)
      .min(1, 'spec.objectives needs at least one objective')
      .max(20, 'spec.objectives holds at most 20 objectives'),
    // `alertPolicies:` with nothing under it (null) is no policy, as the go-sdk reads it
    alertPolicies: z.preprocess(
      v => (v === null ? undefined : v),
      openSloAlertPoliciesSchema.optional(),
    ),
  })
  .passthrough()
  .superRefine((spec, ctx) => {
    // the go-sdk's rules for time slices, and ours for thresholds (an objective's op and value need a thresholdMetric)
    // an indicator on the spec, or one on every objective (a composite SLO), as the go-sdk asks
    const composite = (spec.objectives ?? []).some(
      o => o.indicator !== undefined,
    );
    if (composite && spec.indicator)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['indicator'],
        message:
          "'indicator' goes on the spec (a standard SLO) or on each objective (a composite SLO), not both",
      });
    if (!composite && !spec.indicator)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['indicator'],
        message:
          "'indicator' or 'indicatorRef' is required, on the spec (a standard SLO) or on each objective (a composite SLO)",
      });
    (spec.objectives ?? []).forEach((o, i) => {
      const at = (field: string, message: string) =>
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['objectives', i, field],
          message,
        });
      if (composite && !o.indicator)
        at(
          'indicator',
          "every objective of a composite SLO needs its own 'indicator' or 'indicatorRef'",
        );
      const threshold = !!(o.indicator ?? spec.indicator)?.spec
        ?.thresholdMetric;
      if (spec.budgetingMethod === 'Timeslices') {
        if (o.timeSliceTarget === undefined)
          at(
            'timeSliceTarget',
            'timeSliceTarget is required with budgetingMethod Timeslices: the share of a slice that must be good, in (0, 1]',
          );
        if (o.timeSliceWindow === undefined)
          at(
            'timeSliceWindow',
            'timeSliceWindow is required with budgetingMethod Timeslices, such as 1m',
          );
      } else if (spec.budgetingMethod === 'RatioTimeslices') {
        if (o.timeSliceWindow === undefined)
          at(
            'timeSliceWindow',
            'timeSliceWindow is required with budgetingMethod RatioTimeslices, such as 1m',
          );
      }
      // with Occurrences the go-sdk does not look at timeSliceTarget nor timeSliceWindow, and neither do we
      // op and value judge a thresholdMetric's values. On a ratio objective the go-sdk accepts them (OpenSLO's own
      // examples write `op: gt` there) and they mean nothing: the ratio is compared with the target
      if (threshold) {
        if (o.op === undefined)
          at('op', 'op is required with a thresholdMetric: lt, lte, gt or gte');
        if (o.value === undefined)
          at(
            'value',
            'value is required with a thresholdMetric: the threshold, such as 300',
          );
      }
      const w =
        o.timeSliceWindow === undefined
          ? undefined
          : parseDuration(o.timeSliceWindow);
      if (w && w.unit === 's')
        at(
          'timeSliceWindow',
          'timeSliceWindow takes OpenSLO units: m, h, d, w, M, Q or Y',
        );
    });
  });

/** A metric source as written in an indicator. @public */
export interface OpenSloMetricSource {
  metricSourceRef?: string;
  type?: string;
  spec: Record<string, unknown>;
  [key: string]: unknown;
}

/** The OpenSLO v1 SLO document, as far as this release reads it. @public */
export interface OpenSloDocument {
  apiVersion: 'openslo/v1';
  kind: 'SLO';
  metadata: {
    name: string;
    namespace?: string;
    displayName?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: {
    description?: string;
    service: string;
    indicator?: OpenSloIndicator;
    timeWindow: {
      duration: string;
      isRolling: boolean;
      calendar?: { startTime?: string; timeZone: string };
    }[];
    budgetingMethod: 'Occurrences' | 'Timeslices' | 'RatioTimeslices';
    objectives: {
      displayName?: string;
      target?: number;
      targetPercent?: number;
      op?: 'lt' | 'lte' | 'gt' | 'gte';
      value?: number;
      timeSliceTarget?: number;
      timeSliceWindow?: string;
      indicator?: OpenSloIndicator;
      compositeWeight?: number;
    }[];
    alertPolicies?: z.infer<typeof openSloAlertPoliciesSchema>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** An inline OpenSLO indicator (an SLI). @public */
export interface OpenSloIndicator {
  metadata?: { name?: string; displayName?: string; [key: string]: unknown };
  spec: {
    ratioMetric?: {
      counter: boolean;
      good?: { metricSource: OpenSloMetricSource };
      bad?: { metricSource: OpenSloMetricSource };
      total?: { metricSource: OpenSloMetricSource };
      rawType?: 'success' | 'failure';
      raw?: { metricSource: OpenSloMetricSource };
    };
    thresholdMetric?: { metricSource: OpenSloMetricSource };
    [key: string]: unknown;
  };
}

/** @public */
export const openSloDocumentSchema: z.ZodType<
  OpenSloDocument,
  z.ZodTypeDef,
  unknown
> = z
  .object({
    apiVersion: z.literal('openslo/v1', {
      errorMap: () => ({ message: 'apiVersion must be openslo/v1' }),
    }),
    kind: z.literal('SLO', {
      errorMap: () => ({ message: 'kind must be SLO' }),
    }),
    metadata: z
      .object({
        name: z
          .string()
          .regex(
            NAME_RE,
            'metadata.name must be an RFC 1123 name: lowercase letters, digits and -, at most 63',
          ),
        namespace: z.string().optional(),
        displayName: z
          .string()
          .max(63, 'metadata.displayName must be at most 63 characters')
          .optional(),
        annotations: z
          .record(z.string())
          .superRefine((a, ctx) => {
            for (const key of Object.keys(a)) {
              if (!isOpenSloAnnotationKey(key))
                ctx.addIssue({
                  code: z.ZodIssueCode.custom,
                  path: [key],
                  message:
                    'annotation keys are an optional DNS prefix and / then at most 63 letters, digits, -, _ or .',
                });
            }
          })
          .optional(),
        // OpenSLO allows a label value to be a string or a list of strings: a list is joined with commas
        labels: z
          .record(
            z
              .string()
              .regex(
                LABEL_KEY_RE,
                'metadata.labels keys must be at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit',
              ),
            z.union([z.string(), z.array(z.string())], {
              errorMap: () => ({
                message:
                  'metadata.labels values must be strings or lists of strings',
              }),
            }),
          )
          .transform(l =>
            Object.fromEntries(
              Object.entries(l).map(([k, v]) => [
                k,
                Array.isArray(v) ? v.join(',') : v,
              ]),
            ),
          )
          .optional(),
      })
      .passthrough(),
    spec: openSloSpecSchema,
  })
  .passthrough();

/** Formats zod issues as `spec.objectives.0.target: target must be <= 1` lines. @public */
export function formatIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map(i => {
      const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

/**
 * Reads a document given as YAML text or as an already parsed object and validates it:
 * the value, or a message naming the field (or the YAML error).
 * @public
 */
export function parseDocument<T extends z.ZodTypeAny>(
  input: unknown,
  schema: T,
  what: string,
): { ok: true; value: z.infer<T> } | { ok: false; error: string } {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = parseYaml(input);
    } catch (e) {
      return {
        ok: false,
        error: `${what} is not valid YAML: ${(e as Error).message}`,
      };
    }
  }
  const parsed = schema.safeParse(raw);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: formatIssues(parsed.error) };
}
