import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  reliabilityEvaluationHooksExtensionPoint,
  reliabilityRecordsExtensionPoint,
  reliabilityRemediationActionsExtensionPoint,
} from '@reliability-suite/plugin-reliability-node';
import { DemoData } from './DemoData';
import { importDemoDrillLogs } from './drills';
import { importDemoCapacityRuns } from './capacity';
import { importDemoChanges } from './changes';
import { importDemoSynthetics } from './synthetics';
import { DemoShop } from './shop';
import { demoPspFaultAction } from './chaos';

/**
 * The reliability suite's demo (`reliability.demo.enabled: true`; otherwise it does nothing): 30 days of demo
 * traffic for the demo SLOs and a new minute on every evaluation tick, the demo's drill logs, load tests, changes
 * and synthetic journeys with a past, and the demo shop on loopback that the journeys call and Prometheus scrapes.
 * Its chaos action `demo-psp-fault` (registered even when the demo is off, so rules naming it always load) makes the
 * shop's payment provider slow and failing for the brownout experiment.
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
        actions: reliabilityRemediationActionsExtensionPoint,
      },
      async init({
        config,
        logger,
        scheduler,
        lifecycle,
        evaluation,
        records,
        actions,
      }) {
        // the brownout experiment's engine: the demo's rules call it on the chaos alerts (app-config.yaml)
        let shop: DemoShop | undefined;
        actions.addAction(demoPspFaultAction(() => shop));
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
          const demoShop = new DemoShop({
            otp:
              cfg.getOptionalString('synthetics.secrets.DEMO_OTP') ?? '424242',
            shoppersPerSecond: cfg.getOptionalNumber(
              'demo.shop.shoppersPerSecond',
            ),
          });
          try {
            const port = await demoShop.start(cfg.getNumber('demo.shop.port'));
            shop = demoShop;
            logger.info(
              `Demo shop on http://127.0.0.1:${port} (metrics on /metrics; its payment provider on :${demoShop.psp.port})`,
            );
            lifecycle.addShutdownHook(() => demoShop.stop());
          } catch (e) {
            logger.warn(`Demo shop not started: ${(e as Error).message}`);
          }
        }
      },
    });
  },
});
