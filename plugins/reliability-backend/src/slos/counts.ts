import type { ReliabilityCounts } from '@reliability-suite/plugin-reliability-node';
import type { SloStores } from './stores';

/** The stored counts as the extension points offer them (reliability-node's `ReliabilityCounts`). */
export function ingestCounts(
  store: Pick<SloStores, 'counts' | 'slices'>,
  minuteRetentionMs: number,
): ReliabilityCounts {
  return {
    minuteRetentionMs,
    hasData: sloRef => store.counts.hasData(sloRef),
    lastDataAt: sloRef => store.counts.lastDataAt(sloRef),
    loadBuckets: buckets => store.counts.loadBuckets(buckets),
    addCounts: (deltas, now = Date.now()) =>
      store.counts.addCounts(deltas, now - minuteRetentionMs),
    addSliceTallies: tallies => store.slices.addSliceTallies(tallies),
  };
}
