/**
 * Scaffolder actions of the reliability suite.
 *
 * @packageDocumentation
 */
export { scaffolderModuleReliability as default } from './module';
export { createSloAction } from './slos/createSloAction';
export { createRunbookAction } from './runbooks/createRunbookAction';
export { createChaosAction } from './chaos/createChaosAction';
export { createChaosDraftAction } from './chaos/createChaosDraftAction';
export { publishLocalAction } from './publish/publishLocalAction';
