import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { convertLegacyRouteRef } from '@backstage/core-compat-api';
import { incidentRouteRef, rootRouteRef, runbookRouteRef } from './routes';
import WhatshotIcon from '@mui/icons-material/Whatshot';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { ReliabilityClient, reliabilityApiRef } from './api/ReliabilityApi';
import { isReliabilityAvailable } from './conditions';
import {
  createFormField,
  FormFieldBlueprint,
} from '@backstage/plugin-scaffolder-react/alpha';
import { HomePageWidgetBlueprint } from '@backstage/plugin-home-react/alpha';

/** The API client, for the app's API registry. @alpha */
export const reliabilityApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: reliabilityApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ReliabilityClient({ discoveryApi, fetchApi }),
    }),
});

/** The "Reliability" tab on components. @alpha */
export const reliabilityEntityContent = EntityContentBlueprint.make({
  params: {
    path: 'reliability',
    title: 'Reliability',
    filter: isReliabilityAvailable,
    loader: () =>
      import(
        './components/EntityReliabilityContent/EntityReliabilityContent'
      ).then(m => <m.EntityReliabilityContent />),
  },
});

/** The overview card. @alpha */
export const reliabilityEntityCard = EntityCardBlueprint.make({
  params: {
    filter: isReliabilityAvailable,
    loader: () =>
      import('./components/EntityReliabilityCard/EntityReliabilityCard').then(
        m => <m.EntityReliabilityCard />,
      ),
  },
});

/** On Group and System pages: their services' SLOs, the worst budget first. @alpha */
export const reliabilityOrgCard = EntityCardBlueprint.make({
  name: 'org',
  params: {
    filter: entity =>
      ['group', 'system'].includes(entity.kind.toLocaleLowerCase('en-US')),
    loader: () =>
      import('./components/OrgReliabilityCard/OrgReliabilityCard').then(m => (
        <m.OrgReliabilityCard />
      )),
  },
});

/** @alpha */
export const reliabilityRootRouteRef = convertLegacyRouteRef(rootRouteRef);

/** The incident commander's page (in the sidebar), with the runbook and incident pages under it. @alpha */
export const reliabilityPage = PageBlueprint.make({
  params: {
    path: '/reliability',
    // short enough for the sidebar; the page holds the overview and the commander
    title: 'Reliability',
    icon: <WhatshotIcon fontSize="inherit" />,
    routeRef: reliabilityRootRouteRef,
    loader: () =>
      import('./components/ReliabilityPage').then(m => <m.ReliabilityPage />),
  },
});

/** `ui:field: SloPreview` for the "New SLO" template: the YAML it will write and a backtest of the objective. @alpha */
export const sloPreviewFormField = FormFieldBlueprint.make({
  name: 'slo-preview',
  params: {
    field: () =>
      import('./components/SloPreviewField/SloPreviewField').then(m =>
        createFormField({
          name: 'SloPreview',
          component: props => (
            <m.SloPreviewField
              onChange={v => props.onChange(v)}
              formContext={
                props.formContext as { formData?: Record<string, unknown> }
              }
            />
          ),
        }),
      ),
  },
});

/** Home page: "Budgets of what I own", the SLOs of the services the signed-in user's groups own. @alpha */
export const reliabilityHomeBudgetsWidget = HomePageWidgetBlueprint.make({
  name: 'budgets',
  params: {
    name: 'ReliabilityBudgets',
    title: 'Budgets of what I own',
    description:
      "The error budgets of the SLOs of your teams' services, least budget left first",
    components: () =>
      import('./components/HomeBudgetsCard/HomeBudgetsCard').then(m => ({
        Content: m.HomeBudgetsContent,
      })),
  },
});

/**
 * The reliability plugin for the new frontend system; apps with `app.packages: all` discover it.
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'reliability',
  extensions: [
    reliabilityApi,
    reliabilityEntityContent,
    reliabilityEntityCard,
    reliabilityOrgCard,
    reliabilityPage,
    sloPreviewFormField,
    reliabilityHomeBudgetsWidget,
  ],
  // the same refs the components link with: one definition (routes.ts) for both frontend systems
  routes: {
    root: reliabilityRootRouteRef,
    runbook: convertLegacyRouteRef(runbookRouteRef),
    incident: convertLegacyRouteRef(incidentRouteRef),
  },
});
