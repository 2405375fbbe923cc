import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { OverviewRow } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { OverviewPage } from './OverviewPage';
import { entityRouteRef } from '@backstage/plugin-catalog-react';

/** The catalog's entity page, which the owner and system cells link to. */
const CATALOG_ROUTES = {
  mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
};

const DAY = 86_400_000;
const row = (over: Partial<OverviewRow>): OverviewRow => ({
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
  firing: ['page 14.4x 1h&5m'],
  frozen: true,
  sparkline: [0, 1, 2].map(i => ({
    day: i * DAY,
    budgetRemaining: 0.6 - i * 0.2,
  })),
  ...over,
});

describe('OverviewPage', () => {
  it('ranks the SLOs with their owner, sparkline, alerts, gate and readiness; filters, pages and exports', async () => {
    const getOverview = jest.fn(async (q: any) =>
      q.cursor
        ? {
            items: [
              row({
                ref: 'default/ledger',
                title: 'Ledger availability',
                componentRef: 'component:default/ledger',
                budgetRemaining: null,
                firing: [],
                frozen: false,
                sparkline: [],
              }),
            ],
            gateThreshold: 0.25,
          }
        : { items: [row({})], nextCursor: 'c2', gateThreshold: 0.25 },
    );
    const exportOverview = jest.fn(
      async () => 'rank,slo\n1,default/checkout-success\n',
    );
    URL.createObjectURL = jest.fn(() => 'blob:x');
    URL.revokeObjectURL = jest.fn();
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            reliabilityApiRef,
            {
              getOverview,
              exportOverview,
              getReadiness: async (ref: string) => ({
                score: ref.endsWith('checkout') ? 67 : 22,
              }),
            } as unknown as Partial<ReliabilityApi>,
          ],
        ]}
      >
        <OverviewPage />
      </TestApiProvider>,
      CATALOG_ROUTES,
    );
    const first = await screen.findByTestId(
      'overview-row-default/checkout-success',
    );
    expect(first).toHaveTextContent('Checkout success rate');
    expect(first).toHaveTextContent('payments-sre');
    expect(first).toHaveTextContent('20.0%');
    expect(first).toHaveTextContent('page 14.4x 1h&5m');
    expect(first).toHaveTextContent('frozen');
    expect(screen.getByTestId('sparkline')).toHaveAttribute(
      'aria-label',
      'budget over 3 days, now 20%',
    );
    await waitFor(() => expect(first).toHaveTextContent('67%'));
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(
      await screen.findByTestId('overview-row-default/ledger'),
    ).toHaveTextContent('Ledger availability');
    await userEvent.type(
      screen.getByTestId('overview-filter-owner'),
      'group:default/payments-sre',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() =>
      expect(getOverview).toHaveBeenLastCalledWith({
        owner: 'group:default/payments-sre',
        system: '',
        lifecycle: '',
        limit: 50,
      }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(exportOverview).toHaveBeenCalledWith({
      owner: 'group:default/payments-sre',
      system: '',
      lifecycle: '',
    });
  });

  it('says when nothing matches, and shows errors with a retry', async () => {
    let calls = 0;
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            reliabilityApiRef,
            {
              getOverview: async () => {
                calls++;
                if (calls === 1) throw new Error('backend down');
                return { items: [], gateThreshold: 0.25 };
              },
            } as Partial<ReliabilityApi>,
          ],
        ]}
      >
        <OverviewPage />
      </TestApiProvider>,
      CATALOG_ROUTES,
    );
    expect(
      await screen.findByText('Could not load the overview: backend down'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    // no SLO at all (no filter set): how to add a first one, not "no match"
    expect(await screen.findByTestId('overview-empty')).toHaveTextContent(
      'No SLOs yet. Add a first one with the New SLO template',
    );
  });
});

describe('the registry upload on the overview', () => {
  const file = (text: string, name = 'registry.csv') => {
    const f = new File([text], name, { type: 'text/csv' });
    (f as any).text = async () => text;
    return f;
  };

  it("imports the SLO registry (a dry run first) and lists each row's outcome; a per-entity registry asks for its entity", async () => {
    const importRegistry = jest.fn(
      async (registry: string, _csv: string, options: any) => ({
        registry,
        dryRun: Boolean(options.dryRun),
        created: 1,
        updated: 0,
        unchanged: 1,
        rows: [
          {
            line: 2,
            id: 'checkout_success',
            outcome: 'created',
            detail: 'slos/checkout-success.yaml',
          },
          { line: 3, id: 'api_availability', outcome: 'unchanged' },
        ],
        notes: [],
      }),
    );
    const getOverview = jest.fn(async () => ({
      items: [],
      gateThreshold: 0.25,
    }));
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            reliabilityApiRef,
            {
              getOverview,
              importRegistry,
              getReadiness: async () => ({ score: 0 }),
            } as unknown as Partial<ReliabilityApi>,
          ],
        ]}
      >
        <OverviewPage />
      </TestApiProvider>,
      CATALOG_ROUTES,
    );
    await screen.findByTestId('overview-empty');
    await userEvent.click(screen.getByLabelText('Dry run (check only)'));
    await userEvent.upload(
      screen.getByTestId('registry-file'),
      file('slo_id,description,objective,window,owner\n'),
    );
    expect(await screen.findByTestId('registry-result')).toHaveTextContent(
      'registry.csv (dry run, nothing written): 1 created, 0 updated, 1 unchanged.',
    );
    expect(screen.getByTestId('registry-result')).toHaveTextContent(
      'line 2 checkout_success: created (slos/checkout-success.yaml)',
    );
    expect(importRegistry).toHaveBeenLastCalledWith(
      'slos',
      'slo_id,description,objective,window,owner\n',
      { entityRef: undefined, dryRun: true },
    );
    expect(getOverview).toHaveBeenCalledTimes(1);
    // for real: the overview reloads
    await userEvent.click(screen.getByLabelText('Dry run (check only)'));
    await userEvent.upload(
      screen.getByTestId('registry-file'),
      file('slo_id,description,objective,window,owner\n'),
    );
    await waitFor(() => expect(getOverview).toHaveBeenCalledTimes(2));

    // the drill log belongs to one entity
    await userEvent.click(screen.getByTestId('registry-select'));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Failover drill log' }),
    );
    await userEvent.upload(
      screen.getByTestId('registry-file'),
      file('date,region,duration_min,success,notes\n'),
    );
    expect(await screen.findByTestId('registry-error')).toHaveTextContent(
      'The failover drill log belongs to one entity: fill in the entity, such as component:default/checkout',
    );
    await userEvent.type(
      screen.getByTestId('registry-entity'),
      'component:default/checkout',
    );
    await userEvent.upload(
      screen.getByTestId('registry-file'),
      file('date,region,duration_min,success,notes\n'),
    );
    await waitFor(() =>
      expect(importRegistry).toHaveBeenLastCalledWith(
        'drills',
        'date,region,duration_min,success,notes\n',
        { entityRef: 'component:default/checkout', dryRun: false },
      ),
    );
  });

  it('shows the refused rows by line and field', async () => {
    const importRegistry = jest.fn(async () => {
      throw new Error(
        "Invalid CSV, nothing imported: line 4, objective: '99.5' must be a success ratio such as >=99.5% or a latency such as <=300ms",
      );
    });
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            reliabilityApiRef,
            {
              getOverview: async () => ({ items: [], gateThreshold: 0.25 }),
              importRegistry,
            } as unknown as Partial<ReliabilityApi>,
          ],
        ]}
      >
        <OverviewPage />
      </TestApiProvider>,
      CATALOG_ROUTES,
    );
    await userEvent.upload(
      await screen.findByTestId('registry-file'),
      file('x'),
    );
    expect(await screen.findByTestId('registry-error')).toHaveTextContent(
      "line 4, objective: '99.5' must be a success ratio",
    );
  });
});
