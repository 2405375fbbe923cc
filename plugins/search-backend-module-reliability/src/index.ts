/**
 * Search backend module of the reliability suite: SLOs (with status and budget), runbook sections and incidents in
 * Backstage search, each document visible to who may read its entity in the catalog.
 *
 * @packageDocumentation
 */
export { searchModuleReliabilityCollators as default } from './module';
export { ReliabilityApi } from './http/ReliabilityApi';
export type { ReliabilityApiOptions } from './http/ReliabilityApi';
export {
  SloCollatorFactory,
  RELIABILITY_SLO_DOCUMENT_TYPE,
} from './slos/SloCollatorFactory';
export type { ReliabilitySloDocument } from './slos/SloCollatorFactory';
export {
  RunbookCollatorFactory,
  RELIABILITY_RUNBOOK_DOCUMENT_TYPE,
} from './runbooks/RunbookCollatorFactory';
export type {
  ReliabilityRunbookDocument,
  RunbookEntitySource,
} from './runbooks/RunbookCollatorFactory';
export {
  IncidentCollatorFactory,
  RELIABILITY_INCIDENT_DOCUMENT_TYPE,
} from './incidents/IncidentCollatorFactory';
export type { ReliabilityIncidentDocument } from './incidents/IncidentCollatorFactory';
