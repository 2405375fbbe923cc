/**
 * The SLO folder's front door: what other features may use of SLOs (the registry of the catalog's SLOs, the
 * evaluator's reads, the store of counts and statuses, and the feature's factory). Nothing else of slos/ is imported
 * from outside it (a lint rule keeps it so).
 */
export { createSloFeature } from './feature';
export type { SloFeature } from './feature';
export { SloRegistry } from './SloRegistry';
export type { RegisteredSlo } from './SloRegistry';
export { Evaluator } from './Evaluator';
export { ReliabilityStore } from './ReliabilityStore';
