import { durationMs, isFixedDuration, parseDuration } from '../math/duration';
import type { SloExhaustionAlert } from '../alerts/conditions';
import { TimeWindow } from '../math/windows';
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
     * window as one event, so ratios, burn rates and budgets are exact).
     */
    mode: 'good-total' | 'bad-total' | 'raw-success' | 'raw-failure';
    /** metricSource.type of the total metric, e.g. Prometheus; undefined = the built-in ingest. */
    sourceType?: string;
    good?: Record<string, unknown>;
    bad?: Record<string, unknown>;
    total: Record<string, unknown>;
  };
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

/** Validates an OpenSLO v1 SLO document and turns it into the evaluation model. @public */
export function parseOpenSlo(doc: unknown): ParseResult<SloDefinition> {
  const parsed = openSloDocumentSchema.safeParse(doc);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error) };
  const def = toDefinition(parsed.data);
  const annotations = parsed.data.metadata.annotations ?? {};
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
  if (parsed.data.spec.alertPolicies) {
    def.alertPolicy = openSloAlertPolicy(parsed.data.spec.alertPolicies);
  } else {
    const annotation = parsed.data.metadata.annotations?.[ANNOTATION_ALERTS];
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

function toDefinition(d: OpenSloDocument): SloDefinition {
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
  const obj = d.spec.objectives[0];
  // 99.9 / 100 is 0.9990000000000001 in binary floating point: round away the artefact
  const target = obj.target ?? Number(((obj.targetPercent as number) / 100).toPrecision(12));
  const rm = d.spec.indicator.spec.ratioMetric;
  const annotations = d.metadata.annotations ?? {};
  return {
    ref: `${namespace}/${d.metadata.name}`,
    namespace,
    name: d.metadata.name,
    title: d.metadata.displayName ?? d.spec.indicator.metadata?.displayName ?? d.metadata.name,
    description: d.spec.description,
    componentRef: resolveComponentRef(d.spec.service, namespace, annotations[ANNOTATION_COMPONENT]),
    target,
    window,
    indicator: rm.raw
      ? {
          mode: rm.rawType === 'success' ? 'raw-success' : 'raw-failure',
          sourceType: rm.raw.metricSource.type,
          ...(rm.rawType === 'success' ? { good: rm.raw.metricSource as Record<string, unknown> } : { bad: rm.raw.metricSource as Record<string, unknown> }),
          total: rm.raw.metricSource as Record<string, unknown>,
        }
      : {
          mode: rm.good ? 'good-total' : 'bad-total',
          sourceType: rm.total!.metricSource.type,
          good: rm.good?.metricSource as Record<string, unknown> | undefined,
          bad: rm.bad?.metricSource as Record<string, unknown> | undefined,
          total: rm.total!.metricSource as Record<string, unknown>,
        },
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
