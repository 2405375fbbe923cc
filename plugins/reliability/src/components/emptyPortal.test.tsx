import { screen, waitFor } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import {
  catalogApiRef,
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { Entity } from '@backstage/catalog-model';
import { ReactElement } from 'react';
import userEvent from '@testing-library/user-event';
import { ReliabilityClient, reliabilityApiRef } from '../api/ReliabilityApi';
import { rootRouteRef } from '../routes';
import { EntityReliabilityContent } from './EntityReliabilityContent/EntityReliabilityContent';
import { ReliabilityPage } from './ReliabilityPage';

jest.setTimeout(30_000);

/**
 * The frontend in an empty portal: the real client, over a fetch that answers as the backend does with no
 * `reliability` config and no SLOs (the answers plugins/reliability-backend/src/__tests__/emptyPortal.test.ts
 * checks against the running backend): empty lists, and 404s that explain for what is not there yet.
 */
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
const notFound = (method: string, path: string, message: string) =>
  json(404, {
    error: { name: 'NotFoundError', message },
    request: { method, url: path },
    response: { statusCode: 404 },
  });

const emptyAnswers: [RegExp, (q: URLSearchParams) => unknown][] = [
  [/^\/slos$/, () => ({ items: [] })],
  [/^\/alerts$/, () => ({ items: [] })],
  [/^\/alertmanager\/alerts$/, () => ({ items: [] })],
  [/^\/commander\/alerts$/, () => ({ items: [] })],
  [/^\/incidents$/, () => ({ items: [] })],
  [/^\/chaos$/, () => ({ items: [] })],
  [/^\/changes$/, () => ({ items: [] })],
  [/^\/runbooks\/[^/]+\/[^/]+\/[^/]+\/versions$/, () => ({ items: [] })],
  [/^\/overview$/, () => ({ items: [], gateThreshold: 0.25 })],
  [
    /^\/gate$/,
    () => ({
      allow: true,
      reason: 'no SLOs: nothing to protect',
      budgetRemaining: null,
      threshold: 0.25,
      window: '7d',
      slos: [],
    }),
  ],
  [
    /^\/chaos\/files$/,
    q => ({
      entityRef: q.get('entityRef'),
      location: null,
      files: [],
      skipped: [],
    }),
  ],
  [
    /^\/remediations$/,
    () => ({
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
    }),
  ],
  [
    /^\/drills$/,
    () => ({
      items: [],
      targets: { rtoSeconds: null, rpoSeconds: null },
      targetProblems: [],
      warnings: [
        {
          code: 'none',
          message:
            'No failover drill recorded yet: drill regional failover and restores every quarter.',
        },
      ],
      last: null,
    }),
  ],
  [
    /^\/capacity\/runs$/,
    () => ({ items: [], targetMs: null, peakRps: null, warnings: [] }),
  ],
  [
    /^\/synthetics$/,
    () => ({ items: [], allowedHosts: [], browserEnabled: false }),
  ],
  [/^\/synthetics\/runs$/, () => ({ items: [] })],
  // no alert has been delivered anywhere yet
  [/^\/delivery$/, () => ({ items: [] })],
  // no incident was resolved in the window: no time to restore to count
  [
    /^\/incidents\/mttr$/,
    q => {
      const days = Number(q.get('days') ?? 90);
      return {
        by: q.get('by') ?? 'service',
        days,
        since: new Date(Date.now() - days * 86_400_000).toISOString(),
        items: [],
      };
    },
  ],
  [
    /^\/readiness$/,
    q => ({
      entityRef: q.get('entityRef'),
      score: 0,
      passed: 0,
      applicable: 9,
      items: [
        {
          id: 'journey-slos',
          label: 'User-journey SLOs defined',
          state: 'failed',
          reason: 'No SLO measures this service yet',
          fix: { label: 'Create an SLO (template "New SLO")', href: '/create' },
        },
        {
          id: 'runbook',
          label: 'Runbook present and linked from the alerts',
          state: 'failed',
          reason: 'No runbook: alerts have nothing to link to',
          fix: {
            label: 'Write the runbook (template "New runbook")',
            href: '/create',
          },
        },
      ],
    }),
  ],
];

const requests: string[] = [];
function emptyBackendFetch() {
  return {
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      const path = url.pathname.replace(/^\/api\/reliability/, '');
      requests.push(`${method} ${path}`);
      if (method === 'GET') {
        for (const [route, answer] of emptyAnswers)
          if (route.test(path)) return json(200, answer(url.searchParams));
        const runbook = path.match(/^\/runbooks\/([^/]+)\/([^/]+)\/([^/]+)$/);
        if (runbook)
          return notFound(
            method,
            path,
            `${runbook[1]}:${runbook[2]}/${runbook[3]} has no runbook yet: write one in the portal (it starts from the standard runbook skeleton) or point reliability.io/runbook at a file in its repository`,
          );
      }
      return notFound(
        method,
        path,
        `No route ${method} ${path} in the reliability API`,
      );
    },
  };
}

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', namespace: 'default' },
  spec: { owner: 'group:default/team' },
};

function render(element: ReactElement, path = '/') {
  const api = new ReliabilityClient({
    discoveryApi: {
      getBaseUrl: async () => 'http://localhost:7007/api/reliability',
    },
    fetchApi: emptyBackendFetch(),
  });
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [reliabilityApiRef, api],
        [catalogApiRef, { getEntities: async () => ({ items: [] }) } as any],
      ]}
    >
      {element}
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

/**
 * No error anywhere: no error or warning alert (MUI's Alert or Backstage's WarningPanel/ErrorPanel, which wraps it),
 * no "could not load", no 5xx shown.
 */
function expectNoError() {
  const alerts = [
    ...document.querySelectorAll('[role="alert"], [class*="MuiAlert-root"]'),
  ];
  for (const alert of alerts)
    expect({ alert: alert.textContent, className: alert.className }).toEqual({
      alert: alert.textContent,
      className: expect.not.stringMatching(
        /MuiAlert-(standard|filled|outlined)(Error|Warning)/,
      ),
    });
  expect(document.querySelector('[class*="BackstageWarningPanel"]')).toBeNull();
  expect(document.querySelector('[class*="BackstageErrorPanel"]')).toBeNull();
  expect(screen.queryByText(/could not (load|be read)/i)).toBeNull();
  expect(screen.queryByText(/HTTP 5\d\d/)).toBeNull();
}

/** Every request the page made was answered (the empty backend's 404s for what is not there yet included). */
const settled = async (min: number) => {
  await waitFor(() => expect(requests.length).toBeGreaterThanOrEqual(min));
  await waitFor(() =>
    expect(screen.queryAllByRole('progressbar', { name: /loading/i })).toEqual(
      [],
    ),
  );
};

describe('an empty portal', () => {
  beforeEach(() => {
    requests.length = 0;
  });

  it('shows how to add a first SLO on the Reliability tab, with the New SLO template, and no error', async () => {
    await render(
      <EntityProvider entity={entity}>
        <EntityReliabilityContent />
      </EntityProvider>,
    );
    const empty = await screen.findByTestId('reliability-empty');
    expect(empty).toHaveTextContent('No SLOs yet: add a first one');
    expect(empty).toHaveTextContent('spec.service: checkout');
    const template = screen.getByRole('link', {
      name: 'Create an SLO with the New SLO template',
    });
    expect(template).toHaveAttribute(
      'href',
      '/create/templates/default/new-slo',
    );

    // the overview reads the SLOs and the readiness only: the other screens load when opened
    await settled(2);
    expect(requests).toEqual(
      expect.arrayContaining(['GET /slos', 'GET /readiness']),
    );
    expect(requests).not.toContain('GET /drills');
    expect(screen.queryByTestId('reliability-error')).toBeNull();
    expectNoError();

    // every other screen loads from the empty backend and explains itself
    await userEvent.click(
      screen.getByRole('tab', { name: 'Runbook & incidents' }),
    );
    expect(
      await screen.findByTestId('entity-runbook-missing'),
    ).toHaveTextContent(
      'component:default/checkout has no runbook yet: write one in the portal',
    );
    expect(screen.getByTestId('entity-runbook-missing')).not.toHaveTextContent(
      'HTTP 404',
    );
    await userEvent.click(screen.getByRole('tab', { name: 'Self-healing' }));
    expect(
      await screen.findByText(/No remediation rules for this entity/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('tab', { name: 'Synthetics' }));
    expect(
      await screen.findByText(/No synthetic journeys yet/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('tab', { name: 'Drills' }));
    expect(await screen.findByTestId('drills-panel')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('tab', { name: 'Capacity' }));
    expect(await screen.findByTestId('capacity-panel')).toBeInTheDocument();
    await settled(7);
    expect(requests).toEqual(
      expect.arrayContaining([
        'GET /slos',
        'GET /readiness',
        'GET /runbooks/component/default/checkout',
        'GET /remediations',
        'GET /synthetics',
        'GET /drills',
        'GET /capacity/runs',
      ]),
    );
    expect(screen.queryByTestId('reliability-error')).toBeNull();
    expectNoError();
  });

  it('links to the New SLO template where the app has it', async () => {
    await render(
      <EntityProvider entity={entity}>
        <EntityReliabilityContent newSloTemplate="/scaffold/templates/platform/slo" />
      </EntityProvider>,
    );
    expect(
      await screen.findByRole('link', {
        name: 'Create an SLO with the New SLO template',
      }),
    ).toHaveAttribute('href', '/scaffold/templates/platform/slo');
  });

  it('shows a calm commander with nothing burning, and no error', async () => {
    await render(<ReliabilityPage />, '/');
    await settled(1);
    expect(requests).toEqual(expect.arrayContaining(['GET /commander/alerts']));
    expect(
      await screen.findByText(
        'Nothing is burning: no firing burn-rate alerts and no firing Alertmanager alerts.',
      ),
    ).toBeInTheDocument();
    expectNoError();
  });

  it('shows an empty overview, and no error', async () => {
    await render(<ReliabilityPage />, '/overview');
    await settled(1);
    expect(requests).toEqual(expect.arrayContaining(['GET /overview']));
    expect(await screen.findByTestId('overview-empty')).toHaveTextContent(
      'No SLOs yet. Add a first one with the New SLO template',
    );
    expect(
      screen.getByRole('link', { name: 'New SLO template' }),
    ).toHaveAttribute('href', '/create/templates/default/new-slo');
    expectNoError();
  });
});
