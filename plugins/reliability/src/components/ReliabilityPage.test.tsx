import { rootRouteRef } from '../routes';
import { act, screen, waitFor, within } from '@testing-library/react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
import type {
  CommanderAlert,
  Incident,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../api/ReliabilityApi';
import { ReliabilityPage } from './ReliabilityPage';
import { matchesSearch } from './CommanderPage/CommanderPage';

jest.setTimeout(30_000);

const markdown =
  '# Checkout runbook\nService: checkout\n## Checks\n```sh\nkubectl -n shop get pods\n```\n## Symptoms\nAlerts: SLOBurnRate\n- fast burn\n';
const runbook = {
  entityRef: 'component:default/checkout',
  source: {
    type: 'portal',
    location: 'component:default/checkout',
    version: 2,
    author: 'user:default/guest',
    updatedAt: '2026-11-22T10:00:00Z',
  },
  sections: [
    {
      id: 'checkout-runbook',
      title: 'Checkout runbook',
      level: 1,
      body: 'Service: checkout',
      alerts: [],
    },
    {
      id: 'checks',
      title: 'Checks',
      level: 2,
      body: '```sh\nkubectl -n shop get pods\n```',
      alerts: [],
    },
    {
      id: 'symptoms',
      title: 'Symptoms',
      level: 2,
      body: 'Alerts: SLOBurnRate\n- fast burn',
      alerts: ['SLOBurnRate'],
    },
  ],
  markdown,
  failureModes: [
    { mode: 'Hot shard', detection: 'p99 DB', mitigation: 'rebalance' },
  ],
  failureModesTemplate: false,
  version: 2,
  canEdit: true,
  editableMarkdown: true,
} as any;

const alert = (over: Partial<CommanderAlert> = {}): CommanderAlert => ({
  key: 'alert-1',
  source: 'reliability',
  name: 'SLOBurnRate',
  severity: 'page',
  state: 'firing',
  entityRef: 'component:default/checkout',
  entityTitle: 'checkout',
  owner: 'group:default/payments-sre',
  system: 'shop',
  startedAt: '2026-11-22T10:00:00Z',
  ageMs: 65 * 60_000,
  summary: 'Checkout success rate: page 14.4x 1h&5m',
  slo: {
    ref: 'default/checkout-success',
    title: 'Checkout success rate',
    state: 'burning',
    budgetRemaining: 0.42,
  },
  runbook: {
    entityRef: 'component:default/checkout',
    section: 'symptoms',
    sectionTitle: 'Symptoms',
  },
  remediation: {
    state: 'succeeded',
    ruleId: 'checkout-multibuy-rollback',
    at: '2026-11-22T10:01:00Z',
  },
  ...over,
});

const catalogApi = {
  getEntityByRef: async () => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'checkout', title: 'Checkout' },
    spec: { owner: 'payments-sre' },
  }),
};
const sloList = {
  items: [
    {
      ref: 'default/checkout-success',
      name: 'checkout-success',
      title: 'Checkout success rate',
      objective: 0.995,
      windowLabel: '30d rolling',
      status: {
        state: 'burning',
        budgetRemaining: 0.42,
        firing: [{ id: 'page 14.4x 1h&5m', severity: 'page' }],
      },
    },
  ],
};

/** A ResponseError as the client builds it from the backend's JSON error body. */
const serverError = (status: number, name: string, message: string) =>
  ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name, message },
        request: { method: 'GET', url: '/x' },
        response: { statusCode: status },
      }),
      {
        status,
        headers: { 'content-type': 'application/json' },
      },
    ) as any,
  );

function render(api: Partial<ReliabilityApi>, path: string) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [
          reliabilityApiRef,
          {
            listSlos: async () => sloList as any,
            listIncidents: async () => ({ items: [] }),
            ...api,
          },
        ],
        [catalogApiRef, catalogApi],
      ]}
    >
      <ReliabilityPage />
    </TestApiProvider>,
    {
      routeEntries: [path],
      mountedRoutes: {
        '/reliability': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

describe('runbook page', () => {
  it('shows live SLO status, a table of contents, anchored sections with copy buttons and the failure modes', async () => {
    await render(
      { getRunbook: async () => runbook },
      '/runbooks/component/default/checkout',
    );
    expect(await screen.findByTestId('runbook-page')).toBeInTheDocument();
    expect(screen.getByTestId('runbook-live-status')).toHaveTextContent(
      'Checkout success rate: burning · budget 42% · page 14.4x 1h&5m',
    );
    const toc = screen.getByTestId('runbook-toc');
    expect(within(toc).getByRole('link', { name: 'Symptoms' })).toHaveAttribute(
      'href',
      expect.stringMatching(/#symptoms$/),
    );
    expect(screen.getByTestId('runbook-section-symptoms')).toHaveAttribute(
      'id',
      'symptoms',
    );
    expect(screen.getByTestId('runbook-section-symptoms')).toHaveTextContent(
      'answers SLOBurnRate',
    );
    const code = within(
      screen.getByTestId('runbook-section-checks'),
    ).getByTestId('runbook-code');
    expect(code).toHaveTextContent('kubectl -n shop get pods');
    expect(within(code).getByRole('button')).toBeInTheDocument();
    expect(screen.getByTestId('runbook-failure-modes')).toHaveTextContent(
      'Hot shard',
    );
  });

  it('offers the skeleton when the entity has no runbook, and saves it as version 1', async () => {
    const saveRunbook = jest.fn().mockResolvedValue({ version: 1 });
    const getRunbook = jest
      .fn()
      .mockRejectedValue(
        await serverError(
          404,
          'NotFoundError',
          'component:default/checkout has no runbook yet: write one in the portal',
        ),
      );
    await render(
      { getRunbook, saveRunbook },
      '/runbooks/component/default/checkout',
    );
    expect(await screen.findByTestId('runbook-empty')).toHaveTextContent(
      'No runbook yet',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Start from the skeleton' }),
    );
    const editor = screen.getByLabelText(
      'runbook markdown',
    ) as HTMLTextAreaElement;
    expect(editor.value).toContain('Owner: payments-sre');
    expect(editor.value).toContain(
      '- checkout-success: 99.5% over 30d rolling',
    );
    expect(screen.getAllByLabelText('Mode')).toHaveLength(10);
    await userEvent.click(
      screen.getByRole('button', { name: 'Save version 1' }),
    );
    await waitFor(() =>
      expect(saveRunbook).toHaveBeenCalledWith(
        { kind: 'component', namespace: 'default', name: 'checkout' },
        expect.objectContaining({
          baseVersion: 0,
          failureModes: expect.any(Array),
        }),
      ),
    );
  });

  it('shows a clear warning, not a broken page, when the runbook cannot be read', async () => {
    const err = await serverError(
      400,
      'InputError',
      "reliability.io/runbook: 'docs/x.md' must be an http(s) URL",
    );
    await render(
      { getRunbook: async () => Promise.reject(err) },
      '/runbooks/component/default/checkout',
    );
    expect(await screen.findByTestId('runbook-error')).toHaveTextContent(
      'must be an http(s) URL',
    );
  });
});

describe('commander page', () => {
  it('lists what burns with owner, SLO, age, remediation, and the runbook section one click away', async () => {
    const startedAt = '2026-11-23T10:00:00.000Z';
    const lastChange = {
      kind: 'config',
      version: null,
      summary: 'DB pool size 5',
      author: 'argocd',
      link: null,
      at: '2026-11-23T09:48:00.000Z',
    };
    await render(
      {
        getCommanderAlerts: async () => ({
          items: [
            alert({ startedAt, lastChange }),
            alert({
              key: 'am-1',
              source: 'alertmanager',
              name: 'SearchSlow',
              severity: 'warning',
              entityRef: 'component:default/search',
              entityTitle: 'search',
              owner: 'group:default/platform-sre',
              system: 'shop',
              slo: null,
              runbook: null,
              remediation: null,
              summary: 'p95 over 2s',
            }),
          ],
        }),
      },
      '/',
    );
    const row = await screen.findByTestId('commander-row-alert-1');
    // the owner and the SLO are links: to the group's page and to the SLO's screen of the tab
    expect(
      within(row).getByRole('link', { name: 'payments-sre' }),
    ).toHaveAttribute('href', '/catalog/default/group/payments-sre');
    expect(within(row).getByTestId('commander-slo-alert-1')).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/reliability/slo/checkout-success',
    );
    expect(row).toHaveTextContent('Checkout success rateburning, 42% left');
    expect(row).toHaveTextContent('1h 5m');
    expect(row).toHaveTextContent('succeeded (checkout-multibuy-rollback)');
    expect(
      within(row).getByRole('link', { name: 'Runbook: Symptoms' }),
    ).toHaveAttribute(
      'href',
      '/reliability/runbooks/component/default/checkout#symptoms',
    );
    // no runbook: a link to the scaffolder's runbook template, filled with the component
    const write = within(screen.getByTestId('commander-row-am-1')).getByRole(
      'link',
      { name: 'no runbook: write one' },
    );
    expect(decodeURIComponent(write.getAttribute('href') ?? '')).toMatch(
      /^\/create\/templates\/default\/new-runbook\?formData=\{"component":"component:default\/[a-z-]+"\}$/,
    );
    // the last change before the alert started
    expect(screen.getByTestId('commander-change-alert-1')).toHaveTextContent(
      'last change 12m before: config (DB pool size 5) by argocd',
    );
    expect(
      screen.queryByTestId('commander-change-am-1'),
    ).not.toBeInTheDocument();
    // keyboard: "/" focuses the search; a question finds the rows it is about
    await userEvent.keyboard('/');
    expect(screen.getByLabelText('search alerts')).toHaveFocus();
    await userEvent.keyboard('which runbook for checkout?');
    expect(screen.getByTestId('commander-row-alert-1')).toBeInTheDocument();
    expect(screen.queryByTestId('commander-row-am-1')).not.toBeInTheDocument();
  });

  it('says so when nothing burns', async () => {
    await render({ getCommanderAlerts: async () => ({ items: [] }) }, '/');
    expect(await screen.findByTestId('commander-quiet')).toHaveTextContent(
      'Nothing is burning',
    );
  });

  it('refreshes when the backend signals that an alert fired, without a reload', async () => {
    let deliver: ((m: object) => void) | undefined;
    const signals = {
      subscribe: (_channel: string, onMessage: (m: object) => void) => {
        deliver = onMessage;
        return { unsubscribe: () => undefined };
      },
    } as any;
    let calls = 0;
    const getCommanderAlerts = async () => ({
      items: calls++ === 0 ? [] : [alert()],
    });
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            reliabilityApiRef,
            {
              listSlos: async () => sloList as any,
              listIncidents: async () => ({ items: [] }),
              getCommanderAlerts,
            },
          ],
          [catalogApiRef, catalogApi],
          [signalApiRef, signals],
        ]}
      >
        <ReliabilityPage />
      </TestApiProvider>,
      {
        routeEntries: ['/'],
        mountedRoutes: {
          '/reliability': rootRouteRef,
          '/catalog/:namespace/:kind/:name': entityRouteRef,
        },
      },
    );
    expect(await screen.findByTestId('commander-quiet')).toBeInTheDocument();
    await waitFor(() => expect(deliver).toBeDefined());
    act(() =>
      deliver!({
        reason: 'alert-fired',
        entityRef: 'component:default/checkout',
      }),
    );
    expect(await screen.findByText('SLOBurnRate')).toBeInTheDocument();
  });

  it('searches by words, ignoring question words', () => {
    expect(matchesSearch(alert(), 'which runbook for checkout?')).toBe(true);
    expect(matchesSearch(alert(), 'search')).toBe(false);
    expect(matchesSearch(alert(), 'payments page')).toBe(true);
  });
});

describe('incident page', () => {
  const incident: Incident = {
    id: 7,
    entityRef: 'component:default/checkout',
    title: 'Checkout errors',
    severity: 'SEV2',
    state: 'active',
    status: 'investigating',
    roles: { commander: 'user:default/guest' },
    declaredBy: 'user:default/guest',
    declaredAt: '2026-11-22T10:00:00Z',
    resolvedAt: null,
    closedAt: null,
    mttrMs: null,
    trigger: 'SLOBurnRate',
    impact: null,
    rootCauses: [],
    actionItems: [],
    events: [
      {
        id: 1,
        at: '2026-11-22T10:00:00Z',
        author: 'user:default/guest',
        kind: 'declared',
        text: 'Declared SEV2: Checkout errors',
      },
    ],
  };

  it('shows each timeline entry with its date as well as its time', async () => {
    await render(
      {
        getIncident: async () => ({
          ...incident,
          events: [
            {
              id: 1,
              at: '2026-11-21T12:03:00Z',
              author: 'user:default/guest',
              kind: 'declared',
              text: 'Declared SEV2: Checkout errors',
            },
            {
              id: 2,
              at: '2026-11-22T12:15:00Z',
              author: 'user:default/scribe',
              kind: 'timeline',
              text: 'PSP 5xx',
            },
          ],
        }),
      },
      '/incidents/7',
    );
    await screen.findByTestId('incident-page');
    const [declared, note] = screen.getAllByTestId('incident-event');
    // Noon UTC is the same calendar day in every time zone from UTC-11 to UTC+11.
    expect(declared).toHaveTextContent(/Nov 21, 2026, \d{2}:\d{2}/);
    expect(note).toHaveTextContent(/Nov 22, 2026, \d{2}:\d{2}/);
    expect(declared).toHaveTextContent(
      new Date('2026-11-21T12:03:00Z').toLocaleString('en-US', {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      }),
    );
  });

  it('lets the scribe append to the timeline and closes with the PIR', async () => {
    const appendTimeline = jest.fn().mockResolvedValue(incident);
    const closeIncident = jest.fn().mockResolvedValue(incident);
    await render(
      { getIncident: async () => incident, appendTimeline, closeIncident },
      '/incidents/7',
    );
    expect(await screen.findByTestId('incident-page')).toHaveTextContent(
      '#7 Checkout errors',
    );
    await userEvent.type(
      screen.getByLabelText('Scribe: what happened'),
      'PSP 5xx',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() =>
      expect(appendTimeline).toHaveBeenCalledWith(7, 'PSP 5xx'),
    );
    await userEvent.type(screen.getByLabelText('Impact'), '3% failed');
    await userEvent.type(screen.getByLabelText('Root causes'), 'PSP brownout');
    await userEvent.type(
      screen.getByLabelText('Action items'),
      'Add jitter; group:default/payments-sre; 2026-12-01',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Close incident' }),
    );
    await waitFor(() =>
      expect(closeIncident).toHaveBeenCalledWith(7, {
        impact: '3% failed',
        rootCauses: ['PSP brownout'],
        actionItems: [
          {
            title: 'Add jitter',
            owner: 'group:default/payments-sre',
            due: '2026-12-01',
          },
        ],
      }),
    );
  });
});
