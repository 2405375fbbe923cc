import { fireEvent, screen, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { identityApiRef } from '@backstage/core-plugin-api';
import type { OverviewRow } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { HomeBudgetsContent, loadOwnedBudgets } from './HomeBudgetsCard';

const row = (
  name: string,
  budgetRemaining: number | null,
  extra: Partial<OverviewRow> = {},
): OverviewRow => ({
  ref: `default/${name}`,
  entityRef: `slo:default/${name}`,
  title: name,
  componentRef: 'component:default/checkout',
  owner: 'group:default/payments-sre',
  system: null,
  lifecycle: 'production',
  objective: 0.995,
  state: 'ok',
  budgetRemaining,
  firing: [],
  frozen: false,
  sparkline: [],
  ...extra,
});

const identity = (ownershipEntityRefs: string[]) => ({
  getBackstageIdentity: async () => ({
    type: 'user' as const,
    userEntityRef: ownershipEntityRefs[0] ?? 'user:default/nobody',
    ownershipEntityRefs,
  }),
});

async function render(
  getOverview: ReliabilityApi['getOverview'],
  ownershipEntityRefs = ['user:default/guest', 'group:default/payments-sre'],
) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [
          reliabilityApiRef,
          { getOverview } as unknown as Partial<ReliabilityApi>,
        ],
        [identityApiRef, identity(ownershipEntityRefs)],
      ]}
    >
      <HomeBudgetsContent />
    </TestApiProvider>,
  );
}

describe('the home card "Budgets of what I own"', () => {
  it("asks for each of the user's owners and shows their SLOs, least budget left first", async () => {
    const getOverview = jest.fn(async (q?: { owner?: string }) => ({
      gateThreshold: 0.25,
      items:
        q?.owner === 'group:default/payments-sre'
          ? [
              row('checkout-success', 0.1, { frozen: true, firing: ['page'] }),
              row('checkout-latency', 0.6),
            ]
          : [row('guest-toy', 0.4, { componentRef: 'component:default/toy' })],
    }));
    await render(getOverview);
    const rows = await screen.findAllByTestId('home-budgets-row');
    expect(rows.map(r => r.textContent)).toEqual([
      'checkout-successlaunches frozenburning—10%',
      'guest-toy—40%',
      'checkout-latency—60%',
    ]);
    expect(
      within(rows[1]).getByRole('link', { name: 'guest-toy' }),
    ).toHaveAttribute('href', '/catalog/default/component/toy/reliability');
    expect(getOverview.mock.calls.map(c => c[0])).toEqual([
      { owner: 'user:default/guest', limit: 8 },
      { owner: 'group:default/payments-sre', limit: 8 },
    ]);
    expect(screen.queryByText('All of them in the overview')).toBeNull();
  });

  it('says so when nothing the user owns has an SLO', async () => {
    await render(async () => ({ items: [], gateThreshold: 0.25 }));
    expect(await screen.findByTestId('home-budgets-empty')).toHaveTextContent(
      'No SLO measures a service you or your teams own yet.',
    );
    expect(screen.queryAllByTestId('home-budgets-row')).toHaveLength(0);
  });

  it('shows the error with a retry that loads again', async () => {
    let calls = 0;
    await render(async () => {
      calls++;
      if (calls === 1) throw new Error('the backend is down');
      return { items: [row('checkout-success', 0.5)], gateThreshold: 0.25 };
    }, ['group:default/payments-sre']);
    expect(
      await screen.findByText(
        'Could not load the budgets: the backend is down',
      ),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findAllByTestId('home-budgets-row')).toHaveLength(1);
  });

  it('shows the spinner while loading', async () => {
    await render(() => new Promise(() => {}));
    expect(
      await screen.findByRole('progressbar', { name: 'loading budgets' }),
    ).toBeInTheDocument();
  });
});

describe('loadOwnedBudgets', () => {
  it('keeps the worst of all owners, each SLO once, and says when there are more', async () => {
    const pages: Record<string, { items: OverviewRow[]; nextCursor?: string }> =
      {
        'group:default/a': {
          items: [row('s1', -0.2), row('s2', 0.3), row('shared', 0.5)],
        },
        'group:default/b': {
          items: [row('shared', 0.5), row('s3', null)],
          nextCursor: 'x',
        },
      };
    const api = {
      getOverview: jest.fn(async (q: { owner?: string }) => pages[q.owner!]),
    };
    const out = await loadOwnedBudgets(
      api,
      ['group:default/a', 'group:default/b', 'group:default/a', 'not-a-ref'],
      3,
    );
    expect(out.owners).toEqual(['group:default/a', 'group:default/b']);
    expect(out.items.map(r => r.ref)).toEqual([
      'default/s1',
      'default/s2',
      'default/shared',
    ]);
    expect(out.more).toBe(true);
    expect(api.getOverview).toHaveBeenCalledTimes(2);
  });

  it('asks about at most 20 owners', async () => {
    const api = {
      getOverview: jest.fn(async () => ({ items: [] as OverviewRow[] })),
    };
    const refs = Array.from({ length: 30 }, (_, i) => `group:default/g${i}`);
    const out = await loadOwnedBudgets(api, refs);
    expect(api.getOverview).toHaveBeenCalledTimes(20);
    expect(out).toEqual({ owners: refs.slice(0, 20), items: [], more: false });
  });
});
