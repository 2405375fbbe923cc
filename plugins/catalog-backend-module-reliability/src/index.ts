/**
 * Catalog backend module that accepts OpenSLO v1 SLO documents as catalog entities.
 *
 * @packageDocumentation
 */
export { catalogModuleReliability as default } from './module';
export { OpenSloEntityProcessor } from './OpenSloEntityProcessor';
export type {
  OwnerLookup,
  EntityLookup,
  OpenSloEntityProcessorOptions,
} from './OpenSloEntityProcessor';
export { reliabilityEntityDataParser } from './entityDataParser';
export { SlothEntityProcessor } from './SlothEntityProcessor';
