/**
 * The reliability backend plugin: SLO evaluation, error budgets, burn rates and the REST API. Its stores are its own:
 * other plugins extend it through the extension points of `@reliability-suite/plugin-reliability-node`.
 *
 * @packageDocumentation
 */
export { reliabilityPlugin as default } from './plugin';
export { reliabilityEventsModule } from './alertmanager/module';
