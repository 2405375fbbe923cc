import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { SchedulerServiceTaskInvocationDefinition } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import searchPlugin from '@backstage/plugin-search-backend';
// the real reliability backend, on the test's database: the collators read its REST API
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import reliabilityPlugin from '@reliability-suite/plugin-reliability-backend';
import request from 'supertest';
import { AddressInfo } from 'net';
import { searchModuleReliabilityCollators } from './module';
import { ReliabilityApi } from './http/ReliabilityApi';
import { SloCollatorFactory } from './slos/SloCollatorFactory';
import {
  catalogRunbookEntities,
  RunbookCollatorFactory,
} from './runbooks/RunbookCollatorFactory';
import { IncidentCollatorFactory } from './incidents/IncidentCollatorFactory';

jest.setTimeout(120_000);

const OWNER = 'user:default/mei';
const STRANGER = 'user:default/stranger';
/** What the stranger may not read in the catalog: login-otp and its SLO. */
const HIDDEN = [
  'component:default/login-otp',
  'slo:default/otp-verify-latency',
];

/**
 * A scheduler that runs nothing by itself: the reliability backend's tick (which registers the SLOs) and the search
 * index's collator tasks run when the test says.
 */
function manualScheduler() {
  const tasks = new Map<string, SchedulerServiceTaskInvocationDefinition>();
  const keep = async (task: SchedulerServiceTaskInvocationDefinition) => {
    tasks.set(task.id, task);
  };
  return {
    factory: mockServices.scheduler.mock({
      scheduleTask: keep,
      createScheduledTaskRunner: () => ({ run: keep }),
    }).factory,
    ids: () => [...tasks.keys()],
    run: async (id: string) => {
      const task = tasks.get(id);
      if (!task) throw new Error(`No task ${id} is scheduled`);
      await task.fn(new AbortController().signal);
    },
  };
}

const component = (name: string, annotations?: Record<string, string>) =>
  ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { owner: 'group:default/sre', type: 'service' },
    relations: [{ type: 'ownedBy', targetRef: 'group:default/sre' }],
  } as Entity);

const INGEST = {
  type: 'Ingest',
  spec: { endpoint: '/api/reliability/sli-events' },
};

const slo = (name: string, service: string, displayName: string): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default', displayName } as Entity['metadata'],
  spec: {
    service,
    description: `${displayName}, measured at the edge`,
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: { metricSource: INGEST },
          total: { metricSource: INGEST },
        },
      },
    },
    timeWindow: [{ duration: '7d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99 }],
  },
  relations: [{ type: 'measures', targetRef: `component:default/${service}` }],
});

const OTP_RUNBOOK = [
  '# Login OTP runbook',
  'One-time passwords for sign-in.',
  '## OTP latency',
  'Alerts: SLOBurnRate{slo="default/otp-verify-latency"}',
  'p95 of /otp/verify above 300 ms: check the SMS gateway queue.',
  '## Mitigations',
  '- fail over to the second SMS provider',
  '',
].join('\n');

/** login-otp's runbook, beside its catalog file. */
const dir = mkdtempSync(path.join(os.tmpdir(), 'search-reliability-'));
writeFileSync(path.join(dir, 'login-otp.md'), OTP_RUNBOOK);
const catalogFile = `file:${path.join(dir, 'catalog-info.yaml')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENTITIES: Entity[] = [
  component('checkout'),
  // the runbook beside its catalog file: found through the annotation (and its SLO)
  component('login-otp', {
    'reliability.io/runbook': './login-otp.md',
    'backstage.io/managed-by-location': catalogFile,
  }),
  // found only through the annotation: no SLO measures them
  component('edge-proxy', {
    'reliability.io/runbook': 'link://runbooks/edge-proxy',
  }),
  component('payments-worker', {
    'reliability.io/runbook': 'link://runbooks/payments-worker',
  }),
  // an annotation the backend refuses (400): left out with a warning, the others indexed
  component('broken', {
    'reliability.io/runbook': 'runbook.md',
  }),
  component('search'),
  slo('checkout-success', 'checkout', 'Checkout success rate'),
  slo('checkout-latency', 'checkout', 'Checkout latency p95'),
  slo('otp-verify-latency', 'login-otp', 'OTP verify latency p95'),
  slo('search-latency', 'search', 'Search latency p95'),
  slo('search-availability', 'search', 'Search availability'),
];

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('the reliability collators on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;
  const incidentIds: number[] = [];

  const auth = (who: string) =>
    who === 'service'
      ? mockCredentials.service.header()
      : mockCredentials.user.header(who);
  const search = (who: string, term: string, types?: string[]) =>
    request(server)
      .get('/api/search/query')
      .query({ term, ...(types ? { types } : {}) })
      .set('Authorization', auth(who));

  /** A step of the set-up that must answer `status` (it throws with the answer otherwise). */
  const check = (what: string, res: request.Response, status: number) => {
    if (res.status !== status)
      throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  };

  beforeAll(async () => {
    scheduler = manualScheduler();
    const knex = await databases.init(databaseId);
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        searchPlugin,
        searchModuleReliabilityCollators,
        scheduler.factory,
        mockServices.database.factory({ knex }),
        catalogServiceMock.factory({ entities: ENTITIES }),
        mockServices.permissions.mock({
          // the stranger may not read login-otp nor its SLO; everything else, and every service, may
          authorize: async (requests, { credentials }) =>
            requests.map(r => {
              const user = (credentials.principal as { userEntityRef?: string })
                .userEntityRef;
              const ref = (r as { resourceRef?: string }).resourceRef;
              return {
                result:
                  user === STRANGER && ref && HIDDEN.includes(ref)
                    ? AuthorizeResult.DENY
                    : AuthorizeResult.ALLOW,
              };
            }) as any,
          authorizeConditional: async (requests, { credentials }) =>
            requests.map(() =>
              (credentials.principal as { userEntityRef?: string })
                .userEntityRef === STRANGER
                ? {
                    result: AuthorizeResult.CONDITIONAL,
                    pluginId: 'catalog',
                    resourceType: 'catalog-entity',
                    conditions: {
                      rule: 'IS_ENTITY_OWNER',
                      resourceType: 'catalog-entity',
                      params: { claims: [STRANGER] },
                    },
                  }
                : { result: AuthorizeResult.ALLOW },
            ) as any,
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            // two items a page: every list takes several pages
            search: { collators: { reliability: { pageSize: 2 } } },
            // search filters results by permission only when permissions are enabled
            permission: { enabled: true },
          },
        }),
      ],
    });
    server = backend.server;
    await scheduler.run('reliability-evaluate'); // registers the SLOs

    // the portal-authored runbook of edge-proxy (payments-worker has none: 404, no document)
    const saved = await request(server)
      .put('/api/reliability/runbooks/component/default/edge-proxy')
      .set('Authorization', auth(OWNER))
      .send({
        baseVersion: 0,
        markdown: '# Edge proxy\n## Symptoms\n- 502 from the edge\n',
        failureModes: [],
      });
    check('the edge-proxy runbook saved', saved, 200);
    for (const [entityRef, title] of [
      ['component:default/checkout', 'PSP brownout at checkout'],
      ['component:default/login-otp', 'SMS gateway slow for OTP codes'],
      ['component:default/search', 'Search index rebuild stuck'],
      ['component:default/checkout', 'Card payments declined'],
      ['component:default/edge-proxy', 'Edge TLS certificate expired'],
    ]) {
      const res = await request(server)
        .post('/api/reliability/incidents')
        .set('Authorization', auth(OWNER))
        .send({ entityRef, title, severity: 'SEV2' });
      check(`incident ${title} declared`, res, 201);
      incidentIds.push(res.body.id);
    }
    // the lists do take pages of two: the collators have to follow nextCursor
    const firstPage = await request(server)
      .get('/api/reliability/slos?limit=2')
      .set('Authorization', auth('service'));
    if (firstPage.body.items?.length !== 2 || !firstPage.body.nextCursor)
      throw new Error(`GET /slos?limit=2: ${JSON.stringify(firstPage.body)}`);

    for (const type of [
      'reliability_slo',
      'reliability_runbook',
      'reliability_incident',
    ])
      await scheduler.run(`search_index_${type}`);
  });

  /** Every result of one type for `who`, page after page of the search API. */
  const all = async (who: string, type: string) => {
    const results: any[] = [];
    let cursor: string | undefined;
    do {
      const res = await request(server)
        .get('/api/search/query')
        .query({ term: '', types: [type], pageCursor: cursor })
        .set('Authorization', auth(who));
      expect(res.status).toBe(200);
      results.push(...res.body.results);
      cursor = res.body.nextPageCursor;
    } while (cursor);
    return results.map(r => r.document);
  };

  /**
   * The documents a factory hands the search engine (with `authorization`, which the search API leaves out of its
   * answers), and how many requests each REST list took.
   */
  const collate = async (
    factory: (api: ReliabilityApi) => {
      getCollator(): Promise<AsyncIterable<any>>;
      visibilityPermission?: { name: string };
    },
  ) => {
    const port = (server.address() as AddressInfo).port;
    const urls: string[] = [];
    const api = new ReliabilityApi({
      discovery: {
        getBaseUrl: async id => `http://localhost:${port}/api/${id}`,
        getExternalBaseUrl: async id => `http://localhost:${port}/api/${id}`,
      },
      auth: mockServices.auth(),
      pageSize: 2,
      fetchApi: {
        fetch: (url, init) => {
          urls.push(String(url));
          return fetch(url, init);
        },
      },
    });
    const f = factory(api);
    const docs: any[] = [];
    for await (const d of await f.getCollator()) docs.push(d);
    const pages = (list: string) =>
      urls.filter(url => url.includes(`/api/reliability${list}?`)).length;
    return { docs, pages, permission: f.visibilityPermission?.name };
  };

  it('registers one collator per document type on the search schedule', () => {
    expect(scheduler.ids()).toEqual(
      expect.arrayContaining([
        'search_index_reliability_slo',
        'search_index_reliability_runbook',
        'search_index_reliability_incident',
      ]),
    );
  });

  it('collates every SLO over every page, each visible as its entity', async () => {
    const { docs, pages, permission } = await collate(
      api => new SloCollatorFactory(api),
    );
    expect(pages('/slos')).toBe(3); // 5 SLOs, 2 a page
    expect(permission).toBe('catalog.entity.read');
    expect(
      docs.map(d => [d.entityRef, d.authorization.resourceRef]).sort(),
    ).toEqual(
      [
        'slo:default/checkout-latency',
        'slo:default/checkout-success',
        'slo:default/otp-verify-latency',
        'slo:default/search-availability',
        'slo:default/search-latency',
      ].map(ref => [ref, ref]),
    );
  });

  it('indexes the SLOs with their status, budget and a link to the SLO page', async () => {
    const docs = await all(OWNER, 'reliability-slo');
    expect(docs).toHaveLength(5);
    const otp = docs.find(
      d => d.entityRef === 'slo:default/otp-verify-latency',
    );
    expect(otp).toMatchObject({
      title: 'OTP verify latency p95',
      location: '/catalog/default/slo/otp-verify-latency/reliability',
      componentRef: 'component:default/login-otp',
      objective: 0.99,
      window: '7d rolling',
    });
    // no traffic yet: the state the backend answers, and no budget figure
    expect(['no_data', 'unknown']).toContain(otp.state);
    expect(otp.budgetRemaining).toBeNull();
    expect(otp.text).toContain('Objective 99% over 7d rolling.');
    expect(otp.text).toContain('OTP verify latency p95, measured at the edge');
  });

  it('collates one document per runbook section, from annotated entities (every catalog page) and SLO components', async () => {
    const catalog = catalogServiceMock({ entities: ENTITIES });
    const query = jest.spyOn(catalog, 'queryEntities');
    const { docs, pages, permission } = await collate(
      api =>
        new RunbookCollatorFactory({
          api,
          entities: catalogRunbookEntities(
            r =>
              catalog.queryEntities(r, {
                credentials: mockCredentials.service(),
              }),
            2,
          ),
          logger: mockServices.logger.mock(),
          pagesPath: '/reliability',
        }),
    );
    expect(permission).toBe('catalog.entity.read');
    expect(query).toHaveBeenCalledTimes(2); // 4 annotated entities, 2 a page
    expect(pages('/slos')).toBe(3);
    expect(
      docs.map(d => [d.location, d.authorization.resourceRef]).sort(),
    ).toEqual([
      [
        '/reliability/runbooks/component/default/edge-proxy#edge-proxy',
        'component:default/edge-proxy',
      ],
      [
        '/reliability/runbooks/component/default/edge-proxy#symptoms',
        'component:default/edge-proxy',
      ],
      [
        '/reliability/runbooks/component/default/login-otp#login-otp-runbook',
        'component:default/login-otp',
      ],
      [
        '/reliability/runbooks/component/default/login-otp#mitigations',
        'component:default/login-otp',
      ],
      [
        '/reliability/runbooks/component/default/login-otp#otp-latency',
        'component:default/login-otp',
      ],
    ]);
  });

  it('indexes runbook sections with their heading, text and alerts', async () => {
    const docs = await all(OWNER, 'reliability-runbook');
    expect(docs).toHaveLength(5);
    const section = docs.find(d => d.section === 'otp-latency');
    expect(section).toMatchObject({
      title: 'OTP latency (runbook of login-otp)',
      sectionTitle: 'OTP latency',
      entityRef: 'component:default/login-otp',
      location: '/reliability/runbooks/component/default/login-otp#otp-latency',
      alerts: ['SLOBurnRate{slo="default/otp-verify-latency"}'],
    });
    expect(section.text).toContain('check the SMS gateway queue');
  });

  it('collates every incident over every page, each visible as its entity', async () => {
    const { docs, pages, permission } = await collate(
      api => new IncidentCollatorFactory({ api, pagesPath: '/reliability' }),
    );
    expect(permission).toBe('catalog.entity.read');
    expect(pages('/incidents')).toBe(3); // 5 incidents, 2 a page
    expect(docs.map(d => d.incidentId).sort((a, b) => a - b)).toEqual(
      [...incidentIds].sort((a, b) => a - b),
    );
    for (const d of docs)
      expect(d.authorization).toEqual({ resourceRef: d.entityRef });
    expect(docs.find(d => d.incidentId === incidentIds[1])).toMatchObject({
      title: 'SMS gateway slow for OTP codes',
      location: `/reliability/incidents/${incidentIds[1]}`,
      entityRef: 'component:default/login-otp',
      status: 'investigating',
      state: 'active',
      severity: 'SEV2',
    });
  });

  it('finds "OTP latency": the SLO and the runbook section', async () => {
    const res = await search(OWNER, 'OTP latency');
    expect(res.status).toBe(200);
    const locations: string[] = res.body.results.map(
      (r: any) => r.document.location,
    );
    expect(locations).toEqual(
      expect.arrayContaining([
        '/catalog/default/slo/otp-verify-latency/reliability',
        '/reliability/runbooks/component/default/login-otp#otp-latency',
      ]),
    );
  });

  it('finds an incident by its title', async () => {
    const res = await search(OWNER, 'TLS certificate expired');
    expect(res.body.results[0]).toMatchObject({
      type: 'reliability-incident',
      document: { title: 'Edge TLS certificate expired' },
    });
  });

  it('follows catalog visibility: who may not read login-otp finds none of its documents', async () => {
    const about = (results: any[]) =>
      results
        .map((r: any) => r.document.entityRef)
        .filter((r: string) => HIDDEN.includes(r));
    const stranger = await search(STRANGER, 'OTP');
    expect(stranger.status).toBe(200);
    expect(about(stranger.body.results)).toEqual([]);
    // the same search by a reader: the SLO, the runbook's sections and the incident (filtered, not missing)
    const reader = await search(OWNER, 'OTP');
    expect(about(reader.body.results).length).toBeGreaterThanOrEqual(3);
    // and what the stranger may read is still there
    const visible = await all(STRANGER, 'reliability-slo');
    expect(visible.map(d => d.entityRef).sort()).toEqual([
      'slo:default/checkout-latency',
      'slo:default/checkout-success',
      'slo:default/search-availability',
      'slo:default/search-latency',
    ]);
  });
});
