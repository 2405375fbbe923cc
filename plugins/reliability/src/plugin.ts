import { createApiFactory, createComponentExtension, createPlugin, createRoutableExtension, createRouteRef, discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { ReliabilityClient, reliabilityApiRef } from './api/ReliabilityApi';

/** @public */
export const rootRouteRef = createRouteRef({ id: 'reliability' });

/** The plugin for apps on the legacy frontend system. @public */
export const reliabilityPlugin = createPlugin({
  id: 'reliability',
  apis: [
    createApiFactory({
      api: reliabilityApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new ReliabilityClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef },
});

/** Legacy: the Reliability tab content, for `<EntityLayout.Route path="/reliability">`. @public */
export const EntityReliabilityContent = reliabilityPlugin.provide(
  createRoutableExtension({
    name: 'EntityReliabilityContent',
    component: () => import('./components/EntityReliabilityContent/EntityReliabilityContent').then(m => m.EntityReliabilityContent),
    mountPoint: rootRouteRef,
  }),
);

/** Legacy: the overview card. @public */
export const EntityReliabilityCard = reliabilityPlugin.provide(
  createComponentExtension({
    name: 'EntityReliabilityCard',
    component: { lazy: () => import('./components/EntityReliabilityCard/EntityReliabilityCard').then(m => m.EntityReliabilityCard) },
  }),
);
