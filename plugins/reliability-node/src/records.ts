import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type {
  CapacityRun,
  ChangeEvent,
  ChangeKind,
  Drill,
  SloDefinition,
  SyntheticJourney,
  SyntheticStepResult,
} from '@reliability-suite/plugin-reliability-common';

/** Counts of one SLO over one bucket [end - bucketMs, end), with the SLO's cumulative counts at its end. @public */
export interface SliCountBucket {
  sloRef: string;
  end: number;
  /** 60,000 (a minute) or 3,600,000 (an hour: buckets older than the minute retention). */
  bucketMs: number;
  good: number;
  total: number;
  cumGood: number;
  cumTotal: number;
}

/** Good/total events of one SLO at an instant, as `POST /sli-values` takes them. @public */
export interface SliCountDelta {
  sloRef: string;
  timestamp: number;
  good: number;
  total: number;
}

/** Values of a time-slice SLO in one slice: `n` values, `good` of them good. @public */
export interface SliSliceTally {
  sloRef: string;
  /** The end of the slice (ms), on the SLO's slice boundaries. */
  sliceEnd: number;
  n: number;
  good: number;
}

/**
 * The counts of the SLOs whose SLI the suite stores itself (`metricSource.type: Ingest`, synthetic journeys): what
 * `POST /sli-values` writes, for modules that bring counts from elsewhere.
 * @public
 */
export interface ReliabilityCounts {
  /** Minute buckets older than this are kept as hours (`reliability.storage.minuteRetention`). */
  readonly minuteRetentionMs: number;
  /** Whether the SLO has any counts. */
  hasData(sloRef: string): Promise<boolean>;
  /** The end of the SLO's last bucket (ms); null without counts. */
  lastDataAt(sloRef: string): Promise<number | null>;
  /** A backfill of precomputed buckets, in time order, for an SLO without counts (`hasData` false). */
  loadBuckets(buckets: SliCountBucket[]): Promise<void>;
  /** Adds counts as the ingest path does; those older than the minute retention before `now` go to hours. */
  addCounts(deltas: SliCountDelta[], now?: number): Promise<void>;
  /** Adds the values of time-slice SLOs (a slice is good when its good share meets the objective). */
  addSliceTallies(tallies: SliSliceTally[]): Promise<void>;
}

/** A load-test run to record: the k6 figures, the verdict against the entity's latency objective. @public */
export type CapacityRunInput = Omit<CapacityRun, 'id' | 'startedAt'> & {
  startedAt: number;
};

/** A change to record on an entity's timeline. `source` says where it came from (`ci`, `argocd`, `demo`...). @public */
export interface ChangeInput {
  entityRef: string;
  kind: ChangeKind;
  version?: string;
  summary?: string;
  author?: string;
  link?: string;
  /** When the change happened (ms). */
  at: number;
  source: string;
}

/** One run of a synthetic journey in a region, as the runner records it. @public */
export interface SyntheticRunInput {
  region: string;
  startedAt: number;
  durationMs: number;
  success: boolean;
  error: string | null;
  warnings: string[];
  steps: SyntheticStepResult[];
}

/**
 * What the backend records, for modules that import reliability data (a drill log kept elsewhere, load tests
 * from CI history, deploys from a CD system, a synthetic registry). Writes go to the stores directly: no permission
 * is checked, so a module writes only what its configuration names. `by` is recorded as who wrote it.
 * @public
 */
export interface ReliabilityRecords {
  /** The SLOs registered from the catalog (filled by the evaluation tick; empty before the first one). */
  slos: {
    /** The SLOs of a component, or the SLO itself for an SLO entity ref. */
    forEntity(entityRef: string): Promise<SloDefinition[]>;
  };
  counts: ReliabilityCounts;
  drills: {
    /** Imports drills as an upload of the drill log does: a drill of the same date is updated. */
    import(
      entityRef: string,
      drills: Drill[],
      by: string,
      now?: number,
    ): Promise<{ added: number; updated: number }>;
  };
  capacity: {
    /** The entity's latest runs, newest first. */
    list(entityRef: string, limit: number): Promise<CapacityRun[]>;
    record(run: CapacityRunInput, now?: number): Promise<CapacityRun>;
  };
  changes: {
    /** The entity's latest changes, newest first. */
    list(entityRef: string, limit: number): Promise<ChangeEvent[]>;
    record(change: ChangeInput, now?: number): Promise<ChangeEvent>;
  };
  synthetics: {
    /** Imports a synthetic registry (regions, frequency, deadline): journeys already defined keep their steps. */
    importRegistry(
      entityRef: string,
      journeys: Omit<SyntheticJourney, 'steps'>[],
      by: string,
      now?: number,
    ): Promise<{ added: number; updated: number }>;
    /** Creates or replaces one journey, steps included. */
    put(
      entityRef: string,
      journey: SyntheticJourney,
      by: string,
      now?: number,
    ): Promise<void>;
    /** Whether the journey exists and has runs. */
    hasRuns(entityRef: string, journey: string): Promise<boolean>;
    /** Records runs of a journey as the runner would, each counted for the entity's SLOs whose SLI is the journey. */
    recordRuns(
      entityRef: string,
      journey: string,
      runs: SyntheticRunInput[],
    ): Promise<void>;
  };
}

/**
 * A module that writes reliability data, in the way the catalog's entity providers do: the backend connects it once
 * at start, when its stores are ready; the provider writes then, or keeps `records` and writes on its own schedule.
 * @public
 */
export interface ReliabilityRecordsProvider {
  /** Names the provider in logs. */
  readonly id: string;
  /** Called once at start. A provider that throws is logged; the backend starts anyway. */
  connect(records: ReliabilityRecords): Promise<void>;
}

/** @public */
export interface ReliabilityRecordsExtensionPoint {
  addProvider(provider: ReliabilityRecordsProvider): void;
}

/** @public */
export const reliabilityRecordsExtensionPoint =
  createExtensionPoint<ReliabilityRecordsExtensionPoint>({
    id: 'reliability.records',
  });
