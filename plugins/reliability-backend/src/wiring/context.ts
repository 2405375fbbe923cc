import {
  AuditorService,
  AuthService,
  LoggerService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { EntityAccess } from '../catalog/entityAccess';
import { ReliabilityConfig } from '../config/readReliabilityConfig';
import type { ReliabilityStores } from './ReliabilityDatabase';
import { ReliabilityEvents } from '../events/ReliabilityEvents';
import { Redactor } from '../redaction/Redactor';

/** What every feature factory is given: the config, the shared services, the stores and the event port. */
export interface SuiteContext {
  config: ReliabilityConfig;
  /** The plugin's logger: every line passes the redaction step. */
  logger: LoggerService;
  redactor: Redactor;
  stores: ReliabilityStores;
  events: ReliabilityEvents;
  access: CatalogAccess;
  entities: EntityAccess;
  catalog: CatalogService;
  auth: AuthService;
  auditor: AuditorService;
  urlReader: UrlReaderService;
}
