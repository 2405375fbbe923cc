import {
  AuditorService,
  AuthService,
  DatabaseService,
  LoggerService,
  PermissionsService,
  RootConfigService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { EntityAccess } from '../catalog/entityAccess';
import { readReliabilityConfig } from '../config/readReliabilityConfig';
import { ReliabilityEvents } from '../events/ReliabilityEvents';
import { ServicePrincipalPermissions } from '../permissions/ServicePrincipalPermissions';
import { Redactor } from '../redaction/Redactor';
import { SuiteContext } from './context';
import { ReliabilityDatabase } from './ReliabilityDatabase';

/** What the plugin's init receives from Backstage and hands to the suite. */
export interface SuiteServices {
  logger: LoggerService;
  config: RootConfigService;
  database: DatabaseService;
  auditor: AuditorService;
  auth: AuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  urlReader: UrlReaderService;
}

/**
 * Builds the context every feature factory receives: the config read once, the one redacting logger, the
 * migrated stores, the events port and the entity access. Also returns the permission and catalog facades the
 * router guards with.
 */
export async function createSuiteContext(services: SuiteServices): Promise<{
  ctx: SuiteContext;
  permissions: ServicePrincipalPermissions;
  /** Whether the suite's database answers now. */
  reachable: () => Promise<boolean>;
}> {
  const rc = readReliabilityConfig(services.config);
  // every line this plugin logs passes the one redaction step (config secrets, URL userinfo and queries)
  const redactor = Redactor.forConfig(rc.raw);
  const logger = redactor.logger(services.logger);
  const database = await ReliabilityDatabase.create(
    await services.database.getClient(),
    { skipMigrations: services.database.migrations?.skip },
  );
  const stores = database.stores();
  // services hold the suite's default service permissions only, unless their access restrictions name more
  const permissions = new ServicePrincipalPermissions(services.permissions);
  const access = new CatalogAccess(services.catalog);
  const entities = new EntityAccess(access, permissions, services.auth);
  const ctx: SuiteContext = {
    config: rc,
    logger,
    redactor,
    stores,
    events: new ReliabilityEvents(),
    access,
    entities,
    catalog: services.catalog,
    auth: services.auth,
    auditor: services.auditor,
    urlReader: services.urlReader,
  };
  return { ctx, permissions, reachable: () => database.reachable() };
}
