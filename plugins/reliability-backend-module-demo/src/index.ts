/**
 * The reliability suite's demo, a backend module of the reliability plugin: demo traffic, drills, load tests,
 * changes and synthetic journeys, and the demo shop. Add it to a portal that shows the demo only.
 *
 * @packageDocumentation
 */
export { reliabilityModuleDemo as default } from './module';
