import type { SloDefinition } from '../openslo/definition';

/**
 * `metricSource.type` of an SLI fed by a synthetic journey (compared without case): `spec.journey` names the
 * journey of the SLO's component, `spec.region` optionally one region. Good = success within the deadline.
 * @public
 */
export const SYNTHETIC_SOURCE_TYPE = 'synthetic';

/** The journey (and optional region) a Synthetic SLI counts: `metricSource.spec.journey` / `.region`. @public */
export function syntheticSliOf(
  def: SloDefinition,
): { journey: string; region?: string } | undefined {
  if (
    (def.indicator.sourceType ?? '').toLocaleLowerCase('en-US') !==
    SYNTHETIC_SOURCE_TYPE
  )
    return undefined;
  const spec = (def.indicator.total.spec ?? {}) as Record<string, unknown>;
  if (typeof spec.journey !== 'string') return undefined;
  return {
    journey: spec.journey,
    region: typeof spec.region === 'string' ? spec.region : undefined,
  };
}
