import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BURN_RATE_WINDOWS,
  BurnRateWindow,
  alertPolicyOf,
  SloDefinition,
  SloStatus,
  durationMs,
  evaluateStatus,
  windowAt,
  sliceContribution,
  windowBudgetRemaining,
  compositeStatus,
  TimeRange,
} from '@reliability-suite/plugin-reliability-common';
import type {
  SliCountRequest,
  SliCountResult,
  SliSource,
} from '@reliability-suite/plugin-reliability-node';
import { randomUUID } from 'crypto';
import {
  ActiveCorrections,
  CorrectedCounts,
  finite,
  flattenComposites,
  MIN,
  SliSourceRegistry,
  YIELD_EVERY,
  yieldToEventLoop,
} from './counting';
import type { ShardFilter, SloStores, StatusItem } from './stores';
import type { IndexSyncStats } from './sources/CountIndex';

/** A source that keeps an index for the evaluation tick (the built-in ingest). */
interface TickSliSource extends SliSource {
  countTick(
    requests: SliCountRequest[],
    rebuild: boolean,
    only?: ShardFilter,
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
/**
 * A sharded evaluation's tick (slos/ShardRunner): the SLOs of the shards this replica holds; the runner says when
 * what this process remembers must be read afresh (a shard taken over, compaction elsewhere). The time slices are
 * closed by the global task, and the tick marker is left alone.
 */
export interface ShardTick {
  rebuild: boolean;
  /** The shards of the SLOs given: the index reads only their rows. */
  only?: ShardFilter;
}

/** An evaluated status, or the reason there is none. */
export interface EvaluationResult {
  status: SloStatus;
  reason?: string;
}

/**
 * The evaluation tick, the one writer of the SLOs' statuses: asks each SLO's source for the counts of the compliance
 * window and of every burn-rate lookback (batched per source), applies the pure math from -common and stores the
 * snapshots. The charts' and the API's reads (history, gate, counts) are SloReads'; they never write.
 */
export class Evaluator {
  constructor(
    private readonly store: Pick<SloStores, 'statuses' | 'slices'>,
    private readonly sources: SliSourceRegistry,
    private readonly logger: LoggerService,
    private readonly options: {
      minuteRetentionMs?: number;
      corrections?: ActiveCorrections;
      /** The launch-freeze gate's window (e.g. 7d): each status carries its budget left over it (`status.gate`). */
      gateWindow?: string;
      /** Snapshots serialized and written this many at a time (default SNAPSHOT_CHUNK). */
      snapshotChunk?: number;
    } = {},
  ) {
    this.counting = new CorrectedCounts(options.corrections);
  }

  /** The corrections' excluded ranges, and the counts around them. */
  private readonly counting: CorrectedCounts;

  /** The index's counts for SLOs without excluded ranges; the others are counted from scratch, around their ranges. */
  private async countTick(
    source: TickSliSource,
    requests: SliCountRequest[],
    exclusions: Map<string, TimeRange[]>,
    rebuild: boolean,
    only: ShardFilter | undefined,
  ): Promise<CountOf> {
    const excluded = requests.filter(r => exclusions.has(r.slo.ref));
    // those first: the index's counts are made as the statuses loop asks, right after its sync
    const counted = excluded.length
      ? await this.counting.countExcluding(source, excluded, exclusions)
      : undefined;
    const { count, stats } = await source.countTick(
      excluded.length
        ? requests.filter(r => !exclusions.has(r.slo.ref))
        : requests,
      rebuild,
      only,
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
    tick?: { rebuild: boolean; only?: ShardFilter },
  ): Promise<Map<string, EvaluationResult>> {
    // a composite SLO's objectives are evaluated like SLOs of their own, then combined into its one status
    const slos = flattenComposites(given);
    // evaluate at a minute boundary: buckets are per minute, so every SLO sees whole buckets
    const at = Math.floor(now / MIN) * MIN;
    const bySource = new Map<SliSource, SloDefinition[]>();
    const out = new Map<string, EvaluationResult>();
    for (const slo of slos) {
      // a type no source serves is counted from the built-in ingest (whatever was posted for it)
      const source = this.sources.forSlo(slo);
      if (!source) {
        out.set(slo.ref, {
          status: this.noData(slo, at),
          reason: this.sources.unread(slo),
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
    const exclusions = await this.counting.exclusions(slos, earliest, at);
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
            tick.only,
          );
        else {
          const results = await this.counting.countExcluding(
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
      // one SLO's status from its counts (synchronous: the loop below runs it in batches)
      const evaluateOne = (request: SliCountRequest) => {
        const { slo, intervals } = request;
        const r = countOf(request);
        // set when no source serves the SLO's metricSource.type: its reason whenever it has no data
        const unread = this.sources.unread(slo);
        if (!r || r.error) {
          out.set(slo.ref, {
            status: { ...this.noData(slo, at), ...gateOf(slo) },
            reason: unread ?? r?.error ?? 'the SLI source returned nothing',
          });
          return;
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
        out.set(
          slo.ref,
          unread && status.state === 'no_data'
            ? { status, reason: unread }
            : { status },
        );
      };
      // the statuses of a large registry take a second or more: other requests are served between batches
      for (let k = 0; k < requests.length; k += YIELD_EVERY) {
        if (k > 0) await yieldToEventLoop();
        const end = Math.min(requests.length, k + YIELD_EVERY);
        for (let j = k; j < end; j++) evaluateOne(requests[j]);
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
   * Evaluates from scratch, writing nothing, with the minute in progress counted for the SLOs the built-in ingest
   * serves (their windows end at the end of this minute, so counts posted a moment ago are seen at once); SLOs of
   * other sources (Prometheus, modules') are evaluated at the minute boundary, as the tick does. The fast check's read.
   */
  async evaluateLatest(
    slos: SloDefinition[],
    now = Date.now(),
  ): Promise<Map<string, EvaluationResult>> {
    const buckets = (slo: SloDefinition) =>
      flattenComposites([slo]).every(s => {
        const source = this.sources.forSlo(s);
        return source !== undefined && keepsIndex(source);
      });
    const ingest = slos.filter(buckets);
    const others = slos.filter(s => !buckets(s));
    const out = new Map<string, EvaluationResult>();
    if (ingest.length)
      for (const [ref, r] of await this.evaluate(
        ingest,
        Math.ceil(now / MIN) * MIN,
      ))
        out.set(ref, r);
    if (others.length)
      for (const [ref, r] of await this.evaluate(others, now)) out.set(ref, r);
    return out;
  }

  /**
   * Evaluates and stores the snapshots. Time slices of the built-in ingest that ended by now (or changed since they
   * were counted) are counted first.
   */
  evaluateAndStore(
    slos: SloDefinition[],
    now = Date.now(),
    shard?: ShardTick,
  ): Promise<Map<string, EvaluationResult>> {
    // one tick at a time: the index's counts are made as a tick's statuses loop asks for them
    const run = this.ticking.then(() => this.tickNow(slos, now, shard));
    this.ticking = run.catch(() => undefined);
    return run;
  }

  private ticking: Promise<unknown> = Promise.resolve();

  private async tickNow(
    slos: SloDefinition[],
    now: number,
    shard?: ShardTick,
  ): Promise<Map<string, EvaluationResult>> {
    let mark = performance.now();
    const phases: Record<string, number> = {};
    const phase = (name: string) => {
      const t = performance.now();
      phases[name] = Math.round((t - mark) * 10) / 10;
      mark = t;
    };
    // a shard's tick leaves the time slices to the global task: closing them takes every SLO's tallies
    if (!shard) await this.closeSlices(slos, now);
    phase('slices');
    // another process ran the last tick (a takeover, or the scheduler moving the task): what this one remembers
    // (the index, the snapshots it wrote) may be stale. A shard's tick is told by its runner
    const rebuild = shard
      ? shard.rebuild
      : (await this.store.statuses.tickMarker())?.token !== this.tickToken;
    if (rebuild) this.written.clear();
    phase('marker');
    const results = await this.evaluate(slos, now, {
      rebuild,
      only: shard?.only,
    });
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
    if (!shard) {
      this.tickToken = randomUUID();
      await this.store.statuses.setTickMarker(
        this.instance,
        this.tickToken,
        Date.now(),
      );
    }
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
