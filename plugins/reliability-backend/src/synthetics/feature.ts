import { Registry } from 'prom-client';
import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { SliceTallyWriter, SliCountWriter } from '../slos';
import type { SloFeature } from '../slos';
import { PlaywrightBrowserSteps } from './browser';
import { SyntheticMetrics } from './metrics';
import { syntheticRoutes } from './routes';
import { SyntheticRunner } from './SyntheticRunner';
import { SyntheticService } from './SyntheticService';
import { SyntheticTask } from './SyntheticTask';
import { ALL_REGIONS, type SyntheticStore } from './SyntheticStore';
import { presenceStaleAfterMs } from './regions';

/**
 * Synthetic journeys: the registry, the runner (a task with global scope: one replica at a time, each due journey and
 * region claimed before it runs), the daily pruning of old runs and evidence, and the routes. Their metrics join the
 * registry served at GET /metrics.
 */
export function createSyntheticFeature(
  ctx: FeatureContext<{
    synthetics: SyntheticStore;
    slos: { counts: SliCountWriter; slices: SliceTallyWriter };
  }>,
  deps: { slos: SloFeature; metrics: Registry },
) {
  const { stores, redactor } = ctx;
  const syn = ctx.config.synthetics;
  const logger = ctx.logger.child({ component: 'synthetics' });
  const runner = new SyntheticRunner({
    allowedHosts: syn.allowedHosts,
    secrets: syn.secrets,
    redact: t => redactor.text(t),
    dnsServers: syn.dnsServers,
    perHostConcurrency: syn.perHostConcurrency,
    browser: syn.browser.enabled
      ? new PlaywrightBrowserSteps({
          executablePath: syn.browser.executablePath,
          maxEvidenceBytes: syn.browser.maxEvidenceBytes,
        })
      : undefined,
  });
  const task = new SyntheticTask({
    store: stores.synthetics,
    runner,
    registry: deps.slos.registry,
    slos: stores.slos,
    logger,
    concurrency: syn.concurrency,
    regions: syn.regions,
    minuteRetentionMs: ctx.config.minuteRetentionMs,
    metrics: new SyntheticMetrics(deps.metrics),
  });
  const synthetics = new SyntheticService({
    store: stores.synthetics,
    entities: ctx.entities,
    allowedHosts: syn.allowedHosts,
    secretNames: Object.keys(syn.secrets),
    secret: name =>
      Object.prototype.hasOwnProperty.call(syn.secrets, name)
        ? syn.secrets[name]
        : undefined,
    browserEnabled: syn.browser.enabled,
  });
  // this replica's runner: the regions it serves (one with reliability.synthetics.region), each run under a
  // scheduler lock of its own, so the replicas of one region take turns and regions run side by side
  const served = syn.regions?.length ? [...syn.regions].sort() : undefined;
  const runTaskId = served
    ? `reliability-synthetics-run-${served.join('-')}`
    : 'reliability-synthetics-run';
  const staleAfterMs = presenceStaleAfterMs(syn.intervalSeconds);
  const reportPresence = () =>
    stores.synthetics.reportRunner(
      served ?? [ALL_REGIONS],
      Date.now(),
      staleAfterMs,
    );
  const prune = async () => {
    const pruned = await stores.synthetics.prune(
      Date.now() - syn.retentionMs,
      syn.evidenceRuns,
    );
    if (pruned.runs || pruned.evidence)
      ctx.logger.info(
        `synthetics: pruned ${pruned.runs} runs and the evidence of ${pruned.evidence}`,
      );
  };
  return {
    synthetics,
    task,
    /** Which regions a live runner watches, for the chaos start guard; absent when journeys do not run here. */
    regionMonitor: syn.enabled
      ? (regions: string[]) => synthetics.regionMonitoring(regions)
      : undefined,
    tasks: [
      // the longest deadline is 5 minutes: a tick never outlives its journeys by much
      ...(syn.enabled
        ? [
            scheduledTask(
              runTaskId,
              'global',
              {
                frequency: { seconds: syn.intervalSeconds },
                timeout: { minutes: 6 },
                initialDelay: { seconds: 5 },
              },
              () => task.run(),
            ),
            // every replica that runs journeys says which regions it serves, whether or not it holds the lock
            scheduledTask(
              'reliability-synthetics-presence',
              'local',
              {
                frequency: { seconds: syn.intervalSeconds },
                timeout: { seconds: 30 },
                initialDelay: { seconds: 1 },
              },
              reportPresence,
            ),
          ]
        : []),
      scheduledTask(
        'reliability-synthetics-prune',
        'global',
        {
          frequency: { hours: 1 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 1 },
        },
        prune,
      ),
    ],
    unauthenticated: ['/synthetics/canary'],
    routes: (router, { guards }) =>
      syntheticRoutes(router, { guards, synthetics }),
    readinessFacts: async entityRef => ({
      journeys: (await stores.synthetics.list(entityRef, 100, 0)).map(j => {
        const times = Object.values(j.latest).flatMap(l =>
          l ? [Date.parse(l.startedAt)] : [],
        );
        return {
          name: j.name,
          steps: j.steps.length,
          lastRunAt: times.length ? Math.max(...times) : null,
        };
      }),
    }),
  } satisfies Feature & Record<string, unknown>;
}
