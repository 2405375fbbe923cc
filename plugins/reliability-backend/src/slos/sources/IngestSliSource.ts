import type {
  SliCountRequest,
  SliCountResult,
  SliSource,
} from '@reliability-suite/plugin-reliability-node';
import type {
  Counts,
  CumulativePoint,
  SloDefinition,
} from '@reliability-suite/plugin-reliability-common';
import {
  countsBetween,
  SYNTHETIC_SOURCE_TYPE,
} from '@reliability-suite/plugin-reliability-common';
import type { ShardFilter, SloStores } from '../stores';
import { CountIndex, IndexSyncStats } from './CountIndex';

const RAW_ERROR =
  'a raw ratio (ratioMetric.raw) is read from Prometheus (metricSource.type: Prometheus); the built-in ingest counts events';
const isRaw = (r: SliCountRequest) =>
  r.slo.indicator.mode === 'raw-success' ||
  r.slo.indicator.mode === 'raw-failure';

/** Metric source types served by the built-in ingest store: POST /sli-events, SLOs that name no type, and synthetic journeys' runs. */
export const INGEST_SOURCE_TYPES = [
  'ingest',
  'reliability-ingest',
  '',
  SYNTHETIC_SOURCE_TYPE,
];

/**
 * The built-in SLI source: counts pushed to POST /sli-events and kept in the store's cumulative buckets.
 * All SLOs of a tick are answered with one query per distinct window boundary.
 */
export class IngestSliSource implements SliSource {
  readonly types = INGEST_SOURCE_TYPES;

  /** The evaluation tick's index of cumulative counts (see CountIndex). */
  private readonly index: CountIndex;

  constructor(
    private readonly store: Pick<SloStores, 'counts' | 'readings'>,
    options: { maxChangedRows?: number } = {},
  ) {
    this.index = new CountIndex(store, options.maxChangedRows);
  }

  /** From scratch: one query per distinct window boundary. */
  async countWindows(
    requests: SliCountRequest[],
  ): Promise<Map<string, SliCountResult>> {
    const counted = requests.filter(r => !isRaw(r));
    const boundaries = counted.flatMap(r =>
      r.intervals.flatMap(i => [
        { sloRef: r.slo.ref, t: i.start },
        { sloRef: r.slo.ref, t: i.end },
      ]),
    );
    const [cums, firsts] = await Promise.all([
      this.store.readings.cumulativeAt(boundaries),
      this.store.readings.firstDataAt(counted.map(r => r.slo.ref)),
    ]);
    const zero = { good: 0, total: 0 };
    return this.answer(
      requests,
      ref => {
        const c = cums.get(ref);
        return t => c?.get(t) ?? zero;
      },
      ref => firsts.get(ref) ?? null,
    );
  }

  /**
   * The evaluation tick's counts, from the index moved forward to these boundaries (`rebuild`: read it all afresh,
   * when another process ran the last tick). Answers what it read, as well. Each request's counts are made when
   * `count` is asked for them: they are used at once and need not outlive the statuses loop.
   */
  async countTick(
    requests: SliCountRequest[],
    rebuild: boolean,
    only?: ShardFilter,
  ): Promise<{
    count: (request: SliCountRequest) => SliCountResult;
    stats: IndexSyncStats;
  }> {
    const wanted = new Map<string, number[]>();
    // SLOs with the same window share one intervals array (the evaluator builds one per window): its boundary times,
    // and each interval's place among them, are worked out once
    const shapes = new Map<
      SliCountRequest['intervals'],
      { times: number[]; at: Int32Array }
    >();
    const shapeOf = (intervals: SliCountRequest['intervals']) => {
      let shape = shapes.get(intervals);
      if (!shape) {
        const ts: number[] = [];
        for (const i of intervals) ts.push(i.start, i.end);
        ts.sort((a, b) => a - b);
        const times = ts.filter((t, k) => k === 0 || t !== ts[k - 1]);
        shape = {
          times,
          at: Int32Array.from(
            intervals.flatMap(i => [
              times.indexOf(i.start),
              times.indexOf(i.end),
            ]),
          ),
        };
        shapes.set(intervals, shape);
      }
      return shape;
    };
    for (const r of requests)
      if (!isRaw(r)) wanted.set(r.slo.ref, shapeOf(r.intervals).times);
    const stats = await this.index.sync(wanted, rebuild, only);
    const count = (r: SliCountRequest): SliCountResult =>
      isRaw(r)
        ? { counts: [], error: RAW_ERROR }
        : {
            counts: this.index.counts(r.slo.ref, shapeOf(r.intervals).at),
            firstDataAt: this.index.firstDataAt(r.slo.ref),
          };
    return { count, stats };
  }

  /** The results, from `cumulative(ref)`: the SLO's cumulative counts at a time. */
  private answer(
    requests: SliCountRequest[],
    cumulative: (ref: string) => (t: number) => Counts,
    first: (ref: string) => number | null,
  ): Map<string, SliCountResult> {
    const out = new Map<string, SliCountResult>();
    for (const r of requests) {
      if (isRaw(r)) {
        out.set(r.slo.ref, { counts: [], error: RAW_ERROR });
        continue;
      }
      const cum = cumulative(r.slo.ref);
      out.set(r.slo.ref, {
        counts: r.intervals.map(i => countsBetween(cum(i.start), cum(i.end))),
        firstDataAt: first(r.slo.ref),
      });
    }
    return out;
  }

  readCumulative(
    slo: SloDefinition,
    from: number,
    to: number,
  ): Promise<CumulativePoint[]> {
    return this.store.counts.readCumulative(slo.ref, from, to);
  }
}
