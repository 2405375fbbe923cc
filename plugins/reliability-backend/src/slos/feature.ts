import { alertPolicyOf } from '@reliability-suite/plugin-reliability-common';
import type { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import type { FiredAlert } from '../events/ReliabilityEvents';
import type { MwmbRule } from '@reliability-suite/plugin-reliability-common';
import type {
  ReliabilityEvaluationHook,
  SliSource,
} from '@reliability-suite/plugin-reliability-node';
import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import { BacktestService } from './BacktestService';
import { ingestCounts } from './counts';
import { EvaluationTask } from './EvaluationTask';
import { periodOfSchedule, ShardRunner } from './ShardRunner';
import { randomUUID } from 'crypto';
import { evaluatedHistoryWriter, ReplayTask } from './ReplayTask';
import { FastCheck, fastCheckedRefs } from './FastCheck';
import type { RemediationCoverage } from './FastCheck';
import type { SloAlertStates } from './EvaluationTask';
import { Evaluator } from './Evaluator';
import { SloReads } from './SloReads';
import { SliSourceRegistry } from './counting';
import { sloRoutes } from './routes';
import { SloRegistry } from './SloRegistry';
import { SloService } from './SloService';
import { IngestSliSource } from './sources/IngestSliSource';
import type { ActiveCorrections } from './counting';
import type { BacktestServiceOptions } from './BacktestService';
import type { SloStores } from './stores';
import { PrometheusSliSource } from './sources/PrometheusSliSource';

/** The stores the SLO feature is given: its own, and the ports of other features' stores it reads or drives. */
export interface SloFeatureStores {
  slos: SloStores;
  /** The budget corrections in force (corrections/). */
  corrections: ActiveCorrections;
  /** The burn-rate rules imported through POST /import/burn-rate-alerts (imports/). */
  burnRateImports: { all(): Promise<ReadonlyMap<string, MwmbRule[]>> };
  /** The alerts' states the tick drives (alerts/). */
  alerts: SloAlertStates;
  /** A journey's runs, for a backtest of a Synthetic SLI (synthetics/). */
  synthetics: {
    outcomes: NonNullable<BacktestServiceOptions['journeyOutcomes']>;
  };
}

/**
 * SLOs: the registry of the catalog's SLOs, the SLI sources (ingest, Prometheus, and those modules add), the
 * evaluator (the tick's writes) and the reads (charts, gate, counts), the evaluation tick (which publishes AlertFired for each alert that fires), and the SLO routes.
 */
export function createSloFeature(
  ctx: FeatureContext<SloFeatureStores>,
  extensions: { sources: SliSource[]; hooks: ReliabilityEvaluationHook[] },
  deps: {
    /** Which SLOs remediation acts on (self-healing's coversSlo, the rules' entities): the fast check's SLOs. */
    remediation?: RemediationCoverage;
  } = {},
) {
  const { config: rc, stores, logger, redactor } = ctx;
  const store = stores.slos;
  const sources = new SliSourceRegistry();
  sources.add(new IngestSliSource(store));
  const prometheus = rc.prometheus.length
    ? new PrometheusSliSource(rc.prometheus, logger, { redactor })
    : undefined;
  if (prometheus) sources.add(prometheus);
  extensions.sources.forEach(s => sources.add(s));
  const evaluator = new Evaluator(store, sources, logger, {
    minuteRetentionMs: rc.minuteRetentionMs,
    corrections: stores.corrections,
    gateWindow: rc.gate.window,
  });
  const reads = new SloReads(sources, {
    corrections: stores.corrections,
    stored: store.history,
    firstDataAt: async ref =>
      (await store.readings.firstDataAt([ref])).get(ref) ?? null,
  });
  const registry = new SloRegistry(
    ctx.catalog,
    ctx.auth,
    store.registry,
    logger,
    rc.alerting.csvPolicies,
    () => stores.burnRateImports.all(),
  );
  const counts = ingestCounts(store, rc.minuteRetentionMs);
  const fastConfig = rc.remediation.fastCheck;
  const coverage =
    deps.remediation && fastConfig.intervalSeconds > 0
      ? deps.remediation
      : undefined;
  const onFired = async (alert: FiredAlert, slo: SloDefinition) => {
    await ctx.events.publish('AlertFired', { alert, slo });
  };
  const fastCheck = coverage
    ? new FastCheck({
        registry,
        evaluator,
        alerts: stores.alerts,
        coverage,
        config: fastConfig,
        pendingMs: rc.alerting.pendingMs,
        onFired,
        logger,
      })
    : undefined;
  // PostgreSQL only: SQLite is one process, and keeps the one global tick
  const shards =
    rc.evaluationShards && store.leases?.shared
      ? { config: rc.evaluationShards, leases: store.leases }
      : undefined;
  if (rc.evaluationShards && !shards)
    logger.info(
      'reliability.evaluation.shards is ignored on SQLite (one process): one tick evaluates every SLO',
    );
  const evaluation = new EvaluationTask({
    registry,
    evaluator,
    store,
    alerts: stores.alerts,
    logger,
    pendingMs: rc.alerting.pendingMs,
    minuteRetentionMs: rc.minuteRetentionMs,
    maxLatenessMs: rc.maxLatenessMs,
    hooks: { hooks: extensions.hooks, counts },
    onFired,
    fastChecked: coverage
      ? slos => fastCheckedRefs(slos, coverage, fastConfig.maxSlos)
      : undefined,
    recordHistory: prometheus
      ? evaluatedHistoryWriter(store.history, logger)
      : undefined,
    sharded: shards && {
      // compaction here: the replicas' runners read their indexes afresh
      compacted: () =>
        store.statuses.setTickMarker('compaction', randomUUID(), Date.now()),
    },
  });
  // sharded evaluation: this replica's share of the SLOs, evaluated by a local task (slos/ShardRunner)
  const shardRunner = shards
    ? new ShardRunner({
        leases: shards.leases,
        shards: shards.config,
        slos: async () => (await registry.all()).map(r => r.def),
        periodMs: periodOfSchedule(rc.evaluationSchedule.frequency),
        compactionMarker: async () =>
          (await store.statuses.tickMarker())?.token,
        evaluator,
        alerts: stores.alerts,
        pendingMs: rc.alerting.pendingMs,
        onFired,
        fastChecked: coverage
          ? slos => fastCheckedRefs(slos, coverage, fastConfig.maxSlos)
          : undefined,
        recordHistory: prometheus
          ? evaluatedHistoryWriter(store.history, logger)
          : undefined,
        logger,
      })
    : undefined;
  // the past of Prometheus-backed SLOs, replayed in the background (never by a read)
  const replay = prometheus
    ? new ReplayTask({
        slos: () => registry.all(),
        source: prometheus,
        store: store.history,
        logger,
        redact: text => redactor.text(text),
      })
    : undefined;
  const slos = new SloService({
    store,
    reads,
    registry,
    access: ctx.access,
    entities: ctx.entities,
    maxLatenessMs: rc.maxLatenessMs,
    minuteRetentionMs: rc.minuteRetentionMs,
    appBaseUrl: rc.appBaseUrl,
    corrections: stores.corrections,
    gate: rc.gate,
    redactor,
  });
  const backtests = new BacktestService({
    entities: ctx.entities,
    registry,
    store,
    prometheus,
    journeyOutcomes: (entityRef, journey, from, max) =>
      stores.synthetics.outcomes(entityRef, journey, from, max),
    redactor,
  });
  return {
    registry,
    reads,
    /** The service, for the actions that call it (actions/). */
    slos,
    prometheus,
    counts,
    tasks: [
      scheduledTask(
        'reliability-evaluate',
        'global',
        rc.evaluationSchedule,
        () => evaluation.run(),
      ),
      ...(shardRunner && shards
        ? [
            scheduledTask(
              'reliability-evaluate-shards',
              'local',
              {
                frequency: {
                  seconds: Math.max(
                    2,
                    Math.floor(shards.config.leaseSeconds / 3),
                  ),
                },
                timeout: { seconds: shards.config.leaseSeconds },
                initialDelay: { seconds: 5 },
              },
              () => shardRunner.run(),
            ),
          ]
        : []),
      ...(replay
        ? [
            scheduledTask(
              'reliability-slo-replay',
              'global',
              {
                frequency: { minutes: 1 },
                timeout: { minutes: 5 },
                initialDelay: { seconds: 30 },
              },
              () => replay.run(),
            ),
          ]
        : []),
      ...(fastCheck
        ? [
            scheduledTask(
              'reliability-fast-check',
              'global',
              {
                frequency: { seconds: fastConfig.intervalSeconds },
                timeout: { minutes: 1 },
                initialDelay: { seconds: fastConfig.intervalSeconds },
              },
              () => fastCheck.run(),
            ),
          ]
        : []),
    ],
    /** Frees this replica's evaluation shards (sharded evaluation), so the others take them at once. */
    shutdown: async () => {
      await shardRunner?.stop();
    },
    routes: (router, { guards }) =>
      sloRoutes(router, { guards, slos, backtests }),
    readinessFacts: async entityRef => ({
      slos: (await registry.forEntity(entityRef)).map(s => ({
        ref: s.def.ref,
        policySource: alertPolicyOf(s.def).source,
      })),
    }),
  } satisfies Feature & Record<string, unknown>;
}

/** The SLO feature's ports, for the features that read SLOs. */
export type SloFeature = ReturnType<typeof createSloFeature>;
