import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

/** The reliability pages' root (the incident commander), mounted by the app (`/reliability` by default). @public */
export const rootRouteRef = createRouteRef({ id: 'reliability' });

/** An entity's runbook page. @public */
export const runbookRouteRef = createSubRouteRef({
  id: 'reliability-runbook',
  parent: rootRouteRef,
  path: '/runbooks/:kind/:namespace/:name',
});

/** An incident's page. @public */
export const incidentRouteRef = createSubRouteRef({
  id: 'reliability-incident',
  parent: rootRouteRef,
  path: '/incidents/:id',
});

/** Legacy frontend system: where `EntityReliabilityContent` is mounted inside the entity page. @public */
export const entityContentRouteRef = createRouteRef({
  id: 'reliability-entity-content',
});
