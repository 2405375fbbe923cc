import { stringify } from 'yaml';
import { BURN_RATE_WINDOWS, MwmbRule } from '../math/mwmb';
import { durationMs, formatDuration } from '../math/duration';
import { alertPolicyOf, SloDefinition } from '../openslo/definition';
import type { ParseResult } from '../model/result';

/**
 * Prometheus recording and alerting rules for an SLO, in the shape Sloth generates: SLI error ratios for
 * every window (`slo:sli_error:ratio_rate<w>`), the meta records (objective, error budget, current and period
 * burn rate, budget remaining) and the multi-window multi-burn-rate page and ticket alerts.
 *
 * The SLO's Prometheus queries (OpenSLO `metricSource.spec.query`) are either a counter selector, e.g.
 * `checkout_success_count{region="eu"}`, which becomes `sum(rate(<selector>[<window>]))`, or a full expression
 * with the `{{.window}}` placeholder, e.g. `sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))`.
 */

/** @public */
export interface PrometheusRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** @public */
export interface PrometheusRuleGroup {
  name: string;
  rules: PrometheusRule[];
}

/** @public */
export interface RuleExportOptions {
  /** Link to the entity page, put in the alert annotations. */
  entityUrl?: string;
  /** Runbook URL (resolved), put in the alert annotations. */
  runbookUrl?: string;
  rules?: readonly MwmbRule[];
}

const SELECTOR_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^{}]*\})?$/;
const WINDOW_PLACEHOLDER = /\{\{\s*\.window\s*\}\}/g;

const num = (n: number) => String(Number(n.toPrecision(15)));

/**
 * A float as Go's fmt writes it with `%v` and `%g` (what Sloth's templates use): the shortest text that reads back as
 * the same double, in exponent form (`1e-05`, two exponent digits at least) below 1e-4 and from 1e21 up.
 * @public
 */
export function goFloat(n: number): string {
  if (!Number.isFinite(n) || n === 0) return String(n);
  const [mantissa, exp] = n.toExponential().split('e');
  const e = Number(exp);
  if (e >= -4 && e < 21) return String(n);
  const digits = String(Math.abs(e)).padStart(2, '0');
  return `${mantissa}e${e < 0 ? '-' : '+'}${digits}`;
}

/** An SLO's objective in percent, as the rules are written from it: as the document wrote it, else from the ratio. */
function objectivePercent(slo: SloDefinition): number {
  return slo.objectivePercent ?? Number((slo.target * 100).toPrecision(12));
}

/**
 * The error ratio of a good/total SLI. From Sloth (an OpenSLO v1alpha SLO, which Sloth turns into a raw error ratio
 * query from its template), as Sloth writes it, whitespace and all.
 */
const goodTotalRatio = (good: string, total: string, sloth: boolean) =>
  sloth
    ? `(\n  1 - (\n    (\n      ${good}\n    )\n    /\n    (\n      ${total}\n    )\n  )\n)`
    : `1 - ((${good}) / (${total}))`;

/** The query of a metric source; a Sloth spec's as written (Sloth's rules keep a YAML block's last newline). */
function queryOf(
  source: Record<string, unknown> | undefined,
  asWritten = false,
): string | undefined {
  const spec = source?.spec as Record<string, unknown> | undefined;
  const q = spec?.query ?? spec?.promql;
  if (typeof q !== 'string') return undefined;
  return asWritten && q.trim() ? q : q.trim();
}

/** Renders a query for a window: `{{.window}}` substituted, or a selector wrapped in sum(rate(…)). @public */
export function renderQuery(
  query: string,
  window: string,
  options: { verbatim?: boolean } = {},
): ParseResult<string> {
  if (WINDOW_PLACEHOLDER.test(query)) {
    WINDOW_PLACEHOLDER.lastIndex = 0;
    return { ok: true, value: query.replace(WINDOW_PLACEHOLDER, window) };
  }
  // Sloth templates its queries and uses any other as written (`vector(1)`)
  if (options.verbatim) return { ok: true, value: query };
  if (SELECTOR_RE.test(query))
    return { ok: true, value: `sum(rate(${query}[${window}]))` };
  return {
    ok: false,
    error: `query '${query}' must be a counter selector or contain {{.window}}`,
  };
}

/** The SLI error ratio expression of an SLO for one window. @public */
export function errorRatioExpr(
  slo: SloDefinition,
  window: string,
): ParseResult<string> {
  if (slo.composite) {
    // a composite's error ratio at its (strictest) target t: its burn rate, the weighted mean of its objectives' burn
    // rates (error_i / (1 - t_i)), times (1 - t). Prometheus has every objective's series or none: the portal leaves
    // an objective without data out of the mean, these rules then have no value
    const weights = slo.composite.objectives.reduce(
      (acc, o) => acc + o.weight,
      0,
    );
    const terms: string[] = [];
    for (const [i, o] of slo.composite.objectives.entries()) {
      const e = errorRatioExpr(o.def, window);
      if (!e.ok)
        return { ok: false, error: `spec.objectives.${i}: ${e.error}` };
      terms.push(`${num(o.weight)} * (${e.value}) / ${num(1 - o.def.target)}`);
    }
    return {
      ok: true,
      value: `(\n${terms.join('\n+\n')}\n) / ${num(weights)} * ${num(
        1 - slo.target,
      )}`,
    };
  }
  const mode = slo.indicator.mode;
  if (mode === 'threshold' || slo.budgeting) {
    // slice by slice, with a subquery at the slice step: the share of bad slices among those with data (Timeslices),
    // or the average of the slices' error ratios (RatioTimeslices); a threshold SLI with Occurrences counts each
    // one-minute point as one event
    const stepMs = slo.budgeting?.sliceMs ?? 60_000;
    let step = `${Math.round(stepMs / 1000)}s`;
    if (stepMs % 3_600_000 === 0) step = `${stepMs / 3_600_000}h`;
    else if (stepMs % 60_000 === 0) step = `${stepMs / 60_000}m`;
    // one second short of the window: the slices that end in (t - window, t], on Prometheus 2 (closed ranges) and 3 alike
    const range = `[${durationMs(window) / 1000 - 1}s:${step}]`;
    if (mode === 'threshold') {
      const q = queryOf(slo.indicator.total);
      if (!q)
        return {
          ok: false,
          error:
            'spec.indicator.spec.thresholdMetric.metricSource.spec.query is required for Prometheus rules',
        };
      const r = renderQuery(q, step);
      if (!r.ok) return { ok: false, error: `thresholdMetric: ${r.error}` };
      const op = { lt: '<', lte: '<=', gt: '>', gte: '>=' }[slo.threshold!.op];
      return {
        ok: true,
        value: `1 - avg_over_time(((${r.value}) ${op} bool ${num(
          slo.threshold!.value,
        )})${range})`,
      };
    }
    const perSlice = errorRatioExpr({ ...slo, budgeting: undefined }, step);
    if (!perSlice.ok) return perSlice;
    if (slo.budgeting!.method === 'RatioTimeslices')
      return { ok: true, value: `avg_over_time((${perSlice.value})${range})` };
    return {
      ok: true,
      value: `1 - avg_over_time(((1 - (${perSlice.value})) >= bool ${num(
        slo.budgeting!.timeSliceTarget ?? 1,
      )})${range})`,
    };
  }
  if (mode === 'raw-success' || mode === 'raw-failure') {
    // Sloth's raw SLI: the error ratio query, in parentheses
    const q = queryOf(
      mode === 'raw-success' ? slo.indicator.good : slo.indicator.bad,
      !!slo.sloth,
    );
    if (!q)
      return {
        ok: false,
        error:
          'spec.indicator.spec.ratioMetric.raw.metricSource.spec.query is required for Prometheus rules',
      };
    const r = renderQuery(q, window, { verbatim: !!slo.sloth });
    if (!r.ok) return { ok: false, error: `ratioMetric.raw: ${r.error}` };
    return {
      ok: true,
      value: mode === 'raw-failure' ? `(${r.value})` : `(1 - (${r.value}))`,
    };
  }
  const totalQ = queryOf(slo.indicator.total, !!slo.sloth);
  const countedQ = queryOf(
    mode === 'good-total' ? slo.indicator.good : slo.indicator.bad,
    !!slo.sloth,
  );
  const field = mode === 'good-total' ? 'good' : 'bad';
  if (!totalQ)
    return {
      ok: false,
      error:
        'spec.indicator.spec.ratioMetric.total.metricSource.spec.query is required for Prometheus rules',
    };
  if (!countedQ)
    return {
      ok: false,
      error: `spec.indicator.spec.ratioMetric.${field}.metricSource.spec.query is required for Prometheus rules`,
    };
  const total = renderQuery(totalQ, window, { verbatim: !!slo.sloth });
  if (!total.ok)
    return { ok: false, error: `ratioMetric.total: ${total.error}` };
  const counted = renderQuery(countedQ, window, { verbatim: !!slo.sloth });
  if (!counted.ok)
    return { ok: false, error: `ratioMetric.${field}: ${counted.error}` };
  return {
    ok: true,
    // a spec imported from Sloth is written as Sloth writes it: a good/total SLI (OpenSLO v1alpha) in parentheses
    value:
      mode === 'good-total'
        ? goodTotalRatio(counted.value, total.value, Boolean(slo.sloth))
        : `(${counted.value})\n/\n(${total.value})${slo.sloth ? '\n' : ''}`,
  };
}

/** The labels that name an SLO's recorded series: Sloth's ids, or those of the Sloth spec it was imported from. @public */
export function slothIds(slo: SloDefinition): {
  sloth_id: string;
  sloth_service: string;
  sloth_slo: string;
} {
  return {
    sloth_id: slo.sloth
      ? `${slo.sloth.service}-${slo.sloth.slo}`
      : `${slo.namespace}-${slo.name}`,
    sloth_service: slo.sloth?.service ?? slo.componentRef.split('/').pop()!,
    sloth_slo: slo.sloth?.slo ?? slo.name,
  };
}

/**
 * The windows whose `slo:sli_error:ratio_rate<w>` record is the SLO's error ratio expression over that window, by
 * length in ms: every burn-rate window shorter than the period, and the period itself when it is one of them. The
 * period's record is otherwise the mean of the 5m ratios over the period (as Sloth writes it, so that it stays cheap),
 * which is not the ratio of the period's counts. An SLO that exports no rules (a calendar window) has none.
 * @public
 */
export function recordedWindows(
  slo: SloDefinition,
): ParseResult<Map<number, { window: string; expr: string }>> {
  const out = new Map<number, { window: string; expr: string }>();
  if (slo.window.kind !== 'rolling') {
    return {
      ok: false,
      error:
        'timeWindow: Prometheus rules need a rolling window (calendar windows have no fixed range)',
    };
  }
  const period = formatDuration(slo.window.duration);
  const periodMs = durationMs(period);
  for (const w of BURN_RATE_WINDOWS.slice(0, -1)) {
    if (durationMs(w) >= periodMs && w !== period) continue;
    const expr = errorRatioExpr(slo, w);
    if (!expr.ok) return expr;
    out.set(durationMs(w), { window: w, expr: expr.value });
  }
  return { ok: true, value: out };
}

/** Sloth-shaped rule groups for one SLO. @public */
export function prometheusRuleGroups(
  slo: SloDefinition,
  options: RuleExportOptions = {},
): ParseResult<PrometheusRuleGroup[]> {
  const recorded = recordedWindows(slo);
  if (!recorded.ok) return recorded;
  if (slo.window.kind !== 'rolling')
    return {
      ok: false,
      error: 'timeWindow: Prometheus rules need a rolling window',
    };
  const period = formatDuration(slo.window.duration);
  // a spec imported from Sloth keeps Sloth's ids, so its rules are the rules Sloth generates
  const ids = slothIds(slo);
  const { sloth_id: id, sloth_service: service, sloth_slo: sloName } = ids;
  // the SLO's labels on every record, as Sloth puts the spec's and the SLO's labels
  const labels = { ...slo.labels, ...ids };
  const sel = `{sloth_id="${id}", sloth_service="${service}", sloth_slo="${sloName}"}`;
  // the objective in percent P, and Sloth's numbers from it: the objective ratio P/100 and the error budget
  // (100 - P)/100, both the IEEE doubles Go computes, written as Go writes them (99.9: 0.9990000000000001 and
  // 0.0009999999999999432). A spec from Sloth keeps Sloth's budget record `vector(1-P/100)`, which Prometheus
  // evaluates to a slightly different double than the alerts' (100 - P)/100 (Sloth's own output does so); every other
  // SLO records the alerts' budget itself, so its records and alerts agree to the last bit.
  const percent = objectivePercent(slo);
  const objective = goFloat(percent / 100);
  const budget = goFloat((100 - percent) / 100);
  const sloth = Boolean(slo.sloth);

  const sliRules: PrometheusRule[] = [...recorded.value.values()].map(
    ({ window: w, expr }) => ({
      record: `slo:sli_error:ratio_rate${w}`,
      expr,
      labels: { ...labels, sloth_window: w },
    }),
  );
  if (![...recorded.value.values()].some(r => r.window === period)) {
    // the period ratio from the 5m ratios, as Sloth does, so it stays cheap; labelled as every other record
    sliRules.push({
      record: `slo:sli_error:ratio_rate${period}`,
      expr: `sum_over_time(slo:sli_error:ratio_rate5m${sel}[${period}])\n/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate5m${sel}[${period}])\n`,
      labels: { ...labels, sloth_window: period },
    });
  }

  const metaRules: PrometheusRule[] = [
    { record: 'slo:objective:ratio', expr: `vector(${objective})`, labels },
    {
      record: 'slo:error_budget:ratio',
      expr: sloth ? `vector(1-${objective})` : `vector(${budget})`,
      labels,
    },
    {
      record: 'slo:time_period:days',
      expr: `vector(${goFloat(durationMs(period) / 86_400_000)})`,
      labels,
    },
    {
      record: 'slo:current_burn_rate:ratio',
      expr: `slo:sli_error:ratio_rate5m${sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${sel}\n`,
      labels,
    },
    {
      record: 'slo:period_burn_rate:ratio',
      expr: `slo:sli_error:ratio_rate${period}${sel}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio${sel}\n`,
      labels,
    },
    {
      record: 'slo:period_error_budget_remaining:ratio',
      expr: `1 - slo:period_burn_rate:ratio${sel}`,
      labels,
    },
    {
      record: 'sloth_slo_info',
      expr: 'vector(1)',
      labels: {
        ...labels,
        sloth_mode: 'reliability-backstage',
        sloth_objective: String(percent),
      },
    },
  ];

  // the suite's annotations on its own SLOs; Sloth's (and the spec's) on an SLO from Sloth
  const annotations = (severity: string): Record<string, string> => ({
    ...(sloth
      ? {
          title: `(${severity}) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast.`,
          summary:
            '{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected.',
          ...(severity === 'page'
            ? slo.slothAlerting?.page?.annotations
            : slo.slothAlerting?.ticket?.annotations),
        }
      : {
          title: `(${severity}) ${service} ${sloName} SLO error budget burn rate is too fast.`,
          summary: `${
            slo.title
          }: error budget burn rate is over the ${severity} threshold (objective ${num(
            slo.target * 100,
          )}% over ${period}).`,
        }),
    ...(options.runbookUrl ? { runbook_url: options.runbookUrl } : {}),
    ...(options.entityUrl ? { backstage_url: options.entityUrl } : {}),
  });
  // Sloth's multi-window condition, as Sloth's template writes it
  const condition = (r: MwmbRule) =>
    `(\n    max(slo:sli_error:ratio_rate${r.shortWindow}${sel} > (${goFloat(
      r.burnRate,
    )} * ${budget})) without (sloth_window)\n    and\n    max(slo:sli_error:ratio_rate${
      r.longWindow
    }${sel} > (${goFloat(r.burnRate)} * ${budget})) without (sloth_window)\n)`;
  const rules = options.rules ?? alertPolicyOf(slo).rules;
  const alertRules: PrometheusRule[] = (['page', 'ticket'] as const)
    .map(severity => ({
      severity,
      // Sloth's `disable: true` leaves the severity out, whatever rules are asked for
      meta: slo.slothAlerting ? slo.slothAlerting[severity] : undefined,
      rows: rules.filter(
        r =>
          r.severity === severity &&
          durationMs(r.longWindow) < durationMs(period),
      ),
    }))
    .filter(g => g.rows.length > 0 && g.meta !== null)
    .map(({ severity, meta, rows }) => ({
      alert:
        meta?.name ??
        `${toCamel(service)}${toCamel(sloName)}${
          severity === 'page' ? 'Page' : 'Ticket'
        }BurnRate`,
      expr: `${rows.map(condition).join('\nor\n')}\n`,
      labels: (sloth
        ? { sloth_severity: severity, ...meta?.labels }
        : {
            sloth_severity: severity,
            severity: severity === 'page' ? 'critical' : 'warning',
            impact: 'slo_breach',
            slo: sloName,
            service,
          }) as Record<string, string>,
      annotations: annotations(severity),
    }));

  return {
    ok: true,
    value: [
      { name: `sloth-slo-sli-recordings-${id}`, rules: sliRules },
      { name: `sloth-slo-meta-recordings-${id}`, rules: metaRules },
      // Sloth writes no alert group when both alerts are disabled
      ...(alertRules.length
        ? [{ name: `sloth-slo-alerts-${id}`, rules: alertRules }]
        : []),
    ],
  };
}

function toCamel(s: string): string {
  return s
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map(p => p[0].toUpperCase() + p.slice(1))
    .join('');
}

/** The rule file as YAML text (`groups: [...]`). @public */
export function prometheusRuleFile(groups: PrometheusRuleGroup[]): string {
  return stringify({ groups }, { lineWidth: 0 });
}
