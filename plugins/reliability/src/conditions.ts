import type { Entity } from '@backstage/catalog-model';

/** The Reliability tab applies to components and to SLO entities themselves. @public */
export function isReliabilityAvailable(entity: Entity): boolean {
  const kind = entity.kind.toLocaleLowerCase('en-US');
  return kind === 'component' || kind === 'slo';
}
