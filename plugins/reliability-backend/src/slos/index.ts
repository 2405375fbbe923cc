/**
 * The SLO folder's front door: what other features may use of SLOs (the registry of the catalog's SLOs, the
 * evaluator's reads, the feature's factory, and the SLO stores: their factory for the composition, and the interfaces
 * other features read statuses and write counts by). Nothing else of slos/ is imported from outside it (a lint rule
 * keeps it so).
 */
export { createSloFeature } from './feature';
export type { SloFeature, SloFeatureStores } from './feature';
export type { ActiveCondition, SloAlertStates } from './EvaluationTask';
export type { RemediationCoverage } from './FastCheck';
export { SloRegistry } from './SloRegistry';
export type { RegisteredSlo } from './SloRegistry';
export type { SloReads } from './SloReads';
export { createSloStores } from './stores';
export type {
  SloStores,
  SloStatusReader,
  SloOverviewReader,
  SliPeakRate,
  SliCountWriter,
  SliceTallyWriter,
} from './stores';
