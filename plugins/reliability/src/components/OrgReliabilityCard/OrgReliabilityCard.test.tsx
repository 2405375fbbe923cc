import { screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { OrgReliabilityCard } from './OrgReliabilityCard';

const row = {
  ref: 'default/checkout-success',
  entityRef: 'slo:default/checkout-success',
  title: 'Checkout success rate',
  componentRef: 'component:default/checkout',
  owner: 'group:default/payments-sre',
  system: 'system:default/shop',
  lifecycle: 'production',
  objective: 0.995,
  state: 'burning',
  budgetRemaining: 0.2,
  firing: [],
  frozen: true,
  sparkline: [],
};

describe('OrgReliabilityCard', () => {
  it.each([
    [
      'Group',
      'payments-sre',
      { owner: 'group:default/payments-sre', limit: 5 },
    ],
    ['System', 'shop', { system: 'system:default/shop', limit: 5 }],
  ])(
    'on a %s page asks for its SLOs and shows the worst budget',
    async (kind, name, query) => {
      const getOverview = jest.fn(async () => ({
        items: [row],
        gateThreshold: 0.25,
      }));
      await renderInTestApp(
        <TestApiProvider
          apis={[
            [
              reliabilityApiRef,
              { getOverview } as unknown as Partial<ReliabilityApi>,
            ],
          ]}
        >
          <EntityProvider
            entity={{
              apiVersion: 'backstage.io/v1alpha1',
              kind,
              metadata: { name, namespace: 'default' },
              spec: {},
            }}
          >
            <OrgReliabilityCard />
          </EntityProvider>
        </TestApiProvider>,
      );
      expect(await screen.findByTestId('org-worst')).toHaveTextContent(
        'Worst budget: 20% (Checkout success rate) · launches frozen',
      );
      expect(getOverview).toHaveBeenCalledWith(query);
    },
  );

  it('says when the services have no SLO', async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            reliabilityApiRef,
            {
              getOverview: async () => ({ items: [], gateThreshold: 0.25 }),
            } as unknown as Partial<ReliabilityApi>,
          ],
        ]}
      >
        <EntityProvider
          entity={{
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Group',
            metadata: { name: 'g', namespace: 'default' },
            spec: {},
          }}
        >
          <OrgReliabilityCard />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(
      await screen.findByText("No SLO measures this team's services yet."),
    ).toBeInTheDocument();
  });
});
