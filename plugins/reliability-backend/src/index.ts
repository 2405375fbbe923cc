/**
 * The reliability backend plugin: SLO evaluation, error budgets, burn rates and the REST API. Its stores are its own:
 * other plugins extend it through @reliability-suite/plugin-reliability-node's extension points.
 *
 * @packageDocumentation
 */
export { reliabilityPlugin as default } from './plugin';
