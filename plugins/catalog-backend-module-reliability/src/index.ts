/**
 * Catalog backend module that accepts OpenSLO v1 SLO documents as catalog entities, and reads OpenSLO v1alpha and
 * v2alpha, Sloth and Pyrra documents as OpenSLO v1 entities.
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
export { SloFormatsEntityProcessor } from './SloFormatsEntityProcessor';
export {
  ANNOTATION_SLOTH_SPEC_FILE,
  ANNOTATION_SOURCE_FORMAT,
} from './annotations';
