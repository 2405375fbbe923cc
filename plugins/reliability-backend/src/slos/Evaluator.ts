import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BURN_RATE_WINDOWS,
  BurnRateWindow,
  alertPolicyOf,
  budgetRemaining,
  burnRate,
  sliRatio,
  GateResponse,
  HistoryResponse,
  SloDefinition,
  SloStatus,
  ruleId,
  durationMs,
  evaluateStatus,
  historySeries,
  windowAt,
} from '@internal/plugin-reliability-common';
import type { SliSource } from '@internal/plugin-reliability-node';
import { ReliabilityStore } from './ReliabilityStore';

const MIN = 60_000;
const finite = (n: number | null) => (n === null || !Number.isFinite(n) ? null : n);

/** Picks the source serving an SLO's metricSource.type. */
export class SliSourceRegistry {
  private readonly sources: SliSource[] = [];

  add(source: SliSource) {
    this.sources.push(source);
  }

  forSlo(slo: SloDefinition): SliSource | undefined {
    const type = (slo.indicator.sourceType ?? '').toLocaleLowerCase('en-US');
    return this.sources.find(s => s.types.some(t => t.toLocaleLowerCase('en-US') === type));
  }
}

/** An evaluated status, or the reason there is none. */
export interface EvaluationResult {
  status: SloStatus;
  reason?: string;
}

/**
 * Evaluates SLOs: asks each SLO's source for the counts of the compliance window and of every burn-rate
 * lookback (batched per source), applies the pure math from -common and stores the snapshots.
 */
export class Evaluator {
  constructor(
    private readonly store: ReliabilityStore,
    private readonly sources: SliSourceRegistry,
    private readonly logger: LoggerService,
  ) {}

  async evaluate(slos: SloDefinition[], now = Date.now()): Promise<Map<string, EvaluationResult>> {
    // evaluate at a minute boundary: buckets are per minute, so every SLO sees whole buckets
    const at = Math.floor(now / MIN) * MIN;
    const bySource = new Map<SliSource, SloDefinition[]>();
    const out = new Map<string, EvaluationResult>();
    for (const slo of slos) {
      const source = this.sources.forSlo(slo);
      if (!source) {
        out.set(slo.ref, {
          status: this.noData(slo, at),
          reason: `no SLI source is registered for metricSource type '${slo.indicator.sourceType}'`,
        });
        continue;
      }
      const list = bySource.get(source) ?? [];
      list.push(slo);
      bySource.set(source, list);
    }
    for (const [source, list] of bySource) {
      const requests = list.map(slo => {
        const win = windowAt(slo.window, at);
        return {
          slo,
          intervals: [
            { start: win.start, end: Math.min(win.end, at) },
            ...BURN_RATE_WINDOWS.map(w => ({ start: at - durationMs(w), end: at })),
          ],
        };
      });
      let results;
      try {
        results = await source.countWindows(requests);
      } catch (e) {
        this.logger.warn(`SLI source ${source.types.join('/')} failed: ${e}`);
        for (const slo of list) out.set(slo.ref, { status: this.noData(slo, at), reason: `SLI source failed: ${(e as Error).message}` });
        continue;
      }
      for (const { slo, intervals } of requests) {
        const r = results.get(slo.ref);
        if (!r || r.error) {
          out.set(slo.ref, { status: this.noData(slo, at), reason: r?.error ?? 'the SLI source returned nothing' });
          continue;
        }
        const win = windowAt(slo.window, at);
        const lookbacks = {} as Record<BurnRateWindow, { good: number; total: number }>;
        BURN_RATE_WINDOWS.forEach((w, i) => {
          lookbacks[w] = r.counts[i + 1];
        });
        const status = evaluateStatus({
          now: at,
          target: slo.target,
          windowMs: win.end - win.start,
          windowStart: intervals[0].start,
          window: r.counts[0],
          lookbacks,
          firstDataAt: r.firstDataAt,
          rules: alertPolicyOf(slo).rules,
          minEvents: slo.minEvents,
        });
        out.set(slo.ref, { status });
      }
      await this.addDisplayValues(source, list, out, at);
    }
    return out;
  }

  private async addDisplayValues(source: SliSource, slos: SloDefinition[], out: Map<string, EvaluationResult>, at: number) {
    if (!source.displayValue) return;
    for (const slo of slos) {
      const r = out.get(slo.ref);
      if (!slo.display || !r || r.reason) continue;
      let value: number | null = null;
      try {
        value = await source.displayValue(slo, at);
      } catch (e) {
        this.logger.warn(`Display query of ${slo.ref} failed: ${e}`);
      }
      r.status.display = { label: slo.display.label, value, ...(slo.display.unit ? { unit: slo.display.unit } : {}) };
    }
  }

  /**
   * The error-budget policy's launch-freeze gate: deny when any SLO has less than `threshold` of its budget left
   * over the last `window` (default: the week). SLOs without data neither allow nor deny.
   */
  async gate(slos: SloDefinition[], opts: { window: string; threshold: number }, now = Date.now()): Promise<GateResponse> {
    const at = Math.floor(now / MIN) * MIN;
    const lenMs = durationMs(opts.window);
    const per: GateResponse['slos'] = [];
    const notes: string[] = [];
    const bySource = new Map<SliSource, SloDefinition[]>();
    for (const slo of slos) {
      const source = this.sources.forSlo(slo);
      if (!source) {
        per.push({ ref: slo.ref, budgetRemaining: null, allow: true });
        notes.push(`${slo.ref}: no SLI source for '${slo.indicator.sourceType}'`);
        continue;
      }
      bySource.set(source, [...(bySource.get(source) ?? []), slo]);
    }
    for (const [source, list] of bySource) {
      const results = await source.countWindows(list.map(slo => ({ slo, intervals: [{ start: at - lenMs, end: at }] })));
      for (const slo of list) {
        const r = results.get(slo.ref);
        const remaining = r && !r.error && r.counts[0] ? finite(budgetRemaining(r.counts[0], slo.target)) : null;
        const allow = remaining === null || remaining >= opts.threshold;
        per.push({ ref: slo.ref, budgetRemaining: remaining, allow });
        if (remaining === null) notes.push(`${slo.ref}: no data over ${opts.window}${r?.error ? ` (${r.error})` : ''}`);
      }
    }
    const known = per.filter(p => p.budgetRemaining !== null);
    const lowest = known.length ? Math.min(...known.map(p => p.budgetRemaining!)) : null;
    const denied = per.filter(p => !p.allow);
    const pct = (n: number) => `${Number((n * 100).toFixed(1))}%`;
    let reason: string;
    if (slos.length === 0) reason = 'no SLOs: nothing to protect';
    else if (denied.length) {
      reason = `launch freeze: ${denied.map(d => `${d.ref} has ${pct(d.budgetRemaining!)} of its ${opts.window} error budget left`).join('; ')} (threshold ${pct(opts.threshold)})`;
    } else if (lowest === null) reason = `no SLO has data over ${opts.window}`;
    else reason = `every SLO has at least ${pct(opts.threshold)} of its ${opts.window} error budget left (lowest ${pct(lowest)})`;
    if (notes.length) reason += `; ${notes.join('; ')}`;
    return { allow: denied.length === 0, reason, budgetRemaining: lowest, threshold: opts.threshold, window: opts.window, slos: per };
  }

  /**
   * An SLO's counts over the given intervals, straight from its source (no minute rounding: an interval may end
   * at the end of the current minute, for the chaos guard). An error when the SLO has no source or it fails.
   */
  async counts(slo: SloDefinition, intervals: { start: number; end: number }[]): Promise<{ good: number; total: number }[]> {
    const source = this.sources.forSlo(slo);
    if (!source) throw new Error(`no SLI source is registered for metricSource type '${slo.indicator.sourceType}'`);
    const r = (await source.countWindows([{ slo, intervals }])).get(slo.ref);
    if (!r || r.error) throw new Error(r?.error ?? 'the SLI source returned nothing');
    return r.counts;
  }

  /** Evaluates and stores the snapshots. */
  async evaluateAndStore(slos: SloDefinition[], now = Date.now()): Promise<Map<string, EvaluationResult>> {
    const results = await this.evaluate(slos, now);
    await this.store.saveStatuses([...results].map(([sloRef, r]) => ({ sloRef, status: r.reason ? { ...r.status, reason: r.reason } as SloStatus : r.status })));
    return results;
  }

  /** Series for the two charts: budget remaining over the compliance window, and burn rate over a lookback. */
  async history(slo: SloDefinition, opts: { from?: number; to?: number; points: number; window: BurnRateWindow }, now = Date.now()): Promise<HistoryResponse> {
    const to = opts.to ?? Math.floor(now / MIN) * MIN;
    const win = windowAt(slo.window, to);
    const windowMs = win.end - win.start;
    const from = opts.from ?? (slo.window.kind === 'rolling' ? to - windowMs : win.start);
    const lookbackMs = durationMs(opts.window);
    const source = this.sources.forSlo(slo);
    const thresholds = alertPolicyOf(slo).rules.map(r => ({ severity: r.severity, burnRate: r.burnRate, label: ruleId(r) }));
    const base = { ref: slo.ref, from: new Date(from).toISOString(), to: new Date(to).toISOString(), burnRateWindow: opts.window, thresholds };
    if (!source) return { ...base, points: [], downsampledFrom: 0 };
    if (source.history) {
      const stepMs = Math.max(60_000, Math.ceil((to - from) / (opts.points - 1) / 60_000) * 60_000);
      const pts = await source.history(slo, { from, to, stepMs, lookbackMs, windowMs });
      return {
        ...base,
        points: pts.map(p => ({
          t: p.t,
          budgetRemaining: p.window ? finite(budgetRemaining(p.window, slo.target)) : null,
          burnRate: p.lookback ? finite(burnRate(p.lookback, slo.target)) : null,
          sli: p.lookback ? sliRatio(p.lookback) : null,
        })),
        downsampledFrom: pts.length,
      };
    }
    if (!source.readCumulative) return { ...base, points: [], downsampledFrom: 0 };
    const readFrom = Math.min(from - lookbackMs, slo.window.kind === 'rolling' ? from - windowMs : windowAt(slo.window, from).start);
    const cumulative = await source.readCumulative(slo, readFrom, to);
    const { points, sampled } = historySeries({
      points: cumulative,
      from,
      to,
      target: slo.target,
      windowStartAt: t => (slo.window.kind === 'rolling' ? t - windowMs : windowAt(slo.window, t - 1).start),
      lookbackMs,
      maxPoints: opts.points,
    });
    return {
      ...base,
      points: points.map(p => ({ t: p.t, budgetRemaining: p.budgetRemaining, burnRate: p.burnRate, sli: p.sli })),
      downsampledFrom: sampled,
    };
  }

  private noData(slo: SloDefinition, at: number): SloStatus {
    const win = windowAt(slo.window, at);
    return evaluateStatus({ now: at, target: slo.target, windowMs: win.end - win.start, windowStart: win.start, window: { good: 0, total: 0 }, lookbacks: {} });
  }
}
