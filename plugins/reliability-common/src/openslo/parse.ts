import { durationMs, isFixedDuration, parseDuration } from '../math/duration';
import { TimeWindow } from '../math/windows';
import type { ParseResult } from '../model/result';
import {
  OpenSloDocument,
  openSloDocumentSchema,
  formatIssues,
} from './openslo';
import { openSloAlertPolicy, parseBurnRateAnnotation } from './alertPolicy';
import { DEFAULT_MWMB_RULES } from '../math/mwmb';
import { detectSloFormat, toOpenSloV1 } from './formats/formats';
import {
  ANNOTATION_ALERTS,
  ANNOTATION_COMPONENT,
  ANNOTATION_DISPLAY_LABEL,
  ANNOTATION_DISPLAY_QUERY,
  ANNOTATION_DISPLAY_UNIT,
  ANNOTATION_EXHAUSTION_ALERT,
  ANNOTATION_MIN_EVENTS,
  ANNOTATION_OPENSLO_LABELS,
  ANNOTATION_RUNBOOK,
  ANNOTATION_SLOTH_ALERTING,
  ANNOTATION_SLOTH_SERVICE,
  ANNOTATION_SLOTH_SLO,
  COMPOSITE_PART,
  SlothAlertMeta,
  objectiveSlugs,
  resolveComponentRef,
  SloDefinition,
} from './definition';

/**
 * The one entry point that reads an SLO: validates an OpenSLO v1 SLO document (an SLO entity, or what the Sloth and
 * compact loaders and the SLO form build) and turns each of its objectives into an evaluation model of its own (its
 * own budget, chart and alerts): the first keeps the SLO's ref, the others get `<ref>.<slug>` (see
 * `objectiveSlugs`). The catalog processor validates with it and the backend's registry evaluates what it returns.
 * @public
 */
export function parseSlo(doc: unknown): ParseResult<SloDefinition[]> {
  // any other SLO format (OpenSLO v1alpha and v2alpha, Sloth, Pyrra; or YAML text of any of them): read as OpenSLO v1
  const format = typeof doc === 'string' ? 'text' : detectSloFormat(doc);
  if (format && format !== 'openslo/v1') {
    const docs = toOpenSloV1(doc);
    if (!docs.ok) return docs;
    const all: SloDefinition[] = [];
    for (const [i, d] of docs.value.entries()) {
      const one = parseSlo(d);
      if (!one.ok)
        return {
          ok: false,
          error:
            docs.value.length > 1
              ? `SLO ${i + 1} (${String(d.metadata?.name)}): ${one.error}`
              : one.error,
        };
      all.push(...one.value);
    }
    return { ok: true, value: all };
  }
  const parsed = openSloDocumentSchema.safeParse(doc);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error) };
  const slugs = objectiveSlugs(parsed.data.spec.objectives);
  const defs: SloDefinition[] = [];
  if (parsed.data.spec.objectives.some(o => o.indicator)) {
    // composite: one SLO whose objectives (each with its own indicator) combine by their weights
    const partSlugs = objectiveSlugs(parsed.data.spec.objectives, {
      first: true,
    });
    const parts = parsed.data.spec.objectives.map((o, i) => {
      const part = toDefinition(parsed.data, i);
      part.ref = `${part.ref}${COMPOSITE_PART}${partSlugs[i]}`;
      part.name = `${part.name}${COMPOSITE_PART}${partSlugs[i]}`;
      part.title =
        o.displayName ??
        o.indicator?.metadata?.displayName ??
        `objective ${i + 1}`;
      return {
        weight: o.compositeWeight ?? 1,
        ...(o.displayName ? { displayName: o.displayName } : {}),
        def: part,
      };
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
      def.objective = {
        index: i,
        of: parsed.data.spec.objectives.length,
        ...(objectiveName ? { displayName: objectiveName } : {}),
      };
    }
    defs.push(def);
  }
  return { ok: true, value: defs };
}

/** The annotations' and policies' parts of a definition. */
function withAnnotations(
  d: OpenSloDocument,
  def: SloDefinition,
): ParseResult<SloDefinition> {
  const annotations = d.metadata.annotations ?? {};
  const minEvents = annotations[ANNOTATION_MIN_EVENTS];
  if (minEvents !== undefined) {
    const n = Number(minEvents);
    if (!/^[0-9]{1,9}$/.test(minEvents.trim()) || !Number.isInteger(n))
      return {
        ok: false,
        error: `metadata.annotations.${ANNOTATION_MIN_EVENTS}: must be a whole number of events such as 100, got '${minEvents.slice(
          0,
          40,
        )}'`,
      };
    def.minEvents = n;
  }
  const exhaustion = annotations[ANNOTATION_EXHAUSTION_ALERT];
  if (exhaustion !== undefined) {
    const [within, severity = 'ticket', ...rest] = exhaustion.trim().split(':');
    const duration = parseDuration(within);
    if (
      !duration ||
      !isFixedDuration(duration) ||
      rest.length ||
      (severity !== 'page' && severity !== 'ticket')
    ) {
      return {
        ok: false,
        error: `metadata.annotations.${ANNOTATION_EXHAUSTION_ALERT}: must be a duration with an optional severity, such as 3d or 6h:page, got '${exhaustion.slice(
          0,
          40,
        )}'`,
      };
    }
    def.exhaustionAlert = { within, withinMs: durationMs(duration), severity };
  }
  // OpenSLO alertPolicies first, then the compact format's annotation
  if (d.spec.alertPolicies) {
    def.alertPolicy = openSloAlertPolicy(d.spec.alertPolicies);
  } else {
    const annotation = d.metadata.annotations?.[ANNOTATION_ALERTS];
    if (annotation !== undefined) {
      const rules = parseBurnRateAnnotation(
        annotation,
        `metadata.annotations.${ANNOTATION_ALERTS}`,
      );
      if (!rules.ok) return rules;
      def.alertPolicy = {
        source: 'annotation',
        rules: rules.value,
        noData: true,
      };
    }
  }
  const slothAlerting = annotations[ANNOTATION_SLOTH_ALERTING];
  if (slothAlerting !== undefined) {
    const read = readSlothAlerting(slothAlerting);
    if (!read.ok)
      return {
        ok: false,
        error: `metadata.annotations.${ANNOTATION_SLOTH_ALERTING}: ${read.error}`,
      };
    def.slothAlerting = read.value;
    // Sloth's `disable: true`: no alert of that severity, in the export and in the suite's own alerting
    const off = (['page', 'ticket'] as const).filter(s => !read.value[s]);
    if (off.length) {
      const policy = def.alertPolicy ?? {
        source: 'annotation' as const,
        rules: [...DEFAULT_MWMB_RULES],
        noData: true,
      };
      def.alertPolicy = {
        ...policy,
        rules: policy.rules.filter(r => !off.includes(r.severity)),
      };
    }
  }
  return { ok: true, value: def };
}

const stringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every(x => typeof x === 'string');

/** The annotation `reliability.io/sloth-alerting`: `{"page": {name, labels, annotations} | null, "ticket": ...}`. */
function readSlothAlerting(
  text: string,
): ParseResult<{ page: SlothAlertMeta | null; ticket: SlothAlertMeta | null }> {
  let v: unknown;
  try {
    v = JSON.parse(text.slice(0, 100_000));
  } catch {
    return { ok: false, error: 'must be JSON' };
  }
  const out: { page: SlothAlertMeta | null; ticket: SlothAlertMeta | null } = {
    page: null,
    ticket: null,
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, error: 'must be a JSON object with page and ticket' };
  for (const s of ['page', 'ticket'] as const) {
    const m = (v as Record<string, unknown>)[s];
    if (m === null || m === undefined) continue;
    const meta = m as Record<string, unknown>;
    if (
      typeof m !== 'object' ||
      Array.isArray(m) ||
      (meta.name !== undefined && typeof meta.name !== 'string') ||
      (meta.labels !== undefined && !stringMap(meta.labels)) ||
      (meta.annotations !== undefined && !stringMap(meta.annotations))
    )
      return {
        ok: false,
        error: `${s} must be null or { name, labels, annotations } with string values`,
      };
    out[s] = {
      ...(meta.name ? { name: meta.name as string } : {}),
      ...(meta.labels ? { labels: meta.labels as Record<string, string> } : {}),
      ...(meta.annotations
        ? { annotations: meta.annotations as Record<string, string> }
        : {}),
    };
  }
  return { ok: true, value: out };
}

/** Every objective of an SLO document: the same function as `parseSlo`, under its former name. @public */
export const parseOpenSloObjectives = parseSlo;

/**
 * Validates an OpenSLO v1 SLO document and turns it into the evaluation model: its first objective (see
 * `parseSlo` for every objective).
 * @public
 */
export function parseOpenSlo(doc: unknown): ParseResult<SloDefinition> {
  const all = parseSlo(doc);
  return all.ok ? { ok: true, value: all.value[0] } : all;
}

function openSloLabelsAnnotation(
  text: string | undefined,
): Record<string, string> {
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    return Object.fromEntries(
      Object.entries(v).filter(([, x]) => typeof x === 'string'),
    ) as Record<string, string>;
  } catch {
    return {};
  }
}

function toDefinition(d: OpenSloDocument, objectiveIndex = 0): SloDefinition {
  const namespace = d.metadata.namespace ?? 'default';
  const tw = d.spec.timeWindow[0];
  const parsedDuration = parseDuration(tw.duration)!;
  // a rolling month, quarter or year has the go-sdk's fixed length: 30, 90 and 365 days
  const ROLLING_DAYS: Partial<Record<string, number>> = {
    M: 30,
    Q: 90,
    Y: 365,
  };
  const duration =
    tw.isRolling && ROLLING_DAYS[parsedDuration.unit]
      ? {
          amount: parsedDuration.amount * ROLLING_DAYS[parsedDuration.unit]!,
          unit: 'd' as const,
        }
      : parsedDuration;
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
  const target =
    obj.target ?? Number(((obj.targetPercent as number) / 100).toPrecision(12));
  // a composite SLO's objective has its own indicator; a standard SLO's objectives share the spec's
  const sli = (obj.indicator ?? d.spec.indicator)!;
  const rm = sli.spec.ratioMetric;
  const tm = sli.spec.thresholdMetric;
  const annotations = d.metadata.annotations ?? {};
  const ROLLING_MS: Partial<Record<string, number>> = {
    M: 30 * 86_400_000,
    Q: 90 * 86_400_000,
    Y: 365 * 86_400_000,
  };
  const slice = obj.timeSliceWindow
    ? parseDuration(obj.timeSliceWindow)!
    : undefined;
  let sliceMs = 0;
  if (slice)
    sliceMs = isFixedDuration(slice)
      ? durationMs(slice)
      : slice.amount * ROLLING_MS[slice.unit]!;
  let indicator: SloDefinition['indicator'];
  if (tm) {
    indicator = {
      mode: 'threshold',
      sourceType: tm.metricSource.type,
      total: tm.metricSource as Record<string, unknown>,
    };
  } else if (rm!.raw) {
    const src = rm!.raw.metricSource as Record<string, unknown>;
    indicator = {
      mode: rm!.rawType === 'success' ? 'raw-success' : 'raw-failure',
      sourceType: rm!.raw.metricSource.type,
      ...(rm!.rawType === 'success' ? { good: src } : { bad: src }),
      total: src,
    };
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
    title:
      d.metadata.displayName ?? sli.metadata?.displayName ?? d.metadata.name,
    description: d.spec.description,
    componentRef: resolveComponentRef(
      d.spec.service,
      namespace,
      annotations[ANNOTATION_COMPONENT],
    ),
    target,
    ...(obj.target === undefined
      ? { objectivePercent: obj.targetPercent as number }
      : {}),
    window,
    indicator,
    ...(tm ? { threshold: { op: obj.op!, value: obj.value! } } : {}),
    ...(d.spec.budgetingMethod !== 'Occurrences'
      ? {
          budgeting: {
            method: d.spec.budgetingMethod,
            sliceMs,
            ...(obj.timeSliceTarget !== undefined
              ? { timeSliceTarget: obj.timeSliceTarget }
              : {}),
          },
        }
      : {}),
    runbook: annotations[ANNOTATION_RUNBOOK],
    ...(annotations[ANNOTATION_SLOTH_SERVICE] &&
    annotations[ANNOTATION_SLOTH_SLO]
      ? {
          sloth: {
            service: annotations[ANNOTATION_SLOTH_SERVICE],
            slo: annotations[ANNOTATION_SLOTH_SLO],
          },
        }
      : {}),
    ...(() => {
      // labels the catalog could not keep in metadata.labels (lists, commas) travel in an annotation
      const labels = {
        ...openSloLabelsAnnotation(annotations[ANNOTATION_OPENSLO_LABELS]),
        ...d.metadata.labels,
      };
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
