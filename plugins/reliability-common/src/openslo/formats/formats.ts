import { z } from 'zod';
import { parseAllDocuments } from 'yaml';
import type { ParseResult } from '../../model/result';
import { formatDuration, parseDuration } from '../../math/duration';
import { parseDocument } from '../openslo';
import { isSlothServiceLevel, slothToOpenSlo } from '../sloth';
import {
  ANNOTATION_COMPONENT,
  ANNOTATION_DISPLAY_LABEL,
  ANNOTATION_DISPLAY_QUERY,
  ANNOTATION_DISPLAY_UNIT,
  ANNOTATION_EXHAUSTION_ALERT,
  ANNOTATION_ALERTS,
  ANNOTATION_MIN_EVENTS,
  ANNOTATION_OPENSLO_LABELS,
  ANNOTATION_RUNBOOK,
  ANNOTATION_SLOTH_ALERTING,
  ANNOTATION_SLOTH_SERVICE,
  ANNOTATION_SLOTH_SLO,
  SloDefinition,
} from '../definition';

/**
 * The SLO formats the suite reads (each converted to OpenSLO v1, which `parseSlo` evaluates) and writes:
 * - `openslo/v1`: OpenSLO v1 `SLO`, as it is;
 * - `openslo/v1alpha`: OpenSLO v1alpha `SLO`, as Sloth reads it (one SLO per objective, no alerts);
 * - `openslo.com/v2alpha`: OpenSLO v2alpha `SLO`, with an inline `sli` or an `sliRef` to an `SLI` given alongside
 *   (and `dataSourceRef` to a `DataSource` alongside, whose type becomes the metric source's);
 * - `sloth`: Sloth's `prometheus/v1` spec and `sloth.slok.dev/v1` resources;
 * - `pyrra`: Pyrra's `pyrra.dev/v1alpha1` `ServiceLevelObjective` (ratio, latency and bool_gauge indicators).
 * @public
 */
export type SloFormat =
  | 'openslo/v1'
  | 'openslo/v1alpha'
  | 'openslo/v2alpha'
  | 'sloth'
  | 'pyrra';

/** The formats an SLO can be exported as. @public */
export const SLO_EXPORT_FORMATS = ['openslo', 'sloth', 'pyrra'] as const;
/** @public */
export type SloExportFormat = (typeof SLO_EXPORT_FORMATS)[number];

const MAX_DOCUMENTS = 500;
const MAX_TEXT = 2_000_000;

/** Which format a parsed document is in, or undefined. @public */
export function detectSloFormat(doc: unknown): SloFormat | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return undefined;
  const d = doc as { apiVersion?: unknown; kind?: unknown; version?: unknown };
  if (d.apiVersion === 'openslo/v1') return 'openslo/v1';
  if (d.apiVersion === 'openslo/v1alpha') return 'openslo/v1alpha';
  if (d.apiVersion === 'openslo.com/v2alpha') return 'openslo/v2alpha';
  if (d.apiVersion === 'pyrra.dev/v1alpha1') return 'pyrra';
  if (d.version === 'prometheus/v1' || isSlothServiceLevel(doc)) return 'sloth';
  return undefined;
}

/** The documents of a YAML or JSON text, an object or a list of objects. */
function documentsOf(input: unknown): ParseResult<unknown[]> {
  if (typeof input === 'string') {
    if (input.length > MAX_TEXT)
      return { ok: false, error: `the text is over ${MAX_TEXT} characters` };
    const docs = parseAllDocuments(input);
    const list = Array.isArray(docs) ? docs : [docs];
    if (list.length > MAX_DOCUMENTS)
      return { ok: false, error: `over ${MAX_DOCUMENTS} documents` };
    const out: unknown[] = [];
    for (const [i, d] of list.entries()) {
      if (d.errors.length)
        return {
          ok: false,
          error: `document ${i + 1}: not valid YAML: ${d.errors[0].message}`,
        };
      const v = d.toJS({ maxAliasCount: 100 });
      if (Array.isArray(v)) out.push(...v);
      else if (v !== null && v !== undefined) out.push(v);
    }
    return { ok: true, value: out };
  }
  if (Array.isArray(input)) return { ok: true, value: input };
  return { ok: true, value: [input] };
}

/**
 * Any SLO format in (YAML text, an object, or a list: several documents, such as an OpenSLO v2alpha SLO with the SLI
 * and DataSource it names), OpenSLO v1 SLO documents out. Documents that are not SLOs (an SLI, a DataSource) are read
 * only to resolve references. Errors name the document and the field.
 * @public
 */
export function toOpenSloV1(
  input: unknown,
): ParseResult<Record<string, any>[]> {
  const docs = documentsOf(input);
  if (!docs.ok) return docs;
  const out: Record<string, any>[] = [];
  const many = docs.value.length > 1;
  for (const [i, doc] of docs.value.entries()) {
    const where = many ? `document ${i + 1}: ` : '';
    const format = detectSloFormat(doc);
    const kind = (doc as { kind?: unknown } | null)?.kind;
    let r: ParseResult<Record<string, any>[]>;
    if (!format)
      r = {
        ok: false,
        error:
          'apiVersion: not an SLO format the suite reads (openslo/v1, openslo/v1alpha, openslo.com/v2alpha, pyrra.dev/v1alpha1, Sloth prometheus/v1 or sloth.slok.dev/v1)',
      };
    else if (format === 'openslo/v1') {
      if (kind !== 'SLO') continue;
      r = { ok: true, value: [doc as Record<string, any>] };
    } else if (format === 'openslo/v2alpha') {
      if (kind !== 'SLO') continue;
      r = openSloV2alphaToV1(doc, docs.value);
    } else if (format === 'pyrra') r = pyrraToOpenSlo(doc);
    else r = slothToOpenSlo(doc);
    if (!r.ok) return { ok: false, error: `${where}${r.error}` };
    out.push(...r.value);
  }
  if (!out.length) return { ok: false, error: 'no SLO in the input' };
  return { ok: true, value: out };
}

// ---------------------------------------------------------------- OpenSLO v2alpha

const name = z
  .string({ required_error: 'is required' })
  .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be an RFC 1123 name');
const v2Metric = z
  .object({
    dataSourceRef: name.optional(),
    // the go-sdk's name for an inline data source (SLIMetricSpec.DataSourceSpec); `dataSource` is read too
    dataSourceSpec: z.record(z.unknown()).optional(),
    dataSource: z.record(z.unknown()).optional(),
    spec: z.record(z.unknown(), { required_error: 'spec is required' }),
  })
  .passthrough();
const v2Sli = z
  .object({
    metadata: z.record(z.unknown()).optional(),
    spec: z
      .object({
        ratioMetric: z
          .object({
            counter: z.boolean().optional(),
            good: v2Metric.optional(),
            bad: v2Metric.optional(),
            total: v2Metric.optional(),
            raw: v2Metric.optional(),
            rawType: z.enum(['success', 'failure']).optional(),
          })
          .passthrough()
          .optional(),
        thresholdMetric: v2Metric.optional(),
      })
      .passthrough(),
  })
  .passthrough();
const v2Slo = z
  .object({
    apiVersion: z.literal('openslo.com/v2alpha'),
    kind: z.literal('SLO'),
    metadata: z
      .object({
        name,
        displayName: z.string().optional(),
        labels: z.record(z.string()).optional(),
        annotations: z.record(z.string()).optional(),
      })
      .passthrough(),
    spec: z
      .object({
        description: z.string().optional(),
        service: z.string().min(1).optional(),
        serviceRef: z.string().min(1).optional(),
        sli: v2Sli.optional(),
        sliRef: name.optional(),
        timeWindow: z.array(z.record(z.unknown())).optional(),
        budgetingMethod: z.string().optional(),
        objectives: z.array(z.record(z.unknown())),
        alertPolicies: z.array(z.unknown()).optional(),
      })
      .passthrough(),
  })
  .passthrough();

/** An OpenSLO v2alpha SLO as OpenSLO v1: `serviceRef` as `service`, `sli`/`sliRef` as `indicator`, `dataSourceRef` as `metricSource`. */
function openSloV2alphaToV1(
  doc: unknown,
  all: unknown[],
): ParseResult<Record<string, any>[]> {
  const parsed = parseDocument(doc, v2Slo, 'OpenSLO v2alpha SLO');
  if (!parsed.ok) return parsed;
  const d = parsed.value;
  const byKind = (kind: string, n: string) =>
    all.find(
      x =>
        (x as any)?.apiVersion === 'openslo.com/v2alpha' &&
        (x as any)?.kind === kind &&
        (x as any)?.metadata?.name === n,
    ) as Record<string, any> | undefined;
  let sli = d.spec.sli;
  if (!sli && d.spec.sliRef) {
    const found = byKind('SLI', d.spec.sliRef);
    if (!found)
      return {
        ok: false,
        error: `spec.sliRef: no SLI named ${d.spec.sliRef} alongside the SLO (give the SLI document in the same file)`,
      };
    const s = v2Sli.safeParse(found);
    if (!s.success)
      return {
        ok: false,
        error: `SLI ${d.spec.sliRef}: ${s.error.issues[0].message}`,
      };
    sli = s.data;
  }
  if (!sli) return { ok: false, error: 'spec: needs sli or sliRef' };
  const service = d.spec.service ?? d.spec.serviceRef;
  if (!service) return { ok: false, error: 'spec.serviceRef is required' };
  const metric = (
    m: z.infer<typeof v2Metric> | undefined,
  ): ParseResult<Record<string, any> | undefined> => {
    if (!m) return { ok: true, value: undefined };
    let type =
      (m.dataSourceSpec as any)?.type ??
      (m.dataSource as any)?.type ??
      (m.dataSource as any)?.spec?.type;
    if (m.dataSourceRef) {
      const ds = byKind('DataSource', m.dataSourceRef);
      type ??= ds?.spec?.type;
    }
    return {
      ok: true,
      value: {
        metricSource: {
          ...(m.dataSourceRef ? { metricSourceRef: m.dataSourceRef } : {}),
          ...(type ? { type: String(type) } : {}),
          spec: m.spec,
        },
      },
    };
  };
  const spec: Record<string, any> = {};
  const rm = sli.spec.ratioMetric;
  if (rm) {
    const out: Record<string, any> = {
      ...(rm.counter !== undefined ? { counter: rm.counter } : {}),
    };
    for (const k of ['good', 'bad', 'total', 'raw'] as const) {
      const m = metric(rm[k]);
      if (!m.ok) return m;
      if (m.value) out[k] = m.value;
    }
    if (rm.rawType) out.rawType = rm.rawType;
    spec.ratioMetric = out;
  } else if (sli.spec.thresholdMetric) {
    const m = metric(sli.spec.thresholdMetric);
    if (!m.ok) return m;
    spec.thresholdMetric = m.value;
  } else
    return {
      ok: false,
      error: 'spec.sli.spec: needs ratioMetric or thresholdMetric',
    };
  return {
    ok: true,
    value: [
      {
        apiVersion: 'openslo/v1',
        kind: 'SLO',
        metadata: {
          ...d.metadata,
          namespace: (d.metadata as any).namespace ?? 'default',
        },
        spec: {
          ...(d.spec.description ? { description: d.spec.description } : {}),
          service,
          indicator: {
            metadata: sli.metadata ?? { name: `${d.metadata.name}-sli` },
            spec,
          },
          timeWindow: d.spec.timeWindow,
          budgetingMethod: d.spec.budgetingMethod,
          objectives: d.spec.objectives,
          ...(d.spec.alertPolicies
            ? { alertPolicies: d.spec.alertPolicies }
            : {}),
        },
      },
    ],
  };
}

// ---------------------------------------------------------------- Pyrra

const pyrraQuery = z
  .object({
    metric: z
      .string({ required_error: 'metric is required' })
      .min(1, 'metric must not be empty')
      .max(10_000, 'metric is over 10000 characters'),
  })
  .passthrough();
const noGrouping = z
  .array(z.string())
  .max(0, 'grouping (one SLO per label value) is not carried: remove it')
  .optional();
const pyrraSchema = z
  .object({
    apiVersion: z.literal('pyrra.dev/v1alpha1'),
    kind: z.literal('ServiceLevelObjective', {
      errorMap: () => ({ message: 'kind must be ServiceLevelObjective' }),
    }),
    metadata: z
      .object({
        name,
        namespace: z.string().optional(),
        labels: z.record(z.string()).optional(),
        annotations: z.record(z.string()).optional(),
      })
      .passthrough(),
    spec: z
      .object({
        description: z.string().optional(),
        target: z
          .string({ required_error: 'spec.target is required' })
          .regex(
            /^[0-9]{1,3}(\.[0-9]{1,12})?$/,
            'target must be a percentage such as "99.9"',
          ),
        window: z
          .string({ required_error: 'spec.window is required' })
          .refine(
            w => !!parseDuration(w),
            'window must be a duration such as 4w or 28d',
          ),
        indicator: z
          .object({
            ratio: z
              .object({
                errors: pyrraQuery,
                total: pyrraQuery,
                grouping: noGrouping,
              })
              .passthrough()
              .optional(),
            latency: z
              .object({
                success: pyrraQuery,
                total: pyrraQuery,
                grouping: noGrouping,
              })
              .passthrough()
              .optional(),
            bool_gauge: pyrraQuery
              .extend({ grouping: noGrouping })
              .passthrough()
              .optional(),
            latencyNative: z.unknown().optional(),
          })
          .passthrough()
          .superRefine((i, ctx) => {
            if (i.latencyNative !== undefined)
              ctx.addIssue({
                code: z.ZodIssueCode.custom,
                path: ['latencyNative'],
                message:
                  'native-histogram latency indicators are not read: write it as latency (bucket and count series)',
              });
            const n = [
              i.ratio,
              i.latency,
              i.bool_gauge,
              i.latencyNative,
            ].filter(x => x !== undefined).length;
            if (n !== 1)
              ctx.addIssue({
                code: z.ZodIssueCode.custom,
                path: [],
                message:
                  'indicator takes exactly one of ratio, latency or bool_gauge',
              });
          }),
        alerting: z
          .object({
            disabled: z.boolean().optional(),
            burnrates: z.boolean().optional(),
            name: z.string().max(200).optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough(),
  })
  .passthrough();

const LABEL_KEY = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelKeysOk = (l: Record<string, string>) =>
  Object.keys(l).every(k => LABEL_KEY.test(k));

const prom = (query: string) => ({
  metricSource: { type: 'Prometheus', spec: { query } },
});
/** A bool gauge's good and total, over the window: the samples at 1, all samples. */
const gaugeGood = (m: string) => `sum(sum_over_time(${m}[{{.window}}]))`;
const gaugeTotal = (m: string) => `sum(count_over_time(${m}[{{.window}}]))`;

/** A Pyrra ServiceLevelObjective as an OpenSLO v1 SLO. @public */
export function pyrraToOpenSlo(
  doc: unknown,
): ParseResult<Record<string, any>[]> {
  const parsed = parseDocument(doc, pyrraSchema, 'Pyrra ServiceLevelObjective');
  if (!parsed.ok) return parsed;
  const d = parsed.value;
  const percent = Number(d.spec.target);
  if (!(percent > 0 && percent < 100))
    return { ok: false, error: 'spec.target: must be above 0 and below 100' };
  const i = d.spec.indicator;
  let ratioMetric: Record<string, any>;
  if (i.ratio)
    ratioMetric = {
      counter: true,
      bad: prom(i.ratio.errors.metric),
      total: prom(i.ratio.total.metric),
    };
  else if (i.latency)
    ratioMetric = {
      counter: true,
      good: prom(i.latency.success.metric),
      total: prom(i.latency.total.metric),
    };
  else
    ratioMetric = {
      counter: false,
      good: prom(gaugeGood(i.bool_gauge!.metric)),
      total: prom(gaugeTotal(i.bool_gauge!.metric)),
    };
  const a = d.spec.alerting;
  const off = a?.disabled === true || a?.burnrates === false;
  const alertName = a?.name ? { name: a.name } : {};
  const alerting =
    off || a?.name
      ? {
          [ANNOTATION_SLOTH_ALERTING]: JSON.stringify(
            off
              ? { page: null, ticket: null }
              : { page: alertName, ticket: alertName },
          ),
        }
      : {};
  return {
    ok: true,
    value: [
      {
        apiVersion: 'openslo/v1',
        kind: 'SLO',
        metadata: {
          name: d.metadata.name,
          namespace: d.metadata.namespace ?? 'default',
          // Kubernetes label keys may have a prefix (pyrra.dev/team), OpenSLO's may not: those travel in an annotation
          ...(d.metadata.labels && labelKeysOk(d.metadata.labels)
            ? { labels: d.metadata.labels }
            : {}),
          annotations: {
            ...d.metadata.annotations,
            ...(d.metadata.labels && !labelKeysOk(d.metadata.labels)
              ? {
                  [ANNOTATION_OPENSLO_LABELS]: JSON.stringify(
                    d.metadata.labels,
                  ),
                }
              : {}),
            ...alerting,
          },
        },
        spec: {
          ...(d.spec.description ? { description: d.spec.description } : {}),
          // Pyrra has no service: the SLO's own name (reliability.io/component names the component instead)
          service: d.metadata.name,
          indicator: {
            metadata: { name: `${d.metadata.name}-sli` },
            spec: { ratioMetric },
          },
          timeWindow: [{ duration: d.spec.window, isRolling: true }],
          budgetingMethod: 'Occurrences',
          objectives: [{ targetPercent: percent }],
        },
      },
    ],
  };
}

// ---------------------------------------------------------------- export

const queryText = (src: Record<string, unknown> | undefined) => {
  const q = (src?.spec as Record<string, unknown> | undefined)?.query;
  return typeof q === 'string' ? q : undefined;
};
const percentOf = (def: SloDefinition) =>
  def.objectivePercent ?? Number((def.target * 100).toPrecision(12));
const componentName = (def: SloDefinition) =>
  def.componentRef.split('/').pop()!;

/**
 * An SLO definition as an OpenSLO v1 SLO document: everything `parseSlo` reads back into the same definition
 * (the suite's own settings as its `reliability.io/*` annotations). A composite SLO is refused.
 * @public
 */
export function exportOpenSloV1(
  def: SloDefinition,
): ParseResult<Record<string, any>> {
  if (def.composite)
    return {
      ok: false,
      error:
        'spec.objectives: a composite SLO is exported only as its catalog entity',
    };
  const w = def.window;
  const ind = def.indicator;
  const src = (s: Record<string, unknown> | undefined) => ({ metricSource: s });
  let spec: Record<string, any>;
  if (ind.mode === 'threshold') spec = { thresholdMetric: src(ind.total) };
  else if (ind.mode === 'raw-success' || ind.mode === 'raw-failure')
    spec = {
      ratioMetric: {
        counter: false,
        rawType: ind.mode === 'raw-success' ? 'success' : 'failure',
        raw: src(ind.mode === 'raw-success' ? ind.good : ind.bad),
      },
    };
  else
    spec = {
      ratioMetric: {
        counter: true,
        ...(ind.mode === 'good-total'
          ? { good: src(ind.good) }
          : { bad: src(ind.bad) }),
        total: src(ind.total),
      },
    };
  const annotations: Record<string, string> = {
    [ANNOTATION_COMPONENT]: def.componentRef,
  };
  if (def.runbook) annotations[ANNOTATION_RUNBOOK] = def.runbook;
  if (def.minEvents !== undefined)
    annotations[ANNOTATION_MIN_EVENTS] = String(def.minEvents);
  if (def.exhaustionAlert)
    annotations[
      ANNOTATION_EXHAUSTION_ALERT
    ] = `${def.exhaustionAlert.within}:${def.exhaustionAlert.severity}`;
  if (def.sloth) {
    annotations[ANNOTATION_SLOTH_SERVICE] = def.sloth.service;
    annotations[ANNOTATION_SLOTH_SLO] = def.sloth.slo;
  }
  if (def.slothAlerting)
    annotations[ANNOTATION_SLOTH_ALERTING] = JSON.stringify(def.slothAlerting);
  if (
    def.alertPolicy &&
    def.alertPolicy.source !== 'default' &&
    !def.slothAlerting
  )
    annotations[ANNOTATION_ALERTS] = def.alertPolicy.rules
      .map(r => `${r.burnRate}x:${r.longWindow},${r.shortWindow}:${r.severity}`)
      .join(';');
  if (def.display) {
    annotations[ANNOTATION_DISPLAY_QUERY] = def.display.query;
    annotations[ANNOTATION_DISPLAY_LABEL] = def.display.label;
    if (def.display.unit)
      annotations[ANNOTATION_DISPLAY_UNIT] = def.display.unit;
  }
  const objective: Record<string, any> =
    def.objectivePercent !== undefined
      ? { targetPercent: def.objectivePercent }
      : { target: def.target };
  if (def.threshold) {
    objective.op = def.threshold.op;
    objective.value = def.threshold.value;
  }
  if (def.budgeting?.timeSliceTarget !== undefined)
    objective.timeSliceTarget = def.budgeting.timeSliceTarget;
  if (def.budgeting?.sliceMs)
    objective.timeSliceWindow = `${def.budgeting.sliceMs / 1000}s`;
  return {
    ok: true,
    value: {
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: {
        name: def.name,
        namespace: def.namespace,
        ...(def.title !== def.name ? { displayName: def.title } : {}),
        ...(def.labels && labelKeysOk(def.labels)
          ? { labels: def.labels }
          : {}),
        annotations: {
          ...annotations,
          ...(def.labels && !labelKeysOk(def.labels)
            ? { [ANNOTATION_OPENSLO_LABELS]: JSON.stringify(def.labels) }
            : {}),
        },
      },
      spec: {
        ...(def.description ? { description: def.description } : {}),
        service: componentName(def),
        indicator: { metadata: { name: `${def.name}-sli` }, spec },
        timeWindow: [
          w.kind === 'rolling'
            ? { duration: formatDuration(w.duration), isRolling: true }
            : {
                duration: formatDuration(w.duration),
                isRolling: false,
                calendar: {
                  timeZone: w.timeZone,
                  ...(w.startTime ? { startTime: w.startTime } : {}),
                },
              },
        ],
        budgetingMethod: def.budgeting?.method ?? 'Occurrences',
        objectives: [objective],
      },
    },
  };
}

/** A query for Sloth's `{{.window}}` template: as written when it has the placeholder, a counter selector as sum(rate(...)). */
function windowed(q: string): string {
  return q.includes('{{') ? q : `sum(rate(${q.trim()}[{{.window}}]))`;
}

/**
 * An SLO definition as a Sloth `prometheus/v1` spec: one service with the one SLO. Sloth has a 30-day period (set on
 * its command line), event and raw SLIs only: threshold and time-slice SLOs are refused, naming the field.
 * @public
 */
export function exportSlothSpec(
  def: SloDefinition,
): ParseResult<Record<string, any>> {
  if (def.composite)
    return { ok: false, error: 'spec.objectives: Sloth has no composite SLOs' };
  if (
    def.window.kind !== 'rolling' ||
    formatDuration(def.window.duration) !== '30d'
  )
    return {
      ok: false,
      error: `timeWindow: a Sloth spec has no period of its own (Sloth uses 30d, or its --default-slo-period); this SLO's is ${formatDuration(
        def.window.duration,
      )}`,
    };
  if (def.budgeting)
    return {
      ok: false,
      error: `budgetingMethod: Sloth counts events (Occurrences), not ${def.budgeting.method}`,
    };
  const ind = def.indicator;
  const q = (
    s: Record<string, unknown> | undefined,
    field: string,
  ): ParseResult<string> => {
    const t = queryText(s);
    return t
      ? { ok: true, value: t }
      : {
          ok: false,
          error: `${field}.metricSource.spec.query: Sloth needs a Prometheus query`,
        };
  };
  let sli: Record<string, any>;
  if (ind.mode === 'threshold')
    return {
      ok: false,
      error: 'spec.indicator.spec.thresholdMetric: Sloth has no threshold SLIs',
    };
  if (ind.mode === 'raw-failure' || ind.mode === 'raw-success') {
    const r = q(
      ind.mode === 'raw-failure' ? ind.bad : ind.good,
      'spec.indicator.spec.ratioMetric.raw',
    );
    if (!r.ok) return r;
    sli = {
      raw: {
        error_ratio_query:
          ind.mode === 'raw-failure' ? r.value : `1 - (${r.value})`,
      },
    };
  } else {
    const t = q(ind.total, 'spec.indicator.spec.ratioMetric.total');
    if (!t.ok) return t;
    const c = q(
      ind.mode === 'good-total' ? ind.good : ind.bad,
      `spec.indicator.spec.ratioMetric.${
        ind.mode === 'good-total' ? 'good' : 'bad'
      }`,
    );
    if (!c.ok) return c;
    sli =
      ind.mode === 'bad-total'
        ? {
            events: {
              error_query: windowed(c.value),
              total_query: windowed(t.value),
            },
          }
        : {
            raw: {
              error_ratio_query: `1 - ((${windowed(c.value)}) / (${windowed(
                t.value,
              )}))`,
            },
          };
  }
  const a = def.slothAlerting;
  const alert = (
    m:
      | {
          name?: string;
          labels?: Record<string, string>;
          annotations?: Record<string, string>;
        }
      | null
      | undefined,
  ) =>
    m === null
      ? { disable: true }
      : {
          ...(m?.labels ? { labels: m.labels } : {}),
          ...(m?.annotations ? { annotations: m.annotations } : {}),
        };
  const noPage =
    !def.slothAlerting &&
    def.alertPolicy &&
    !def.alertPolicy.rules.some(r => r.severity === 'page');
  const noTicket =
    !def.slothAlerting &&
    def.alertPolicy &&
    !def.alertPolicy.rules.some(r => r.severity === 'ticket');
  const alertName = a?.page?.name ?? a?.ticket?.name;
  const body = {
    service: def.sloth?.service ?? componentName(def),
    ...(def.labels ? { labels: def.labels } : {}),
    slos: [
      {
        name: def.sloth?.slo ?? def.name,
        objective: percentOf(def),
        ...(def.description ? { description: def.description } : {}),
        sli,
        alerting: {
          ...(alertName ? { name: alertName } : {}),
          page_alert: noPage ? { disable: true } : alert(a?.page),
          ticket_alert: noTicket ? { disable: true } : alert(a?.ticket),
        },
      },
    ],
  };
  // the prometheus/v1 file has no namespace: an SLO of another namespace is Sloth's PrometheusServiceLevel resource
  return {
    ok: true,
    value:
      def.namespace === 'default'
        ? { version: 'prometheus/v1', ...body }
        : {
            apiVersion: 'sloth.slok.dev/v1',
            kind: 'PrometheusServiceLevel',
            metadata: { name: body.service, namespace: def.namespace },
            spec: body,
          },
  };
}

/** `<prefix>{{.window}}<suffix>` around one placeholder, or undefined: reads back what pyrraToOpenSlo writes for a bool gauge. */
function around(q: string, prefix: string, suffix: string): string | undefined {
  return q.startsWith(prefix) &&
    q.endsWith(suffix) &&
    q.length > prefix.length + suffix.length
    ? q.slice(prefix.length, q.length - suffix.length)
    : undefined;
}

/**
 * An SLO definition as a Pyrra `ServiceLevelObjective`: a bad/total SLO of counter selectors as a ratio indicator, a
 * good/total one as latency (Pyrra reads its success series as histogram buckets), the bool gauge Pyrra's importer
 * wrote back as bool_gauge. Raw ratios, threshold, time-slice and calendar SLOs are refused, naming the field.
 * @public
 */
export function exportPyrra(
  def: SloDefinition,
): ParseResult<Record<string, any>> {
  if (def.composite)
    return { ok: false, error: 'spec.objectives: Pyrra has no composite SLOs' };
  if (def.window.kind !== 'rolling')
    return { ok: false, error: 'timeWindow: Pyrra windows are rolling' };
  if (def.budgeting)
    return {
      ok: false,
      error: `budgetingMethod: Pyrra counts events (Occurrences), not ${def.budgeting.method}`,
    };
  const ind = def.indicator;
  const good = queryText(ind.good);
  const bad = queryText(ind.bad);
  const total = queryText(ind.total);
  const selector = (s: string | undefined) =>
    !!s && !s.includes('(') && !s.includes('{{');
  let indicator: Record<string, any>;
  const gauge =
    good && total
      ? around(good, 'sum(sum_over_time(', '[{{.window}}]))')
      : undefined;
  if (gauge && total === `sum(count_over_time(${gauge}[{{.window}}]))`)
    indicator = { bool_gauge: { metric: gauge } };
  else if (ind.mode === 'bad-total' && selector(bad) && selector(total))
    indicator = {
      ratio: { errors: { metric: bad }, total: { metric: total } },
    };
  else if (ind.mode === 'good-total' && selector(good) && selector(total))
    indicator = {
      latency: { success: { metric: good }, total: { metric: total } },
    };
  else
    return {
      ok: false,
      error: `spec.indicator.spec: Pyrra reads counter selectors (errors or success over total) and bool gauges; this SLO's indicator is ${ind.mode} with PromQL Pyrra cannot take`,
    };
  const off =
    (def.slothAlerting &&
      !def.slothAlerting.page &&
      !def.slothAlerting.ticket) ||
    (def.alertPolicy && def.alertPolicy.rules.length === 0);
  const alertName =
    def.slothAlerting?.page?.name ?? def.slothAlerting?.ticket?.name;
  let pyrraAlerting = {};
  if (off) pyrraAlerting = { alerting: { disabled: true } };
  else if (alertName) pyrraAlerting = { alerting: { name: alertName } };
  return {
    ok: true,
    value: {
      apiVersion: 'pyrra.dev/v1alpha1',
      kind: 'ServiceLevelObjective',
      metadata: {
        name: def.name,
        namespace: def.namespace,
        ...(def.labels ? { labels: def.labels } : {}),
      },
      spec: {
        ...(def.description ? { description: def.description } : {}),
        target: String(percentOf(def)),
        window: formatDuration(def.window.duration),
        indicator,
        ...pyrraAlerting,
      },
    },
  };
}

/** An SLO definition in one of the export formats. @public */
export function exportSlo(
  def: SloDefinition,
  format: SloExportFormat,
): ParseResult<Record<string, any>> {
  if (format === 'sloth') return exportSlothSpec(def);
  if (format === 'pyrra') return exportPyrra(def);
  return exportOpenSloV1(def);
}
