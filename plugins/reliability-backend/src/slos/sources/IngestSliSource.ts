import type { SliCountRequest, SliCountResult, SliSource } from '@internal/plugin-reliability-node';
import type { CumulativePoint, SloDefinition } from '@internal/plugin-reliability-common';
import { countsBetween, SYNTHETIC_SOURCE_TYPE } from '@internal/plugin-reliability-common';
import { ReliabilityStore } from '../ReliabilityStore';

/** Metric source types served by the built-in ingest store: POST /sli-events, SLOs that name no type, and synthetic journeys' runs. */
export const INGEST_SOURCE_TYPES = ['ingest', 'reliability-ingest', '', SYNTHETIC_SOURCE_TYPE];

/**
 * The built-in SLI source: counts pushed to POST /sli-events and kept in the store's cumulative buckets.
 * All SLOs of a tick are answered with one query per distinct window boundary.
 */
export class IngestSliSource implements SliSource {
  readonly types = INGEST_SOURCE_TYPES;

  constructor(private readonly store: ReliabilityStore) {}

  async countWindows(requests: SliCountRequest[]): Promise<Map<string, SliCountResult>> {
    const boundaries = requests.flatMap(r => r.intervals.flatMap(i => [{ sloRef: r.slo.ref, t: i.start }, { sloRef: r.slo.ref, t: i.end }]));
    const [cums, firsts] = await Promise.all([
      this.store.cumulativeAt(boundaries),
      this.store.firstDataAt(requests.map(r => r.slo.ref)),
    ]);
    const out = new Map<string, SliCountResult>();
    const zero = { good: 0, total: 0 };
    for (const r of requests) {
      if (r.slo.indicator.mode === 'raw-success' || r.slo.indicator.mode === 'raw-failure') {
        out.set(r.slo.ref, { counts: [], error: 'a raw ratio (ratioMetric.raw) is read from Prometheus (metricSource.type: Prometheus); the built-in ingest counts events' });
        continue;
      }
      const c = cums.get(r.slo.ref);
      out.set(r.slo.ref, {
        counts: r.intervals.map(i => countsBetween(c?.get(i.start) ?? zero, c?.get(i.end) ?? zero)),
        firstDataAt: firsts.get(r.slo.ref) ?? null,
      });
    }
    return out;
  }

  readCumulative(slo: SloDefinition, from: number, to: number): Promise<CumulativePoint[]> {
    return this.store.readCumulative(slo.ref, from, to);
  }
}
