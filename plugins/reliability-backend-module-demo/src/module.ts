import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  reliabilityEvaluationHooksExtensionPoint,
  reliabilityRecordsExtensionPoint,
} from '@reliability-suite/plugin-reliability-node';
import { DemoData } from './DemoData';
import { importDemoDrillLogs } from './drills';
import { importDemoCapacityRuns } from './capacity';
import { importDemoChanges } from './changes';
import { importDemoSynthetics } from './synthetics';
import { DemoShop } from './shop';

/**
 * The reliability suite's demo (`reliability.demo.enabled: true`; otherwise it does nothing): 30 days of demo
 * traffic for the demo SLOs and a new minute on every evaluation tick, the demo's drill logs, load tests, changes
 * and synthetic journeys with a past, and the demo shop on loopback that the journeys call and Prometheus scrapes.
 * @public
 */
export const reliabilityModuleDemo = createBackendModule({
  pluginId: 'reliability',
  moduleId: 'demo',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        evaluation: reliabilityEvaluationHooksExtensionPoint,
        records: reliabilityRecordsExtensionPoint,
      },
      async init({
        config,
        logger,
        scheduler,
        lifecycle,
        evaluation,
        records,
      }) {
        const cfg = config.getOptionalConfig('reliability');
        if (!(cfg?.getOptionalBoolean('demo.enabled') ?? false)) return;

        // the demo SLOs' traffic, written before each tick evaluates them
        evaluation.addHook(
          new DemoData(logger, {
            days: cfg?.getOptionalNumber('demo.days') ?? 30,
          }),
        );

        records.addProvider({
          id: 'demo',
          async connect(r) {
            await importDemoDrillLogs(cfg, r.drills, logger);
            await importDemoCapacityRuns(cfg, r.capacity, logger);
            await importDemoChanges(r.changes, logger);
            if (!cfg?.has('demo.synthetics')) return;
            // the journeys' past counts for their SLOs: a few ticks of waiting until the catalog's SLOs are registered
            let state: 'done' | 'waiting' = 'waiting';
            let attempts = 0;
            await scheduler.scheduleTask({
              id: 'reliability-demo-synthetics',
              scope: 'global',
              frequency: { seconds: 20 },
              timeout: { minutes: 5 },
              initialDelay: { seconds: 10 },
              fn: async () => {
                if (state === 'done') return;
                attempts++;
                state = await importDemoSynthetics(
                  cfg,
                  { records: r, logger },
                  { waitForSlos: attempts < 6 },
                );
              },
            });
          },
        });

        if (cfg?.has('demo.shop.port')) {
          // the demo's shop on loopback: the journeys' target, and the metrics the demo Prometheus scrapes
          const shop = new DemoShop({
            otp:
              cfg.getOptionalString('synthetics.secrets.DEMO_OTP') ?? '424242',
            shoppersPerSecond: cfg.getOptionalNumber(
              'demo.shop.shoppersPerSecond',
            ),
          });
          try {
            const port = await shop.start(cfg.getNumber('demo.shop.port'));
            logger.info(
              `Demo shop on http://127.0.0.1:${port} (metrics on /metrics)`,
            );
            lifecycle.addShutdownHook(() => shop.stop());
          } catch (e) {
            logger.warn(`Demo shop not started: ${(e as Error).message}`);
          }
        }
      },
    });
  },
});
