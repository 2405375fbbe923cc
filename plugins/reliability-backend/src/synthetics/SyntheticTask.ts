import { LoggerService } from '@backstage/backend-plugin-api';
import {
  SloDefinition,
  meetsThreshold,
  sliceEndOf,
  syntheticSliOf,
} from '@reliability-suite/plugin-reliability-common';
import { SloRegistry } from '../slos';
import type { SliceTallyWriter, SliCountWriter } from '../slos';
import { mapPool } from './HostLimiter';
import { JourneyResult, SyntheticRunner } from './SyntheticRunner';
import { ClaimedRun, SyntheticStore } from './SyntheticStore';
import { SyntheticMetrics } from './metrics';

export interface SyntheticTaskOptions {
  store: SyntheticStore;
  runner: SyntheticRunner;
  registry: SloRegistry;
  slos: { counts: SliCountWriter; slices: SliceTallyWriter };
  logger: LoggerService;
  /** Journeys run at once by this runner (default 10). */
  concurrency?: number;
  /** Most runs claimed per tick (default 2,000). */
  batch?: number;
  /** Regions this runner serves; absent: every region of every journey. */
  regions?: string[];
  /** Minute buckets older than this are hourly: SLI counts go where the ingest puts them. */
  minuteRetentionMs: number;
  /** Live runs as Prometheus metrics (synthetic="true", region, journey). */
  metrics?: SyntheticMetrics;
  now?: () => number;
}

/**
 * One tick of the synthetic runner (scheduled with global scope: one replica at a time): claims the due journeys and
 * regions, runs them with bounded concurrency, records each run with its evidence, and counts it for the SLOs whose
 * SLI is that journey (good = success within the deadline). Results are tagged synthetic=true, region, journey.
 */
export class SyntheticTask {
  private readonly now: () => number;

  constructor(private readonly o: SyntheticTaskOptions) {
    this.now = o.now ?? Date.now;
  }

  async run(): Promise<{ ran: number; failed: number }> {
    const claimed = await this.o.store.claimDue(
      this.now(),
      this.o.batch ?? 2_000,
      5_000,
      this.o.regions,
    );
    if (!claimed.length) return { ran: 0, failed: 0 };
    const slosByEntity = new Map<string, Promise<SloDefinition[]>>();
    const slosOf = (entityRef: string) => {
      let p = slosByEntity.get(entityRef);
      if (!p)
        slosByEntity.set(
          entityRef,
          (p = this.o.registry
            .forEntity(entityRef)
            .then(list => list.map(s => s.def))),
        );
      return p;
    };
    let failed = 0;
    await mapPool(claimed, this.o.concurrency ?? 10, async c => {
      try {
        const result = await this.o.runner.run(c.journey);
        if (!result.success) failed++;
        await this.record(c, result, await slosOf(c.entityRef));
        this.o.metrics?.observe({
          entityRef: c.entityRef,
          journey: c.journey.name,
          region: c.region,
          success: result.success,
          durationMs: result.durationMs,
        });
      } catch (e) {
        failed++;
        this.o.logger.warn(
          `synthetic ${c.entityRef} ${c.journey.name} in ${
            c.region
          } could not be recorded: ${(e as Error).message}`,
        );
      }
    });
    return { ran: claimed.length, failed };
  }

  /** Records one run and counts it for the SLOs whose SLI is its journey (the runner's, and the demo's history). */
  async record(
    c: ClaimedRun,
    r: JourneyResult,
    slos: SloDefinition[],
  ): Promise<void> {
    await this.o.store.record({
      ...r,
      journeyId: c.journeyId,
      entityRef: c.entityRef,
      journey: c.journey.name,
      region: c.region,
    });
    const counted = slos.filter(def => {
      const sli = syntheticSliOf(def);
      return (
        sli &&
        sli.journey === c.journey.name &&
        (!sli.region || sli.region === c.region)
      );
    });
    if (!counted.length) return;
    // a ratio SLI: a run that succeeds within its deadline is good. A threshold SLI (thresholdMetric): the run's
    // duration in ms is its value, judged against the objective's op and value; a failed run is a bad value.
    const judged = counted.map(def => {
      const good =
        def.indicator.mode === 'threshold'
          ? r.success &&
            meetsThreshold(
              r.durationMs,
              def.threshold!.op,
              def.threshold!.value,
            )
          : r.success && r.durationMs <= c.journey.deadlineMs;
      return { def, good: good ? 1 : 0 };
    });
    const sliced = judged.filter(j => j.def.budgeting);
    const plain = judged.filter(j => !j.def.budgeting);
    if (sliced.length) {
      await this.o.slos.slices.addSliceTallies(
        sliced.map(j => ({
          sloRef: j.def.ref,
          sliceEnd: sliceEndOf(r.startedAt, j.def.budgeting!.sliceMs),
          n: 1,
          good: j.good,
        })),
      );
    }
    if (plain.length) {
      await this.o.slos.counts.addCounts(
        plain.map(j => ({
          sloRef: j.def.ref,
          timestamp: r.startedAt,
          good: j.good,
          total: 1,
        })),
        this.now() - this.o.minuteRetentionMs,
      );
    }
  }
}
