import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { FactRetrieverContext } from '@backstage-community/plugin-tech-insights-node';
import { READINESS_ITEMS } from '@reliability-suite/plugin-reliability-common';
import { createReliabilityFactRetriever } from './retriever';
import { RELIABILITY_FACT_RETRIEVER_ID } from './facts';

const NOW = Date.parse('2026-06-30T12:00:00Z');
const component = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { owner: 'group:default/sre' },
});

const slo = (i: number, sli: number | null, budget: number | null) => ({
  ref: `default/s${i}`,
  objective: 0.99,
  status: sli === null ? null : { sli, budgetRemaining: budget, state: 'ok' },
});

/**
 * A fake reliability backend: /slos and /chaos answer in pages of two (whatever limit is asked), an experiment's
 * runs begin with a refused scheduled start; `broken` entities answer 503 on /gate.
 */
function fakeBackend(broken: string[] = []) {
  const calls: string[] = [];
  const headers: string[] = [];
  const slos = [
    slo(1, 0.995, 0.5),
    slo(2, 0.98, -1),
    slo(3, null, null),
    slo(4, 0.999, 0.9),
    slo(5, 0.991, 0.1),
  ];
  const experiments = [
    { id: 1, name: 'pod-kill', state: 'approved' },
    { id: 2, name: 'latency', state: 'completed' },
    { id: 3, name: 'never-ran', state: 'draft' },
  ];
  const runs: Record<string, unknown[]> = {
    '1': [
      { id: 12, state: 'refused', startedAt: null, finishedAt: null },
      {
        id: 11,
        state: 'completed',
        startedAt: '2026-06-20T10:00:00Z',
        finishedAt: '2026-06-20T10:05:00Z',
      },
    ],
    '2': [
      {
        id: 21,
        state: 'aborted',
        startedAt: '2026-06-10T10:00:00Z',
        finishedAt: '2026-06-10T10:01:00Z',
      },
    ],
    '3': [],
  };
  const page = <T>(items: T[], cursor: string | null) => {
    const from = cursor ? Number(cursor) : 0;
    return {
      items: items.slice(from, from + 2),
      ...(from + 2 < items.length ? { nextCursor: String(from + 2) } : {}),
    };
  };
  const fetchFn = (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    calls.push(`${url.pathname}${url.search}`);
    headers.push(
      String((init?.headers as Record<string, string>).Authorization),
    );
    const entityRef = url.searchParams.get('entityRef') ?? '';
    const cursor = url.searchParams.get('cursor');
    const json = (body: unknown, status = 200) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json' },
      });
    const path = url.pathname.replace(/^\/api\/reliability/, '');
    if (path === '/gate' && broken.includes(entityRef))
      return json(
        { error: { name: 'Error', message: 'Prometheus down' } },
        503,
      );
    if (path === '/readiness')
      return json({
        entityRef,
        score: 50,
        passed: 1,
        applicable: 2,
        items: READINESS_ITEMS.map((i, n) => ({
          id: i.id,
          label: i.label,
          state: n === 0 ? 'passed' : 'failed',
          reason: '',
        })),
      });
    if (path === '/slos') return json(page(slos, cursor));
    if (path === '/gate') return json({ allow: true, reason: 'ok', slos: [] });
    if (path === '/drills')
      return json({
        items: [{ date: '2026-06-01', success: false }],
        targets: {},
        targetProblems: [],
      });
    if (path === '/capacity/runs') return json({ items: [] });
    if (path === '/chaos') return json(page(experiments, cursor));
    const m = /^\/chaos\/(\d+)\/runs$/.exec(path);
    if (m) return json({ items: runs[m[1]], nextRunAt: null });
    return json({ error: { message: 'not found' } }, 404);
  }) as typeof fetch;
  return { fetchFn, calls, headers };
}

function context(logger = mockServices.logger.mock()): FactRetrieverContext {
  return {
    config: new ConfigReader({}),
    discovery: mockServices.discovery(),
    logger,
    auth: mockServices.auth({ pluginId: 'tech-insights' }),
    urlReader: mockServices.urlReader.mock(),
    entityFilter: [{ kind: 'component' }],
  };
}

describe('the reliability fact retriever', () => {
  it('follows every page of SLOs and experiments, and takes the newest started chaos run', async () => {
    const backend = fakeBackend();
    const retriever = createReliabilityFactRetriever({
      catalog: catalogServiceMock({ entities: [component('checkout')] }),
      now: () => NOW,
      fetch: backend.fetchFn,
    });
    expect(retriever.id).toBe(RELIABILITY_FACT_RETRIEVER_ID);
    const [row, ...rest] = await retriever.handler(context());
    expect(rest).toEqual([]);
    expect(row.entity).toEqual({
      kind: 'component',
      namespace: 'default',
      name: 'checkout',
    });
    expect(row.facts).toMatchObject({
      readinessScore: 50,
      readinessJourneySlos: true,
      readinessChaos: false,
      // five SLOs over three pages: four with data, three meet 99% (0.995, 0.999, 0.991)
      sloCount: 5,
      slosWithData: 4,
      slosMeetingObjective: 3,
      sloCompliance: 0.75,
      minBudgetRemaining: -1,
      slosBudgetExhausted: 1,
      frozen: false,
      lastDrillSucceeded: false,
      daysSinceLastDrill: 29,
      lastLoadTestAt: null,
      lastLoadTestVerdict: null,
      lastChaosRunState: 'completed',
      lastChaosExperiment: 'pod-kill',
      daysSinceLastChaosRun: 10,
    });
    expect(JSON.parse(JSON.stringify(row.facts)).lastChaosRunAt).toBe(
      '2026-06-20T10:00:00.000Z',
    );
    expect(
      backend.calls.filter(c => c.startsWith('/api/reliability/slos')),
    ).toEqual([
      '/api/reliability/slos?entityRef=component%3Adefault%2Fcheckout&limit=1000',
      '/api/reliability/slos?entityRef=component%3Adefault%2Fcheckout&limit=1000&cursor=2',
      '/api/reliability/slos?entityRef=component%3Adefault%2Fcheckout&limit=1000&cursor=4',
    ]);
    expect(backend.calls.filter(c => /\/chaos\/\d+\/runs/.test(c)).length).toBe(
      3,
    );
    // every call carries a service token for the reliability plugin
    expect(new Set(backend.headers).size).toBe(1);
    expect(backend.headers[0]).toMatch(/^Bearer .*reliability/);
  });

  it('skips an entity whose figures cannot be read, keeps the others, and logs no token', async () => {
    const backend = fakeBackend(['component:default/broken']);
    const logger = mockServices.logger.mock();
    const retriever = createReliabilityFactRetriever({
      catalog: catalogServiceMock({
        entities: [
          component('checkout'),
          component('broken'),
          component('search'),
        ],
      }),
      now: () => NOW,
      fetch: backend.fetchFn,
    });
    const rows = await retriever.handler(context(logger));
    expect(rows.map(r => r.entity.name).sort()).toEqual(['checkout', 'search']);
    expect(logger.warn).toHaveBeenCalledWith(
      'Reliability facts of component:default/broken not retrieved: GET /gate answered 503: Prometheus down',
    );
    const logged = JSON.stringify([
      logger.warn.mock.calls,
      logger.info.mock.calls,
    ]);
    expect(logged).toContain('for 2 of 3 entities (1 failed)');
    expect(logged).not.toContain(backend.headers[0].slice('Bearer '.length));
  });

  it('scores only what its entity filter selects', async () => {
    const backend = fakeBackend();
    const retriever = createReliabilityFactRetriever({
      catalog: catalogServiceMock({
        entities: [
          component('checkout'),
          { ...component('shop'), kind: 'System' },
        ],
      }),
      now: () => NOW,
      fetch: backend.fetchFn,
    });
    const rows = await retriever.handler(context());
    expect(rows.map(r => `${r.entity.kind}:${r.entity.name}`)).toEqual([
      'component:checkout',
    ]);
  });
});
