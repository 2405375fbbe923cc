import { RootConfigService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import type { EventsService } from '@backstage/plugin-events-node';
import type { Feature } from '../http/feature';
import type { ReliabilityExtensions } from '../extensions/extensionPoints';
import { SuiteContext } from './context';
import { createAlertmanagerFeature } from '../alertmanager/feature';
import { createAlertsFeature } from '../alerts/feature';
import { createCapacityFeature } from '../capacity/feature';
import { createChangeFeature } from '../changes/feature';
import { createChaosFeature } from '../chaos/feature';
import { createCommanderFeature } from '../commander/feature';
import { createCorrectionFeature } from '../corrections/feature';
import { createGateFeature } from '../gates/feature';
import { createDeliveryFeature } from '../delivery';
import { createDrillFeature } from '../drills/feature';
import { connectProviders, reliabilityRecords } from '../extensions/records';
import { createIdempotencyFeature } from '../idempotency/feature';
import { createImportFeature } from '../imports/feature';
import { createIncidentFeature } from '../incidents/feature';
import { createNotificationsFeature } from '../notifications/feature';
import { createOverviewFeature } from '../overview/feature';
import { createReadinessFeature } from '../readiness/feature';
import { createRemediationFeature } from '../remediation/feature';
import { createRunbookFeature } from '../runbooks/feature';
import { createSelfHealing } from '../remediation/selfHealing';
import {
  createSecretHygieneFeature,
  deliveryAuthFailed,
  remediationAuthFailed,
} from '../secrets/feature';
import { createSloFeature } from '../slos';
import { createSyntheticFeature } from '../synthetics/feature';
import { createWebhooksFeature } from '../webhooks/feature';
import { registerReliabilityActions } from '../actions';
import type { Guards } from '../http/guards';
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';

/**
 * Every feature of the suite, each wired by its own factory from the shared context and the ports of the features it
 * needs, in the order they subscribe to each other's events (remediation acts on an alert before anyone is told) and
 * register their routes. Then the modules that write reliability data are connected to the stores.
 */
export async function createFeatures(
  ctx: SuiteContext,
  extensions: ReliabilityExtensions,
  services: {
    notifications: NotificationService;
    signals: SignalsService;
    /** The events service: the Alertmanager receiver subscribes to its topic (alertmanager/events.ts). */
    events?: EventsService;
    /** The root config as Backstage serves it: delivery and secret hygiene follow its changes (subscribe). */
    rootConfig: RootConfigService;
    /** The Actions Registry and the REST guards: the suite's actions for AI agents (actions/) are registered with it. */
    actions?: { registry: ActionsRegistryService; guards: Guards };
  },
): Promise<Feature[]> {
  const { stores, logger } = ctx;
  const { notifications, signals } = services;
  // remediation first: the fast check (slos) asks self-healing which SLOs remediation covers
  // secret hygiene is built after remediation (it reads remediation's metrics), so its port is bound late
  const late: { authFailed?: ReturnType<typeof remediationAuthFailed> } = {};
  const remediation = createRemediationFeature(ctx, extensions, {
    authFailed: async e => late.authFailed?.(e),
  });
  const selfHealing = createSelfHealing({
    engine: remediation.engine,
    slos: { byRef: ref => stores.slos.registry.getSlo(ref) },
    executions: stores.remediation,
    alerts: stores.alerts,
    metrics: remediation.metrics.registry,
    graceMs: ctx.config.remediation.selfHealing.graceMs,
    redactor: ctx.redactor,
    logger: logger.child({ component: 'self-healing' }),
  });
  const slos = createSloFeature(ctx, extensions, { remediation: selfHealing });
  const secrets = createSecretHygieneFeature(ctx, {
    rootConfig: services.rootConfig,
    notifications,
    metrics: remediation.metrics.registry,
  });
  late.authFailed = remediationAuthFailed(
    secrets.secrets,
    ctx.config.remediation.clusters,
  );
  const { notifier } = createNotificationsFeature(ctx, notifications);
  const runbooks = createRunbookFeature(ctx);
  const drills = createDrillFeature(ctx);
  const synthetics = createSyntheticFeature(ctx, {
    slos,
    metrics: remediation.metrics.registry,
  });
  // after remediation: a fix is asked for before anyone is paged
  const delivery = createDeliveryFeature(ctx, {
    slos,
    rootConfig: services.rootConfig,
    selfHealing,
    authFailed: deliveryAuthFailed(secrets.secrets),
  });
  const features: Feature[] = [
    // first: its routes stand in front of the ingest routes they make idempotent
    createIdempotencyFeature(ctx),
    slos,
    createAlertsFeature(ctx, { slos }),
    await createAlertmanagerFeature(ctx, {
      remediation,
      events: services.events,
    }),
    createWebhooksFeature(ctx, { remediation }),
    remediation,
    delivery,
    secrets,
    runbooks,
  ];
  const commander = createCommanderFeature(ctx, {
    slos,
    runbooks: runbooks.runbooks,
    signals,
  });
  features.push(commander);
  const incidents = createIncidentFeature(ctx, {
    runbooks: runbooks.runbooks,
    notices: notifier,
    // an incident's roles are paged through delivery's routing of its entity
    pager: delivery.incidentPager,
  });
  features.push(incidents);
  const chaos = createChaosFeature(ctx, {
    slos,
    notices: notifier,
    regions: synthetics.regionMonitor,
  });
  features.push(chaos, drills);
  const corrections = createCorrectionFeature(ctx, { slos });
  features.push(corrections, createCapacityFeature(ctx, { slos }));
  const gates = createGateFeature(ctx, { slos });
  features.push(gates);
  const changes = createChangeFeature(ctx, { slos });
  features.push(
    changes,
    synthetics,
    createOverviewFeature(ctx),
    createImportFeature(ctx, {
      slos,
      drills: drills.drills,
      synthetics: synthetics.synthetics,
    }),
  );
  // the readiness review asks every feature for its part of the facts
  const readiness = createReadinessFeature(ctx, {
    features: [...features],
    notifier,
  });
  features.splice(features.length - 2, 0, readiness);
  // the modules that write reliability data (reliability-node's records extension point), once the stores are ready
  const records = reliabilityRecords({
    counts: slos.counts,
    registry: slos.registry,
    drills: stores.drills,
    capacity: stores.capacity,
    changes: stores.changes,
    synthetics: stores.synthetics,
    syntheticTask: synthetics.task,
  });
  await connectProviders(extensions.recordsProviders, records, logger);
  // the actions for AI agents: the same services, behind the same guards, as the routes
  if (services.actions)
    registerReliabilityActions(services.actions.registry, {
      guards: services.actions.guards,
      auth: ctx.auth,
      ports: {
        slos: slos.slos,
        registry: slos.registry,
        alerts: stores.alerts,
        commander: commander.commander,
        runbooks: runbooks.runbooks,
        incidents: incidents.incidents,
        remediation: remediation.engine,
        chaos: chaos.chaos,
        changes: changes.changes,
        corrections: corrections.corrections,
        readiness: readiness.readiness,
        gates: gates.gates,
      },
    });
  return features;
}
