import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(90_000);

const MIN = 60_000;
const ingest = {
  metricSource: {
    type: 'Ingest',
    spec: { endpoint: '/api/reliability/sli-events' },
  },
};

/** An SLO of the built-in ingest with the given indicator, budgeting and objective. */
const slo = (
  name: string,
  indicator: object,
  budgetingMethod: string,
  objective: object,
  duration = '7d',
  timeWindow: object = { duration, isRolling: true },
): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default' },
  spec: {
    service: 'login-otp',
    indicator: { spec: indicator },
    timeWindow: [timeWindow],
    budgetingMethod,
    objectives: [objective],
  },
  relations: [{ type: 'measures', targetRef: 'component:default/login-otp' }],
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('threshold SLIs and time slices on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    const entities = [
      // the seed's otp_verify_latency_p95: p95 <= 300 ms over 7 days, in 1-minute slices, 99% of them good
      slo('otp-p95', { thresholdMetric: ingest }, 'Timeslices', {
        op: 'lte',
        value: 300,
        target: 0.99,
        timeSliceTarget: 1,
        timeSliceWindow: '1m',
      }),
      slo(
        'checkout-minutes',
        { ratioMetric: { counter: true, good: ingest, total: ingest } },
        'Timeslices',
        { target: 0.95, timeSliceTarget: 0.9, timeSliceWindow: '1m' },
      ),
      slo(
        'search-average',
        { ratioMetric: { counter: true, good: ingest, total: ingest } },
        'RatioTimeslices',
        { target: 0.9, timeSliceWindow: '1m' },
        '1d',
      ),
      slo('queue-depth', { thresholdMetric: ingest }, 'Occurrences', {
        op: 'lt',
        value: 100,
        target: 0.9,
      }),
      // OpenSLO's examples (see reliability-common's examples.test.ts) on the built-in ingest
      slo(
        'example-ratio-timeslices',
        { ratioMetric: { counter: true, good: ingest, total: ingest } },
        'RatioTimeslices',
        { op: 'gt', timeSliceWindow: '1m', target: 0.99 },
        '2w',
      ),
      slo(
        'example-low-traffic',
        { ratioMetric: { counter: true, good: ingest, total: ingest } },
        'Timeslices',
        {
          op: 'gt',
          target: 0.9995,
          timeSliceTarget: 0.95,
          timeSliceWindow: '1m',
        },
        '1w',
        {
          duration: '1w',
          isRolling: false,
          calendar: {
            startTime: '2022-01-01 12:00:00',
            timeZone: 'America/New_York',
          },
        },
      ),
      slo(
        'example-occurrences',
        { thresholdMetric: ingest },
        'Occurrences',
        { op: 'lt', value: 500, target: 0.99 },
        '2w',
      ),
    ];
    scheduler = manualScheduler();
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        mockServices.database.factory({ knex }),
        catalogServiceMock.factory({ entities }),
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
            },
          },
        }),
      ],
    });
    server = backend.server;
    await scheduler.evaluate();
  });

  const ago = (minutes: number, seconds = 10) =>
    new Date(
      Math.floor(Date.now() / MIN) * MIN - minutes * MIN + seconds * 1000,
    ).toISOString();
  const values = (items: object[]) =>
    request(server)
      .post('/api/reliability/sli-values')
      .set('Authorization', mockCredentials.service.header())
      .send({ values: items });
  const events = (items: object[]) =>
    request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({ events: items });
  const status = async (name: string) =>
    (
      await request(server)
        .get(`/api/reliability/slos/default/${name}`)
        .set('Authorization', mockCredentials.user.header())
    ).body.status;

  it("counts a threshold SLO in slices: good when every value of the minute meets the objective, budget over the window's slices; a late value moves it", async () => {
    // ten minutes of p95 values: eight under 300 ms, two over
    const p95 = [210, 220, 450, 230, 240, 250, 610, 260, 270, 280];
    expect(
      (
        await values(
          p95.map((v, i) => ({
            slo: 'default/otp-p95',
            timestamp: ago(10 - i),
            value: v,
          })),
        )
      ).status,
    ).toBe(202);
    await scheduler.evaluate();
    let s = await status('otp-p95');
    expect([s.good, s.total]).toEqual([8, 10]);
    expect(s.slices).toEqual({ sliceMs: MIN });
    // 1% of 10,080 slices may be bad: 100.8; 2 are
    expect(s.budgetAllowedEvents).toBeCloseTo(100.8, 9);
    expect(s.budgetConsumedEvents).toBe(2);
    expect(s.budgetRemaining).toBeCloseTo(1 - 2 / 100.8, 12);
    expect(s.sli).toBeCloseTo(0.8, 12);
    // the last hour burns at (2/10) / 1% = 20x
    expect(s.burnRates['1h']).toBeCloseTo(20, 9);

    // a second value in a good minute: that minute goes bad (timeSliceTarget 1), once, however often the tick runs
    expect(
      (
        await values([
          { slo: 'default/otp-p95', timestamp: ago(9, 40), value: 300.5 },
        ])
      ).status,
    ).toBe(202);
    await scheduler.evaluate();
    await scheduler.evaluate();
    s = await status('otp-p95');
    expect([s.good, s.total]).toEqual([7, 10]);
    // a good value in a bad minute changes nothing
    expect(
      (
        await values([
          { slo: 'default/otp-p95', timestamp: ago(8, 50), value: 100 },
        ])
      ).status,
    ).toBe(202);
    await scheduler.evaluate();
    s = await status('otp-p95');
    expect([s.good, s.total]).toEqual([7, 10]);

    // a histogram summary is read at its quantile as histogram_quantile does: the p95 of these 100 requests is 275 ms
    const buckets = [
      { le: 100, count: 40 },
      { le: 250, count: 90 },
      { le: 300, count: 100 },
      { le: '+Inf', count: 100 },
    ];
    expect(
      (
        await values([
          {
            slo: 'default/otp-p95',
            timestamp: ago(12),
            histogram: { quantile: 0.95, buckets },
          },
        ])
      ).status,
    ).toBe(202);
    await scheduler.evaluate();
    s = await status('otp-p95');
    expect([s.good, s.total]).toEqual([8, 11]);
  });

  it('Timeslices over a ratio: a minute is good when its good share meets timeSliceTarget; RatioTimeslices averages the minutes', async () => {
    expect(
      (
        await events([
          {
            slo: 'default/checkout-minutes',
            timestamp: ago(3),
            good: 95,
            total: 100,
          },
          {
            slo: 'default/checkout-minutes',
            timestamp: ago(2),
            good: 80,
            total: 100,
          },
          {
            slo: 'default/checkout-minutes',
            timestamp: ago(2, 30),
            good: 10,
            total: 10,
          },
          // a burst minute at 50% and a quiet one at 100%: the average is 75%, whatever the traffic
          {
            slo: 'default/search-average',
            timestamp: ago(3),
            good: 5_000,
            total: 10_000,
          },
          {
            slo: 'default/search-average',
            timestamp: ago(2),
            good: 10,
            total: 10,
          },
        ])
      ).status,
    ).toBe(202);
    await scheduler.evaluate();
    const minutes = await status('checkout-minutes');
    // 95/100 meets 0.9; 90/110 does not
    expect([minutes.good, minutes.total]).toEqual([1, 2]);
    const average = await status('search-average');
    expect(average.total).toBe(2);
    expect(average.sli).toBeCloseTo(0.75, 12);
    // 10% of 1,440 slices may be spent: 144; half a slice was
    expect(average.budgetRemaining).toBeCloseTo(1 - 0.5 / 144, 12);
  });

  it('counts each value of a threshold SLO with Occurrences as one event', async () => {
    expect(
      (
        await values(
          [50, 150, 99].map((v, i) => ({
            slo: 'default/queue-depth',
            timestamp: ago(3 - i),
            value: v,
          })),
        )
      ).status,
    ).toBe(202);
    await scheduler.evaluate();
    const s = await status('queue-depth');
    expect([s.good, s.total]).toEqual([2, 3]);
    expect(s.slices).toBeUndefined();
  });

  it("evaluates OpenSLO's examples", async () => {
    expect(
      (
        await events([
          {
            slo: 'default/example-ratio-timeslices',
            timestamp: ago(2),
            good: 99,
            total: 100,
          },
          {
            slo: 'default/example-ratio-timeslices',
            timestamp: ago(1),
            good: 1,
            total: 1,
          },
          // 96% and 90% of the calls answered: one good slice (>= 95%), one bad
          {
            slo: 'default/example-low-traffic',
            timestamp: ago(2),
            good: 96,
            total: 100,
          },
          {
            slo: 'default/example-low-traffic',
            timestamp: ago(1),
            good: 9,
            total: 10,
          },
        ])
      ).status,
    ).toBe(202);
    expect(
      (
        await values(
          [320, 640].map((v, i) => ({
            slo: 'default/example-occurrences',
            timestamp: ago(2 - i),
            value: v,
          })),
        )
      ).status,
    ).toBe(202);
    await scheduler.evaluate();
    const ratio = await status('example-ratio-timeslices');
    expect([ratio.total, ratio.sli]).toEqual([2, 0.995]);
    const low = await status('example-low-traffic');
    // 0.05% of a week's 10,080 minutes may be bad: 5.04; one is, burning at (1/2) / 0.05% = 1,000x
    expect([low.good, low.total, low.state]).toEqual([1, 2, 'burning']);
    expect(low.budgetRemaining).toBeCloseTo(1 - 1 / 5.04, 9);
    expect(low.burnRates['1h']).toBeCloseTo(1000, 6);
    const occurrences = await status('example-occurrences');
    expect([occurrences.good, occurrences.total]).toEqual([1, 2]);
  });

  it('refuses what does not fit, naming the field', async () => {
    const cases: [Promise<request.Response>, RegExp][] = [
      [
        values([
          { slo: 'default/checkout-minutes', timestamp: ago(1), value: 1 },
        ]),
        /values\.0\.slo: default\/checkout-minutes counts good and total events \(a ratioMetric\): report them to POST \/sli-events/,
      ],
      [
        events([
          { slo: 'default/otp-p95', timestamp: ago(1), good: 1, total: 1 },
        ]),
        /events\.0\.slo: default\/otp-p95 has a thresholdMetric: report its values to POST \/sli-values/,
      ],
      [
        values([{ slo: 'default/otp-p95', timestamp: ago(1) }]),
        /values\.0\.value: give exactly one of value or histogram/,
      ],
      [
        values([
          {
            slo: 'default/otp-p95',
            timestamp: ago(1),
            value: 1,
            histogram: { quantile: 0.95, buckets: [{ le: '+Inf', count: 1 }] },
          },
        ]),
        /values\.0\.value: give exactly one of value or histogram/,
      ],
      [
        values([
          {
            slo: 'default/otp-p95',
            timestamp: ago(1),
            histogram: {
              quantile: 0.95,
              buckets: [
                { le: 100, count: 3 },
                { le: 300, count: 5 },
              ],
            },
          },
        ]),
        /values\.0\.histogram: has no quantile \(no observations, or no "\+Inf" bucket\)/,
      ],
      [
        values([
          {
            slo: 'default/otp-p95',
            timestamp: ago(1),
            histogram: {
              quantile: 0.95,
              buckets: [
                { le: 300, count: 3 },
                { le: 100, count: 5 },
              ],
            },
          },
        ]),
        /values\.0\.histogram\.buckets\.1\.le: buckets must be in increasing order of le/,
      ],
      [
        values([
          {
            slo: 'default/otp-p95',
            timestamp: ago(1),
            histogram: {
              quantile: 0.95,
              buckets: [
                { le: 100, count: 5 },
                { le: '+Inf', count: 3 },
              ],
            },
          },
        ]),
        /values\.0\.histogram\.buckets\.1\.count: counts are cumulative/,
      ],
      [
        values([
          {
            slo: 'default/otp-p95',
            timestamp: ago(1),
            histogram: { quantile: 1.5, buckets: [{ le: '+Inf', count: 3 }] },
          },
        ]),
        /values\.0\.histogram\.quantile: must be < 1/,
      ],
      [
        values([{ slo: 'default/otp-p95', timestamp: ago(1), value: 'fast' }]),
        /values\.0\.value: must be a number/,
      ],
      [
        values([{ slo: 'default/otp-p95', timestamp: ago(-60), value: 1 }]),
        /values\.0\.timestamp: is more than 5 minutes in the future/,
      ],
    ];
    for (const [pending, message] of cases) {
      const res = await pending;
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    const unknown = await values([
      { slo: 'default/made-up', timestamp: ago(1), value: 1 },
    ]);
    expect(unknown.status).toBe(404);
    // nothing of a refused batch was counted
    await scheduler.evaluate();
    expect((await status('otp-p95')).state).toBe('no_data');
  });
});
