import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { reliabilityAllPermissions } from '@reliability-suite/plugin-reliability-common';
import { setupHint } from './config/setupHint';
import { registerReliabilityExtensionPoints } from './extensions/extensionPoints';
import { createGuards } from './http/guards';
import { createRouter } from './http/router';
import { createFeatures } from './wiring/features';
import { createSuiteContext } from './wiring/createSuiteContext';
import { outageAwareScheduler } from './wiring/outageAwareScheduler';

/**
 * The reliability backend plugin. It only composes: config is read once, each feature folder wires itself (its
 * routes, its scheduled tasks, the events it publishes and subscribes to), and the router serves their routes.
 * @public
 */
export const reliabilityPlugin = createBackendPlugin({
  pluginId: 'reliability',
  register(env) {
    const extensions = registerReliabilityExtensionPoints(env);
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
        lifecycle: coreServices.lifecycle,
        notifications: notificationService,
        signals: signalsServiceRef,
        events: eventsServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init({
        scheduler,
        httpRouter,
        httpAuth,
        permissionsRegistry,
        notifications,
        signals,
        events,
        actionsRegistry,
        lifecycle,
        ...services
      }) {
        permissionsRegistry.addPermissions(reliabilityAllPermissions);
        const { ctx, permissions, reachable } = await createSuiteContext(
          services,
        );
        const features = await createFeatures(ctx, extensions, {
          notifications,
          signals,
          events,
          rootConfig: services.config,
          // the suite's actions for AI agents, behind the guards the routes use
          actions: {
            registry: actionsRegistry,
            guards: createGuards({
              httpAuth,
              permissions,
              auditor: ctx.auditor,
              access: ctx.access,
            }),
          },
        });
        // each run of a task that ends during a database outage waits for the database, so that the scheduler can
        // release it and the next run (the evaluation tick) is not held back by a stale claim
        const tasks = outageAwareScheduler(scheduler, reachable, ctx.logger);
        for (const feature of features)
          for (const task of feature.tasks ?? []) await task.start(tasks);
        // on shutdown each feature gives back what this replica holds (the evaluation shards' leases)
        lifecycle.addShutdownHook(async () => {
          for (const feature of features) {
            try {
              await feature.shutdown?.();
            } catch (e) {
              ctx.logger.warn(
                `Reliability shutdown step failed: ${(e as Error).message}`,
              );
            }
          }
        });
        httpRouter.use(
          await createRouter({
            httpAuth,
            auditor: ctx.auditor,
            permissions,
            access: ctx.access,
            redactor: ctx.redactor,
            features,
          }),
        );
        // the paths that authenticate on their own (the Alertmanager secret, the metrics token), liveness and the contract
        for (const path of [
          '/health',
          '/openapi.json',
          ...features.flatMap(f => f.unauthenticated ?? []),
        ])
          httpRouter.addAuthPolicy({ path, allow: 'unauthenticated' });
        // an empty portal (no config, no SLO registered yet): one line on what to configure
        const hint = await setupHint(
          ctx.config,
          async () => (await ctx.stores.slos.registry.registryRefs()).length,
        );
        if (hint) ctx.logger.info(hint);
      },
    });
  },
});
