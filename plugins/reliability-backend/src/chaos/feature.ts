import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { SloStatusReader } from '../slos';
import type { ChaosStore } from './ChaosStore';
import type { RemediationStore } from '../remediation/RemediationStore';
import type { IncidentStore } from '../incidents/IncidentStore';
import { reliabilityLink } from '../notifications/ReliabilityNotifier';
import { ChaosExpectations } from './ChaosExpectations';
import { ChaosFollowUpNotices, ChaosRunReview } from './ChaosRunReview';
import type { SloFeature } from '../slos';
import { ChaosFiles } from './ChaosFiles';
import { ChaosGuard, HaltSubmitter, StartSubmitter } from './ChaosGuard';
import { ChaosScheduler } from './ChaosScheduler';
import type { RegionMonitor } from './startGuard';
import { ChaosService } from './ChaosService';
import { chaosRoutes } from './routes';
import { policyHints } from '../permissions/policyHints';

/**
 * Chaos experiments: design, approval, the start (ChaosStarted: the features that call engines answer their calls),
 * the guard that aborts a run whose steady state breaks, and the kill switch (both ChaosAborted); the schedule that
 * starts approved cron experiments and ends every run at its duration (ChaosEnded: the halt without a page).
 */
export function createChaosFeature(
  ctx: FeatureContext<{
    chaos: ChaosStore;
    slos: { statuses: SloStatusReader };
    remediation: Pick<RemediationStore, 'firstOf'>;
    incidents: Pick<IncidentStore, 'get' | 'addActionItems'>;
  }>,
  deps: {
    slos: SloFeature;
    notices?: ChaosFollowUpNotices;
    /** Which regions a live synthetics runner watches (absent when synthetics are off). */
    regions?: RegionMonitor;
  },
) {
  const { config: rc, stores, events } = ctx;
  const { registry, reads, prometheus } = deps.slos;
  const halt: HaltSubmitter = async (experiment, reason) => {
    await events.publish('ChaosAborted', { experiment, reason });
  };
  const engineStart: StartSubmitter = async experiment =>
    (await events.publish('ChaosStarted', { experiment })).flat();
  const guard = new ChaosGuard({
    store: stores.chaos,
    registry,
    reads,
    logger: ctx.logger.child({ component: 'chaos-guard' }),
    halt,
    promql: prometheus
      ? (slo, query, t) => prometheus.query(slo, query, t)
      : undefined,
  });
  const end: HaltSubmitter = async (experiment, reason) => {
    await events.publish('ChaosEnded', { experiment, reason });
  };
  // a run's expectations checked when it ends; unmet ones become its follow-up (and a linked incident's items)
  const incidents = {
    get: async (id: number) => {
      const i = await stores.incidents.get(id);
      return i && { id: i.id, entityRef: i.entityRef, state: i.state };
    },
    addActionItems: stores.incidents.addActionItems.bind(stores.incidents),
  };
  const review = new ChaosRunReview({
    store: stores.chaos,
    expectations: new ChaosExpectations({
      executions: stores.remediation,
      slo: async ref => (await registry.byRef(ref))?.def,
      counts: (slo, intervals) => reads.counts(slo, intervals),
      promql: prometheus
        ? (slo, query, t) => prometheus.query(slo, query, t)
        : undefined,
      link: reliabilityLink,
    }),
    notices: deps.notices,
    incidents,
    logger: ctx.logger.child({ component: 'chaos-review' }),
  });
  const scheduler = new ChaosScheduler({
    store: stores.chaos,
    slos: stores.slos.statuses,
    logger: ctx.logger.child({ component: 'chaos-schedule' }),
    engineStart,
    end,
    environments: rc.chaos.schedule.environments,
    productionEnvironments: rc.chaos.policy.productionEnvironments,
    regions: deps.regions,
    review: () => review.review(),
  });
  const chaos = new ChaosService({
    store: stores.chaos,
    registry,
    slos: stores.slos.statuses,
    access: ctx.access,
    entities: ctx.entities,
    policy: rc.chaos.policy,
    prometheus: Boolean(prometheus),
    halt,
    engineStart,
    backendBaseUrl: rc.backendBaseUrl,
    scheduleRefusal: environment => scheduler.environmentRefusal(environment),
    regions: deps.regions,
    approveHint: policyHints(rc.permissions).chaosApprove,
    incidents,
    review,
  });
  const files = new ChaosFiles({
    catalog: ctx.catalog,
    auth: ctx.auth,
    urlReader: ctx.urlReader,
    registry,
    policy: rc.chaos.policy,
    prometheus: Boolean(prometheus),
    redactor: ctx.redactor,
  });
  return {
    /** The service, for the actions that call it (actions/). */
    chaos,
    tasks: [
      scheduledTask(
        'reliability-chaos-guard',
        'global',
        {
          frequency: { seconds: rc.chaos.guardIntervalSeconds },
          timeout: { minutes: 1 },
          initialDelay: { seconds: 10 },
        },
        () => guard.run(),
      ),
      // scheduled runs start and every run ends at its duration. Local: every replica ticks, so a replica that dies
      // holding a global task's lock cannot delay an end; the claim row per cron time and the conditional updates
      // let one replica only start, end and halt each run
      scheduledTask(
        'reliability-chaos-schedule',
        'local',
        {
          frequency: { seconds: rc.chaos.schedule.intervalSeconds },
          timeout: { minutes: 1 },
          initialDelay: { seconds: 5 },
        },
        () => scheduler.tick(),
      ),
    ],
    routes: (router, { guards }) =>
      chaosRoutes(router, { guards, chaos, files }),
    readinessFacts: async entityRef => ({
      chaos: {
        // experiments that ran to the end: completed, or a scheduled one with a completed run
        completed: await stores.chaos.runs.completedExperiments(entityRef, 100),
      },
    }),
  } satisfies Feature & Record<string, unknown>;
}
