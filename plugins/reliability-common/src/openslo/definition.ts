import { durationMs, isFixedDuration, parseDuration } from '../math/duration';
import type { SloExhaustionAlert } from '../alerts/conditions';
import { TimeWindow } from '../math/windows';
import type { SliceBudgeting, ThresholdOp } from '../math/timeslices';
import { OpenSloDocument, openSloDocumentSchema, formatIssues } from './openslo';
import { DEFAULT_ALERT_POLICY, openSloAlertPolicy, parseBurnRateAnnotation, SloAlertPolicy } from './alertPolicy';

/** Annotation naming the measured component when spec.service is not enough (a full entity ref). @public */
export const ANNOTATION_COMPONENT = 'reliability.io/component';
/** Annotation with a runbook link (URL, relative path or link://runbooks/x). @public */
export const ANNOTATION_RUNBOOK = 'reliability.io/runbook';
/** Annotation naming the owner of an SLO when it differs from the component's owner. @public */
export const ANNOTATION_OWNER = 'reliability.io/owner';
/** Annotation with a query whose value is shown next to the SLI, e.g. a histogram_quantile p95. @public */
export const ANNOTATION_DISPLAY_QUERY = 'reliability.io/display-query';
/** Label and unit of the displayed value, e.g. `p95` and `ms`. @public */
export const ANNOTATION_DISPLAY_LABEL = 'reliability.io/display-label';
/** @public */
export const ANNOTATION_DISPLAY_UNIT = 'reliability.io/display-unit';
/** Annotation with the compact format's burn-rate alerts, e.g. `14x:5m,30m;6x:1h,6h`. @public */
export const ANNOTATION_ALERTS = 'reliability.io/burn-rate-alerts';
/** OpenSLO labels the catalog cannot hold in metadata.labels (list values), as JSON: `{"team":"a,b"}`. @public */
export const ANNOTATION_OPENSLO_LABELS = 'reliability.io/openslo-labels';

function openSloLabelsAnnotation(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** The minimum-traffic guard of an SLO: no burn-rate alert fires on fewer events than this in its short window. @public */
export const ANNOTATION_MIN_EVENTS = 'reliability.io/min-events';
/** An alert on time to exhaustion: `3d` (a ticket) or `6h:page`. @public */
export const ANNOTATION_EXHAUSTION_ALERT = 'reliability.io/exhaustion-alert';
/** The Sloth service and SLO names of an SLO imported from a Sloth spec (its rules keep Sloth's ids). @public */
export const ANNOTATION_SLOTH_SERVICE = 'reliability.io/sloth-service';
/** @public */
export const ANNOTATION_SLOTH_SLO = 'reliability.io/sloth-slo';

/** The evaluated model of one SLO: what the math needs, nothing about where it came from. @public */
export interface SloDefinition {
  /** `namespace/name` */
  ref: string;
  namespace: string;
  name: string;
  title: string;
  description?: string;
  /** Entity ref of the component measured, e.g. component:default/checkout. */
  componentRef: string;
  /** Ratio in (0, 1]. */
  target: number;
  window: TimeWindow;
  indicator: {
    /**
     * Which events are counted directly: good or bad over total, or a raw ratio read directly (`raw-success`,
     * `raw-failure`: the query in `good` or `bad`, and `total` is the same source; a source counts each second of a
     * window as one event, so ratios, burn rates and budgets are exact), or a thresholdMetric (`threshold`: the
     * query in `total`, each value judged against `threshold`).
     */
    mode: 'good-total' | 'bad-total' | 'raw-success' | 'raw-failure' | 'threshold';
    /** metricSource.type of the total metric, e.g. Prometheus; undefined = the built-in ingest. */
    sourceType?: string;
    good?: Record<string, unknown>;
    bad?: Record<string, unknown>;
    total: Record<string, unknown>;
  };
  /** A threshold objective (thresholdMetric): a value is good when it meets `op` against `value` (p95 lte 300). */
  threshold?: { op: ThresholdOp; value: number };
  /**
   * A composite SLO (OpenSLO: an indicator per objective): its objectives, each evaluated like an SLO of its own and
   * combined by `weight` (compositeWeight) into the one status, chart and alerts of this definition.
   */
  composite?: { objectives: { weight: number; displayName?: string; def: SloDefinition }[] };
  /** Which objective of its document this is, when the document has several (each has its own budget and alerts). */
  objective?: { index: number; of: number; displayName?: string };
  /** Time-slice budgeting (Timeslices, RatioTimeslices); absent for Occurrences. Counts are then in slices. */
  budgeting?: SliceBudgeting;
  runbook?: string;
  /** Where its alerts come from; absent means the workbook's default table (or a CSV row, set by the backend). */
  alertPolicy?: SloAlertPolicy;
  /** The SLO document's metadata.labels (e.g. env, tier), passed on to its alerts' labels. */
  labels?: Record<string, string>;
  /** The minimum-traffic guard (annotation `reliability.io/min-events`). */
  minEvents?: number;
  /** The alert on time to exhaustion (annotation `reliability.io/exhaustion-alert`). */
  exhaustionAlert?: SloExhaustionAlert;
  /** Sloth's ids, for an SLO imported from a Sloth spec: its rule export keeps Sloth's `sloth_*` labels. */
  sloth?: { service: string; slo: string };
  /** A value shown next to the SLI (e.g. the p95 latency), read by sources that support it. */
  display?: { query: string; label: string; unit?: string };
}

/** Result of reading a document: the definition or a message naming the field. @public */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Resolves spec.service (or the component annotation) to a full entity ref.
 * `checkout` -> `component:default/checkout`, `component:payments/checkout` stays as is.
 * @public
 */
export function resolveComponentRef(service: string, namespace: string, annotation?: string): string {
  const raw = (annotation ?? service).trim();
  const [kindPart, rest] = raw.includes(':') ? raw.split(':', 2) : ['component', raw];
  const [ns, name] = rest.includes('/') ? rest.split('/', 2) : [namespace, rest];
  return `${kindPart.toLocaleLowerCase('en-US')}:${ns.toLocaleLowerCase('en-US')}/${name.toLocaleLowerCase('en-US')}`;
}

/**
 * Validates an OpenSLO v1 SLO document and turns it into the evaluation model: its first objective (see
 * `parseOpenSloObjectives` for every objective).
 * @public
 */
export function parseOpenSlo(doc: unknown): ParseResult<SloDefinition> {
  const all = parseOpenSloObjectives(doc);
  return all.ok ? { ok: true, value: all.value[0] } : all;
}

/**
 * What joins a composite SLO's ref and one of its objectives' slugs: `default/checkout-journey._login`. SLO names have
 * neither `.` nor `_`, so such a ref is never an SLO's, nor one of a standard SLO's other objectives (`<ref>.<slug>`).
 * Services report a composite objective's events (or values) under it.
 * @public
 */
export const COMPOSITE_PART = '._';

/** The composite SLO a composite objective's ref belongs to, or undefined when the ref is not one. @public */
export function compositeParentRef(ref: string): string | undefined {
  const at = ref.indexOf(COMPOSITE_PART, ref.indexOf('/'));
  return at < 0 ? undefined : ref.slice(0, at);
}

/**
 * The slug that tells an SLO's objectives apart in their refs: `default/checkout` for the first objective,
 * `default/checkout.<slug of its displayName>` for the others (`objective-2` without a name, or when two names
 * slug alike). SLO names have no dots, so these refs never meet another SLO's.
 * @public
 */
export function objectiveSlugs(objectives: readonly { displayName?: string }[], options: { first?: boolean } = {}): string[] {
  const used = new Set<string>();
  return objectives.map((o, i) => {
    if (i === 0 && !options.first) return '';
    let slug = '';
    for (const c of (o.displayName ?? '').toLocaleLowerCase('en-US').slice(0, 60)) {
      const keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (keep) slug += c;
      else if (slug && !slug.endsWith('-')) slug += '-';
    }
    slug = slug.replace(/-$/, '');
    if (!slug || used.has(slug)) slug = `objective-${i + 1}`;
    used.add(slug);
    return slug;
  });
}

/**
 * Validates an OpenSLO v1 SLO document and turns each of its objectives into an evaluation model of its own (its own
 * budget, chart and alerts): the first keeps the SLO's ref, the others get `<ref>.<slug>` (see `objectiveSlugs`).
 * @public
 */
export function parseOpenSloObjectives(doc: unknown): ParseResult<SloDefinition[]> {
  const parsed = openSloDocumentSchema.safeParse(doc);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error) };
  const slugs = objectiveSlugs(parsed.data.spec.objectives);
  const defs: SloDefinition[] = [];
  if (parsed.data.spec.objectives.some(o => o.indicator)) {
    // composite: one SLO whose objectives (each with its own indicator) combine by their weights
    const partSlugs = objectiveSlugs(parsed.data.spec.objectives, { first: true });
    const parts = parsed.data.spec.objectives.map((o, i) => {
      const part = toDefinition(parsed.data, i);
      part.ref = `${part.ref}${COMPOSITE_PART}${partSlugs[i]}`;
      part.name = `${part.name}${COMPOSITE_PART}${partSlugs[i]}`;
      part.title = o.displayName ?? o.indicator?.metadata?.displayName ?? `objective ${i + 1}`;
      return { weight: o.compositeWeight ?? 1, ...(o.displayName ? { displayName: o.displayName } : {}), def: part };
    });
    const one = withAnnotations(parsed.data, toDefinition(parsed.data, 0));
    if (!one.ok) return one;
    const { threshold: _t, budgeting: _b, ...def } = one.value;
    def.title = parsed.data.metadata.displayName ?? parsed.data.metadata.name;
    // the strictest objective's target: the composite's burn rate, at that target, never asks for more than all bad
    def.target = Math.max(...parts.map(p => p.def.target));
    return { ok: true, value: [{ ...def, composite: { objectives: parts } }] };
  }
  for (let i = 0; i < parsed.data.spec.objectives.length; i++) {
    const one = withAnnotations(parsed.data, toDefinition(parsed.data, i));
    if (!one.ok) return one;
    const def = one.value;
    if (i > 0) {
      def.ref = `${def.ref}.${slugs[i]}`;
      def.name = `${def.name}.${slugs[i]}`;
    }
    const objectiveName = parsed.data.spec.objectives[i].displayName;
    if (parsed.data.spec.objectives.length > 1) {
      def.title = `${def.title}: ${objectiveName ?? `objective ${i + 1}`}`;
      def.objective = { index: i, of: parsed.data.spec.objectives.length, ...(objectiveName ? { displayName: objectiveName } : {}) };
    }
    defs.push(def);
  }
  return { ok: true, value: defs };
}

/** The annotations' and policies' parts of a definition. */
function withAnnotations(d: OpenSloDocument, def: SloDefinition): ParseResult<SloDefinition> {
  const annotations = d.metadata.annotations ?? {};
  const minEvents = annotations[ANNOTATION_MIN_EVENTS];
  if (minEvents !== undefined) {
    const n = Number(minEvents);
    if (!/^[0-9]{1,9}$/.test(minEvents.trim()) || !Number.isInteger(n)) return { ok: false, error: `metadata.annotations.${ANNOTATION_MIN_EVENTS}: must be a whole number of events such as 100, got '${minEvents.slice(0, 40)}'` };
    def.minEvents = n;
  }
  const exhaustion = annotations[ANNOTATION_EXHAUSTION_ALERT];
  if (exhaustion !== undefined) {
    const [within, severity = 'ticket', ...rest] = exhaustion.trim().split(':');
    const duration = parseDuration(within);
    if (!duration || !isFixedDuration(duration) || rest.length || (severity !== 'page' && severity !== 'ticket')) {
      return { ok: false, error: `metadata.annotations.${ANNOTATION_EXHAUSTION_ALERT}: must be a duration with an optional severity, such as 3d or 6h:page, got '${exhaustion.slice(0, 40)}'` };
    }
    def.exhaustionAlert = { within, withinMs: durationMs(duration), severity };
  }
  // OpenSLO alertPolicies first, then the compact format's annotation
  if (d.spec.alertPolicies) {
    def.alertPolicy = openSloAlertPolicy(d.spec.alertPolicies);
  } else {
    const annotation = d.metadata.annotations?.[ANNOTATION_ALERTS];
    if (annotation !== undefined) {
      const rules = parseBurnRateAnnotation(annotation, `metadata.annotations.${ANNOTATION_ALERTS}`);
      if (!rules.ok) return rules;
      def.alertPolicy = { source: 'annotation', rules: rules.value, noData: true };
    }
  }
  return { ok: true, value: def };
}

/** The rules an SLO alerts on: its own policy's, or the workbook's table. @public */
export function alertPolicyOf(def: Pick<SloDefinition, 'alertPolicy'>): SloAlertPolicy {
  return def.alertPolicy ?? DEFAULT_ALERT_POLICY;
}

function toDefinition(d: OpenSloDocument, objectiveIndex = 0): SloDefinition {
  const namespace = d.metadata.namespace ?? 'default';
  const tw = d.spec.timeWindow[0];
  const parsedDuration = parseDuration(tw.duration)!;
  // a rolling month, quarter or year has the go-sdk's fixed length: 30, 90 and 365 days
  const ROLLING_DAYS: Partial<Record<string, number>> = { M: 30, Q: 90, Y: 365 };
  const duration = tw.isRolling && ROLLING_DAYS[parsedDuration.unit] ? { amount: parsedDuration.amount * ROLLING_DAYS[parsedDuration.unit]!, unit: 'd' as const } : parsedDuration;
  const window: TimeWindow = tw.isRolling
    ? { kind: 'rolling', duration }
    : {
        kind: 'calendar',
        duration,
        timeZone: tw.calendar?.timeZone ?? 'UTC',
        startTime: tw.calendar?.startTime,
      };
  const obj = d.spec.objectives[objectiveIndex];
  // 99.9 / 100 is 0.9990000000000001 in binary floating point: round away the artefact
  const target = obj.target ?? Number(((obj.targetPercent as number) / 100).toPrecision(12));
  // a composite SLO's objective has its own indicator; a standard SLO's objectives share the spec's
  const sli = (obj.indicator ?? d.spec.indicator)!;
  const rm = sli.spec.ratioMetric;
  const tm = sli.spec.thresholdMetric;
  const annotations = d.metadata.annotations ?? {};
  const ROLLING_MS: Partial<Record<string, number>> = { M: 30 * 86_400_000, Q: 90 * 86_400_000, Y: 365 * 86_400_000 };
  const slice = obj.timeSliceWindow ? parseDuration(obj.timeSliceWindow)! : undefined;
  let sliceMs = 0;
  if (slice) sliceMs = isFixedDuration(slice) ? durationMs(slice) : slice.amount * ROLLING_MS[slice.unit]!;
  let indicator: SloDefinition['indicator'];
  if (tm) {
    indicator = { mode: 'threshold', sourceType: tm.metricSource.type, total: tm.metricSource as Record<string, unknown> };
  } else if (rm!.raw) {
    const src = rm!.raw.metricSource as Record<string, unknown>;
    indicator = { mode: rm!.rawType === 'success' ? 'raw-success' : 'raw-failure', sourceType: rm!.raw.metricSource.type, ...(rm!.rawType === 'success' ? { good: src } : { bad: src }), total: src };
  } else {
    indicator = {
      mode: rm!.good ? 'good-total' : 'bad-total',
      sourceType: rm!.total!.metricSource.type,
      good: rm!.good?.metricSource as Record<string, unknown> | undefined,
      bad: rm!.bad?.metricSource as Record<string, unknown> | undefined,
      total: rm!.total!.metricSource as Record<string, unknown>,
    };
  }
  return {
    ref: `${namespace}/${d.metadata.name}`,
    namespace,
    name: d.metadata.name,
    title: d.metadata.displayName ?? sli.metadata?.displayName ?? d.metadata.name,
    description: d.spec.description,
    componentRef: resolveComponentRef(d.spec.service, namespace, annotations[ANNOTATION_COMPONENT]),
    target,
    window,
    indicator,
    ...(tm ? { threshold: { op: obj.op!, value: obj.value! } } : {}),
    ...(d.spec.budgetingMethod !== 'Occurrences'
      ? { budgeting: { method: d.spec.budgetingMethod, sliceMs, ...(obj.timeSliceTarget !== undefined ? { timeSliceTarget: obj.timeSliceTarget } : {}) } }
      : {}),
    runbook: annotations[ANNOTATION_RUNBOOK],
    ...(annotations[ANNOTATION_SLOTH_SERVICE] && annotations[ANNOTATION_SLOTH_SLO] ? { sloth: { service: annotations[ANNOTATION_SLOTH_SERVICE], slo: annotations[ANNOTATION_SLOTH_SLO] } } : {}),
    ...(() => {
      // labels the catalog could not keep in metadata.labels (lists, commas) travel in an annotation
      const labels = { ...openSloLabelsAnnotation(annotations[ANNOTATION_OPENSLO_LABELS]), ...d.metadata.labels };
      return Object.keys(labels).length ? { labels } : {};
    })(),
    ...(annotations[ANNOTATION_DISPLAY_QUERY]
      ? {
          display: {
            query: annotations[ANNOTATION_DISPLAY_QUERY],
            label: annotations[ANNOTATION_DISPLAY_LABEL] ?? 'value',
            unit: annotations[ANNOTATION_DISPLAY_UNIT],
          },
        }
      : {}),
  };
}

/** `99.5%` for 0.995, trimmed of float noise. @public */
export function formatTarget(target: number): string {
  return `${Number((target * 100).toFixed(6))}%`;
}
