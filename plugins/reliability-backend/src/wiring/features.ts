import { NotificationService } from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
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
import { createDeliveryFeature } from '../delivery';
import { createDrillFeature } from '../drills/feature';
import { connectProviders, reliabilityRecords } from '../extensions/records';
import { createImportFeature } from '../imports/feature';
import { createIncidentFeature } from '../incidents/feature';
import { createNotificationsFeature } from '../notifications/feature';
import { createOverviewFeature } from '../overview/feature';
import { createReadinessFeature } from '../readiness/feature';
import { createRemediationFeature } from '../remediation/feature';
import { createRunbookFeature } from '../runbooks/feature';
import { createSloFeature } from '../slos';
import { createSyntheticFeature } from '../synthetics/feature';

/**
 * Every feature of the suite, each wired by its own factory from the shared context and the ports of the features it
 * needs, in the order they subscribe to each other's events (remediation acts on an alert before anyone is told) and
 * register their routes. Then the modules that write reliability data are connected to the stores.
 */
export async function createFeatures(
  ctx: SuiteContext,
  extensions: ReliabilityExtensions,
  services: { notifications: NotificationService; signals: SignalsService },
): Promise<Feature[]> {
  const { stores, logger } = ctx;
  const { notifications, signals } = services;
  const slos = createSloFeature(ctx, extensions);
  const remediation = createRemediationFeature(ctx, extensions);
  const { notifier } = createNotificationsFeature(ctx, notifications);
  const runbooks = createRunbookFeature(ctx);
  const drills = createDrillFeature(ctx);
  const synthetics = createSyntheticFeature(ctx, {
    slos,
    metrics: remediation.metrics.registry,
  });
  const features: Feature[] = [
    slos,
    createAlertsFeature(ctx, { slos }),
    createAlertmanagerFeature(ctx, { remediation }),
    remediation,
    // after remediation: a fix is asked for before anyone is paged
    createDeliveryFeature(ctx, { slos }),
    runbooks,
    createCommanderFeature(ctx, { slos, runbooks: runbooks.runbooks, signals }),
    createIncidentFeature(ctx, { runbooks: runbooks.runbooks }),
    createChaosFeature(ctx, { slos }),
    drills,
    createCorrectionFeature(ctx, { slos }),
    createCapacityFeature(ctx, { slos }),
    createChangeFeature(ctx, { slos }),
    synthetics,
    createOverviewFeature(ctx),
    createImportFeature(ctx, {
      slos,
      drills: drills.drills,
      synthetics: synthetics.synthetics,
    }),
  ];
  // the readiness review asks every feature for its part of the facts
  features.splice(
    features.length - 2,
    0,
    createReadinessFeature(ctx, { features: [...features], notifier }),
  );
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
  return features;
}
