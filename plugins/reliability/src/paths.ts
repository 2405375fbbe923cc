import { parseEntityRef } from '@backstage/catalog-model';
import { useRouteRef } from '@backstage/core-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { incidentRouteRef, runbookRouteRef } from './routes';

/**
 * Where the scaffolder serves the suite's "New SLO" template (catalog/templates/new-slo, at the scaffolder's default
 * `/create`); the pages take another path as their `newSloTemplate` prop.
 */
export const DEFAULT_NEW_SLO_TEMPLATE = '/create/templates/default/new-slo';

const parts = (entityRef: string) => {
  const { kind, namespace, name } = parseEntityRef(entityRef, {
    defaultKind: 'component',
    defaultNamespace: 'default',
  });
  return { kind: kind.toLocaleLowerCase('en-US'), namespace, name };
};

/** How the frontend links to its pages. */
export interface ReliabilityLinks {
  /** The runbook page of an entity, at a section when given. */
  runbook(entityRef: string, section?: string | null): string;
  /** An incident's page. */
  incident(id: number): string;
  /** An entity's Reliability tab in the catalog. */
  entityReliability(entityRef: string): string;
}

/**
 * The frontend's one place for links, resolved through route refs wherever the app mounts the pages: the runbook
 * and incident pages under the plugin's root, the entity page through the catalog's `entityRouteRef`. The backend
 * answers entity refs and section ids, never paths.
 */
export function useReliabilityLinks(): ReliabilityLinks {
  const runbook = useRouteRef(runbookRouteRef);
  const incident = useRouteRef(incidentRouteRef);
  const entity = useRouteRef(entityRouteRef);
  return {
    runbook: (entityRef, section) =>
      `${runbook(parts(entityRef))}${section ? `#${section}` : ''}`,
    incident: id => incident({ id: String(id) }),
    entityReliability: entityRef => `${entity(parts(entityRef))}/reliability`,
  };
}
