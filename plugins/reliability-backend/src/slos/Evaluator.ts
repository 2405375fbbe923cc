import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BURN_RATE_WINDOWS,
  BurnRateWindow,
  alertPolicyOf,
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
  sliceContribution,
  windowBudgetRemaining,
  compositeStatus,
  compositeParentRef,
  SloCorrection,
  RecurrenceCache,
  TimeRange,
  excludedRanges,
  subtractRanges,
} from '@reliability-suite/plugin-reliability-common';
import type {
  SliCountRequest,
  SliCountResult,
  SliSource,
} from '@reliability-suite/plugin-reliability-node';
import { randomUUID } from 'crypto';
import type { SloStores, StatusItem } from './stores';
import type { IndexSyncStats } from './sources/CountIndex';

/** A source that keeps an index for the evaluation tick (the built-in ingest). */
interface TickSliSource extends SliSource {
  countTick(
    requests: SliCountRequest[],
    rebuild: boolean,
  ): Promise<{
    count: (request: SliCountRequest) => SliCountResult;
    stats: IndexSyncStats;
  }>;
}

/** A request's counts, once a source has answered for a batch. */
type CountOf = (request: SliCountRequest) => SliCountResult | undefined;
const keepsIndex = (s: SliSource): s is TickSliSource =>
  typeof (s as Partial<TickSliSource>).countTick === 'function';

/** Snapshots are serialized and written this many at a time. */
const SNAPSHOT_CHUNK = 2_000;

/** An unchanged snapshot is written again after this long, so its evaluatedAt never lags further. */
const SNAPSHOT_REFRESH_MS = 5 * 60_000;

const MIN = 60_000;
const finite = (n: number | null) =>
  n === null || !Number.isFinite(n) ? null : n;

/** The SLOs to count: every standard SLO, and each objective of every composite SLO in its place. */
function flattenComposites(slos: SloDefinition[]): SloDefinition[] {
  return slos.flatMap(s =>
    s.composite ? s.composite.objectives.map(o => o.def) : [s],
  );
}

const BURN_RATE_MS = BURN_RATE_WINDOWS.map(w => durationMs(w));

/** Each SLO's compliance window at `at`, worked out once per distinct window. */
function windowsAt(
  slos: SloDefinition[],
  at: number,
): Map<SloDefinition, { start: number; end: number }> {
  const byWindow = new Map<string, { start: number; end: number }>();
  // SLOs often share their window object (the registry's definitions): looked up by it before its text
  const byObject = new Map<
    SloDefinition['window'],
    { start: number; end: number }
  >();
  const out = new Map<SloDefinition, { start: number; end: number }>();
  for (const slo of slos) {
    const w = slo.window;
    let win = byObject.get(w);
    if (!win) {
      const key =
        w.kind === 'rolling'
          ? `${w.duration.amount}${w.duration.unit}`
          : JSON.stringify(w);
      win = byWindow.get(key);
      if (!win) {
        win = windowAt(w, at);
        byWindow.set(key, win);
      }
      byObject.set(w, win);
    }
    out.set(slo, win);
  }
  return out;
}

/**
 * Whether two statuses say the same, their evaluatedAt aside: equal as JSON texts would be (a property set to
 * undefined is one left out; numbers by value).
 */
export function sameStatus(a: SloStatus, b: SloStatus): boolean {
  return sameJson(a, b, true);
}

function sameJson(a: unknown, b: unknown, top = false): boolean {
  if (a === b) return true;
  if (
    typeof a !== 'object' ||
    typeof b !== 'object' ||
    a === null ||
    b === null
  )
    return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const y = b as unknown[];
    if (a.length !== y.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], y[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] === undefined || (top && k === 'evaluatedAt')) continue;
    n++;
    if (!sameJson(x[k], y[k])) return false;
  }
  for (const k in y)
    if (y[k] !== undefined && !(top && k === 'evaluatedAt')) n--;
  return n === 0;
}

/** Picks the source serving an SLO's metricSource.type. */
export class SliSourceRegistry {
  private readonly sources: SliSource[] = [];

  add(source: SliSource) {
    this.sources.push(source);
    this.byType.clear();
  }

  forSlo(slo: SloDefinition): SliSource | undefined {
    const given = slo.indicator.sourceType ?? '';
    if (!this.byType.has(given)) {
      const type = given.toLocaleLowerCase('en-US');
      this.byType.set(
        given,
        this.sources.find(s =>
          s.types.some(t => t.toLocaleLowerCase('en-US') === type),
        ),
      );
    }
    return this.byType.get(given);
  }

  /** Each metricSource.type given, and the source serving it (a tick asks once per SLO). */
  private readonly byType = new Map<string, SliSource | undefined>();
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
    private readonly store: Pick<SloStores, 'statuses' | 'slices'>,
    private readonly sources: SliSourceRegistry,
    private readonly logger: LoggerService,
    private readonly options: {
      minuteRetentionMs?: number;
      corrections?: {
        active(sloRefs: string[]): Promise<Map<string, SloCorrection[]>>;
      };
      /** The launch-freeze gate's window (e.g. 7d): each status carries its budget left over it (`status.gate`). */
      gateWindow?: string;
      /** Snapshots serialized and written this many at a time (default SNAPSHOT_CHUNK). */
      snapshotChunk?: number;
    } = {},
  ) {}

  /** Recurring corrections' windows, expanded a day ahead. */
  private readonly recurrences: RecurrenceCache = new Map();

  /** The excluded ranges (budget corrections in force) of these SLOs within [from, to): one query. */
  private async exclusions(
    slos: SloDefinition[],
    from: number,
    to: number,
  ): Promise<Map<string, TimeRange[]>> {
    const out = new Map<string, TimeRange[]>();
    if (!this.options.corrections || slos.length === 0) return out;
    // a composite SLO's corrections apply to each of its objectives
    const parentOf = (ref: string) => compositeParentRef(ref) ?? ref;
    const active = await this.options.corrections.active([
      ...new Set(slos.map(s => parentOf(s.ref))),
    ]);
    for (const slo of slos) {
      const list = active.get(parentOf(slo.ref));
      if (!list) continue;
      const ranges = excludedRanges(list, from, to, this.recurrences);
      if (ranges.length) out.set(slo.ref, ranges);
    }
    return out;
  }

  /**
   * Counts of every interval of every request, without each SLO's excluded ranges: the intervals are cut into the
   * pieces outside them, asked of the source in the same batch, and summed back.
   */
  private async countExcluding(
    source: SliSource,
    requests: SliCountRequest[],
    exclusions: Map<string, TimeRange[]>,
  ): Promise<Map<string, SliCountResult>> {
    if (!requests.some(r => exclusions.has(r.slo.ref)))
      return source.countWindows(requests);
    const pieces = new Map<string, number[][]>();
    const asked = requests.map(r => {
      const excluded = exclusions.get(r.slo.ref);
      if (!excluded) return r;
      const flat: { start: number; end: number }[] = [];
      const map: number[][] = r.intervals.map(i =>
        subtractRanges(i, excluded).map(p => {
          flat.push(p);
          return flat.length - 1;
        }),
      );
      pieces.set(r.slo.ref, map);
      return { slo: r.slo, intervals: flat };
    });
    const results = await source.countWindows(asked);
    for (const [ref, map] of pieces) {
      const r = results.get(ref);
      if (!r || r.error) continue;
      r.counts = map.map(idx =>
        idx.reduce(
          (acc, k) => ({
            good: acc.good + (r.counts[k]?.good ?? 0),
            total: acc.total + (r.counts[k]?.total ?? 0),
          }),
          { good: 0, total: 0 },
        ),
      );
    }
    return results;
  }

  /** The index's counts for SLOs without excluded ranges; the others are counted from scratch, around their ranges. */
  private async countTick(
    source: TickSliSource,
    requests: SliCountRequest[],
    exclusions: Map<string, TimeRange[]>,
    rebuild: boolean,
  ): Promise<CountOf> {
    const excluded = requests.filter(r => exclusions.has(r.slo.ref));
    // those first: the index's counts are made as the statuses loop asks, right after its sync
    const counted = excluded.length
      ? await this.countExcluding(source, excluded, exclusions)
      : undefined;
    const { count, stats } = await source.countTick(
      excluded.length
        ? requests.filter(r => !exclusions.has(r.slo.ref))
        : requests,
      rebuild,
    );
    this.lastIndexSync = stats;
    return counted ? r => counted.get(r.slo.ref) ?? count(r) : count;
  }

  /** What the last tick's index sync read (for logs, tests and the benchmark). */
  lastIndexSync: IndexSyncStats | undefined;

  /**
   * Evaluates from scratch, or (`tick`) as the evaluation tick does: the built-in ingest's counts come from its
   * index, moved forward to this tick (`rebuild`: read afresh).
   */
  async evaluate(
    given: SloDefinition[],
    now = Date.now(),
    tick?: { rebuild: boolean },
  ): Promise<Map<string, EvaluationResult>> {
    // a composite SLO's objectives are evaluated like SLOs of their own, then combined into its one status
    const slos = flattenComposites(given);
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
    // each SLO's compliance window now (SLOs share windows: each distinct one is worked out once)
    const wins = windowsAt(slos, at);
    let earliest = at - durationMs('3d');
    for (const w of wins.values()) earliest = Math.min(earliest, w.start);
    const exclusions = await this.exclusions(slos, earliest, at);
    // SLOs with the same window share one (read-only) intervals array: the compliance window, the burn-rate
    // lookbacks, and the gate's window last
    const gateWindow = this.options.gateWindow;
    const gateMs = gateWindow ? durationMs(gateWindow) : 0;
    const burn = [
      ...BURN_RATE_MS.map(ms => ({ start: at - ms, end: at })),
      ...(gateMs ? [{ start: at - gateMs, end: at }] : []),
    ];
    const gateOf = (
      slo: SloDefinition,
      counts?: { good: number; total: number },
    ) =>
      gateWindow
        ? {
            gate: {
              window: gateWindow,
              budgetRemaining: counts
                ? finite(
                    windowBudgetRemaining(
                      counts,
                      slo.target,
                      gateMs,
                      slo.budgeting,
                    ),
                  )
                : null,
            },
          }
        : {};
    const intervalsOf = new Map<
      { start: number; end: number },
      SliCountRequest['intervals']
    >();
    for (const [source, list] of bySource) {
      const requests = list.map(slo => {
        const win = wins.get(slo)!;
        let intervals = intervalsOf.get(win);
        if (!intervals) {
          intervals = [
            { start: win.start, end: Math.min(win.end, at) },
            ...burn,
          ];
          intervalsOf.set(win, intervals);
        }
        return { slo, intervals };
      });
      let countOf: CountOf;
      try {
        if (tick && keepsIndex(source))
          countOf = await this.countTick(
            source,
            requests,
            exclusions,
            tick.rebuild,
          );
        else {
          const results = await this.countExcluding(
            source,
            requests,
            exclusions,
          );
          countOf = r => results.get(r.slo.ref);
        }
      } catch (e) {
        this.logger.warn(`SLI source ${source.types.join('/')} failed: ${e}`);
        for (const slo of list)
          out.set(slo.ref, {
            status: { ...this.noData(slo, at), ...gateOf(slo) },
            reason: `SLI source failed: ${(e as Error).message}`,
          });
        continue;
      }
      for (const request of requests) {
        const { slo, intervals } = request;
        const r = countOf(request);
        if (!r || r.error) {
          out.set(slo.ref, {
            status: { ...this.noData(slo, at), ...gateOf(slo) },
            reason: r?.error ?? 'the SLI source returned nothing',
          });
          continue;
        }
        const win = wins.get(slo)!;
        const lookbacks = {} as Record<
          BurnRateWindow,
          { good: number; total: number }
        >;
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
          ...(slo.budgeting
            ? { slices: { sliceMs: slo.budgeting.sliceMs } }
            : {}),
        });
        // the gate's figure added to the status built above, not spread into a copy of it
        const gateCounts = r.counts[1 + BURN_RATE_WINDOWS.length];
        if (gateWindow)
          status.gate = {
            window: gateWindow,
            budgetRemaining: gateCounts
              ? finite(
                  windowBudgetRemaining(
                    gateCounts,
                    slo.target,
                    gateMs,
                    slo.budgeting,
                  ),
                )
              : null,
          };
        out.set(slo.ref, { status });
      }
      await this.addDisplayValues(source, list, out, at);
    }
    for (const slo of given) {
      if (!slo.composite) continue;
      const win = windowAt(slo.window, at);
      const results = slo.composite.objectives.map(o => out.get(o.def.ref)!);
      slo.composite.objectives.forEach(o => out.delete(o.def.ref));
      const status = compositeStatus({
        now: at,
        windowMs: win.end - win.start,
        parts: slo.composite.objectives.map((o, i) => ({
          weight: o.weight,
          displayName: o.displayName ?? o.def.title,
          status: results[i].status,
        })),
        rules: alertPolicyOf(slo).rules,
      });
      const reasons = results
        .filter(r => r.reason)
        .map(
          (r, i) => `${slo.composite!.objectives[i].def.title}: ${r.reason}`,
        );
      if (gateWindow) {
        // the gate answers for a composite as its objectives' budgets left over the gate window, by weight
        const parts = slo.composite.objectives
          .map((o, i) => ({
            weight: o.weight,
            b: results[i].status.gate?.budgetRemaining ?? null,
          }))
          .filter(p => p.b !== null);
        const weights = parts.reduce((acc, p) => acc + p.weight, 0);
        status.gate = {
          window: gateWindow,
          budgetRemaining:
            weights > 0
              ? parts.reduce((acc, p) => acc + p.weight * p.b!, 0) / weights
              : null,
        };
      }
      out.set(slo.ref, {
        status,
        ...(reasons.length === results.length
          ? { reason: reasons.join('; ') }
          : {}),
      });
    }
    return out;
  }

  private async addDisplayValues(
    source: SliSource,
    slos: SloDefinition[],
    out: Map<string, EvaluationResult>,
    at: number,
  ) {
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
      r.status.display = {
        label: slo.display.label,
        value,
        ...(slo.display.unit ? { unit: slo.display.unit } : {}),
      };
    }
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
          `${slo.ref}: no SLI source for '${slo.indicator.sourceType}'`,
        );
        continue;
      }
      bySource.set(source, [...(bySource.get(source) ?? []), slo]);
    }
    const exclusions = await this.exclusions(slos, at - lenMs, at);
    for (const [source, list] of bySource) {
      const results = await this.countExcluding(
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
        if (remaining === null)
          notes.push(
            `${slo.ref}: no data over ${opts.window}${
              r?.error ? ` (${r.error})` : ''
            }`,
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
   * at the end of the current minute, for the chaos guard). An error when the SLO has no source or it fails.
   */
  async counts(
    slo: SloDefinition,
    intervals: { start: number; end: number }[],
  ): Promise<{ good: number; total: number }[]> {
    const source = this.sources.forSlo(slo);
    if (!source)
      throw new Error(
        `no SLI source is registered for metricSource type '${slo.indicator.sourceType}'`,
      );
    const r = (await source.countWindows([{ slo, intervals }])).get(slo.ref);
    if (!r || r.error)
      throw new Error(r?.error ?? 'the SLI source returned nothing');
    return r.counts;
  }

  /**
   * Evaluates and stores the snapshots. Time slices of the built-in ingest that ended by now (or changed since they
   * were counted) are counted first.
   */
  evaluateAndStore(
    slos: SloDefinition[],
    now = Date.now(),
  ): Promise<Map<string, EvaluationResult>> {
    // one tick at a time: the index's counts are made as a tick's statuses loop asks for them
    const run = this.ticking.then(() => this.tickNow(slos, now));
    this.ticking = run.catch(() => undefined);
    return run;
  }

  private ticking: Promise<unknown> = Promise.resolve();

  private async tickNow(
    slos: SloDefinition[],
    now: number,
  ): Promise<Map<string, EvaluationResult>> {
    let mark = performance.now();
    const phases: Record<string, number> = {};
    const phase = (name: string) => {
      const t = performance.now();
      phases[name] = Math.round((t - mark) * 10) / 10;
      mark = t;
    };
    await this.closeSlices(slos, now);
    phase('slices');
    // another process ran the last tick (a takeover, or the scheduler moving the task): what this one remembers
    // (the index, the snapshots it wrote) may be stale
    const rebuild =
      (await this.store.statuses.tickMarker())?.token !== this.tickToken;
    if (rebuild) this.written.clear();
    phase('marker');
    const results = await this.evaluate(slos, now, { rebuild });
    phase('evaluate');
    // snapshots: only those that changed (evaluatedAt aside), or that were written SNAPSHOT_REFRESH_MS ago. Made and
    // stored a chunk at a time: the database writes one chunk while the next is serialized
    const at = Math.floor(now / MIN) * MIN;
    const pending = results.entries();
    let writes = 0;
    const nextChunk = (): StatusItem[] | undefined => {
      const chunk: StatusItem[] = [];
      while (chunk.length < (this.options.snapshotChunk ?? SNAPSHOT_CHUNK)) {
        const e = pending.next();
        if (e.done) break;
        const [sloRef, r] = e.value;
        const status = r.reason
          ? ({ ...r.status, reason: r.reason } as SloStatus)
          : r.status;
        const last = this.written.get(sloRef);
        if (
          last &&
          at - last.at < SNAPSHOT_REFRESH_MS &&
          at >= last.at &&
          sameStatus(last.status, status)
        )
          continue;
        chunk.push({ sloRef, status, json: JSON.stringify(status) });
        this.written.set(sloRef, { status, at });
      }
      writes += chunk.length;
      return chunk.length ? chunk : undefined;
    };
    try {
      await this.store.statuses.saveStatusChunks(nextChunk);
    } catch (e) {
      this.written.clear();
      throw e;
    }
    for (const ref of [...this.written.keys()])
      if (!results.has(ref)) this.written.delete(ref);
    phase('save');
    this.tickToken = randomUUID();
    await this.store.statuses.setTickMarker(
      this.instance,
      this.tickToken,
      Date.now(),
    );
    phase('markerWrite');
    this.lastSnapshotWrites = writes;
    this.lastSnapshotMs = Math.round(phases.save);
    this.lastTickPhases = phases;
    return results;
  }

  /** This process, in the tick marker. */
  private readonly instance = randomUUID();
  /** The token this process wrote in the tick marker at its last tick. */
  private tickToken: string | undefined;
  /**
   * The snapshots this process wrote last, and when. The statuses themselves, compared field by field: their text
   * need not be kept from one tick to the next.
   */
  private readonly written = new Map<
    string,
    { status: SloStatus; at: number }
  >();
  /** How many snapshots the last tick wrote, and how long that took (ms). */
  lastSnapshotWrites = 0;
  lastSnapshotMs = 0;
  /**
   * Where the last tick's time went (ms): closing time slices, reading the tick marker, evaluating (the index's
   * reads included: `lastIndexSync.readMs`), saving the snapshots (serializing, comparing with those written before
   * and writing, overlapped), marking the tick.
   */
  lastTickPhases: Record<string, number> = {};

  /** Counts the ingest's time slices that ended by `now`, in batches; returns how many. */
  async closeSlices(slos: SloDefinition[], now = Date.now()): Promise<number> {
    const at = Math.floor(now / MIN) * MIN;
    const sliced = new Map(
      flattenComposites(slos)
        .filter(s => s.budgeting)
        .map(s => [s.ref, s.budgeting!]),
    );
    const hourlyBefore =
      now - (this.options.minuteRetentionMs ?? 7 * 3_600_000);
    const contribution = (ref: string, tally: { n: number; good: number }) => {
      const b = sliced.get(ref);
      return b
        ? { counts: sliceContribution(tally, b), sliceMs: b.sliceMs }
        : undefined;
    };
    let total = 0;
    // bounded: a backlog (a restart after a long pause) is worked off over a few rounds of this tick
    for (let round = 0; round < 20; round++) {
      const n = await this.store.slices.closeSlices(
        at,
        contribution,
        hourlyBefore,
      );
      total += n;
      if (n < 50_000) break;
    }
    return total;
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
    const owner = compositeParentRef(slo.ref) ?? slo.ref;
    const active = this.options.corrections
      ? (await this.options.corrections.active([owner])).get(owner) ?? []
      : [];
    const shaded = active.flatMap(c =>
      excludedRanges([c], from, to, this.recurrences).map(r => ({
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
      const pts = await source.history(slo, {
        from,
        to,
        stepMs,
        lookbackMs,
        windowMs,
      });
      return {
        ...base,
        points: pts.map(p => ({
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
          burnRate: p.lookback
            ? finite(burnRate(p.lookback, slo.target))
            : null,
          sli: p.lookback ? sliRatio(p.lookback) : null,
        })),
        downsampledFrom: pts.length,
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
    const excluded = excludedRanges(active, readFrom, to, this.recurrences);
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
    };
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

  private noData(slo: SloDefinition, at: number): SloStatus {
    const win = windowAt(slo.window, at);
    return evaluateStatus({
      now: at,
      target: slo.target,
      windowMs: win.end - win.start,
      windowStart: win.start,
      window: { good: 0, total: 0 },
      lookbacks: {},
    });
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
