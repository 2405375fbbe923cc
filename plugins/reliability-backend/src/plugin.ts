import { ServicePrincipalPermissions } from './permissions/ServicePrincipalPermissions';
import { coreServices, createBackendPlugin, readSchedulerServiceTaskScheduleDefinitionFromConfig } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { CHAOS_ABORT_ALERT, CHAOS_START_ALERT, COMMANDER_SIGNAL_CHANNEL, durationMs, isFixedDuration, MwmbRule, parseBurnRateCsv, parseDuration, reliabilityAllPermissions } from '@internal/plugin-reliability-common';
import { readFileSync } from 'fs';
import {
  reliabilityEvaluationHooksExtensionPoint,
  ReliabilityEvaluationHook,
  reliabilityRecordsExtensionPoint,
  ReliabilityRecordsProvider,
  reliabilityRemediationActionsExtensionPoint,
  reliabilitySliSourcesExtensionPoint,
  RemediationAction,
  SliSource,
} from '@internal/plugin-reliability-node';
import { hostname } from 'os';
import { randomUUID } from 'crypto';
import { RemediationEngine } from './remediation/RemediationEngine';
import { RemediationMetrics } from './remediation/metrics';
import { configDurationMs, readRemediationRules } from './remediation/rules';
import { webhookAction } from './remediation/actions/webhook';
import { featureFlagAction } from './remediation/actions/featureFlag';
import { createKubernetesAction, readKubernetesClusters } from './remediation/actions/kubernetes';
import { sloAlertTrigger } from './remediation/triggers';
import { createRouter } from './http/router';
import { ReliabilityDatabase } from './database/ReliabilityDatabase';
import { EvaluationTask } from './slos/EvaluationTask';
import { CatalogAccess } from './catalog/CatalogAccess';
import { SloService } from './slos/SloService';
import { AlertService } from './alerts/AlertService';
import { AlertmanagerService } from './alertmanager/AlertmanagerService';
import { IncidentService } from './incidents/IncidentService';
import { Evaluator, SliSourceRegistry } from './slos/Evaluator';
import { IngestSliSource } from './slos/sources/IngestSliSource';
import { PrometheusSliSource, readPrometheusInstances } from './slos/sources/PrometheusSliSource';
import { SloRegistry } from './slos/SloRegistry';
import { RunbookService } from './runbooks/RunbookService';
import { CommanderService } from './commander/CommanderService';
import { ChaosService } from './chaos/ChaosService';
import { ChaosGuard, HaltSubmitter, StartSubmitter } from './chaos/ChaosGuard';
import { Redactor } from './redaction/Redactor';
import { readChaosPolicy } from './chaos/policy';
import { ChaosFiles } from './chaos/ChaosFiles';
import { DrillService } from './drills/DrillService';
import { CorrectionService } from './corrections/CorrectionService';
import { CapacityService } from './capacity/CapacityService';
import { ChangeService } from './changes/ChangeService';
import { EntityAccess } from './catalog/entityAccess';
import { SyntheticService } from './synthetics/SyntheticService';
import { RegistryImportService } from './imports/RegistryImportService';
import { StaleProofTask } from './readiness/StaleProofTask';
import { SyntheticRunner } from './synthetics/SyntheticRunner';
import { SyntheticTask } from './synthetics/SyntheticTask';
import { SyntheticMetrics } from './synthetics/metrics';
import { ReadinessService } from './readiness/ReadinessService';
import { ReliabilityNotifier } from './notifications/ReliabilityNotifier';
import { BacktestService } from './slos/BacktestService';
import { OverviewService } from './overview/OverviewService';
import { PlaywrightBrowserSteps } from './synthetics/browser';
import { connectProviders, ingestCounts, reliabilityRecords } from './extensions/records';

/**
 * The reliability backend plugin.
 * @public
 */
export const reliabilityPlugin = createBackendPlugin({
  pluginId: 'reliability',
  register(env) {
    const extraSources: SliSource[] = [];
    env.registerExtensionPoint(reliabilitySliSourcesExtensionPoint, {
      addSource(source) {
        extraSources.push(source);
      },
    });

    const extraActions: RemediationAction[] = [];
    env.registerExtensionPoint(reliabilityRemediationActionsExtensionPoint, {
      addAction(action) {
        extraActions.push(action);
      },
    });

    const evaluationHooks: ReliabilityEvaluationHook[] = [];
    env.registerExtensionPoint(reliabilityEvaluationHooksExtensionPoint, {
      addHook(hook) {
        evaluationHooks.push(hook);
      },
    });

    const recordsProviders: ReliabilityRecordsProvider[] = [];
    env.registerExtensionPoint(reliabilityRecordsExtensionPoint, {
      addProvider(provider) {
        recordsProviders.push(provider);
      },
    });

    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auditor: coreServices.auditor,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        catalog: catalogServiceRef,
        urlReader: coreServices.urlReader,
        notifications: notificationService,
        signals: signalsServiceRef,
      },
      async init({ logger: rootLogger, config, database, scheduler, httpRouter, httpAuth, auditor, auth, permissions: backstagePermissions, permissionsRegistry, catalog, urlReader, notifications, signals }) {
        // every line this plugin logs passes the one redaction step (config secrets, URL userinfo and queries)
        const redactor = Redactor.fromConfig(config);
        const logger = redactor.logger(rootLogger);
        const cfg = config.getOptionalConfig('reliability');
        const minuteRetentionMs = durationMs(cfg?.getOptionalString('storage.minuteRetention') ?? '7h');
        const maxLatenessMs = durationMs(cfg?.getOptionalString('ingest.maxLateness') ?? '35d');
        const gateWindow = cfg?.getOptionalString('gate.window');
        if (gateWindow !== undefined && !(parseDuration(gateWindow) && isFixedDuration(parseDuration(gateWindow)!))) {
          throw new Error(`reliability.gate.window must be a fixed duration like 7d, got '${gateWindow}'`);
        }
        const gateThreshold = cfg?.getOptionalNumber('gate.minBudgetRemaining');
        if (gateThreshold !== undefined && !(gateThreshold >= 0 && gateThreshold <= 1)) {
          throw new Error(`reliability.gate.minBudgetRemaining must be between 0 and 1, got ${gateThreshold}`);
        }
        if (minuteRetentionMs < durationMs('6h')) {
          throw new Error('reliability.storage.minuteRetention must be at least 6h (the longest minute-precise window)');
        }

        const db = await ReliabilityDatabase.create(await database.getClient(), { skipMigrations: database.migrations?.skip });
        const stores = db.stores();
        const store = stores.slos;
        const alerts = stores.alerts;
        const pendingMs = configDurationMs(cfg?.getOptionalString('alerting.pendingFor') ?? '1m');
        const sources = new SliSourceRegistry();
        sources.add(new IngestSliSource(store));
        const prometheusInstances = readPrometheusInstances(config);
        const prometheus = prometheusInstances.length ? new PrometheusSliSource(prometheusInstances, logger, { redactor }) : undefined;
        if (prometheus) sources.add(prometheus);
        extraSources.forEach(s => sources.add(s));
        const evaluator = new Evaluator(store, sources, logger, { minuteRetentionMs, corrections: stores.corrections, gateWindow: gateWindow ?? '7d' });
        const csvPath = cfg?.getOptionalString('alerting.burnRateCsv');
        let csvPolicies = new Map<string, MwmbRule[]>();
        if (csvPath) {
          let text: string;
          try {
            text = readFileSync(csvPath, 'utf8');
          } catch (e) {
            throw new Error(`reliability.alerting.burnRateCsv: cannot read '${csvPath}': ${(e as Error).message}`);
          }
          const parsed = parseBurnRateCsv(text);
          if (!parsed.ok) throw new Error(`reliability.alerting.burnRateCsv (${csvPath}) ${parsed.error}`);
          csvPolicies = parsed.value;
        }
        const registry = new SloRegistry(catalog, auth, store, logger, csvPolicies, () => stores.burnRateImports.all());
        permissionsRegistry.addPermissions(reliabilityAllPermissions);
        // services hold the suite's default service permissions only, unless their access restrictions name more
        const permissions = new ServicePrincipalPermissions(backstagePermissions);

        const actions = new Map<string, RemediationAction>();
        for (const action of [webhookAction, featureFlagAction, createKubernetesAction(readKubernetesClusters(config)), ...extraActions]) {
          if (actions.has(action.id)) throw new Error(`Two remediation actions have the id '${action.id}'`);
          actions.set(action.id, action);
        }
        const metrics = new RemediationMetrics();
        // the owners hear of burns, escalations and aborts through Backstage's notifications (off: reliability.notifications.enabled: false)
        const notifier = new ReliabilityNotifier(cfg?.getOptionalBoolean('notifications.enabled') === false ? undefined : notifications, logger.child({ component: 'notifications' }));
        const access = new CatalogAccess(catalog);
        const entities = new EntityAccess(access, permissions, auth);
        const changes = new ChangeService({ store: stores.changes, entities, registry, evaluator, logger });
        // what remediation changes is a change of the rule's entity: flag flips and restarts show on the charts
        const changeKindOf = (rule: { action: string; params: Record<string, unknown> }): 'flag' | 'restart' | undefined => {
          if (rule.action === 'feature-flag') return 'flag';
          if (rule.action === 'kubernetes' && (rule.params.operation === 'rollout-restart' || rule.params.operation === 'create-job')) return 'restart';
          return undefined;
        };
        const remediationStore = stores.remediation;
        const remediation = new RemediationEngine({
          store: remediationStore,
          escalations: stores.escalations,
          rules: readRemediationRules(config, actions),
          actions,
          logger: logger.child({ component: 'remediation' }),
          redactor,
          auditor,
          metrics,
          holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
          breaker: {
            failureThreshold: cfg?.getOptionalNumber('remediation.breaker.failureThreshold') ?? 3,
            openMs: configDurationMs(cfg?.getOptionalString('remediation.breaker.openFor') ?? '1m'),
          },
          leaseGraceMs: configDurationMs(cfg?.getOptionalString('remediation.leaseGrace') ?? '30s'),
          onEscalated: ({ rule, detail }) => notifier.remediationEscalated({ entityRef: rule.entityRef, ruleId: rule.id, detail }),
          onSucceeded: async ({ rule, detail, at }) => {
            const kind = changeKindOf(rule);
            if (kind) await changes.recordRemediation({ entityRef: rule.entityRef, kind, ruleId: rule.id, summary: detail, at });
          },
          backoff: {
            baseMs: configDurationMs(cfg?.getOptionalString('remediation.backoff.base') ?? '200ms'),
            capMs: configDurationMs(cfg?.getOptionalString('remediation.backoff.cap') ?? '5s'),
          },
        });
        await scheduler.scheduleTask({
          id: 'reliability-remediation-dispatch',
          scope: 'local',
          frequency: { seconds: cfg?.getOptionalNumber('remediation.dispatchIntervalSeconds') ?? 15 },
          timeout: { minutes: 10 },
          initialDelay: { seconds: 3 },
          fn: () => remediation.dispatch(),
        });

        const counts = ingestCounts(store, minuteRetentionMs);

        const evaluationTask = new EvaluationTask({
          registry,
          evaluator,
          store,
          alerts,
          logger,
          pendingMs,
          minuteRetentionMs,
          maxLatenessMs,
          hooks: { hooks: evaluationHooks, counts },
          // the suite's own alerts run the remediation rules that match them
          onFired: async (alert, slo) => {
            await remediation.submit(sloAlertTrigger(alert, slo, Date.now()));
            if (alert.severity === 'page') await notifier.sloBurning({ entityRef: slo.componentRef, sloTitle: slo.title, rule: alert.rule });
            // the commander view refreshes itself without a reload
            await signals.publish({ recipients: { type: 'broadcast' }, channel: COMMANDER_SIGNAL_CHANNEL, message: { reason: 'alert-fired', entityRef: slo.componentRef } }).catch(e => logger.warn(`Could not signal the commander view: ${(e as Error).message}`));
          },
        });
        const schedule = cfg?.has('evaluation.schedule')
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(cfg.getConfig('evaluation.schedule'))
          : // the timeout under the frequency: a replica that dies mid-tick is taken over within two ticks (the run's
            // ticket expires, the scheduler's janitor clears it within a minute, another replica claims the next tick)
            { frequency: { minutes: 1 }, timeout: { seconds: 50 }, initialDelay: { seconds: 5 } };
        await scheduler.scheduleTask({
          id: 'reliability-evaluate',
          scope: 'global',
          ...schedule,
          fn: async () => {
            await evaluationTask.run();
          },
        });

        // an aborted experiment (guard or kill switch) raises its own alert; the remediation rules that match it
        // call the halt (a webhook, a Litmus ChaosEngine patch, a Chaos Mesh pause), recorded once per experiment
        const halt: HaltSubmitter = async (e, reason) => {
          await notifier.chaosAborted({ entityRef: e.entityRef, experiment: e.name, reason });
          await remediation.submit({
            kind: 'alert',
            id: `chaos:${e.id}:abort`,
            labels: { alertname: CHAOS_ABORT_ALERT, severity: 'page', experiment: e.name, entity: e.entityRef, slo: e.experiment.steadyState.slo, environment: e.experiment.environment },
            annotations: { summary: `Chaos experiment ${e.name} aborted: ${reason}` },
            entityRef: e.entityRef,
            receivedAt: Date.now(),
          });
        };
        // a start from the portal raises its own alert; the rules that match it call the engine (a Gremlin-style
        // attack webhook, a Litmus ChaosEngine or Chaos Mesh object created from the experiment), once per run
        const engineStart: StartSubmitter = async e => {
          const results = await remediation.submit({
            kind: 'alert',
            id: `chaos:${e.id}:start`,
            labels: {
              alertname: CHAOS_START_ALERT,
              severity: 'info',
              experiment: e.name,
              entity: e.entityRef,
              slo: e.experiment.steadyState.slo,
              environment: e.experiment.environment,
              injection: e.experiment.injection.type,
              namespace: e.experiment.target.namespace,
            },
            annotations: { summary: `Chaos experiment ${e.name} started from the portal`, experiment: JSON.stringify(e.experiment) },
            entityRef: e.entityRef,
            receivedAt: Date.now(),
          });
          return results.map(r => r.ruleId);
        };
        const guard = new ChaosGuard({
          store: stores.chaos,
          registry,
          evaluator,
          logger: logger.child({ component: 'chaos-guard' }),
          halt,
          promql: prometheus ? (slo, query, t) => prometheus.query(slo, query, t) : undefined,
        });
        await scheduler.scheduleTask({
          id: 'reliability-chaos-guard',
          scope: 'global',
          frequency: { seconds: cfg?.getOptionalNumber('chaos.guardIntervalSeconds') ?? 10 },
          timeout: { minutes: 1 },
          initialDelay: { seconds: 10 },
          fn: async () => {
            await guard.run();
          },
        });

        // synthetic journeys: the runner ticks with global scope (one replica at a time) and claims each due journey
        // and region before it runs it; old runs and evidence are pruned daily
        const syn = cfg?.getOptionalConfig('synthetics');
        const allowedHosts = syn?.getOptionalStringArray('allowedHosts') ?? [];
        const syntheticSecrets: Record<string, string> = {};
        const secretsCfg = syn?.getOptionalConfig('secrets');
        for (const key of secretsCfg?.keys() ?? []) syntheticSecrets[key] = secretsCfg!.getString(key);
        const browserEnabled = syn?.getOptionalBoolean('browser.enabled') ?? false;
        const syntheticRunner = new SyntheticRunner({
          allowedHosts,
          secrets: syntheticSecrets,
          redact: t => redactor.text(t),
          dnsServers: syn?.getOptionalStringArray('dnsServers'),
          perHostConcurrency: syn?.getOptionalNumber('perHostConcurrency') ?? 4,
          browser: browserEnabled
            ? new PlaywrightBrowserSteps({ executablePath: syn?.getOptionalString('browser.executablePath'), maxEvidenceBytes: syn?.getOptionalNumber('browser.maxEvidenceBytes') })
            : undefined,
        });
        const syntheticTask = new SyntheticTask({
          store: stores.synthetics,
          runner: syntheticRunner,
          registry,
          slos: store,
          logger: logger.child({ component: 'synthetics' }),
          concurrency: syn?.getOptionalNumber('concurrency') ?? 10,
          regions: syn?.getOptionalStringArray('regions'),
          minuteRetentionMs,
          metrics: new SyntheticMetrics(metrics.registry),
        });
        if (syn?.getOptionalBoolean('enabled') ?? true) {
          await scheduler.scheduleTask({
            id: 'reliability-synthetics-run',
            scope: 'global',
            frequency: { seconds: syn?.getOptionalNumber('intervalSeconds') ?? 15 },
            // the longest deadline is 5 minutes: a tick never outlives its journeys by much
            timeout: { minutes: 6 },
            initialDelay: { seconds: 5 },
            fn: async () => {
              await syntheticTask.run();
            },
          });
        }
        // the modules that write reliability data (reliability-node's records extension point), once the stores are ready
        const records = reliabilityRecords({ counts, registry, drills: stores.drills, capacity: stores.capacity, changes: stores.changes, synthetics: stores.synthetics, syntheticTask });
        await connectProviders(recordsProviders, records, logger);
        const syntheticRetentionMs = configDurationMs(syn?.getOptionalString('retention') ?? '30d');
        const evidenceRuns = syn?.getOptionalNumber('evidenceRuns') ?? 20;
        await scheduler.scheduleTask({
          id: 'reliability-synthetics-prune',
          scope: 'global',
          frequency: { hours: 1 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const pruned = await stores.synthetics.prune(Date.now() - syntheticRetentionMs, evidenceRuns);
            if (pruned.runs || pruned.evidence) logger.info(`synthetics: pruned ${pruned.runs} runs and the evidence of ${pruned.evidence}`);
          },
        });

        // the owners hear once when a drill or capacity proof goes stale (the readiness review's ages)
        const staleProofs = new StaleProofTask({ drills: stores.drills, capacity: stores.capacity, notices: stores.notices, notifier, logger });
        await scheduler.scheduleTask({
          id: 'reliability-stale-proofs',
          scope: 'global',
          frequency: { hours: 6 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 2 },
          fn: async () => {
            await staleProofs.run();
          },
        });

        const runbooks = new RunbookService(catalog, auth, urlReader, stores.runbooks, text => redactor.text(text));
        const drills = new DrillService({ store: stores.drills, entities, maxAgeMs: configDurationMs(cfg?.getOptionalString('drills.maxAge') ?? '90d') });
        const synthetics = new SyntheticService({ store: stores.synthetics, entities, allowedHosts, secretNames: Object.keys(syntheticSecrets), browserEnabled });
        const alertmanager = stores.alertmanager;
        httpRouter.use(
          await createRouter({
            httpAuth,
            auditor,
            permissions,
            access,
            slos: new SloService({
              store,
              evaluator,
              registry,
              access,
              entities,
              maxLatenessMs,
              minuteRetentionMs,
              appBaseUrl: config.getOptionalString('app.baseUrl'),
              corrections: stores.corrections,
              gate: { window: cfg?.getOptionalString('gate.window') ?? '7d', threshold: gateThreshold ?? 0.25 },
              redactor,
            }),
            alerts: new AlertService({ alerts, registry, access }),
            alertmanager: new AlertmanagerService({ store: alertmanager, remediation, access }),
            alertmanagerSecret: cfg?.getOptionalString('alertmanager.sharedSecret'),
            remediation,
            metrics,
            metricsToken: cfg?.getOptionalString('metrics.token'),
            runbooks,
            incidents: new IncidentService({ store: stores.incidents, access, runbooks }),
            chaosFiles: new ChaosFiles({ catalog, auth, urlReader, registry, policy: readChaosPolicy(cfg), prometheus: Boolean(prometheus), redactor }),
            chaos: new ChaosService({ store: stores.chaos, registry, slos: store, access, entities, policy: readChaosPolicy(cfg), prometheus: Boolean(prometheus), halt, engineStart, backendBaseUrl: config.getOptionalString('backend.baseUrl') }),
            drills,
            corrections: new CorrectionService({ store: stores.corrections, registry, access, entities }),
            changes,
            synthetics,
            imports: new RegistryImportService({
              catalog,
              auth,
              logger: logger.child({ component: 'imports' }),
              registry,
              burnRates: stores.burnRateImports,
              drills,
              synthetics,
              publishDir: config.getOptionalString('reliability.scaffolder.publishDir'),
              locationRef: config.getOptionalString('reliability.scaffolder.locationRef'),
            }),
            readiness: new ReadinessService({ entities, registry, stores, remediation }),
            overview: new OverviewService({ store, access, gateThreshold: gateThreshold ?? 0.25 }),
            backtests: new BacktestService({
              entities,
              registry,
              store,
              prometheus,
              journeyOutcomes: (entityRef, journey, from, max) => stores.synthetics.outcomes(entityRef, journey, from, max),
              redactor,
            }),
            capacity: new CapacityService({ store: stores.capacity, entities, registry, slos: store }),
            commander: new CommanderService({
              catalog,
              auth,
              alerts,
              alertmanager,
              store,
              remediations: remediationStore,
              escalations: stores.escalations,
              chaos: stores.chaos,
              changes: stores.changes,
              runbooks,
              registry,
              logger,
            }),
            redactor,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        // Alertmanager authenticates with the shared secret, checked by the route itself
        httpRouter.addAuthPolicy({ path: '/alertmanager/webhook', allow: 'unauthenticated' });
        // Prometheus scrapes the selfheal_* metrics without a Backstage token
        httpRouter.addAuthPolicy({ path: '/metrics', allow: 'unauthenticated' });
      },
    });
  },
});
