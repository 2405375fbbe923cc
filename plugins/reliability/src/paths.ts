import { createContext, useContext } from 'react';
import { parseEntityRef } from '@backstage/catalog-model';
import { useRouteRef } from '@backstage/core-plugin-api';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  ReliabilityTabRoute,
  reliabilityTabPath,
} from '@reliability-suite/plugin-reliability-common';
import { incidentRouteRef, runbookRouteRef } from './routes';

export {
  RELIABILITY_TAB_ROUTES,
  reliabilityTabPath,
} from '@reliability-suite/plugin-reliability-common';
export type { ReliabilityTabRoute } from '@reliability-suite/plugin-reliability-common';

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
  /** An entity's Reliability tab in the catalog, at one of its sub-routes when given (`slo` needs the SLO's name). */
  entityReliability(
    entityRef: string,
    route?: ReliabilityTabRoute,
    sloName?: string,
  ): string;
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
    entityReliability: (entityRef, route = 'overview', sloName) => {
      const sub = reliabilityTabPath(route, sloName);
      return `${entity(parts(entityRef))}/reliability${sub ? `/${sub}` : ''}`;
    },
  };
}

/** Joins a sub-route of the Reliability tab to the tab's own path. */
export function joinTabPath(base: string, sub: string): string {
  const root = base.replace(/\/+$/, '');
  return sub ? `${root}/${sub}` : root || '/';
}

/**
 * The path of the Reliability tab the components are drawn in (`/catalog/default/component/checkout/reliability`),
 * set by the tab; absent outside it.
 */
export const ReliabilityTabContext = createContext<string | undefined>(
  undefined,
);

/**
 * Links to the sub-routes of the Reliability tab the component is drawn in: `tab('chaos')`, `tab('slo', name)`.
 * Undefined outside the tab.
 */
export function useReliabilityTabLink():
  | ((route: ReliabilityTabRoute, sloName?: string) => string)
  | undefined {
  const base = useContext(ReliabilityTabContext);
  if (base === undefined) return undefined;
  return (route, sloName) =>
    joinTabPath(base, reliabilityTabPath(route, sloName));
}
