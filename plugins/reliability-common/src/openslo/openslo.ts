import { z } from 'zod';
import { openSloAlertPoliciesSchema } from './alertPolicy';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../math/duration';

/**
 * OpenSLO v1 `kind: SLO`, the subset this release evaluates. Anything else that OpenSLO allows but we do not
 * support yet (Timeslices budgeting, indicatorRef, alertPolicyRef, thresholdMetric, …) is rejected with an
 * error naming the field, so an SLO never silently means something other than what was written.
 */

/** OpenSLO names are RFC 1123 labels (the go-sdk's rule): lowercase letters, digits and -, at most 63. */
const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A label key, as the go-sdk checks it. */
const LABEL_KEY_RE = /^[a-zA-Z0-9]([-._a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * An annotation key as the go-sdk checks it: an optional DNS prefix (at most 253 characters) and `/`, then a name of
 * at most 63 letters, digits, -, _ or . — checked part by part, with no backtracking.
 */
export function isOpenSloAnnotationKey(key: string): boolean {
  if (key.length > 317) return false;
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (!LABEL_KEY_RE.test(name)) return false;
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  return prefix.length <= 253 && prefix.split('.').every(part => DNS_LABEL_RE.test(part));
}

const durationString = (what: string) =>
  z.string().refine(v => parseDuration(v) !== undefined, {
    message: `${what} must be a duration like 5m, 1h, 28d, 1w or 1M`,
  });

const unsupported = (field: string, why: string) =>
  z.any().superRefine((v, ctx) => {
    if (v !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${field} is not supported yet: ${why}` });
    }
  });

/** A metric query, e.g. { type: Prometheus, spec: { query: 'sum(rate(x[5m]))' } }. @public */
export const metricSourceSchema = z
  .object({
    metricSourceRef: z.string().optional(),
    type: z.string().min(1, 'metricSource.type must name the source, e.g. Prometheus').optional(),
    spec: z.record(z.unknown()).default({}),
  })
  .passthrough();

const metricSchema = z.object({ metricSource: metricSourceSchema }).passthrough();

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
    rawType: z.enum(['success', 'failure'], { errorMap: () => ({ message: 'ratioMetric.rawType must be success or failure' }) }).optional(),
    raw: metricSchema.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.raw) {
      if (!v.rawType) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['rawType'], message: 'ratioMetric.rawType is required with raw (success or failure)' });
      if (v.good || v.bad || v.total) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['raw'], message: 'ratioMetric.raw goes alone: not with good, bad or total' });
      return;
    }
    if (!!v.good === !!v.bad || !v.total) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [v.total ? 'good' : 'total'],
        message: 'ratioMetric needs exactly one of good or bad, next to total (or a raw ratio with rawType)',
      });
    }
  });

/** @public */
export const indicatorSchema = z
  .object({
    metadata: z.object({ name: z.string().optional(), displayName: z.string().optional() }).passthrough().optional(),
    spec: z
      .object({
        ratioMetric: ratioMetricSchema,
        thresholdMetric: unsupported('thresholdMetric', 'express the SLI as a ratioMetric (good or bad over total)'),
      })
      .passthrough(),
  })
  .passthrough();

/** @public */
export const timeWindowSchema = z
  .object({
    duration: durationString('timeWindow.duration').refine(v => !v.trim().endsWith('s'), 'timeWindow.duration takes OpenSLO units: m, h, d, w, M, Q or Y'),
    // as OpenSLO's go-sdk reads it: a missing isRolling is false, and then the window is a calendar one
    isRolling: z.boolean({ invalid_type_error: 'timeWindow.isRolling must be true or false' }).default(false),
    calendar: z
      .object({
        startTime: z
          .string({ required_error: 'calendar.startTime is required, such as 2026-01-01 00:00:00' })
          .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'calendar.startTime must be a date and time such as 2026-01-01 00:00:00'),
        timeZone: z
          .string({ required_error: 'calendar.timeZone is required, such as Europe/Berlin' })
          .refine(tz => {
            try {
              new Intl.DateTimeFormat('en-US', { timeZone: tz });
              return true;
            } catch {
              return false;
            }
          }, 'calendar.timeZone must be an IANA time zone such as Europe/Berlin'),
      })
      .optional(),
  })
  .superRefine((w, ctx) => {
    if (!w.isRolling && !w.calendar) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['calendar'], message: 'calendar must be set when isRolling is false (or missing): a calendar window needs calendar.startTime and calendar.timeZone' });
    }
    if (w.isRolling && w.calendar) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['calendar'], message: 'calendar cannot be set when isRolling is true' });
    }
  });

/** @public */
export const objectiveSchema = z
  .object({
    displayName: z.string().optional(),
    target: z.number().gt(0, 'target must be > 0').lte(1, 'target must be <= 1 (a ratio; use targetPercent for percentages)').optional(),
    targetPercent: z.number().gt(0, 'targetPercent must be > 0').lte(100, 'targetPercent must be <= 100').optional(),
    op: unsupported('objectives[].op', 'threshold objectives need thresholdMetric, which is not supported'),
    value: unsupported('objectives[].value', 'threshold objectives need thresholdMetric, which is not supported'),
    timeSliceTarget: unsupported('objectives[].timeSliceTarget', 'Timeslices budgeting is not supported; use Occurrences'),
    timeSliceWindow: unsupported('objectives[].timeSliceWindow', 'Timeslices budgeting is not supported; use Occurrences'),
    indicatorRef: unsupported('objectives[].indicatorRef', 'inline the indicator in spec.indicator'),
  })
  .superRefine((o, ctx) => {
    if ((o.target === undefined) === (o.targetPercent === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['target'], message: 'each objective needs exactly one of target or targetPercent' });
    }
  });

/** @public */
export const openSloSpecSchema = z
  .object({
    description: z.string().optional(),
    service: z.string().min(1, 'spec.service must name the component this SLO measures'),
    indicator: indicatorSchema,
    indicatorRef: z.any().superRefine((v, ctx) => {
      if (v !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `names the SLI document ${String(v)}, which was not put in place: the catalog resolves it (catalog-backend-module-reliability); elsewhere, inline the indicator in spec.indicator` });
    }),
    timeWindow: z.array(timeWindowSchema).length(1, 'spec.timeWindow must hold exactly one window'),
    budgetingMethod: z.enum(['Occurrences', 'Timeslices', 'RatioTimeslices']).superRefine((v, ctx) => {
      if (v !== 'Occurrences') {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `budgetingMethod ${v} is not supported yet; use Occurrences` });
      }
    }),
    objectives: z.array(objectiveSchema).min(1, 'spec.objectives needs at least one objective').max(1, 'only one objective per SLO is supported yet'),
    alertPolicies: openSloAlertPoliciesSchema.optional(),
  })
  .passthrough();

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
    indicator: {
      metadata?: { name?: string; displayName?: string; [key: string]: unknown };
      spec: {
        ratioMetric: {
          counter: boolean;
          good?: { metricSource: OpenSloMetricSource };
          bad?: { metricSource: OpenSloMetricSource };
          total?: { metricSource: OpenSloMetricSource };
          rawType?: 'success' | 'failure';
          raw?: { metricSource: OpenSloMetricSource };
        };
        [key: string]: unknown;
      };
    };
    timeWindow: { duration: string; isRolling: boolean; calendar?: { startTime?: string; timeZone: string } }[];
    budgetingMethod: 'Occurrences' | 'Timeslices' | 'RatioTimeslices';
    objectives: { displayName?: string; target?: number; targetPercent?: number }[];
    alertPolicies?: z.infer<typeof openSloAlertPoliciesSchema>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** @public */
export const openSloDocumentSchema: z.ZodType<OpenSloDocument, z.ZodTypeDef, unknown> = z
  .object({
    apiVersion: z.literal('openslo/v1', { errorMap: () => ({ message: 'apiVersion must be openslo/v1' }) }),
    kind: z.literal('SLO', { errorMap: () => ({ message: 'kind must be SLO' }) }),
    metadata: z
      .object({
        name: z.string().regex(NAME_RE, 'metadata.name must be an RFC 1123 name: lowercase letters, digits and -, at most 63'),
        namespace: z.string().optional(),
        displayName: z.string().max(63, 'metadata.displayName must be at most 63 characters').optional(),
        annotations: z
          .record(z.string())
          .superRefine((a, ctx) => {
            for (const key of Object.keys(a)) {
              if (!isOpenSloAnnotationKey(key)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: 'annotation keys are an optional DNS prefix and / then at most 63 letters, digits, -, _ or .' });
            }
          })
          .optional(),
        // OpenSLO allows a label value to be a string or a list of strings: a list is joined with commas
        labels: z
          .record(
            z.string().regex(LABEL_KEY_RE, 'metadata.labels keys must be at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit'),
            z.union([z.string(), z.array(z.string())], { errorMap: () => ({ message: 'metadata.labels values must be strings or lists of strings' }) }))
          .transform(l => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])))
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
      return { ok: false, error: `${what} is not valid YAML: ${(e as Error).message}` };
    }
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: formatIssues(parsed.error) };
}
