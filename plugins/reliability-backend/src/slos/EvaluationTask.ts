import { LoggerService } from '@backstage/backend-plugin-api';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import type {
  ReliabilityCounts,
  ReliabilityEvaluationHook,
} from '@reliability-suite/plugin-reliability-node';
import type { FiredAlert } from '../events/ReliabilityEvents';
import { Evaluator } from './Evaluator';
import type { ShardTick } from './Evaluator';
import { conditionsOf } from './FastCheck';
import type { SloStores } from './stores';
import { SloRegistry } from './SloRegistry';

/** An alert condition that holds now for an SLO. */
export interface ActiveCondition {
  sloRef: string;
  rule: string;
  severity: string;
  details: Record<string, unknown>;
  /** Overrides the evaluation's pendingMs for this condition (OpenSLO alertAfter). */
  pendingMs?: number;
}

/**
 * The SLO alerts' states as the tick drives them: which conditions hold for the SLOs evaluated, answered with the
 * alerts that started firing. alerts/AlertStore is it; slos/ names the port, so alerts/ depends on slos/ and not the
 * other way round.
 */
export interface SloAlertStates {
  apply(
    evaluatedSlos: string[],
    active: ActiveCondition[],
    now: number,
    pendingMs: number,
  ): Promise<FiredAlert[]>;
}

export interface EvaluationTaskOptions {
  registry: SloRegistry;
  evaluator: Evaluator;
  store: Pick<SloStores, 'counts' | 'slices'>;
  alerts: SloAlertStates;
  logger: LoggerService;
  /** How long a condition must hold before its alert fires. */
  pendingMs: number;
  minuteRetentionMs: number;
  /** How late an ingested value may be: counted time slices older than this are forgotten. Default 35 days. */
  maxLatenessMs?: number;
  /** Called for every alert that fires on this tick (the plugin hands it to remediation). */
  onFired?: (alert: FiredAlert, slo: SloDefinition) => Promise<void>;
  /** The evaluation hooks modules added (reliability-node), with the counts they may write. */
  hooks?: { hooks: ReliabilityEvaluationHook[]; counts: ReliabilityCounts };
  /**
   * The SLOs whose alerts the fast check drives (slos/FastCheck's `fastCheckedRefs`): this tick still evaluates them
   * and stores their snapshots, but leaves their alerts alone, so each alert has one writer.
   */
  fastChecked?: (slos: SloDefinition[]) => Set<string>;
  /** Stores the history points of this tick's results (ReplayTask's `evaluatedHistoryWriter`); it never throws. */
  recordHistory?: (
    slos: SloDefinition[],
    results: Awaited<ReturnType<Evaluator['evaluateAndStore']>>,
    at: number,
  ) => Promise<unknown>;
  now?: () => number;
  /**
   * Sharded evaluation (`reliability.evaluation.shards`): the replicas' shard runners evaluate the SLOs (slos/
   * ShardRunner), and this global tick only syncs the registry, runs the hooks, closes the time slices and compacts.
   * `compacted` is called when compaction changed rows, so that the runners read their indexes afresh.
   */
  sharded?: { compacted(): Promise<void> };
}

/**
 * One evaluation tick, scheduled by the plugin (scope global: one replica at a time; with sharded evaluation only
 * steps 1, 2 and 5 and closing the time slices, the replicas' shard runners doing 3 and 4), in the way
 * notifications-backend's NotificationCleaner is a class of its own:
 * 1. bring the SLO registry up to date from the catalog (the only writer of the registry; it parses changed
 *    documents only);
 * 2. run the modules' evaluation hooks (each logged if it throws), so the counts they write count in this tick;
 * 3. evaluate every SLO and store its status: the one place an SLO is evaluated, a new one included (reads
 *    answer the stored status, `null` until this tick has run);
 *    with `recordHistory`, the Prometheus-backed SLOs' history points every 5 minutes (ReplayTask);
 * 4. move alerts through pending -> firing -> resolved, and hand the ones that fire to `onFired` (the alerts of the
 *    SLOs the fast check drives are its own: see FastCheck);
 * 5. fold old minute buckets and late counts (compaction).
 */
export class EvaluationTask {
  private readonly now: () => number;

  constructor(private readonly o: EvaluationTaskOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Runs one tick; answers what it did, for logs and tests. */
  async run(): Promise<{
    evaluated: number;
    fired: number;
    compacted: number;
  }> {
    const { slos } = await this.o.registry.sync();
    if (this.o.hooks) {
      const { hooks, counts } = this.o.hooks;
      for (const hook of hooks) {
        try {
          await hook.beforeEvaluation({ slos, now: this.now(), counts });
        } catch (e) {
          this.o.logger.warn(
            `Evaluation hook ${hook.id} failed: ${(e as Error).message}`,
          );
        }
      }
    }
    if (this.o.sharded) return this.maintain(slos);
    const started = this.now();
    const { results, fired } = await evaluateSlos(this.o, slos, this.now());
    const compacted = await this.o.store.counts.compact(
      this.now() - this.o.minuteRetentionMs,
    );
    // a day past the lateness, so a value accepted at the edge always finds its slice's tally
    await this.o.store.slices.pruneSlices(
      this.now() - (this.o.maxLatenessMs ?? 35 * 86_400_000) - 86_400_000,
    );
    this.o.logger.debug(
      `Evaluated ${results.size} SLOs in ${this.now() - started} ms; ${
        fired.length
      } alerts fired; compacted ${compacted} rows`,
    );
    return { evaluated: results.size, fired: fired.length, compacted };
  }

  /** The sharded path's global part: the time slices (they take every SLO's tallies at once) and compaction. */
  private async maintain(slos: SloDefinition[]) {
    await this.o.evaluator.closeSlices(slos, this.now());
    const compacted = await this.o.store.counts.compact(
      this.now() - this.o.minuteRetentionMs,
    );
    if (compacted > 0) await this.o.sharded!.compacted();
    await this.o.store.slices.pruneSlices(
      this.now() - (this.o.maxLatenessMs ?? 35 * 86_400_000) - 86_400_000,
    );
    return { evaluated: 0, fired: 0, compacted };
  }
}

/**
 * Steps 3 and 4 of a tick for `slos`: evaluates and stores them, records their history, and moves the alerts of
 * these SLOs only (the alert store leaves the alerts of SLOs it is not given alone: another shard's).
 */
export async function evaluateSlos(
  o: Pick<
    EvaluationTaskOptions,
    | 'evaluator'
    | 'alerts'
    | 'pendingMs'
    | 'onFired'
    | 'fastChecked'
    | 'recordHistory'
  >,
  slos: SloDefinition[],
  at: number,
  shard?: ShardTick,
): Promise<{
  results: Awaited<ReturnType<Evaluator['evaluateAndStore']>>;
  fired: FiredAlert[];
}> {
  const results = await o.evaluator.evaluateAndStore(slos, at, shard);
  if (o.recordHistory) await o.recordHistory(slos, results, at);
  const byRef = new Map(slos.map(s => [s.ref, s]));
  const fast = o.fastChecked?.(slos) ?? new Set<string>();
  const fired = await o.alerts.apply(
    slos.map(s => s.ref).filter(ref => !fast.has(ref)),
    conditionsOf(results, byRef).filter(c => !fast.has(c.sloRef)),
    at,
    o.pendingMs,
  );
  for (const alert of fired) {
    const slo = byRef.get(alert.sloRef);
    if (slo && o.onFired) await o.onFired(alert, slo);
  }
  return { results, fired };
}
