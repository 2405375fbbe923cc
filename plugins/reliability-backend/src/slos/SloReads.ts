import {
  BurnRateWindow,
  alertPolicyOf,
  burnRate,
  sliRatio,
  GateResponse,
  HistoryResponse,
  SloDefinition,
  ruleId,
  durationMs,
  historySeries,
  windowAt,
  windowBudgetRemaining,
} from '@reliability-suite/plugin-reliability-common';
import type { SliSource } from '@reliability-suite/plugin-reliability-node';
import {
  ActiveCorrections,
  CorrectedCounts,
  finite,
  flattenComposites,
  MIN,
  SliSourceRegistry,
} from './counting';
import { REPLAY_LOOKBACK } from './ReplayTask';
import type { StoredHistoryPoint } from './stores';
import type { SloHistoryStore } from './stores/SloHistoryStore';

/**
 * The SLOs' reads for the charts and the API: the two charts' series (`history`), the launch-freeze gate counted
 * for a request (`gate`, `gateFigures`), and an SLO's counts over intervals (`counts`, for the chaos guard and change
 * impact). Counted from the SLI sources at the time of the request; reads never write (the evaluation tick,
 * Evaluator, is the one writer of statuses).
 */
export class SloReads {
  private readonly counting: CorrectedCounts;

  constructor(
    private readonly sources: SliSourceRegistry,
    private readonly options: {
      corrections?: ActiveCorrections;
      /** The stored history (evaluated and replayed points): the past a source's `history` does not answer. */
      stored?: Pick<SloHistoryStore, 'read'>;
      /** When an SLO's counted data begins (the built-in ingest's first reading), for the charts' `dataBegins`. */
      firstDataAt?: (sloRef: string) => Promise<number | null>;
    } = {},
  ) {
    this.counting = new CorrectedCounts(options.corrections);
  }

  /**
   * The error-budget policy's launch-freeze gate: deny when any SLO has less than `threshold` of its budget left
   * over the last `window` (default: the week). SLOs without data neither allow nor deny.
   */
  async gate(
    given: SloDefinition[],
    opts: { window: string; threshold: number },
    now = Date.now(),
  ): Promise<GateResponse> {
    const { per, notes } = await this.gateFigures(given, opts, now);
    return gateAnswer(per, notes, opts);
  }

  /** Each SLO's gate figure counted now (composites as their objectives' by weight), and notes on the ones without data. */
  async gateFigures(
    given: SloDefinition[],
    opts: { window: string; threshold: number },
    now = Date.now(),
  ): Promise<{ per: GateResponse['slos']; notes: string[] }> {
    // a composite SLO answers as its objectives' weighted budget
    const slos = flattenComposites(given);
    const at = Math.floor(now / MIN) * MIN;
    const lenMs = durationMs(opts.window);
    const per: GateResponse['slos'] = [];
    const notes: string[] = [];
    const bySource = new Map<SliSource, SloDefinition[]>();
    for (const slo of slos) {
      const source = this.sources.forSlo(slo);
      if (!source) {
        per.push({ ref: slo.ref, budgetRemaining: null, allow: true });
        notes.push(
          `${slo.ref}: no data over ${opts.window} (${this.sources.unread(
            slo,
          )})`,
        );
        continue;
      }
      bySource.set(source, [...(bySource.get(source) ?? []), slo]);
    }
    const exclusions = await this.counting.exclusions(slos, at - lenMs, at);
    for (const [source, list] of bySource) {
      const results = await this.counting.countExcluding(
        source,
        list.map(slo => ({ slo, intervals: [{ start: at - lenMs, end: at }] })),
        exclusions,
      );
      for (const slo of list) {
        const r = results.get(slo.ref);
        const remaining =
          r && !r.error && r.counts[0]
            ? finite(
                windowBudgetRemaining(
                  r.counts[0],
                  slo.target,
                  lenMs,
                  slo.budgeting,
                ),
              )
            : null;
        const allow = remaining === null || remaining >= opts.threshold;
        per.push({ ref: slo.ref, budgetRemaining: remaining, allow });
        // a type no source serves is counted from the built-in ingest: without data, it says so
        const why = this.sources.unread(slo) ?? r?.error;
        if (remaining === null)
          notes.push(
            `${slo.ref}: no data over ${opts.window}${why ? ` (${why})` : ''}`,
          );
      }
    }
    const composites = given.filter(s => s.composite);
    if (composites.length) {
      const byRef = new Map(per.map(p => [p.ref, p]));
      const partRefs = new Set(
        composites.flatMap(s => s.composite!.objectives.map(o => o.def.ref)),
      );
      const combined = composites.map(slo => {
        const withData = slo
          .composite!.objectives.map(o => ({ o, p: byRef.get(o.def.ref) }))
          .filter(x => x.p && x.p.budgetRemaining !== null);
        const weights = withData.reduce((acc, x) => acc + x.o.weight, 0);
        const remaining =
          weights > 0
            ? withData.reduce(
                (acc, x) => acc + x.o.weight * x.p!.budgetRemaining!,
                0,
              ) / weights
            : null;
        return {
          ref: slo.ref,
          budgetRemaining: remaining,
          allow: remaining === null || remaining >= opts.threshold,
        };
      });
      // the objectives answer through their composite
      per.splice(
        0,
        per.length,
        ...per.filter(p => !partRefs.has(p.ref)),
        ...combined,
      );
    }
    return { per, notes };
  }

  /**
   * An SLO's counts over the given intervals, straight from its source (no minute rounding: an interval may end
   * at the end of the current minute, for the chaos guard); a metricSource.type no source serves is counted from the
   * built-in ingest. An error when the SLO has no source or it fails.
   */
  async counts(
    slo: SloDefinition,
    intervals: { start: number; end: number }[],
  ): Promise<{ good: number; total: number }[]> {
    // a type no source serves is counted from the built-in ingest
    const source = this.sources.forSlo(slo);
    if (!source) throw new Error(this.sources.unread(slo));
    const r = (await source.countWindows([{ slo, intervals }])).get(slo.ref);
    if (!r || r.error)
      throw new Error(
        this.sources.unread(slo) ??
          r?.error ??
          'the SLI source returned nothing',
      );
    return r.counts;
  }

  /** Series for the two charts: budget remaining over the compliance window, and burn rate over a lookback. */
  async history(
    slo: SloDefinition,
    opts: {
      from?: number;
      to?: number;
      points: number;
      window: BurnRateWindow;
    },
    now = Date.now(),
  ): Promise<HistoryResponse> {
    if (slo.composite) return this.compositeHistory(slo, opts, now);
    const to = opts.to ?? Math.floor(now / MIN) * MIN;
    const win = windowAt(slo.window, to);
    const windowMs = win.end - win.start;
    const from =
      opts.from ?? (slo.window.kind === 'rolling' ? to - windowMs : win.start);
    const lookbackMs = durationMs(opts.window);
    const source = this.sources.forSlo(slo);
    const thresholds = alertPolicyOf(slo).rules.map(r => ({
      severity: r.severity,
      burnRate: r.burnRate,
      label: ruleId(r),
    }));
    // corrections in force: shaded on the charts, and left out of the stored counts' series
    const active = await this.counting.activeFor(slo.ref);
    const shaded = active.flatMap(c =>
      this.counting.excluded([c], from, to).map(r => ({
        from: new Date(r.start).toISOString(),
        to: new Date(r.end).toISOString(),
        reason: c.reason,
      })),
    );
    const base = {
      ref: slo.ref,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      burnRateWindow: opts.window,
      thresholds,
      ...(shaded.length ? { exclusions: shaded.slice(0, 500) } : {}),
    };
    if (!source) return { ...base, points: [], downsampledFrom: 0 };
    if (source.history) {
      const stepMs = Math.max(
        60_000,
        Math.ceil((to - from) / (opts.points - 1) / 60_000) * 60_000,
      );
      const stored = this.options.stored;
      let pts: Awaited<ReturnType<NonNullable<SliSource['history']>>>;
      try {
        pts = await source.history(slo, {
          from,
          to,
          stepMs,
          lookbackMs,
          windowMs,
        });
      } catch (e) {
        // the source failed: the stored points answer, if there are any (else the caller's 503)
        const kept = stored
          ? await stored.read(slo.ref, from, to, opts.points)
          : [];
        if (!kept.length) throw e;
        return {
          ...base,
          points: this.storedPoints(kept, opts.window),
          downsampledFrom: kept.length,
        };
      }
      const live = pts.map(p => ({
        t: p.t,
        budgetRemaining: p.window
          ? finite(
              windowBudgetRemaining(
                p.window,
                slo.target,
                windowMs,
                slo.budgeting,
              ),
            )
          : null,
        burnRate: p.lookback ? finite(burnRate(p.lookback, slo.target)) : null,
        sli: p.lookback ? sliRatio(p.lookback) : null,
      }));
      // before the first instant the source has a value for, the stored points (a replay's, the evaluations')
      const firstLive = live.find(
        p => p.budgetRemaining !== null || p.burnRate !== null,
      );
      const before = stored
        ? await stored.read(
            slo.ref,
            from,
            (firstLive?.t ?? to + 1) - 1,
            opts.points,
          )
        : [];
      const kept = before.length
        ? this.storedPoints(before, opts.window).concat(
            live.filter(p => p.t > before[before.length - 1].t),
          )
        : live;
      return {
        ...base,
        points: kept,
        downsampledFrom: pts.length + before.length,
      };
    }
    if (!source.readCumulative)
      return { ...base, points: [], downsampledFrom: 0 };
    const readFrom = Math.min(
      from - lookbackMs,
      slo.window.kind === 'rolling'
        ? from - windowMs
        : windowAt(slo.window, from).start,
    );
    const cumulative = await source.readCumulative(slo, readFrom, to);
    const firstAt = this.options.firstDataAt
      ? await this.options.firstDataAt(slo.ref)
      : null;
    const excluded = this.counting.excluded(active, readFrom, to);
    const { points, sampled } = historySeries({
      points: cumulative,
      from,
      to,
      target: slo.target,
      windowStartAt: t =>
        slo.window.kind === 'rolling'
          ? t - windowMs
          : windowAt(slo.window, t - 1).start,
      lookbackMs,
      maxPoints: opts.points,
      ...(slo.budgeting
        ? { slices: { sliceMs: slo.budgeting.sliceMs, windowMs } }
        : {}),
      ...(excluded.length ? { excluded } : {}),
    });
    return {
      ...base,
      points: points.map(p => ({
        t: p.t,
        budgetRemaining: p.budgetRemaining,
        burnRate: p.burnRate,
        sli: p.sli,
      })),
      downsampledFrom: sampled,
      ...(firstAt !== null
        ? { dataBegins: new Date(firstAt).toISOString() }
        : {}),
    };
  }

  /** Stored points as the series' points: burn rate and SLI only for their own (1h) lookback; replayed ones marked. */
  private storedPoints(
    kept: StoredHistoryPoint[],
    window: BurnRateWindow,
  ): HistoryResponse['points'] {
    const own = window === REPLAY_LOOKBACK;
    return kept.map(p => ({
      t: p.t,
      budgetRemaining: p.budgetRemaining,
      burnRate: own ? p.burnRate : null,
      sli: own ? p.sli : null,
      ...(p.replayed ? { replayed: true } : {}),
    }));
  }

  /**
   * A composite SLO's two series: each objective's, combined by weight on the first objective's times (each point
   * takes every objective's latest point at or before it).
   */
  private async compositeHistory(
    slo: SloDefinition,
    opts: {
      from?: number;
      to?: number;
      points: number;
      window: BurnRateWindow;
    },
    now: number,
  ): Promise<HistoryResponse> {
    const objectives = slo.composite!.objectives;
    const histories = await Promise.all(
      objectives.map(o => this.history(o.def, opts, now)),
    );
    const times = [
      ...new Set(histories.flatMap(h => h.points.map(p => p.t))),
    ].sort((a, b) => a - b);
    const step = Math.max(1, Math.ceil(times.length / opts.points));
    const at = (h: HistoryResponse, t: number) => {
      let lo = 0;
      let hi = h.points.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (h.points[mid].t <= t) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found < 0 ? undefined : h.points[found];
    };
    const mean = (
      pick: (p: HistoryResponse['points'][number]) => number | null,
      t: number,
    ) => {
      let sum = 0;
      let weights = 0;
      histories.forEach((h, i) => {
        const p = at(h, t);
        const v = p ? pick(p) : null;
        if (v === null || !Number.isFinite(v)) return;
        sum += objectives[i].weight * v;
        weights += objectives[i].weight;
      });
      return weights > 0 ? sum / weights : null;
    };
    const points = times
      .filter((_, i) => i % step === 0 || i === times.length - 1)
      .map(t => ({
        t,
        budgetRemaining: mean(p => p.budgetRemaining, t),
        burnRate: mean(p => p.burnRate, t),
        sli: mean(p => p.sli, t),
      }));
    const first = histories[0];
    return {
      ...first,
      ref: slo.ref,
      thresholds: alertPolicyOf(slo).rules.map(r => ({
        severity: r.severity,
        burnRate: r.burnRate,
        label: ruleId(r),
      })),
      points,
      downsampledFrom: times.length,
    };
  }
}

/**
 * The gate's answer from each SLO's budget left over the gate window (`allow` already set against the
 * threshold) and the notes about SLOs without data: one place for its wording, whether the figures come from
 * the stored snapshots or were counted for the request.
 */
export function gateAnswer(
  per: GateResponse['slos'],
  notes: string[],
  opts: { window: string; threshold: number },
): GateResponse {
  const known = per.filter(p => p.budgetRemaining !== null);
  const lowest = known.length
    ? Math.min(...known.map(p => p.budgetRemaining!))
    : null;
  const denied = per.filter(p => !p.allow);
  const pct = (n: number) => `${Number((n * 100).toFixed(1))}%`;
  let reason: string;
  if (per.length === 0) reason = 'no SLOs: nothing to protect';
  else if (denied.length) {
    reason = `launch freeze: ${denied
      .map(
        d =>
          `${d.ref} has ${pct(d.budgetRemaining!)} of its ${
            opts.window
          } error budget left`,
      )
      .join('; ')} (threshold ${pct(opts.threshold)})`;
  } else if (lowest === null) reason = `no SLO has data over ${opts.window}`;
  else
    reason = `every SLO has at least ${pct(opts.threshold)} of its ${
      opts.window
    } error budget left (lowest ${pct(lowest)})`;
  if (notes.length) reason += `; ${notes.join('; ')}`;
  return {
    allow: denied.length === 0,
    reason,
    budgetRemaining: lowest,
    threshold: opts.threshold,
    window: opts.window,
    slos: per,
  };
}
