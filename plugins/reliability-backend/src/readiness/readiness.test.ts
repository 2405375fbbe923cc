import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import http from 'http';
import { AddressInfo } from 'net';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const OWNER = 'user:default/mei';
const summary = JSON.parse(
  readFileSync(
    path.join(
      __dirname,
      '../../../reliability-common/src/capacity/__fixtures__/k6-handle-summary.json',
    ),
    'utf8',
  ),
);

const RESILIENCE_OK = `apiVersion: reliability.io/v1
kind: Resilience
dependencies:
  - name: payments
    timeout: 800ms
    retries: 2
    deadline: 3s
    breaker: { failureRate: 0.5, openFor: 30s }
`;
const RUNBOOK =
  '# Checkout runbook\n\n## Symptoms\n\nCheckout fails.\n\n## Mitigation\n\nFail over.\n';

/** A folder with a catalog file's neighbours: the runbook and resilience files the annotations point at. */
function catalogDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'readiness-'));
  writeFileSync(path.join(dir, 'runbook.md'), RUNBOOK);
  writeFileSync(path.join(dir, 'resilience.yaml'), RESILIENCE_OK);
  // payments' 1s x 4 attempts is 4s, past the 3s deadline; stock has no breaker
  writeFileSync(
    path.join(dir, 'tight.yaml'),
    `${RESILIENCE_OK.replace('800ms', '1s').replace(
      'retries: 2',
      'retries: 3',
    )}  - { name: stock, timeout: 200ms, retries: 1, deadline: 1s }\n`,
  );
  writeFileSync(
    path.join(dir, 'broken.yaml'),
    RESILIENCE_OK.replace('timeout: 800ms', 'timeout: soon'),
  );
  return dir;
}

const located = (
  name: string,
  dir: string,
  annotations: Record<string, string>,
  owner = 'sre',
) => {
  const e = component(name, owner);
  e.metadata.annotations = {
    'backstage.io/managed-by-location': `file:${path.join(
      dir,
      'catalog-info.yaml',
    )}`,
    'backstage.io/managed-by-origin-location': `file:${path.join(
      dir,
      'catalog-info.yaml',
    )}`,
    ...annotations,
  };
  return e;
};

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('readiness on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;

  // a loopback repository host: checkout's sibling basket lives at a url: location, read through the UrlReader
  let repo: http.Server;
  let repoBase = '';
  beforeAll(async () => {
    repo = http.createServer((req, res) => {
      if (req.url === '/shop/resilience.yaml') {
        res.writeHead(200, { 'content-type': 'text/yaml' });
        res.end(
          RESILIENCE_OK.replace('deadline: 3s', 'deadline: 2s').replace(
            'timeout: 800ms',
            'timeout: 700ms',
          ),
        );
        return;
      }
      res.writeHead(404);
      res.end('no such file');
    });
    await new Promise<void>(r => repo.listen(0, '127.0.0.1', r));
    repoBase = `http://127.0.0.1:${(repo.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>(r => repo.close(() => r())));

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    const dir = catalogDir();
    const checkout = located(
      'checkout',
      dir,
      {
        'reliability.io/rto': '5m',
        'reliability.io/rpo': '60s',
        'reliability.io/runbook': './runbook.md',
        'reliability.io/resilience': './resilience.yaml',
        'reliability.io/degradation': 'breakers, brownout, load-shedding',
        // the k6 fixture's p95 is above 1ms: its load test fails
        'reliability.io/latency-p95': '1ms',
        'reliability.io/dashboard': 'https://grafana.example/d/checkout',
      },
      'payments-sre',
    );
    checkout.metadata.links = [
      {
        url: 'https://grafana.example/d/checkout-slo',
        title: 'SLO board',
        type: 'dashboard',
      },
    ];
    const cart = located('cart', dir, {
      // a bare path does not parse; the resilience file's retry budget is past its deadline
      'reliability.io/runbook': 'runbook.md',
      'reliability.io/resilience': './tight.yaml',
      'reliability.io/latency-p95': '10s',
    });
    const search = located('search', dir, {
      // parses, but no file there; the resilience file has a bad field; the other one points outside the folder
      'reliability.io/runbook': './missing.md',
      'reliability.io/resilience': './broken.yaml',
      'pagerduty.com/integration-key': 'secret-integration-key-1234',
    });
    const basket = component('basket');
    basket.metadata.annotations = {
      'backstage.io/managed-by-location': `url:${repoBase}/shop/catalog-info.yaml`,
      'reliability.io/resilience': './resilience.yaml',
    };
    const gone = component('gone');
    gone.metadata.annotations = {
      'backstage.io/managed-by-location': `url:${repoBase}/shop/catalog-info.yaml`,
      'reliability.io/resilience': './missing.yaml',
    };
    const shop = located('shop', dir, {
      'reliability.io/resilience': '../outside.yaml',
    });
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            checkout,
            cart,
            search,
            shop,
            basket,
            gone,
            component('inventory'),
            ingestSlo('checkout-success'),
          ],
        }),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            backend: {
              reading: { allow: [{ host: repoBase.slice('http://'.length) }] },
            },
            reliability: {
              evaluation: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 24 },
                },
              },
              delivery: {
                targets: {
                  'payments-oncall': {
                    type: 'webhook',
                    url: 'http://127.0.0.1:9/page',
                    secret: 'a-signing-key-of-16+',
                  },
                },
                routing: {
                  policies: [
                    {
                      name: 'payments-sre',
                      match: { owner: 'group:default/payments-sre' },
                      routes: [
                        { severity: 'page', targets: ['payments-oncall'] },
                      ],
                    },
                  ],
                },
              },
              remediation: {
                rules: [
                  {
                    id: 'checkout-restart',
                    entityRef: 'component:default/checkout',
                    triggers: ['manual'],
                    action: 'webhook',
                    params: { url: 'http://127.0.0.1:9/restart' },
                  },
                ],
              },
            },
          },
        }),
      ],
    }));
    await scheduler.evaluate();
  });

  const get = (ref: string) =>
    request(server)
      .get(`/api/reliability/readiness?entityRef=${ref}`)
      .set('Authorization', mockCredentials.user.header(OWNER));
  const states = (body: any) =>
    Object.fromEntries(body.items.map((i: any) => [i.id, i.state]));
  const itemOf = (body: any, id: string) =>
    body.items.find((i: any) => i.id === id);
  const owner = (p: string, body: object) =>
    request(server)
      .post(`/api/reliability${p}`)
      .set('Authorization', mockCredentials.user.header(OWNER))
      .send(body);
  const service = (p: string, body: object) =>
    request(server)
      .post(`/api/reliability${p}`)
      .set('Authorization', mockCredentials.service.header())
      .send(body);
  const today = () => new Date().toISOString().slice(0, 10);
  const drill = async (entity: string, d: object) =>
    expect(
      (
        await owner('/drills', {
          entityRef: `component:default/${entity}`,
          drill: {
            date: today(),
            region: 'ap-sg',
            toRegion: 'ap-jp',
            success: true,
            ...d,
          },
        })
      ).status,
    ).toBe(201);
  const loadTest = async (entity: string) =>
    expect(
      (
        await service('/capacity/runs', {
          entityRef: `component:default/${entity}`,
          testType: 'stress',
          commit: 'abc',
          summary,
        })
      ).status,
    ).toBe(201);

  it('scores the eleven items from the stores, the entity and its files, and rises as proof arrives', async () => {
    const before = await get('component:default/checkout');
    expect(before.status).toBe(200);
    expect(states(before.body)).toEqual({
      'journey-slos': 'passed',
      'burn-rate-alerts': 'failed',
      resilience: 'passed',
      degradation: 'passed',
      synthetics: 'failed',
      capacity: 'failed',
      backups: 'failed',
      failover: 'failed',
      observability: 'passed',
      remediation: 'passed',
      chaos: 'failed',
    });
    expect([
      before.body.score,
      before.body.passed,
      before.body.applicable,
    ]).toEqual([45, 5, 11]);
    expect(itemOf(before.body, 'resilience').evidence[1]).toBe(
      'payments: timeout 800 ms < retry budget 2400 ms (2 retries) < deadline 3000 ms, breaker declared',
    );
    // shown from the catalog file's folder, never the server's absolute path
    expect(itemOf(before.body, 'resilience').evidence[0]).toMatch(
      /^read file:readiness-[^/]+\/resilience\.yaml$/,
    );
    expect(itemOf(before.body, 'observability').evidence).toEqual([
      'dashboard SLO board (https://grafana.example/d/checkout-slo)',
      'dashboard reliability.io/dashboard: https://grafana.example/d/checkout',
      'paging: delivery policy payments-sre sends page alerts to payments-oncall',
      'runbook ./runbook.md: read, 3 sections for alerts to link to',
    ]);

    // a failed load test does not count
    await loadTest('checkout');
    const afterLoad = itemOf(
      (await get('component:default/checkout')).body,
      'capacity',
    );
    expect(afterLoad.state).toBe('failed');
    expect(afterLoad.evidence[0]).toMatch(
      /^stress test \d{4}-\d{2}-\d{2}: does not count \(failed: p95 .* above the latency SLO of 1 ms\)$/,
    );

    // a restore drill does not prove failover, and a failover drill that missed its RTO counts for nothing
    await drill('checkout', { kind: 'backup-restore', durationMin: 3 });
    await drill('checkout', {
      kind: 'regional-failover',
      durationMin: 9,
      rtoSeconds: 540,
    });
    const afterDrills = (await get('component:default/checkout')).body;
    expect([states(afterDrills).backups, states(afterDrills).failover]).toEqual(
      ['passed', 'failed'],
    );
    expect(itemOf(afterDrills, 'failover').evidence).toEqual([
      'RTO 5 min, RPO 1 min',
      `regional-failover drill ${today()}: does not count (took 9 min, over the RTO of 5 min)`,
      `backup-restore drill ${today()}: does not count (not a regional-failover drill)`,
      'runbook ./runbook.md: read, 3 sections for alerts to link to',
    ]);
    expect(itemOf(afterDrills, 'failover').missing).toEqual([
      'a successful regional-failover drill within the RTO/RPO in the last 92 days',
    ]);
    await drill('checkout', {
      kind: 'regional-failover',
      // a drill is one per day, region and kind: the second failover of the day is from another region
      region: 'us-east',
      toRegion: 'us-west',
      durationMin: 4,
      rtoSeconds: 240,
    });
    const after = (await get('component:default/checkout')).body;
    expect([states(after).failover, after.score]).toEqual(['passed', 64]);
    expect(itemOf(after, 'failover').reason).toMatch(
      /succeeded in 4 min, within the RTO of 5 min;.*; runbook \.\/runbook\.md: read, 3 sections/,
    );
  });

  it('does not count a runbook that does not parse or resolve, and names what is wrong in the resilience file', async () => {
    const cart = (await get('component:default/cart')).body;
    for (const id of ['failover', 'observability'])
      expect(itemOf(cart, id).missing).toContainEqual(
        expect.stringMatching(
          /^a runbook that resolves: runbook\.md: component:default\/cart: reliability\.io\/runbook: 'runbook\.md' must be /,
        ),
      );
    expect(itemOf(cart, 'resilience')).toMatchObject({
      state: 'failed',
      missing: [
        'payments: retry budget 4s (1s × 4 attempts) is not below the deadline 3s: the last retries are cut off',
        'stock: no circuit breaker declared',
      ],
    });
    // the owner route (group sre) has no delivery policy, and no dashboard
    expect(itemOf(cart, 'observability').missing).toEqual([
      'a dashboard (a link of type dashboard, or annotation reliability.io/dashboard)',
      "paging rules: a delivery policy routing this service's page alerts (reliability.delivery.routing), or a PagerDuty/Opsgenie annotation",
      expect.stringMatching(/^a runbook that resolves: runbook\.md: /),
    ]);
    // a passing load test counts
    await loadTest('cart');
    expect(states((await get('component:default/cart')).body).capacity).toBe(
      'passed',
    );

    const search = await get('component:default/search');
    expect(search.status).toBe(200);
    expect(itemOf(search.body, 'failover').missing).toContainEqual(
      expect.stringMatching(
        /^a runbook that resolves: \.\/missing\.md: component:default\/search: runbook file .* does not exist$/,
      ),
    );
    expect(itemOf(search.body, 'resilience').missing).toEqual([
      expect.stringMatching(
        /^file:readiness-[^/]+\/broken\.yaml: dependencies\[0\]\.timeout: must be a duration such as 800ms, 2s or 1m \(at most 1h\), got 'soon'$/,
      ),
    ]);
    // a paging annotation counts; its value (an integration key) is never answered
    expect(itemOf(search.body, 'observability').evidence).toEqual([
      'paging: annotation pagerduty.com/integration-key',
    ]);
    expect(JSON.stringify(search.body)).not.toContain('secret-integration-key');

    // a url: location is read through the backend's UrlReader: 700ms x 3 attempts is past basket's 2s deadline
    const basket = await get('component:default/basket');
    expect(itemOf(basket.body, 'resilience').missing).toEqual([
      'payments: retry budget 2100ms (700ms × 3 attempts) is not below the deadline 2s: the last retries are cut off',
    ]);
    const gone = await get('component:default/gone');
    expect(gone.status).toBe(200);
    expect(itemOf(gone.body, 'resilience').missing).toEqual([
      expect.stringMatching(
        /^http:\/\/127\.0\.0\.1:\d+\/shop\/missing\.yaml: \(file\): cannot read: /,
      ),
    ]);

    const shop = await get('component:default/shop');
    expect(shop.status).toBe(200);
    expect(itemOf(shop.body, 'resilience').missing).toEqual([
      "../outside.yaml: metadata.annotations.reliability.io/resilience: '../outside.yaml' points outside the directory of the entity's catalog file",
    ]);
  });

  it('fails every item of a service with nothing, and answers 404 and 400 by name', async () => {
    const none = await get('component:default/inventory');
    expect([
      none.body.score,
      none.body.items.filter((i: any) => i.state === 'failed').length,
      none.body.items.every((i: any) => i.missing.length > 0 && i.fix),
    ]).toEqual([0, 11, true]);
    expect((await get('component:default/nope')).status).toBe(404);
    const bad = await request(server)
      .get('/api/reliability/readiness')
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect([bad.status, bad.body.error.message]).toEqual([
      400,
      expect.stringMatching(/^Invalid query: entityRef/),
    ]);
  });
});
