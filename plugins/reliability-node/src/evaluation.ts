import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import type { ReliabilityCounts } from './records';

/** What a hook gets on one evaluation tick. @public */
export interface ReliabilityEvaluationContext {
  /** Every SLO registered from the catalog: the ones this tick evaluates. */
  slos: readonly SloDefinition[];
  /** The tick's time (ms). */
  now: number;
  /** The stored counts: what a hook writes here counts in this tick. */
  counts: ReliabilityCounts;
}

/**
 * Work that runs on every evaluation tick (scheduled with global scope: one replica at a time), for example pulling
 * the counts of Ingest SLOs from a system that cannot push them.
 * @public
 */
export interface ReliabilityEvaluationHook {
  /** Names the hook in logs. */
  readonly id: string;
  /**
   * Runs after the SLO registry is brought up to date from the catalog and before the SLOs are evaluated. A hook
   * that throws is logged, and the tick evaluates anyway.
   */
  beforeEvaluation(context: ReliabilityEvaluationContext): Promise<void>;
}

/** @public */
export interface ReliabilityEvaluationHooksExtensionPoint {
  addHook(hook: ReliabilityEvaluationHook): void;
}

/** @public */
export const reliabilityEvaluationHooksExtensionPoint =
  createExtensionPoint<ReliabilityEvaluationHooksExtensionPoint>({
    id: 'reliability.evaluation-hooks',
  });
