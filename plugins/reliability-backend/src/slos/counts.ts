import type { ReliabilityCounts } from '@reliability-suite/plugin-reliability-node';
import { ReliabilityStore } from './ReliabilityStore';

/** The stored counts as the extension points offer them (reliability-node's `ReliabilityCounts`). */
export function ingestCounts(
  store: ReliabilityStore,
  minuteRetentionMs: number,
): ReliabilityCounts {
  return {
    minuteRetentionMs,
    hasData: sloRef => store.hasData(sloRef),
    lastDataAt: sloRef => store.lastDataAt(sloRef),
    loadBuckets: buckets => store.loadBuckets(buckets),
    addCounts: (deltas, now = Date.now()) =>
      store.addCounts(deltas, now - minuteRetentionMs),
    addSliceTallies: tallies => store.addSliceTallies(tallies),
  };
}
