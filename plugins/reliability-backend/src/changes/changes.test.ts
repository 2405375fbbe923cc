import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { ownersAndServices } from '../__testUtils__/permissions';
import { manualScheduler } from '../__testUtils__/scheduler';
import { component, ingestSlo } from '../__testUtils__/entities';
import { eventually, startTarget } from '../__testUtils__/targets';

jest.setTimeout(60_000);

const OWNER = 'user:default/mei';
const STRANGER = 'user:default/stranger';
const MIN = 60_000;
const HOUR = 3_600_000;

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('change events on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;
  let flags: Awaited<ReturnType<typeof startTarget>>;

  beforeAll(async () => {
    flags = await startTarget();
  });
  afterAll(async () => {
    await flags.close();
  });

  beforeEach(async () => {
    flags.calls.length = 0;
    const knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            component('checkout'),
            ingestSlo('checkout-success', 'checkout'),
          ],
        }),
        mockServices.database.factory({ knex }),
        ownersAndServices(OWNER, 'reliability.changes.record'),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              alertmanager: { sharedSecret: 'changes-test-secret-0123456789' },
              remediation: {
                rules: [
                  {
                    id: 'checkout-multibuy-rollback',
                    entityRef: 'component:default/checkout',
                    match: ['severity="error"'],
                    triggers: ['manual'],
                    action: 'feature-flag',
                    params: {
                      shape: 'generic',
                      baseUrl: `${flags.url}/api/v1`,
                      flag: 'checkout-multibuy',
                      body: { enabled: false },
                    },
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

  const post = (body: object, auth = mockCredentials.service.header()) =>
    request(server)
      .post('/api/reliability/changes')
      .set('Authorization', auth)
      .send(body);
  const list = async (q = '') =>
    (
      await request(server)
        .get(
          `/api/reliability/changes?entityRef=component:default/checkout${q}`,
        )
        .set('Authorization', mockCredentials.user.header(OWNER))
    ).body;
  const ingest = (events: object[]) =>
    request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({ events });

  it("records deploys and config pushes, and shows the budget each one burned in the hour after it (the seed's SRE-102)", async () => {
    const now = Math.floor(Date.now() / MIN) * MIN;
    const deployAt = now - 5 * HOUR;
    const configAt = now - 2 * HOUR;
    // a quiet day of 100 checkouts a minute for 6 hours; after the bad config push, 20% fail for 30 minutes
    const events = [];
    for (let t = now - 6 * HOUR; t < now - MIN; t += MIN) {
      const bad = t >= configAt && t < configAt + 30 * MIN ? 20 : 0;
      events.push({
        slo: 'default/checkout-success',
        timestamp: new Date(t).toISOString(),
        good: 100 - bad,
        total: 100,
      });
    }
    for (let i = 0; i < events.length; i += 1000)
      expect((await ingest(events.slice(i, i + 1000))).status).toBe(202);
    const deploy = await post({
      entityRef: 'component:default/checkout',
      kind: 'deploy',
      version: 'v2.14.0',
      author: 'ci',
      link: 'https://ci.example/runs/1',
      at: new Date(deployAt).toISOString(),
    });
    expect(deploy.status).toBe(201);
    expect(deploy.body).toMatchObject({
      kind: 'deploy',
      version: 'v2.14.0',
      at: new Date(deployAt).toISOString(),
      source: expect.stringMatching(/^service:/),
    });
    await post({
      entityRef: 'component:default/checkout',
      kind: 'config',
      summary: 'DB pool size 5 (SRE-102)',
      author: 'argocd',
      at: new Date(configAt).toISOString(),
    });

    const body = await list();
    expect(body.items.map((c: any) => c.kind)).toEqual(['config', 'deploy']);
    // 600 failed checkouts in the hour after the config push; the window at the end of that hour holds 5 hours of
    // 100 a minute, 30,000 events, of which 1% (300) may fail: twice the budget burned
    const [config, dep] = body.items;
    expect(config.burnedAfter).toEqual([
      { slo: 'default/checkout-success', budgetSpent: expect.closeTo(2, 2) },
    ]);
    expect(config.worst).toBeCloseTo(2, 2);
    expect(dep.worst).toBe(0);
    // a time range, and a page
    expect(
      (await list(`&from=${new Date(now - 3 * HOUR).toISOString()}`)).items.map(
        (c: any) => c.kind,
      ),
    ).toEqual(['config']);
    const first = await list('&limit=1');
    expect([first.items.length, typeof first.nextCursor]).toEqual([
      1,
      'string',
    ]);
  });

  it("records the suite's own flag flips as changes, and refuses bad events naming the field", async () => {
    const run = await request(server)
      .post('/api/reliability/remediations/run')
      .set('Authorization', mockCredentials.user.header(OWNER))
      .send({
        ruleId: 'checkout-multibuy-rollback',
        labels: { severity: 'error' },
      });
    expect(run.status).toBeLessThan(300);
    await eventually(async () => (await list()).items.length === 1, 20_000);
    const [flip] = (await list()).items;
    expect(flip).toMatchObject({
      kind: 'flag',
      author: 'remediation rule checkout-multibuy-rollback',
      source: 'remediation:checkout-multibuy-rollback',
      summary: expect.stringContaining('checkout-multibuy'),
    });
    expect(flags.calls).toHaveLength(1);

    const cases: [object, RegExp][] = [
      [
        { entityRef: 'component:default/checkout', kind: 'migration' },
        /^Invalid body: kind: must be one of deploy, config, flag, restart/,
      ],
      [
        {
          entityRef: 'component:default/checkout',
          kind: 'deploy',
          link: ['javascript', 'alert(1)'].join(':'),
        },
        /^Invalid body: link: must be an http\(s\) URL/,
      ],
      [
        {
          entityRef: 'component:default/checkout',
          kind: 'deploy',
          at: 'yesterday',
        },
        /^Invalid body: at: must be an ISO-8601 timestamp/,
      ],
      [
        { entityRef: 'checkout', kind: 'deploy' },
        /^Invalid body: entityRef: must be a full entity ref/,
      ],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect([res.status, res.body.error?.message]).toEqual([
        400,
        expect.stringMatching(message),
      ]);
    }
    expect(
      (
        await post(
          { entityRef: 'component:default/checkout', kind: 'deploy' },
          mockCredentials.user.header(STRANGER),
        )
      ).status,
    ).toBe(403);

    // the commander shows the last change before an alert started: the deploy ten minutes earlier, not the later one
    const startsAt = Date.now() - 5 * MIN;
    await post({
      entityRef: 'component:default/checkout',
      kind: 'deploy',
      version: 'v2.15.0',
      author: 'ci',
      at: new Date(startsAt - 10 * MIN).toISOString(),
    });
    await post({
      entityRef: 'component:default/checkout',
      kind: 'config',
      summary: 'after the alert',
      at: new Date(startsAt + MIN).toISOString(),
    });
    const alert = {
      status: 'firing',
      labels: {
        alertname: 'CheckoutHighErrorRate',
        severity: 'error',
        service: 'checkout',
      },
      annotations: { summary: 'errors' },
      startsAt: new Date(startsAt).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: 'c0ffee0000000001',
    };
    const delivered = await request(server)
      .post('/api/reliability/alertmanager/webhook')
      .set('Authorization', 'Bearer changes-test-secret-0123456789')
      .send({
        version: '4',
        groupKey: '{}:{}',
        status: 'firing',
        receiver: 'backstage',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://127.0.0.1',
        alerts: [alert],
      });
    expect(delivered.status).toBe(200);
    const commander = (
      await request(server)
        .get('/api/reliability/commander/alerts')
        .set('Authorization', mockCredentials.user.header(OWNER))
    ).body.items;
    expect(
      commander.find((a: any) => a.name === 'CheckoutHighErrorRate'),
    ).toMatchObject({
      entityRef: 'component:default/checkout',
      lastChange: { kind: 'deploy', version: 'v2.15.0', author: 'ci' },
    });
    expect(
      (await post({ entityRef: 'component:default/nope', kind: 'deploy' }))
        .status,
    ).toBe(404);
    expect(
      (
        await request(server)
          .get(
            '/api/reliability/changes?entityRef=component:default/checkout&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z',
          )
          .set('Authorization', mockCredentials.user.header(OWNER))
      ).body.error.message,
    ).toMatch(/from: must be before to/);
  });
});
