import { LoggerService } from '@backstage/backend-plugin-api';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import type {
  ReliabilityCounts,
  ReliabilityEvaluationHook,
} from '@reliability-suite/plugin-reliability-node';
import type { FiredAlert } from '../events/ReliabilityEvents';
import { Evaluator } from './Evaluator';
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
}

/**
 * One evaluation tick, scheduled by the plugin (scope global: one replica at a time), in the way
 * notifications-backend's NotificationCleaner is a class of its own:
 * 1. bring the SLO registry up to date from the catalog (the only writer of the registry; it parses changed
 *    documents only);
 * 2. run the modules' evaluation hooks (each logged if it throws), so the counts they write count in this tick;
 * 3. evaluate every SLO and store its status: the one place an SLO is evaluated, a new one included (reads
 *    answer the stored status, `null` until this tick has run);
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
    const started = this.now();
    const at = this.now();
    const results = await this.o.evaluator.evaluateAndStore(slos, at);
    if (this.o.recordHistory) await this.o.recordHistory(slos, results, at);
    const byRef = new Map(slos.map(s => [s.ref, s]));
    const fast = this.o.fastChecked?.(slos) ?? new Set<string>();
    const fired = await this.o.alerts.apply(
      slos.map(s => s.ref).filter(ref => !fast.has(ref)),
      conditionsOf(results, byRef).filter(c => !fast.has(c.sloRef)),
      at,
      this.o.pendingMs,
    );
    for (const alert of fired) {
      const slo = byRef.get(alert.sloRef);
      if (slo && this.o.onFired) await this.o.onFired(alert, slo);
    }
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
}
