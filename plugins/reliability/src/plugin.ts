import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import {
  createCardExtension,
  type CardExtensionProps,
} from '@backstage/plugin-home-react';
import { ReliabilityClient, reliabilityApiRef } from './api/ReliabilityApi';
import {
  entityContentRouteRef,
  incidentRouteRef,
  rootRouteRef,
  runbookRouteRef,
} from './routes';

/** The plugin for apps on the legacy frontend system. @public */
export const reliabilityPlugin = createPlugin({
  id: 'reliability',
  apis: [
    createApiFactory({
      api: reliabilityApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ReliabilityClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    root: rootRouteRef,
    runbook: runbookRouteRef,
    incident: incidentRouteRef,
    entityContent: entityContentRouteRef,
  },
});

/** Legacy: the incident commander's page, with the runbook and incident pages under it (`<Route path="/reliability">`). @public */
export const ReliabilityPage: (props?: {
  newSloTemplate?: string;
}) => JSX.Element = reliabilityPlugin.provide(
  createRoutableExtension({
    name: 'ReliabilityPage',
    component: () =>
      import('./components/ReliabilityPage').then(m => m.ReliabilityPage),
    mountPoint: rootRouteRef,
  }),
);

/** Legacy: the Reliability tab content, for `<EntityLayout.Route path="/reliability">`. @public */
export const EntityReliabilityContent: (props?: {
  newSloTemplate?: string;
}) => JSX.Element = reliabilityPlugin.provide(
  createRoutableExtension({
    name: 'EntityReliabilityContent',
    component: () =>
      import(
        './components/EntityReliabilityContent/EntityReliabilityContent'
      ).then(m => m.EntityReliabilityContent),
    mountPoint: entityContentRouteRef,
  }),
);

/** Legacy: the overview card. @public */
export const EntityReliabilityCard: () => JSX.Element =
  reliabilityPlugin.provide(
    createComponentExtension({
      name: 'EntityReliabilityCard',
      component: {
        lazy: () =>
          import(
            './components/EntityReliabilityCard/EntityReliabilityCard'
          ).then(m => m.EntityReliabilityCard),
      },
    }),
  );

/**
 * Legacy: the home page card "Budgets of what I own" (the SLOs of the services the signed-in user's groups own,
 * least budget left first), for a `HomepageCompositionRoot` or a `CustomHomepageGrid`.
 * @public
 */
export const HomePageReliabilityBudgets: (
  props: CardExtensionProps<{}>,
) => JSX.Element = reliabilityPlugin.provide(
  createCardExtension<{}>({
    name: 'HomePageReliabilityBudgets',
    title: 'Budgets of what I own',
    description:
      "The error budgets of the SLOs of your teams' services, least budget left first",
    components: () =>
      import('./components/HomeBudgetsCard/HomeBudgetsCard').then(m => ({
        Content: m.HomeBudgetsContent,
      })),
  }),
);
