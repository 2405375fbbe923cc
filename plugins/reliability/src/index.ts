/**
 * Reliability frontend plugin: the Reliability tab, SLO cards and burn-rate charts.
 * New frontend system: the default export of `@reliability-suite/plugin-reliability/alpha`.
 * Legacy frontend system: the exports below.
 *
 * @packageDocumentation
 */
export {
  reliabilityPlugin,
  EntityReliabilityContent,
  EntityReliabilityCard,
  ReliabilityPage,
  HomePageReliabilityBudgets,
} from './plugin';
export {
  rootRouteRef,
  runbookRouteRef,
  incidentRouteRef,
  entityContentRouteRef,
} from './routes';
export { isReliabilityAvailable } from './conditions';
export { reliabilityApiRef, ReliabilityClient } from './api/ReliabilityApi';
export type {
  ReliabilityApi,
  EntityPath,
  RunbookVersionSummary,
} from './api/ReliabilityApi';
