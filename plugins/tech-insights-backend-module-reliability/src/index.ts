/**
 * Tech Insights module of the reliability suite: a fact retriever for readiness, SLO compliance and budget, freeze
 * state, and the last drill, load test and chaos run, and JSON rules engine checks for the readiness checklist.
 *
 * @packageDocumentation
 */
export { techInsightsModuleReliability as default } from './module';
export { techInsightsModuleReliabilityChecks } from './module';
export {
  createReliabilityFactRetriever,
  type ReliabilityFactRetrieverOptions,
} from './retriever';
export {
  RELIABILITY_FACT_RETRIEVER_ID,
  readinessFactName,
  reliabilityFactSchema,
  reliabilityFacts,
  type ReliabilityEntityData,
  type ReliabilityFacts,
} from './facts';
export { reliabilityChecks } from './checks';
