/**
 * Scaffolder actions of the reliability suite.
 *
 * @packageDocumentation
 */
export { scaffolderModuleReliability as default } from './module';
export { createSloAction } from './slos/createSloAction';
export { createRunbookAction } from './runbooks/createRunbookAction';
export { createChaosAction } from './chaos/createChaosAction';
export { publishLocalAction } from './publish/publishLocalAction';
