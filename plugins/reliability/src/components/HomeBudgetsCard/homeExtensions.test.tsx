import { screen } from '@testing-library/react';
import {
  createExtensionTester,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import homePlugin from '@backstage/plugin-home/alpha';
import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { identityApiRef } from '@backstage/core-plugin-api';
import {
  HomePageLayoutBlueprint,
  HomePageWidgetBlueprint,
} from '@backstage/plugin-home-react/alpha';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { reliabilityHomeBudgetsWidget } from '../../alpha';
import { HomePageReliabilityBudgets } from '../../plugin';

const getOverview = async () => ({
  gateThreshold: 0.25,
  items: [
    {
      ref: 'default/checkout-success',
      entityRef: 'slo:default/checkout-success',
      title: 'Checkout success rate',
      componentRef: 'component:default/checkout',
      owner: 'group:default/payments-sre',
      system: null,
      lifecycle: 'production',
      objective: 0.995,
      state: 'burning',
      budgetRemaining: 0.2,
      firing: [],
      frozen: true,
      sparkline: [],
    },
  ],
});
const identity = {
  getBackstageIdentity: async () => ({
    type: 'user' as const,
    userEntityRef: 'user:default/guest',
    ownershipEntityRefs: ['user:default/guest', 'group:default/payments-sre'],
  }),
};

jest.setTimeout(30_000);

describe('the home card in both frontend systems', () => {
  it('new frontend system: a home page widget titled "Budgets of what I own" that renders the budgets', async () => {
    const tester = createExtensionTester(reliabilityHomeBudgetsWidget);
    const widget = tester.get(HomePageWidgetBlueprint.dataRefs.widget);
    expect([widget.name, widget.title]).toEqual([
      'ReliabilityBudgets',
      'Budgets of what I own',
    ]);
    // the home plugin's page at /home, with the widget attached to its widgets input; the layout is a plain list
    // (the default one, a react-grid-layout grid, measures its width, which jsdom does not have) of this suite's
    // widgets only: the home plugin's own examples (a random joke) would call the internet
    const listLayout = HomePageLayoutBlueprint.make({
      name: 'list',
      params: {
        loader: async () => props =>
          (
            <div data-testid="home-widgets">
              {props.widgets
                .filter(w => w.name === 'ReliabilityBudgets')
                .map(w => (
                  <section key={w.name} aria-label={w.title}>
                    {w.component}
                  </section>
                ))}
            </div>
          ),
      },
    });
    renderTestApp({
      // the layout input is the home plugin's own: a module of the home plugin provides it
      features: [
        homePlugin,
        createFrontendModule({ pluginId: 'home', extensions: [listLayout] }),
      ],
      extensions: [reliabilityHomeBudgetsWidget],
      initialRouteEntries: ['/home'],
      apis: [
        [reliabilityApiRef, { getOverview } as unknown as ReliabilityApi],
        [identityApiRef, identity],
      ],
    });
    // the page and the card load lazily
    expect(
      await screen.findByText('Budgets of what I own', {}, { timeout: 15_000 }),
    ).toBeInTheDocument();
    expect(
      await screen.findByTestId('home-budgets-row', {}, { timeout: 15_000 }),
    ).toHaveTextContent('Checkout success rate');
  });

  it('legacy frontend system: the card extension renders the budgets under its title', async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            reliabilityApiRef,
            { getOverview } as unknown as Partial<ReliabilityApi>,
          ],
          [identityApiRef, identity],
        ]}
      >
        <HomePageReliabilityBudgets />
      </TestApiProvider>,
    );
    expect(
      await screen.findByText('Budgets of what I own'),
    ).toBeInTheDocument();
    expect(await screen.findByTestId('home-budgets-row')).toHaveTextContent(
      'Checkout success ratelaunches frozen—20%',
    );
  });
});
