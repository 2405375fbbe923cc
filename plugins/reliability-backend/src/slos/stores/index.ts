import { Knex } from 'knex';
import { CountReadingsStore } from './CountReadingsStore';
import { WriteCount } from './rows';
import { SliceTallyStore } from './SliceTallyStore';
import { SliCountsStore } from './SliCountsStore';
import { SloHistoryStore } from './SloHistoryStore';
import { SloRegistryStore } from './SloRegistryStore';
import { SloStatusStore } from './SloStatusStore';
import { ShardLeaseStore } from './ShardLeaseStore';

export type { BoundaryRequest, ShardFilter } from './CountReadingsStore';
export { CountReadingsStore } from './CountReadingsStore';
export type { RowColumns } from './rows';
export { rowsOf } from './rows';
export type { SliceTallyWriter } from './SliceTallyStore';
export { SliceTallyStore } from './SliceTallyStore';
export type {
  BucketRow,
  CountDelta,
  SliCountWriter,
  SliPeakRate,
} from './SliCountsStore';
export { SliCountsStore } from './SliCountsStore';
export type { ReplayState, StoredHistoryPoint } from './SloHistoryStore';
export { SloHistoryStore } from './SloHistoryStore';
export { SloRegistryStore } from './SloRegistryStore';
export type {
  SloOverviewReader,
  SloStatusReader,
  StatusItem,
} from './SloStatusStore';
export { SloStatusStore } from './SloStatusStore';
export type {
  ShardLease,
  ShardLeaseEvent,
  ShardLeases,
} from './ShardLeaseStore';
export { ShardLeaseStore } from './ShardLeaseStore';

/**
 * The SLO folder's stores, one per table family, each keeping its knex to itself:
 * - `registry`: the catalog's SLOs (`reliability_slos`);
 * - `statuses`: the evaluation's snapshots, the sparklines' daily readings and the tick marker;
 * - `counts`: the buckets and late counts (writes, compaction, one SLO's reads);
 * - `readings`: the evaluation's bulk reads of those counts (it writes nothing);
 * - `slices`: the time slices' tallies;
 * - `history`: the stored history points (evaluated and replayed) and the replays' progress;
 * - `leases`: the evaluation shards' leases (`reliability.evaluation.shards`; optional for stores made by hand).
 */
export interface SloStores {
  registry: SloRegistryStore;
  statuses: SloStatusStore;
  counts: SliCountsStore;
  readings: CountReadingsStore;
  slices: SliceTallyStore;
  history: SloHistoryStore;
  leases?: ShardLeaseStore;
}

/**
 * The SLO stores over a migrated database (`ReliabilityDatabase.create()` runs the migrations). They share one count
 * of this process's writes (the overview's cache), and the registry forgets a removed SLO's status, late counts and
 * slice tallies in its own transaction. `clock` stamps written counts (a benchmark simulates minutes with it).
 */
export function createSloStores(
  db: Knex,
  clock: () => number = Date.now,
): SloStores {
  const writes = new WriteCount();
  const statuses = new SloStatusStore(db, writes);
  const counts = new SliCountsStore(db, clock);
  const slices = new SliceTallyStore(db, counts, writes);
  const history = new SloHistoryStore(db);
  return {
    registry: new SloRegistryStore(db, writes, [
      statuses,
      counts,
      slices,
      history,
    ]),
    statuses,
    counts,
    readings: new CountReadingsStore(db),
    slices,
    history,
    leases: new ShardLeaseStore(db),
  };
}
