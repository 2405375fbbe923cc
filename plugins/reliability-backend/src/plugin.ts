import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { reliabilityAllPermissions } from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from './catalog/CatalogAccess';
import { EntityAccess } from './catalog/entityAccess';
import { readReliabilityConfig } from './config/readReliabilityConfig';
import { setupHint } from './config/setupHint';
import { ReliabilityDatabase } from './wiring/ReliabilityDatabase';
import { ReliabilityEvents } from './events/ReliabilityEvents';
import { registerReliabilityExtensionPoints } from './extensions/extensionPoints';
import { createRouter } from './http/router';
import { ServicePrincipalPermissions } from './permissions/ServicePrincipalPermissions';
import { Redactor } from './redaction/Redactor';
import { SuiteContext } from './wiring/context';
import { createFeatures } from './wiring/features';

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
        notifications: notificationService,
        signals: signalsServiceRef,
      },
      async init({
        logger: rootLogger,
        config,
        database,
        scheduler,
        httpRouter,
        httpAuth,
        auditor,
        auth,
        permissions: backstagePermissions,
        permissionsRegistry,
        catalog,
        urlReader,
        notifications,
        signals,
      }) {
        const rc = readReliabilityConfig(config);
        // every line this plugin logs passes the one redaction step (config secrets, URL userinfo and queries)
        const redactor = Redactor.forConfig(rc.raw);
        const logger = redactor.logger(rootLogger);
        const stores = (
          await ReliabilityDatabase.create(await database.getClient(), {
            skipMigrations: database.migrations?.skip,
          })
        ).stores();
        permissionsRegistry.addPermissions(reliabilityAllPermissions);
        // services hold the suite's default service permissions only, unless their access restrictions name more
        const permissions = new ServicePrincipalPermissions(
          backstagePermissions,
        );
        const access = new CatalogAccess(catalog);
        const entities = new EntityAccess(access, permissions, auth);
        const ctx: SuiteContext = {
          config: rc,
          logger,
          redactor,
          stores,
          events: new ReliabilityEvents(),
          access,
          entities,
          catalog,
          auth,
          auditor,
          urlReader,
        };

        const features = await createFeatures(ctx, extensions, {
          notifications,
          signals,
        });
        for (const feature of features)
          for (const task of feature.tasks ?? []) await task.start(scheduler);
        httpRouter.use(
          await createRouter({
            httpAuth,
            auditor,
            permissions,
            access,
            redactor,
            features,
          }),
        );
        // the paths that authenticate on their own (the Alertmanager secret, the metrics token), and liveness
        for (const path of [
          '/health',
          ...features.flatMap(f => f.unauthenticated ?? []),
        ])
          httpRouter.addAuthPolicy({ path, allow: 'unauthenticated' });
        // an empty portal (no config, no SLO registered yet): one line on what to configure
        const hint = await setupHint(
          rc,
          async () => (await stores.slos.registry.registryRefs()).length,
        );
        if (hint) logger.info(hint);
      },
    });
  },
});
