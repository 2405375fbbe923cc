import type { TimeWindow } from '../math/windows';
import type { SliceBudgeting, ThresholdOp } from '../math/timeslices';
import { DEFAULT_ALERT_POLICY, SloAlertPolicy } from './alertPolicy';

/**
 * The evaluation model of an SLO (`SloDefinition`), the annotations it reads and the helpers on its refs; parse.ts
 * builds it.
 */

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

/** The minimum-traffic guard of an SLO: no burn-rate alert fires on fewer events than this in its short window. @public */
export const ANNOTATION_MIN_EVENTS = 'reliability.io/min-events';
/** An alert on time to exhaustion: `3d` (a ticket) or `6h:page`. @public */
export const ANNOTATION_EXHAUSTION_ALERT = 'reliability.io/exhaustion-alert';
/** The Sloth service and SLO names of an SLO imported from a Sloth spec (its rules keep Sloth's ids). @public */
export const ANNOTATION_SLOTH_SERVICE = 'reliability.io/sloth-service';
/** @public */
export const ANNOTATION_SLOTH_SLO = 'reliability.io/sloth-slo';
/**
 * Sloth's alerting settings of an imported SLO, as JSON: `{"page": {...} | null, "ticket": {...} | null}`, each alert's
 * name, labels and annotations as Sloth merges them (`alerting` then `page_alert`/`ticket_alert`), `null` when Sloth's
 * `disable: true` turns it off. The rule export writes Sloth's alerts from it and the suite's own alerting leaves a
 * disabled severity out.
 * @public
 */
export const ANNOTATION_SLOTH_ALERTING = 'reliability.io/sloth-alerting';

/** One of Sloth's alerts (page or ticket) of an imported SLO. @public */
export interface SlothAlertMeta {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** An alert on time to exhaustion: the budget runs out within `withinMs` at the current burn rate. @public */
export interface SloExhaustionAlert {
  withinMs: number;
  /** As written: `3d`. */
  within: string;
  severity: 'page' | 'ticket';
}

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
    mode:
      | 'good-total'
      | 'bad-total'
      | 'raw-success'
      | 'raw-failure'
      | 'threshold';
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
  composite?: {
    objectives: { weight: number; displayName?: string; def: SloDefinition }[];
  };
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
  /** Sloth's page and ticket alerts of an imported SLO (annotation `reliability.io/sloth-alerting`); null when disabled. */
  slothAlerting?: {
    page: SlothAlertMeta | null;
    ticket: SlothAlertMeta | null;
  };
  /** The objective as the document wrote it in percent (targetPercent), when it did: Sloth's rules are written from it. */
  objectivePercent?: number;
  /** A value shown next to the SLI (e.g. the p95 latency), read by sources that support it. */
  display?: { query: string; label: string; unit?: string };
}

/**
 * Resolves spec.service (or the component annotation) to a full entity ref.
 * `checkout` becomes `component:default/checkout`, `component:payments/checkout` stays as is.
 * @public
 */
export function resolveComponentRef(
  service: string,
  namespace: string,
  annotation?: string,
): string {
  const raw = (annotation ?? service).trim();
  const [kindPart, rest] = raw.includes(':')
    ? raw.split(':', 2)
    : ['component', raw];
  const [ns, name] = rest.includes('/')
    ? rest.split('/', 2)
    : [namespace, rest];
  return `${kindPart.toLocaleLowerCase('en-US')}:${ns.toLocaleLowerCase(
    'en-US',
  )}/${name.toLocaleLowerCase('en-US')}`;
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
export function objectiveSlugs(
  objectives: readonly { displayName?: string }[],
  options: { first?: boolean } = {},
): string[] {
  const used = new Set<string>();
  return objectives.map((o, i) => {
    if (i === 0 && !options.first) return '';
    let slug = '';
    for (const c of (o.displayName ?? '')
      .toLocaleLowerCase('en-US')
      .slice(0, 60)) {
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

/** The rules an SLO alerts on: its own policy's, or the workbook's table. @public */
export function alertPolicyOf(
  def: Pick<SloDefinition, 'alertPolicy'>,
): SloAlertPolicy {
  return def.alertPolicy ?? DEFAULT_ALERT_POLICY;
}

/** `99.5%` for 0.995, trimmed of float noise. @public */
export function formatTarget(target: number): string {
  return `${Number((target * 100).toFixed(6))}%`;
}
