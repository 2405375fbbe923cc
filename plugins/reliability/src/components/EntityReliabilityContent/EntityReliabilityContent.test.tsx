import { rootRouteRef } from '../../routes';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { Route, Routes, useLocation } from 'react-router-dom';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import type {
  HistoryResponse,
  SloSummary,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { EntityReliabilityContent } from './EntityReliabilityContent';
import { EntityReliabilityCard } from '../EntityReliabilityCard/EntityReliabilityCard';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', namespace: 'default' },
  spec: { owner: 'payments-sre' },
};

const slo = (over: Partial<SloSummary['status']> = {}): SloSummary => ({
  ref: 'default/checkout-success',
  entityRef: 'slo:default/checkout-success',
  name: 'checkout-success',
  title: 'Checkout success rate',
  description: 'successful_checkouts / checkout_attempts',
  componentRef: 'component:default/checkout',
  objective: 0.995,
  window: '30d',
  windowLabel: '30d rolling',
  status: {
    evaluatedAt: '2026-11-22T12:00:00.000Z',
    sli: 0.99736,
    budgetRemaining: 0.472,
    budgetRemainingEvents: 50539,
    budgetAllowedEvents: 106985,
    budgetConsumedEvents: 56446,
    budgetRemainingMinutes: 102,
    budgetAllowedMinutes: 216,
    burnRates: {
      '5m': 16.2,
      '30m': 7,
      '1h': 15,
      '2h': 2,
      '6h': 0.5,
      '1d': 0.46,
      '3d': 0.46,
      '30d': 0.53,
    },
    state: 'burning',
    firing: [{ id: 'page 14.4x 1h&5m', severity: 'page' }],
    exhaustsAt: new Date(Date.now() + 26 * 3_600_000).toISOString(),
    good: 21340608,
    total: 21397054,
    windowCoverage: 1,
    ...over,
  },
});

const history: HistoryResponse = {
  ref: 'default/checkout-success',
  from: '2026-10-23T12:00:00.000Z',
  to: '2026-11-22T12:00:00.000Z',
  burnRateWindow: '1h',
  thresholds: [{ severity: 'page', burnRate: 14.4, label: 'page 14.4x 1h&5m' }],
  points: [
    { t: 1, budgetRemaining: 0.6, burnRate: 0.4, sli: 0.998 },
    { t: 2, budgetRemaining: 0.47, burnRate: 17.04, sli: 0.91 },
  ],
  downsampledFrom: 2,
};

const noRemediations = {
  rules: [],
  items: [],
  escalations: [],
  summary: {
    executions: 0,
    succeeded: 0,
    failed: 0,
    deduplicated: 0,
    successRate: null,
    latencyP50Ms: null,
    latencyP95Ms: null,
  },
};

const runbook = {
  entityRef: 'component:default/checkout',
  source: {
    type: 'portal',
    location: 'component:default/checkout',
    version: 1,
    author: 'user:default/guest',
  },
  sections: [
    { id: 'checks', title: 'Checks', level: 2, body: '', alerts: [] },
    {
      id: 'symptoms',
      title: 'Symptoms',
      level: 2,
      body: 'Alerts: SLOBurnRate',
      alerts: ['SLOBurnRate'],
    },
  ],
  markdown: '',
  failureModes: [],
  failureModesTemplate: false,
  version: 1,
  canEdit: true,
  editableMarkdown: true,
} as any;

/** Where the entity page mounts the tab, as both frontend systems do: its path with `/*`. */
const TAB = '/catalog/default/component/checkout/reliability';

/** Shows the address, for the tests that follow links. */
function Where() {
  return <div data-testid="where">{useLocation().pathname}</div>;
}

function render(
  api: Partial<ReliabilityApi>,
  element: JSX.Element | string = '',
) {
  const at = typeof element === 'string' ? element : undefined;
  const content =
    typeof element === 'string' ? (
      <Routes>
        <Route
          path={`${TAB}/*`}
          element={
            <>
              <EntityReliabilityContent />
              <Where />
            </>
          }
        />
      </Routes>
    ) : (
      element
    );
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [
          reliabilityApiRef,
          {
            listRemediations: async () => noRemediations,
            getRunbook: async () => runbook,
            listIncidents: async () => ({ items: [] }),
            listChaos: async () => ({ items: [] }),
            listChaosFiles: async () => ({
              entityRef: '',
              location: null,
              files: [],
              skipped: [],
            }),
            listDrills: async () => ({
              items: [],
              targets: { rtoSeconds: null, rpoSeconds: null },
              targetProblems: [],
              warnings: [],
              last: null,
            }),
            listCapacityRuns: async () => ({
              items: [],
              targetMs: null,
              peakRps: null,
              warnings: [],
            }),
            listChanges: async () => ({ items: [] }),
            listSynthetics: async () => ({
              items: [],
              allowedHosts: [],
              browserEnabled: false,
            }),
            getReadiness: async () => ({
              entityRef: 'component:default/checkout',
              score: 0,
              passed: 0,
              applicable: 9,
              items: [],
            }),
            lintChaos: async () => ({ ok: false, violations: [] } as any),
            ...api,
          },
        ],
      ]}
    >
      <EntityProvider entity={entity}>{content}</EntityProvider>
    </TestApiProvider>,
    {
      routeEntries: [at === undefined ? '/' : `${TAB}${at ? `/${at}` : ''}`],
      mountedRoutes: {
        '/reliability': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

describe('EntityReliabilityContent', () => {
  it("shows a composite SLO's objectives under its SLI, with their weights", async () => {
    const composite = slo({
      composite: [
        {
          displayName: 'Login',
          weight: 2,
          sli: 0.998,
          budgetRemaining: -1,
          state: 'exhausted',
        },
        {
          displayName: 'Payment latency',
          weight: 1,
          sli: 0.95,
          budgetRemaining: -4,
          state: 'exhausted',
        },
      ],
    });
    await render({
      listSlos: jest.fn().mockResolvedValue({ items: [composite] }),
      getHistory: jest.fn().mockResolvedValue(history),
    });
    expect(
      await screen.findByTestId('composite-checkout-success'),
    ).toHaveTextContent('Login 99.8% (x2) · Payment latency 95% (x1)');
  });

  it("counts a time-slice SLO's budget in slices", async () => {
    const sliced = slo({
      slices: { sliceMs: 60_000 },
      budgetAllowedEvents: 100.8,
      budgetConsumedEvents: 42,
      budgetRemainingEvents: 58.8,
      budgetRemainingMinutes: 58.8,
      budgetAllowedMinutes: 100.8,
    });
    await render({
      listSlos: jest.fn().mockResolvedValue({ items: [sliced] }),
      getHistory: jest.fn().mockResolvedValue(history),
    });
    const row = await screen.findByTestId('slo-row-checkout-success');
    expect(
      within(row).getByText('59 of 101 bad 1-minute slices · 59 min of 1h 41m'),
    ).toBeInTheDocument();
  });

  it('lists the SLOs with budget, burn rates, status and time to exhaustion on the overview, and no charts there', async () => {
    const listSlos = jest.fn().mockResolvedValue({ items: [slo()] });
    const getHistory = jest.fn().mockResolvedValue(history);
    await render({ listSlos, getHistory });
    const row = await screen.findByTestId('slo-row-checkout-success');
    expect(listSlos).toHaveBeenCalledWith('component:default/checkout');
    const cells = within(row);
    expect(cells.getByText('Checkout success rate')).toBeInTheDocument();
    expect(cells.getByText('99.5%')).toBeInTheDocument();
    expect(cells.getByText('30d rolling')).toBeInTheDocument();
    expect(cells.getByText('99.736%')).toBeInTheDocument();
    expect(cells.getByText('47.2%')).toBeInTheDocument();
    expect(
      cells.getByText('50,539 of 106,985 events · 1h 42m of 3h 36m'),
    ).toBeInTheDocument();
    const burnCells = cells
      .getAllByRole('cell')
      .slice(5, 13)
      .map(c => c.textContent);
    expect(burnCells).toEqual([
      '16.2x',
      '7.00x',
      '15.0x',
      '2.00x',
      '0.50x',
      '0.46x',
      '0.46x',
      '0.53x',
    ]);
    expect(cells.getByText('Burning')).toBeInTheDocument();
    expect(cells.getByText(/^in 1d 2h|^in 2[56]h/)).toBeInTheDocument();
    // the charts are on the SLO's own screen: the overview asks for no history
    expect(screen.queryByTestId('burn-chart')).toBeNull();
    expect(getHistory).not.toHaveBeenCalled();
  });

  it('draws both charts of an SLO on its screen, slo/:name, with its row', async () => {
    const getHistory = jest.fn().mockResolvedValue(history);
    await render(
      {
        listSlos: jest.fn().mockResolvedValue({ items: [slo()] }),
        getHistory,
      },
      'slo/checkout-success',
    );
    expect(
      await screen.findByTestId('reliability-slo-checkout-success'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('slo-row-checkout-success')).toBeInTheDocument();
    expect(await screen.findByTestId('budget-chart')).toHaveTextContent(
      'now 47%',
    );
    expect(screen.getByTestId('burn-chart')).toHaveTextContent(
      /peak 17\.0x; lines at 14\.4/,
    );
    expect(getHistory).toHaveBeenCalledWith('default/checkout-success', {
      window: '1h',
      points: 500,
    });
  });

  it("marks the entity's changes on both charts and lists them with the budget burned after each (a bad one flagged)", async () => {
    jest.spyOn(Element.prototype, 'getBoundingClientRect').mockReturnValue({
      width: 600,
      height: 220,
      top: 0,
      left: 0,
      right: 600,
      bottom: 220,
      x: 0,
      y: 0,
      toJSON: () => ({}),
    });
    const t0 = Date.parse('2026-11-20T10:00:00Z');
    const points = [0, 1, 2, 3].map(i => ({
      t: t0 + i * 3_600_000,
      budgetRemaining: 0.6 - i * 0.05,
      burnRate: i === 2 ? 17 : 0.5,
      sli: 0.999,
    }));
    const change = (id: number, over: object) => ({
      id,
      entityRef: 'component:default/checkout',
      version: null,
      summary: null,
      author: 'argocd',
      link: null,
      source: 'service:argocd',
      burnedAfter: [],
      worst: null,
      ...over,
    });
    const listChanges = jest.fn().mockResolvedValue({
      items: [
        change(2, {
          kind: 'config',
          summary: 'DB pool size 5 (SRE-102)',
          at: new Date(t0 + 1.5 * 3_600_000).toISOString(),
          burnedAfter: [
            { slo: 'default/checkout-success', budgetSpent: 0.031 },
          ],
          worst: 0.031,
        }),
        change(1, {
          kind: 'deploy',
          version: 'v2.14.0',
          at: new Date(t0 + 0.5 * 3_600_000).toISOString(),
          burnedAfter: [
            { slo: 'default/checkout-success', budgetSpent: 0.001 },
          ],
          worst: 0.001,
        }),
        change(3, {
          kind: 'deploy',
          version: 'v2.13.0',
          at: '2026-10-01T00:00:00.000Z',
        }),
      ],
    });
    await render(
      {
        listSlos: jest.fn().mockResolvedValue({ items: [slo()] }),
        getHistory: jest.fn().mockResolvedValue({ ...history, points }),
        listChanges,
      },
      'slo/checkout-success',
    );
    const burn = await screen.findByTestId('burn-chart');
    // the two changes inside the chart's range, on each chart; the older one is outside
    await waitFor(() =>
      expect(burn.querySelectorAll('.change-marker').length).toBe(2),
    );
    expect(
      screen.getByTestId('budget-chart').querySelectorAll('.change-marker')
        .length,
    ).toBe(2);
    expect(burn).toHaveTextContent('config');
    expect(listChanges).toHaveBeenCalledWith(
      'component:default/checkout',
      expect.objectContaining({ limit: 200 }),
    );
    expect(await screen.findByTestId('change-row-2')).toHaveTextContent(
      'DB pool size 5 (SRE-102)',
    );
    expect(screen.getByTestId('change-row-2')).toHaveTextContent(
      '3.1% — suspect',
    );
    expect(screen.getByTestId('change-row-1')).toHaveTextContent('v2.14.0');
    expect(screen.getByTestId('change-row-1')).not.toHaveTextContent('suspect');
    jest.restoreAllMocks();
  });

  it('shows a display value such as the p95 next to the SLI', async () => {
    await render({
      listSlos: jest.fn().mockResolvedValue({
        items: [
          slo({ display: { label: 'p95', value: 212.3456, unit: 'ms' } }),
        ],
      }),
      getHistory: jest.fn().mockResolvedValue(history),
    });
    const row = within(await screen.findByTestId('slo-row-checkout-success'));
    expect(row.getByText('p95 212.3 ms')).toBeInTheDocument();
  });

  it("says where an SLO's alerts go (its AlertNotificationTargets)", async () => {
    const withTargets = {
      ...slo(),
      alertPolicy: {
        source: 'openslo' as const,
        rules: ['page 10x 1h&5m'],
        noData: true,
        targets: [{ name: 'platform-pager', target: 'pagerduty:platform-sre' }],
      },
    };
    await render(
      {
        listSlos: jest.fn().mockResolvedValue({ items: [withTargets] }),
        getHistory: jest.fn().mockResolvedValue(history),
      },
      'slo/checkout-success',
    );
    expect(
      await screen.findByText(
        /alerts go to platform-pager \(pagerduty:platform-sre\)/,
      ),
    ).toBeInTheDocument();
  });

  it('asks for the burn rate over another window when one is chosen', async () => {
    const getHistory = jest.fn().mockResolvedValue(history);
    await render(
      {
        listSlos: jest.fn().mockResolvedValue({ items: [slo()] }),
        getHistory,
      },
      'slo/checkout-success',
    );
    await screen.findByTestId('burn-chart');
    await userEvent.click(
      screen.getByRole('button', { name: 'burn rate over 6h' }),
    );
    await waitFor(() =>
      expect(getHistory).toHaveBeenLastCalledWith('default/checkout-success', {
        window: '6h',
        points: 500,
      }),
    );
  });

  it('shows no data and exhausted states plainly', async () => {
    const noData = {
      ...slo({
        state: 'no_data',
        sli: null,
        budgetRemaining: null,
        budgetRemainingEvents: null,
        exhaustsAt: null,
        burnRates: {
          '5m': null,
          '30m': null,
          '1h': null,
          '2h': null,
          '6h': null,
          '1d': null,
          '3d': null,
          '30d': null,
        },
      }),
      ref: 'default/a',
      name: 'a',
      title: 'A',
    };
    const exhausted = {
      ...slo({ state: 'exhausted', budgetRemaining: -2.41 }),
      ref: 'default/b',
      name: 'b',
      title: 'B',
    };
    await render({
      listSlos: jest.fn().mockResolvedValue({ items: [noData, exhausted] }),
      getHistory: jest.fn().mockResolvedValue({ ...history, points: [] }),
    });
    const a = within(await screen.findByTestId('slo-row-a'));
    expect(a.getByText('No data')).toBeInTheDocument();
    expect(a.getAllByText('—').length).toBeGreaterThan(8);
    const b = within(screen.getByTestId('slo-row-b'));
    expect(b.getByText('Exhausted')).toBeInTheDocument();
    expect(b.getByText('-241.0%')).toBeInTheDocument();
    expect(b.getByText('exhausted')).toBeInTheDocument();
    // the SLO's screen says why its chart is empty
    await userEvent.click(
      within(a.getByRole('cell', { name: /^A/ })).getByRole('link'),
    );
    expect(
      await screen.findAllByText(/No data in this window yet/),
    ).toHaveLength(1);
    expect(screen.getByTestId('where')).toHaveTextContent(`${TAB}/slo/a`);
  });

  it('says why an SLO on a source the suite cannot read has no data: on its status and on its chart', async () => {
    const reason =
      'no data: the suite reads Prometheus, synthetics and the built-in ingest; this SLO reads CloudWatch';
    const cloudWatch: SloSummary = {
      ...slo({
        state: 'no_data',
        sli: null,
        budgetRemaining: null,
        budgetRemainingEvents: null,
        exhaustsAt: null,
        firing: [],
        good: 0,
        total: 0,
        reason,
      }),
      ref: 'default/cw',
      name: 'cw',
      title: 'CW',
      sourceType: 'CloudWatch',
    };
    await render(
      {
        listSlos: jest.fn().mockResolvedValue({ items: [cloudWatch] }),
        getHistory: jest.fn().mockResolvedValue({ ...history, points: [] }),
      },
      'slo/cw',
    );
    expect(
      await screen.findByText(
        'No data: the suite reads Prometheus, synthetics and the built-in ingest; this SLO reads CloudWatch.',
      ),
    ).toBeInTheDocument();
    const row = within(screen.getByTestId('slo-row-cw'));
    await userEvent.hover(row.getByText('No data'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent(reason);
  });

  it('says so when a new SLO has not been evaluated yet', async () => {
    const fresh = {
      ...slo(),
      status: null,
      ref: 'default/new',
      name: 'new',
      title: 'New',
    };
    await render({
      listSlos: jest.fn().mockResolvedValue({ items: [fresh] }),
      getHistory: jest.fn().mockResolvedValue({ ...history, points: [] }),
    });
    const row = within(await screen.findByTestId('slo-row-new'));
    expect(row.getByText('Not evaluated yet')).toBeInTheDocument();
    expect(row.queryByText('No data')).toBeNull();
  });

  it('explains how to add an SLO when there is none', async () => {
    await render({ listSlos: jest.fn().mockResolvedValue({ items: [] }) });
    expect(
      await screen.findByText('No SLOs yet: add a first one'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('reliability-empty')).toHaveTextContent(
      'spec.service: checkout',
    );
  });

  it('shows the error and retries', async () => {
    const listSlos = jest
      .fn()
      .mockRejectedValueOnce(new Error('backend down'))
      .mockResolvedValue({ items: [] });
    await render({ listSlos });
    expect(await screen.findByTestId('reliability-error')).toHaveTextContent(
      'Could not load the SLOs of checkout: backend down',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(
      await screen.findByText('No SLOs yet: add a first one'),
    ).toBeInTheDocument();
    expect(listSlos).toHaveBeenCalledTimes(2);
  });

  it('shows a loading state first', async () => {
    await render({ listSlos: () => new Promise(() => {}) });
    expect(screen.getByTestId('reliability-loading')).toHaveTextContent(
      'Loading SLOs…',
    );
  });
});

describe('the sub-routes of the tab', () => {
  const withSlo = () => ({
    listSlos: jest.fn().mockResolvedValue({ items: [slo()] }),
    getHistory: jest.fn().mockResolvedValue(history),
  });

  it.each([
    ['runbook', 'entity-runbook-card', 'Runbook & incidents'],
    ['self-healing', 'remediation-empty', 'Self-healing'],
    ['synthetics', 'synthetics-panel', 'Synthetics'],
    ['drills', 'drills-panel', 'Drills'],
    ['capacity', 'capacity-panel', 'Capacity'],
    ['chaos', 'chaos-panel', 'Chaos'],
  ])(
    'draws %s at its own address, only that panel, with its tab selected',
    async (sub, testId, label) => {
      await render(withSlo(), sub);
      expect(
        await screen.findByTestId(testId, {}, { timeout: 5000 }),
      ).toBeInTheDocument();
      // one screen: no SLO table, no other panel
      expect(screen.queryByTestId('slo-row-checkout-success')).toBeNull();
      const others = ['chaos-panel', 'drills-panel', 'capacity-panel'].filter(
        other => other !== testId,
      );
      for (const other of others)
        expect(screen.queryByTestId(other)).toBeNull();
      expect(screen.getByRole('tab', { name: label })).toHaveAttribute(
        'aria-selected',
        'true',
      );
      expect(screen.getByRole('tab', { name: 'Overview' })).toHaveAttribute(
        'aria-selected',
        'false',
      );
    },
  );

  it('gives the chaos and drills screens the SLOs of the entity', async () => {
    const listDrills = jest.fn().mockResolvedValue({
      items: [],
      targets: { rtoSeconds: null, rpoSeconds: null },
      targetProblems: [],
      warnings: [],
      last: null,
    });
    await render({ ...withSlo(), listDrills }, 'drills');
    expect(await screen.findByTestId('drills-panel')).toBeInTheDocument();
    expect(listDrills).toHaveBeenCalled();
  });

  it('links the runbook screen to the section that answers each SLO', async () => {
    await render(withSlo(), 'runbook');
    expect(
      await screen.findByTestId('slo-runbook-checkout-success'),
    ).toHaveAttribute(
      'href',
      '/reliability/runbooks/component/default/checkout#symptoms',
    );
  });

  it('shows the overview at the tab itself: the table, the readiness summary, the overview tab selected', async () => {
    const getHistory = jest.fn().mockResolvedValue(history);
    await render({
      listSlos: jest.fn().mockResolvedValue({ items: [slo()] }),
      getHistory,
    });
    expect(
      await screen.findByTestId('slo-row-checkout-success'),
    ).toBeInTheDocument();
    expect(await screen.findByTestId('readiness-card')).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Overview' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    for (const panel of [
      'chaos-panel',
      'drills-panel',
      'capacity-panel',
      'synthetics-panel',
      'entity-runbook-card',
      'changes-panel',
    ]) {
      expect(screen.queryByTestId(panel)).toBeNull();
    }
  });

  it('says above the table what burns and links to the runbook screen', async () => {
    await render(withSlo());
    const status = await screen.findByTestId('reliability-status');
    expect(status).toHaveTextContent(
      '1 of 1 SLO needs attention: Checkout success rate burning (page 14.4x 1h&5m).',
    );
    expect(screen.getByTestId('reliability-status-runbook')).toHaveAttribute(
      'href',
      `${TAB}/runbook`,
    );
    await userEvent.click(screen.getByTestId('reliability-status-runbook'));
    expect(
      await screen.findByTestId('entity-runbook-card'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('where')).toHaveTextContent(`${TAB}/runbook`);
  });

  it('says so plainly when every SLO is within budget', async () => {
    await render({
      listSlos: jest.fn().mockResolvedValue({
        items: [slo({ state: 'healthy', firing: [] })],
      }),
    });
    expect(await screen.findByTestId('reliability-status')).toHaveTextContent(
      'All of its SLO within budget.',
    );
    expect(screen.queryByTestId('reliability-status-runbook')).toBeNull();
  });

  it('links each SLO in the table to its screen, and opens it', async () => {
    await render(withSlo());
    const link = await screen.findByTestId('slo-link-checkout-success');
    expect(link).toHaveAttribute('href', `${TAB}/slo/checkout-success`);
    await userEvent.click(link);
    expect(await screen.findByTestId('burn-chart')).toBeInTheDocument();
    expect(screen.getByTestId('where')).toHaveTextContent(
      `${TAB}/slo/checkout-success`,
    );
  });

  it('navigates with the tabs, which are links to the sub-routes', async () => {
    await render(withSlo());
    await screen.findByTestId('slo-row-checkout-success');
    const chaos = screen.getByRole('tab', { name: 'Chaos' });
    expect(chaos).toHaveAttribute('href', `${TAB}/chaos`);
    expect(screen.getByRole('tab', { name: 'Overview' })).toHaveAttribute(
      'href',
      TAB,
    );
    expect(screen.getByRole('tab', { name: 'Self-healing' })).toHaveAttribute(
      'href',
      `${TAB}/self-healing`,
    );
    await userEvent.click(chaos);
    expect(await screen.findByTestId('chaos-panel')).toBeInTheDocument();
    expect(screen.getByTestId('where')).toHaveTextContent(`${TAB}/chaos`);
    expect(screen.queryByTestId('slo-row-checkout-success')).toBeNull();
  });

  it('shows a not-found message with a way back at an unknown sub-route', async () => {
    await render(withSlo(), 'nonsense');
    const missing = await screen.findByTestId('reliability-not-found');
    expect(missing).toHaveTextContent(
      'This page of the Reliability tab does not exist.',
    );
    const back = within(missing).getByRole('link', {
      name: 'Back to the reliability overview',
    });
    expect(back).toHaveAttribute('href', TAB);
    for (const tab of screen.getAllByRole('tab')) {
      expect(tab).toHaveAttribute('aria-selected', 'false');
    }
    await userEvent.click(back);
    expect(
      await screen.findByTestId('slo-row-checkout-success'),
    ).toBeInTheDocument();
  });

  it('shows a not-found message for an SLO the entity does not have', async () => {
    await render(withSlo(), 'slo/nope');
    expect(
      await screen.findByTestId('reliability-not-found'),
    ).toHaveTextContent('checkout has no SLO named "nope".');
  });

  it('keeps the loading and error states on the screens that need the SLOs', async () => {
    await render({ listSlos: () => new Promise(() => {}) }, 'chaos');
    expect(screen.getByTestId('reliability-loading')).toBeInTheDocument();
    expect(screen.queryByTestId('chaos-panel')).toBeNull();
  });

  it('shows the empty state on the overview and the panels on their screens when there is no SLO', async () => {
    await render({ listSlos: jest.fn().mockResolvedValue({ items: [] }) });
    expect(await screen.findByTestId('reliability-empty')).toBeInTheDocument();
    expect(await screen.findByTestId('readiness-card')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('tab', { name: 'Capacity' }));
    expect(await screen.findByTestId('capacity-panel')).toBeInTheDocument();
  });
});

describe('Prometheus rules download', () => {
  it('offers the rule file for Prometheus-backed SLOs and downloads it', async () => {
    const getPrometheusRules = jest.fn().mockResolvedValue('groups: []\n');
    const created: Blob[] = [];
    (URL as any).createObjectURL = jest.fn((b: Blob) => {
      created.push(b);
      return 'blob:rules';
    });
    (URL as any).revokeObjectURL = jest.fn();
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(() => {});
    await render(
      {
        listSlos: jest.fn().mockResolvedValue({
          items: [{ ...slo(), sourceType: 'Prometheus' }],
        }),
        getHistory: jest.fn().mockResolvedValue(history),
        getPrometheusRules,
      },
      'slo/checkout-success',
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Prometheus rules' }),
    );
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(getPrometheusRules).toHaveBeenCalledWith('default/checkout-success');
    expect(await created[0].text()).toBe('groups: []\n');
    click.mockRestore();
  });

  it('does not offer it for SLOs fed by the ingest endpoint', async () => {
    await render(
      {
        listSlos: jest
          .fn()
          .mockResolvedValue({ items: [{ ...slo(), sourceType: 'Ingest' }] }),
        getHistory: jest.fn().mockResolvedValue(history),
      },
      'slo/checkout-success',
    );
    await screen.findByTestId('burn-chart');
    expect(
      screen.queryByRole('button', { name: 'Prometheus rules' }),
    ).not.toBeInTheDocument();
  });
});

describe('EntityReliabilityCard', () => {
  it('summarises each SLO', async () => {
    await render(
      { listSlos: jest.fn().mockResolvedValue({ items: [slo()] }) },
      <EntityReliabilityCard />,
    );
    expect(
      await screen.findByText('Checkout success rate (99.5%, 30d)'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/budget 47.2% left · exhausts in/),
    ).toBeInTheDocument();
    expect(screen.getByText('Burning')).toBeInTheDocument();
  });
});
