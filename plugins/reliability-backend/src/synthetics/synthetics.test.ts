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
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';
import { startShop } from '../__testUtils__/shop';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';

jest.setTimeout(60_000);

const OWNER = 'user:default/mei';
const STRANGER = 'user:default/stranger';
const CHECKOUT = 'component:default/checkout';
const SEED_REGISTRY =
  'journey,region,frequency,deadline_ms\ncheckout_full,ap-sg,5m,3000\nlogin_otp,us-east,5m,1500\nsearch_basic,eu-west,5m,2000\n';

/** checkout's SLO whose SLI is the checkout_full journey (every region). */
const syntheticSlo = () => {
  const slo = ingestSlo('checkout-journey');
  const source = {
    metricSource: { type: 'Synthetic', spec: { journey: 'checkout_full' } },
  };
  (slo.spec as any).indicator = {
    spec: { ratioMetric: { counter: true, good: source, total: source } },
  };
  return slo;
};

/** checkout's threshold SLO on the same journey: each run's duration, at most 60 s, judged per minute. */
const syntheticDurationSlo = () => {
  const slo = ingestSlo('checkout-journey-duration');
  (slo.spec as any).indicator = {
    spec: {
      thresholdMetric: {
        metricSource: { type: 'Synthetic', spec: { journey: 'checkout_full' } },
      },
    },
  };
  (slo.spec as any).budgetingMethod = 'Timeslices';
  (slo.spec as any).objectives = [
    {
      op: 'lte',
      value: 60_000,
      target: 0.9,
      timeSliceTarget: 1,
      timeSliceWindow: '1m',
    },
  ];
  return slo;
};

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('synthetic journeys on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let knex: Awaited<ReturnType<typeof databases.init>>;
  let scheduler: ReturnType<typeof manualScheduler>;
  let shop: Awaited<ReturnType<typeof startShop>>;
  let base: string;

  beforeAll(async () => {
    shop = await startShop();
    base = `http://127.0.0.1:${shop.port}`;
  });
  afterAll(() => shop.close());

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        // a request without an Authorization header comes from CI defining journeys: a token whose access restrictions grant the synthetics permission
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.service('external:ci', {
            permissionNames: ['reliability.synthetics.update'],
          }),
        }),
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            component('checkout'),
            component('search'),
            syntheticSlo(),
            syntheticDurationSlo(),
          ],
        }),
        mockServices.database.factory({ knex }),
        ownersAndServices(OWNER, 'reliability.synthetics.update'),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              evaluation: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 24 },
                },
              },
              synthetics: {
                allowedHosts: ['127.0.0.1'],
                secrets: { OTP: '424242' },
                evidenceRuns: 1,
              },
            },
          },
        }),
      ],
    }));
    await scheduler.evaluate();
  });

  const as = (user?: string) => {
    const auth = user ? mockCredentials.user.header(user) : '';
    return {
      get: (p: string) =>
        request(server).get(`/api/reliability${p}`).set('Authorization', auth),
      put: (body: object) =>
        request(server)
          .put('/api/reliability/synthetics/journeys')
          .set('Authorization', auth)
          .send(body),
      csv: (p: string, text: string) =>
        request(server)
          .post(`/api/reliability${p}`)
          .set('Authorization', auth)
          .set('Content-Type', 'text/csv')
          .send(text),
    };
  };
  const checkoutFull = (fail = false) => ({
    name: 'checkout_full',
    regions: ['ap-sg', 'us-east'],
    frequency: fail ? '10m' : '5m',
    deadlineMs: 3000,
    steps: [
      {
        type: 'http',
        name: 'Home',
        url: `${base}/`,
        assert: [{ contains: 'Demo shop' }],
      },
      {
        type: 'http',
        name: 'Login OTP',
        method: 'POST',
        url: `${base}/login/otp`,
        body: { user: 'synthetic', otp: '{{secrets.OTP}}' },
        extract: [{ name: 'token', jsonPath: '$.token' }],
      },
      {
        type: 'http',
        name: 'Search',
        url: `${base}/search?q=socks`,
        headers: { Authorization: 'Bearer {{token}}' },
        extract: [{ name: 'sku', jsonPath: '$.items[0].sku' }],
      },
      {
        type: 'http',
        name: 'Add to cart',
        method: 'POST',
        url: `${base}/cart`,
        body: { sku: '{{sku}}' },
        expectStatus: 201,
        extract: [{ name: 'cartId', jsonPath: '$.cartId' }],
      },
      {
        type: 'http',
        name: 'Checkout',
        method: 'POST',
        url: `${base}/checkout/{{cartId}}${fail ? '?fail=1' : ''}`,
        expectStatus: 201,
        assert: [{ jsonPath: '$.status', equals: 'paid' }],
      },
    ],
  });

  it('defines journeys (owners and services), refusing hosts off the allowlist, unknown secrets and bad fields by name', async () => {
    const created = await as(OWNER).put({
      entityRef: CHECKOUT,
      journey: checkoutFull(),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'checkout_full',
      regions: ['ap-sg', 'us-east'],
      updatedBy: OWNER,
      latest: { 'ap-sg': null, 'us-east': null },
    });
    expect(
      (await as().put({ entityRef: CHECKOUT, journey: checkoutFull() })).status,
    ).toBe(200);
    // a service whose token grants nothing more than reading and reporting may not define journeys
    const ungranted = await request(server)
      .put('/api/reliability/synthetics/journeys')
      .set('Authorization', mockCredentials.service.header())
      .send({ entityRef: CHECKOUT, journey: checkoutFull() });
    expect([ungranted.status, ungranted.body.error?.message]).toEqual([
      403,
      `Missing permission reliability.synthetics.update on ${CHECKOUT}`,
    ]);
    expect(
      (await as(STRANGER).put({ entityRef: CHECKOUT, journey: checkoutFull() }))
        .status,
    ).toBe(403);
    expect(
      (
        await as(OWNER).put({
          entityRef: 'component:default/nope',
          journey: checkoutFull(),
        })
      ).status,
    ).toBe(404);
    const offList = await as(OWNER).put({
      entityRef: CHECKOUT,
      journey: {
        ...checkoutFull(),
        steps: [
          {
            type: 'http',
            name: 'x',
            url: 'https://evil.example/',
            headers: { 'X-Key': '{{secrets.MISSING}}' },
          },
          { type: 'tls', name: 't', host: 'evil.example' },
        ],
      },
    });
    expect([offList.status, offList.body.error.message]).toEqual([
      400,
      'Invalid journey: steps.0.headers.X-Key: {{secrets.MISSING}} is not in reliability.synthetics.secrets; steps.0.url: evil.example is not on reliability.synthetics.allowedHosts; steps.1.host: evil.example is not on reliability.synthetics.allowedHosts',
    ]);
    const bad = await as(OWNER).put({
      entityRef: CHECKOUT,
      journey: {
        name: 'Checkout!',
        regions: [],
        frequency: '5s',
        deadlineMs: 10,
        steps: [],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(
      /^Invalid journey: name: must be lowercase letters.*regions: needs at least one region.*frequency: must be a duration between 30s and 24h.*deadlineMs: must be at least 100/,
    );
    const browser = await as(OWNER).put({
      entityRef: CHECKOUT,
      journey: {
        ...checkoutFull(),
        steps: [
          { type: 'browser', name: 'b', actions: [{ goto: `${base}/` }] },
        ],
      },
    });
    expect(browser.body.error.message).toBe(
      'Invalid journey: steps.0: browser steps are off here (reliability.synthetics.browser.enabled)',
    );
  });

  it("imports the seed's registry as is; a broken file imports nothing and names each line", async () => {
    await as(OWNER).put({ entityRef: CHECKOUT, journey: checkoutFull() });
    const imported = await as().csv(
      `/synthetics/import?entityRef=${CHECKOUT}`,
      SEED_REGISTRY,
    );
    expect([imported.status, imported.body]).toEqual([
      200,
      { added: 2, updated: 1, withoutSteps: ['login_otp', 'search_basic'] },
    ]);
    const list = await as(OWNER).get(`/synthetics?entityRef=${CHECKOUT}`);
    expect(
      list.body.items.map((j: any) => [
        j.name,
        j.regions,
        j.frequency,
        j.deadlineMs,
        j.steps.length,
      ]),
    ).toEqual([
      // the registry sets regions, frequency and deadline; the journey keeps its steps
      ['checkout_full', ['ap-sg'], '5m', 3000, 5],
      ['login_otp', ['us-east'], '5m', 1500, 0],
      ['search_basic', ['eu-west'], '5m', 2000, 0],
    ]);
    expect(list.body.allowedHosts).toEqual(['127.0.0.1']);
    const broken = await as().csv(
      `/synthetics/import?entityRef=${CHECKOUT}`,
      'journey,region,frequency,deadline_ms\nnew_one,ap-sg,5m,1000\nbad,Asia,5m,1000\nslow,ap-sg,5s,fast\n',
    );
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toBe(
      "Invalid CSV, nothing imported: line 3, region: must be a region such as ap-sg or us-east; line 4, frequency: must be a duration between 30s and 24h, such as 5m; line 4, deadline_ms: must be a whole number of milliseconds, got 'fast'",
    );
    expect(
      (await as(OWNER).get(`/synthetics?entityRef=${CHECKOUT}`)).body.items,
    ).toHaveLength(3);
    expect(
      (
        await as(STRANGER).csv(
          `/synthetics/import?entityRef=${CHECKOUT}`,
          SEED_REGISTRY,
        )
      ).status,
    ).toBe(403);
  });

  it('runs due journeys per region once, records evidence, feeds the Synthetic SLI, charts them, and prunes old evidence', async () => {
    await as(OWNER).put({ entityRef: CHECKOUT, journey: checkoutFull() });
    await scheduler.run('reliability-synthetics-run');
    const hits = shop.hits.get('/checkout/cart-1');
    // both regions ran; a second tick finds nothing due (5m)
    await scheduler.run('reliability-synthetics-run');
    expect(shop.hits.get('/checkout/cart-1')).toBe(hits);
    // tagged as the seed asks, on the suite's metrics endpoint
    const metrics = await request(server).get('/api/reliability/metrics');
    expect(metrics.text).toContain(
      'synthetic_runs_total{synthetic="true",entity="component:default/checkout",journey="checkout_full",region="ap-sg",result="success"} 1',
    );
    expect(metrics.text).toContain(
      'synthetic_run_duration_seconds_count{synthetic="true",entity="component:default/checkout",journey="checkout_full",region="us-east"} 1',
    );
    let list = (await as(OWNER).get(`/synthetics?entityRef=${CHECKOUT}`)).body
      .items[0];
    expect(list.latest).toEqual({
      'ap-sg': expect.objectContaining({ success: true, error: null }),
      'us-east': expect.objectContaining({ success: true, error: null }),
    });

    // the journey changed (a new frequency makes it due at once), and now fails at checkout
    await as(OWNER).put({ entityRef: CHECKOUT, journey: checkoutFull(true) });
    await scheduler.run('reliability-synthetics-run');
    list = (await as(OWNER).get(`/synthetics?entityRef=${CHECKOUT}`)).body
      .items[0];
    expect(list.latest['ap-sg']).toMatchObject({
      success: false,
      error: `step 'Checkout': assertion $.status == "paid": got "pending"`,
    });

    const failed = await as(OWNER).get(
      `/synthetics/runs?entityRef=${CHECKOUT}&journey=checkout_full&failed=true&region=ap-sg`,
    );
    expect(failed.body.items).toHaveLength(1);
    const run = failed.body.items[0];
    expect(run.steps.map((s: any) => [s.name, s.ok, s.status])).toEqual([
      ['Home', true, 200],
      ['Login OTP', true, 200],
      ['Search', true, 200],
      ['Add to cart', true, 201],
      ['Checkout', false, 201],
    ]);
    // the OTP secret and the session token are not in the evidence
    expect(JSON.stringify(run)).not.toMatch(/424242|tok-123/);
    expect(run.steps[1].excerpt).toBe(
      '{"user":"synthetic","token":"[redacted]"}',
    );

    // the SLI: two good runs and two bad ones, in the minute buckets (and late counts, for a run recorded after a
    // later one) that the evaluator reads once the minute closes
    const sum = async (table: string) =>
      (
        await knex(table)
          .where('slo_ref', 'default/checkout-journey')
          .sum({ good: 'good', total: 'total' })
      )[0];
    const [b, l] = [
      await sum('reliability_buckets'),
      await sum('reliability_late_counts'),
    ];
    expect([
      Number(b.good ?? 0) + Number(l.good ?? 0),
      Number(b.total ?? 0) + Number(l.total ?? 0),
    ]).toEqual([2, 4]);
    // the threshold SLI on the same journey: each run's duration is a value (under 60 s), a failed run a bad one,
    // in its minute's tally (counted by the tick once the minute ends)
    const tallies = (
      await knex('reliability_slice_tallies')
        .where('slo_ref', 'default/checkout-journey-duration')
        .sum({ n: 'n', good: 'good' })
    )[0];
    expect([Number(tallies.n), Number(tallies.good)]).toEqual([4, 2]);
    await scheduler.evaluate();
    const slo = (
      await as(OWNER).get(`/slos?entityRef=${CHECKOUT}`)
    ).body.items.find((s: any) => s.name === 'checkout-journey');
    expect(slo.sourceType).toBe('Synthetic');

    const series = await as(OWNER).get(
      `/synthetics/series?entityRef=${CHECKOUT}&journey=checkout_full`,
    );
    expect(series.body).toMatchObject({
      journey: 'checkout_full',
      bucketMs: 3_600_000,
      deadlineMs: 3000,
    });
    expect(
      series.body.points.map((p: any) => [p.region, p.runs, p.successRate]),
    ).toEqual([
      ['ap-sg', 2, 0.5],
      ['us-east', 2, 0.5],
    ]);
    expect(series.body.points[0].p95Ms).toBeGreaterThan(0);
    expect(
      (
        await as(OWNER).get(
          `/synthetics/series?entityRef=${CHECKOUT}&journey=checkout_full&range=1y`,
        )
      ).body.error.message,
    ).toBe('Invalid query: range: must be one of 24h, 7d, 30d');

    // evidence is kept for the last run of each journey and region only (evidenceRuns: 1)
    await scheduler.run('reliability-synthetics-prune');
    const all = (await as(OWNER).get(`/synthetics/runs?entityRef=${CHECKOUT}`))
      .body.items;
    // newest first; the regions of one tick run at once, so their order within a tick is not fixed
    expect(
      all.map((r: any) => [r.region, r.success, r.steps === null]).sort(),
    ).toEqual([
      ['ap-sg', false, false],
      ['ap-sg', true, true],
      ['us-east', false, false],
      ['us-east', true, true],
    ]);
    expect(all.map((r: any) => r.success)).toEqual([false, false, true, true]);
    expect(
      (
        await as(OWNER).get(
          `/synthetics/runs/${all[0].id}/screenshot?entityRef=${CHECKOUT}`,
        )
      ).status,
    ).toBe(404);
    // a deleted journey takes its runs along
    expect(
      (
        await request(server)
          .delete(
            `/api/reliability/synthetics/journeys?entityRef=${CHECKOUT}&journey=checkout_full`,
          )
          .set('Authorization', mockCredentials.user.header(OWNER))
      ).status,
    ).toBe(204);
    expect(
      (await as(OWNER).get(`/synthetics/runs?entityRef=${CHECKOUT}`)).body
        .items,
    ).toEqual([]);
  });

  it('hands each due journey and region to one runner at a time: concurrent claims split them, and a claimed pair waits for its next turn', async () => {
    await as(OWNER).put({ entityRef: CHECKOUT, journey: checkoutFull() });
    const store = (
      await ReliabilityDatabase.create(knex, { skipMigrations: true })
    ).stores().synthetics;
    const now = Date.now() + 1_000;
    const [a, b, c] = await Promise.all([
      store.claimDue(now, 10, 5_000),
      store.claimDue(now, 10, 5_000),
      store.claimDue(now, 10, 5_000),
    ]);
    const claimed = [...a, ...b, ...c];
    expect(claimed.map(x => x.region).sort()).toEqual(['ap-sg', 'us-east']);
    // claimed pairs are not due again until one frequency (5m) later
    expect(await store.claimDue(now + 60_000, 10, 5_000)).toEqual([]);
    expect(
      (await store.claimDue(now + 5 * 60_000, 10, 5_000))
        .map(x => x.region)
        .sort(),
    ).toEqual(['ap-sg', 'us-east']);
  });
});
