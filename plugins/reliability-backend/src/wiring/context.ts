import type { FeatureContext } from '../http/feature';
import type { ReliabilityStores } from './ReliabilityDatabase';

/** The context the plugin builds once and gives every feature factory: every store of the suite. */
export type SuiteContext = FeatureContext<ReliabilityStores>;
