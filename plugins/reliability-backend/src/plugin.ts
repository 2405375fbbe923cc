import { ServicePrincipalPermissions } from './permissions/ServicePrincipalPermissions';
import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { CHAOS_ABORT_ALERT, CHAOS_START_ALERT, COMMANDER_SIGNAL_CHANNEL, reliabilityAllPermissions } from '@internal/plugin-reliability-common';
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
import { buildRemediationRules } from './remediation/rules';
import { webhookAction } from './remediation/actions/webhook';
import { featureFlagAction } from './remediation/actions/featureFlag';
import { createKubernetesAction } from './remediation/actions/kubernetes';
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
import { PrometheusSliSource } from './slos/sources/PrometheusSliSource';
import { SloRegistry } from './slos/SloRegistry';
import { RunbookService } from './runbooks/RunbookService';
import { CommanderService } from './commander/CommanderService';
import { ChaosService } from './chaos/ChaosService';
import { ChaosGuard, HaltSubmitter, StartSubmitter } from './chaos/ChaosGuard';
import { Redactor } from './redaction/Redactor';
import { readReliabilityConfig } from './config/readReliabilityConfig';
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
        const rc = readReliabilityConfig(config);
        // every line this plugin logs passes the one redaction step (config secrets, URL userinfo and queries)
        const redactor = Redactor.forConfig(rc.raw);
        const logger = redactor.logger(rootLogger);
        const { minuteRetentionMs, maxLatenessMs } = rc;

        const db = await ReliabilityDatabase.create(await database.getClient(), { skipMigrations: database.migrations?.skip });
        const stores = db.stores();
        const store = stores.slos;
        const alerts = stores.alerts;
        const sources = new SliSourceRegistry();
        sources.add(new IngestSliSource(store));
        const prometheus = rc.prometheus.length ? new PrometheusSliSource(rc.prometheus, logger, { redactor }) : undefined;
        if (prometheus) sources.add(prometheus);
        extraSources.forEach(s => sources.add(s));
        const evaluator = new Evaluator(store, sources, logger, { minuteRetentionMs, corrections: stores.corrections, gateWindow: rc.gate.window });
        const registry = new SloRegistry(catalog, auth, store, logger, rc.alerting.csvPolicies, () => stores.burnRateImports.all());
        permissionsRegistry.addPermissions(reliabilityAllPermissions);
        // services hold the suite's default service permissions only, unless their access restrictions name more
        const permissions = new ServicePrincipalPermissions(backstagePermissions);

        const actions = new Map<string, RemediationAction>();
        for (const action of [webhookAction, featureFlagAction, createKubernetesAction(rc.remediation.clusters), ...extraActions]) {
          if (actions.has(action.id)) throw new Error(`Two remediation actions have the id '${action.id}'`);
          actions.set(action.id, action);
        }
        const metrics = new RemediationMetrics();
        // the owners hear of burns, escalations and aborts through Backstage's notifications (off: reliability.notifications.enabled: false)
        const notifier = new ReliabilityNotifier(rc.notificationsEnabled ? notifications : undefined, logger.child({ component: 'notifications' }));
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
          rules: buildRemediationRules(rc.remediation.rules, actions, redactor),
          actions,
          logger: logger.child({ component: 'remediation' }),
          redactor,
          auditor,
          metrics,
          holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
          breaker: rc.remediation.breaker,
          leaseGraceMs: rc.remediation.leaseGraceMs,
          onEscalated: ({ rule, detail }) => notifier.remediationEscalated({ entityRef: rule.entityRef, ruleId: rule.id, detail }),
          onSucceeded: async ({ rule, detail, at }) => {
            const kind = changeKindOf(rule);
            if (kind) await changes.recordRemediation({ entityRef: rule.entityRef, kind, ruleId: rule.id, summary: detail, at });
          },
          backoff: rc.remediation.backoff,
        });
        await scheduler.scheduleTask({
          id: 'reliability-remediation-dispatch',
          scope: 'local',
          frequency: { seconds: rc.remediation.dispatchIntervalSeconds },
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
          pendingMs: rc.alerting.pendingMs,
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
        await scheduler.scheduleTask({
          id: 'reliability-evaluate',
          scope: 'global',
          ...rc.evaluationSchedule,
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
          frequency: { seconds: rc.chaos.guardIntervalSeconds },
          timeout: { minutes: 1 },
          initialDelay: { seconds: 10 },
          fn: async () => {
            await guard.run();
          },
        });

        // synthetic journeys: the runner ticks with global scope (one replica at a time) and claims each due journey
        // and region before it runs it; old runs and evidence are pruned daily
        const syn = rc.synthetics;
        const syntheticRunner = new SyntheticRunner({
          allowedHosts: syn.allowedHosts,
          secrets: syn.secrets,
          redact: t => redactor.text(t),
          dnsServers: syn.dnsServers,
          perHostConcurrency: syn.perHostConcurrency,
          browser: syn.browser.enabled ? new PlaywrightBrowserSteps({ executablePath: syn.browser.executablePath, maxEvidenceBytes: syn.browser.maxEvidenceBytes }) : undefined,
        });
        const syntheticTask = new SyntheticTask({
          store: stores.synthetics,
          runner: syntheticRunner,
          registry,
          slos: store,
          logger: logger.child({ component: 'synthetics' }),
          concurrency: syn.concurrency,
          regions: syn.regions,
          minuteRetentionMs,
          metrics: new SyntheticMetrics(metrics.registry),
        });
        if (syn.enabled) {
          await scheduler.scheduleTask({
            id: 'reliability-synthetics-run',
            scope: 'global',
            frequency: { seconds: syn.intervalSeconds },
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
        await scheduler.scheduleTask({
          id: 'reliability-synthetics-prune',
          scope: 'global',
          frequency: { hours: 1 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 1 },
          fn: async () => {
            const pruned = await stores.synthetics.prune(Date.now() - syn.retentionMs, syn.evidenceRuns);
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
        const drills = new DrillService({ store: stores.drills, entities, maxAgeMs: rc.drills.maxAgeMs });
        const synthetics = new SyntheticService({ store: stores.synthetics, entities, allowedHosts: syn.allowedHosts, secretNames: Object.keys(syn.secrets), browserEnabled: syn.browser.enabled });
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
              appBaseUrl: rc.appBaseUrl,
              corrections: stores.corrections,
              gate: rc.gate,
              redactor,
            }),
            alerts: new AlertService({ alerts, registry, access }),
            alertmanager: new AlertmanagerService({ store: alertmanager, remediation, access }),
            alertmanagerSecret: rc.alertmanagerSecret,
            remediation,
            metrics,
            metricsToken: rc.metricsToken,
            runbooks,
            incidents: new IncidentService({ store: stores.incidents, access, runbooks }),
            chaosFiles: new ChaosFiles({ catalog, auth, urlReader, registry, policy: rc.chaos.policy, prometheus: Boolean(prometheus), redactor }),
            chaos: new ChaosService({ store: stores.chaos, registry, slos: store, access, entities, policy: rc.chaos.policy, prometheus: Boolean(prometheus), halt, engineStart, backendBaseUrl: rc.backendBaseUrl }),
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
              publishDir: rc.scaffolder.publishDir,
              locationRef: rc.scaffolder.locationRef,
            }),
            readiness: new ReadinessService({ entities, registry, stores, remediation }),
            overview: new OverviewService({ store, access, gateThreshold: rc.gate.threshold }),
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
