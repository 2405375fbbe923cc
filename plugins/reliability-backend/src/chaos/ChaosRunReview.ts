import { LoggerService } from '@backstage/backend-plugin-api';
import type {
  ChaosExperimentRecord,
  ChaosFollowUpItem,
  ChaosRun,
  IncidentActionItem,
} from '@reliability-suite/plugin-reliability-common';
import { ChaosStore } from './ChaosStore';
import { ChaosExpectations, followUpItems } from './ChaosExpectations';

/** How the owners hear of a run's unmet expectations (the notifier port). */
export interface ChaosFollowUpNotices {
  chaosExpectationsUnmet(a: {
    entityRef: string;
    experiment: string;
    runId: number;
    items: ChaosFollowUpItem[];
  }): Promise<void>;
}

/** Incident reviews, as a linked run reaches them (a port: the incidents' store keeps its tables). */
export interface IncidentReviews {
  get(
    id: number,
  ): Promise<{ id: number; entityRef: string; state: string } | undefined>;
  /** Adds action items to a closed incident's review, once per title; undefined when it is not closed. */
  addActionItems(
    id: number,
    items: IncidentActionItem[],
    author: string,
    now: number,
  ): Promise<number | undefined>;
}

/** Who adds a run's follow-up to an incident review. */
export const CHAOS_FOLLOW_UP_AUTHOR = 'reliability chaos';
/** At most this many ended runs are checked per tick. */
const LIMIT = 50;

export interface ChaosRunReviewOptions {
  store: ChaosStore;
  expectations: ChaosExpectations;
  notices?: ChaosFollowUpNotices;
  incidents?: IncidentReviews;
  logger: LoggerService;
  now?: () => number;
}

/**
 * The end of a run, checked: each run that ended (its duration over, the guard or the kill switch, by hand) has
 * its experiment's expectations checked and recorded with their evidence in one conditional update, so of replicas
 * ending the same run one records it; that one turns each unmet expectation into an action item of the run's
 * follow-up (listed on the chaos tab), tells the owners, and adds the items to the incident review the run is linked
 * to.
 */
export class ChaosRunReview {
  private readonly now: () => number;

  constructor(private readonly o: ChaosRunReviewOptions) {
    this.now = o.now ?? (() => Date.now());
  }

  async review(): Promise<number> {
    let recorded = 0;
    for (const run of await this.o.store.runs.toEvaluate(LIMIT)) {
      try {
        if (await this.one(run)) recorded++;
      } catch (err) {
        this.o.logger.warn(
          `Chaos run ${run.id} (experiment ${
            run.experimentId
          }): its expectations could not be checked: ${(err as Error).message}`,
        );
      }
    }
    return recorded;
  }

  private async one(run: ChaosRun): Promise<boolean> {
    const e = await this.o.store.get(run.experimentId);
    // a run that never started (a claim closed as completed) or whose experiment is gone has nothing to check
    const results =
      e && run.startedAt ? await this.o.expectations.check(e, run) : [];
    const now = this.now();
    const items = e ? followUpItems(e, run, results, now) : [];
    if (
      !(await this.o.store.runs.recordEvaluation(run.id, results, items, now))
    )
      return false;
    if (!e || !items.length) return true;
    this.o.logger.info(
      `Chaos run ${run.id} of ${e.entityRef} ${e.name}: ${items.length} of ${results.length} expectations not met`,
    );
    await this.o.notices?.chaosExpectationsUnmet({
      entityRef: e.entityRef,
      experiment: e.name,
      runId: run.id,
      items,
    });
    if (run.incidentId !== null && run.incidentId !== undefined)
      await this.toIncident(e, run.incidentId, items);
    return true;
  }

  /** Adds a run's follow-up items to the review of the incident it is linked to (once per item). */
  async toIncident(
    e: ChaosExperimentRecord,
    incidentId: number,
    items: ChaosFollowUpItem[],
  ): Promise<number> {
    if (!this.o.incidents || !items.length) return 0;
    const added = await this.o.incidents.addActionItems(
      incidentId,
      items.map(i => ({ title: i.title, owner: i.owner, due: i.due })),
      CHAOS_FOLLOW_UP_AUTHOR,
      this.now(),
    );
    if (added === undefined)
      this.o.logger.warn(
        `Chaos experiment ${e.id}: incident ${incidentId} is not closed, its review did not get the run's action items`,
      );
    return added ?? 0;
  }
}
