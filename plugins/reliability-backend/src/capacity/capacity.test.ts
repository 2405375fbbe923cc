import { readFileSync } from 'fs';
import path from 'path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { component, ingestSlo } from '../__testUtils__/entities';

jest.setTimeout(60_000);

const OWNER = 'user:default/mei';
const STRANGER = 'user:default/stranger';
const MIN = 60_000;
const fixture = (name: string) =>
  JSON.parse(
    readFileSync(
      path.join(
        __dirname,
        '../../../reliability-common/src/capacity/__fixtures__',
        name,
      ),
      'utf8',
    ),
  );

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('load tests on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    const checkout = component('checkout');
    checkout.metadata.annotations = { 'reliability.io/latency-p95': '1s' };
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            checkout,
            component('search'),
            ingestSlo('checkout-success', 'checkout'),
          ],
        }),
        mockServices.database.factory({ knex }),
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(r => {
              const user = (credentials.principal as { userEntityRef?: string })
                .userEntityRef;
              if (r.permission.name === 'reliability.capacity.record')
                return {
                  result:
                    !user || user === OWNER
                      ? AuthorizeResult.ALLOW
                      : AuthorizeResult.DENY,
                };
              return { result: AuthorizeResult.ALLOW };
            }) as any,
          authorizeConditional: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
        }).factory,
      ],
    }));
    await scheduler.evaluate();
  });

  const ci = (body: object) =>
    request(server)
      .post('/api/reliability/capacity/runs')
      .set('Authorization', mockCredentials.service.header())
      .send(body);
  const runs = async (ref = 'component:default/checkout') =>
    (
      await request(server)
        .get(`/api/reliability/capacity/runs?entityRef=${ref}`)
        .set('Authorization', mockCredentials.user.header(OWNER))
    ).body;

  it('records k6 summaries in both shapes with a verdict against the latency SLO: CI fails the build on fail', async () => {
    const pass = await ci({
      entityRef: 'component:default/checkout',
      testType: 'load',
      commit: '3f2a9c1',
      summary: fixture('k6-handle-summary.json'),
      cpuPercent: 71,
    });
    expect(pass.status).toBe(201);
    expect(pass.body).toMatchObject({
      verdict: 'pass',
      reason: 'p95 612.4 ms is within the latency SLO of 1000 ms',
      p95Ms: 612.35,
      rps: 900,
      errorRate: 0.0021,
      cpuPercent: 71,
      targetMs: 1000,
      recordedBy: expect.stringMatching(/^service:/),
    });
    const fail = await ci({
      entityRef: 'component:default/checkout',
      testType: 'stress',
      commit: '7b1e0d4',
      summary: fixture('k6-summary-export.json'),
      maxRps: 1400,
      startedAt: new Date(Date.now() + 1000).toISOString(),
    });
    expect(fail.body).toMatchObject({
      verdict: 'fail',
      reason: 'p95 1420.8 ms is above the latency SLO of 1000 ms',
      maxRps: 1400,
      errorRate: 0.03,
    });
    const list = await runs();
    expect(list.items.map((r: any) => [r.testType, r.verdict])).toEqual([
      ['stress', 'fail'],
      ['load', 'pass'],
    ]);
    expect(list.targetMs).toBe(1000);
    expect(list.warnings.map((w: any) => w.code)).toEqual(['last-failed']);
    // no latency objective: the verdict says so
    expect(
      (
        await ci({
          entityRef: 'component:default/search',
          testType: 'smoke',
          commit: 'main',
          summary: fixture('k6-handle-summary.json'),
        })
      ).body,
    ).toMatchObject({
      verdict: 'unknown',
      reason: expect.stringMatching(/^no latency objective/),
    });
  });

  it('warns when the last stress test is below twice the daily peak of the SLI traffic', async () => {
    // the busiest minute: 60,000 checkouts, 1,000 a second
    const t = new Date(
      Math.floor(Date.now() / MIN) * MIN - 5 * MIN,
    ).toISOString();
    await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: t,
            good: 60_000,
            total: 60_000,
          },
        ],
      });
    expect((await runs()).warnings).toEqual([
      {
        code: 'no-stress-test',
        message:
          'No stress test yet: prove 2000 RPS, twice the daily peak of 1000 RPS.',
      },
    ]);
    await ci({
      entityRef: 'component:default/checkout',
      testType: 'stress',
      commit: 'a1',
      summary: fixture('k6-handle-summary.json'),
      maxRps: 1900,
    });
    const list = await runs();
    expect(list.peakRps).toBeCloseTo(1000, 6);
    expect(list.warnings).toEqual([
      {
        code: 'stress-headroom',
        message:
          'The last stress test reached 1900 RPS, below twice the daily peak (2000 RPS of 1000).',
      },
    ]);
    await ci({
      entityRef: 'component:default/checkout',
      testType: 'stress',
      commit: 'a2',
      summary: fixture('k6-handle-summary.json'),
      maxRps: 2300,
      startedAt: new Date(Date.now() + 1000).toISOString(),
    });
    expect((await runs()).warnings).toEqual([]);
  });

  it('refuses bad input naming the field, and strangers', async () => {
    const base = {
      entityRef: 'component:default/checkout',
      testType: 'stress',
      commit: 'abc',
      summary: fixture('k6-handle-summary.json'),
    };
    const cases: [object, RegExp][] = [
      [
        { ...base, testType: 'chaos' },
        /^Invalid body: testType: must be one of smoke, load, spike, stress, soak/,
      ],
      [
        { ...base, commit: 'a b' },
        /^Invalid body: commit: must be a commit sha or ref/,
      ],
      [
        { ...base, summary: 'k6 output' },
        /^Invalid body: summary: must be the JSON object of a k6 end-of-test summary/,
      ],
      [
        {
          ...base,
          summary: { metrics: { http_req_duration: { values: { avg: 1 } } } },
        },
        /^Invalid body: summary\.metrics\.http_req_duration: needs p\(95\)/,
      ],
      [{ ...base, maxRps: -1 }, /^Invalid body: maxRps: must be above 0/],
      [{ ...base, extra: 1 }, /Unrecognized key/],
    ];
    for (const [body, message] of cases) {
      const res = await ci(body);
      expect([res.status, res.body.error?.message]).toEqual([
        400,
        expect.stringMatching(message),
      ]);
    }
    expect(
      (
        await request(server)
          .post('/api/reliability/capacity/runs')
          .set('Authorization', mockCredentials.user.header(STRANGER))
          .send(base)
      ).status,
    ).toBe(403);
    expect(
      (await ci({ ...base, entityRef: 'component:default/nope' })).status,
    ).toBe(404);
    expect((await runs()).items).toEqual([]);
  });
});
