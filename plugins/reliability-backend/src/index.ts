/**
 * The reliability backend plugin: SLO evaluation, error budgets, burn rates and the REST API.
 *
 * @packageDocumentation
 */
export { reliabilityPlugin as default } from './plugin';
export { ReliabilityStore } from './slos/ReliabilityStore';
export { ReliabilityDatabase } from './database/ReliabilityDatabase';
