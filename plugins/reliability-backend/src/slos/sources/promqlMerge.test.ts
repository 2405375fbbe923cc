import { mockServices } from '@backstage/backend-test-utils';
import {
  BURN_RATE_WINDOWS,
  SloDefinition,
} from '@reliability-suite/plugin-reliability-common';
import {
  demoOpenMetrics,
  startPrometheus,
} from '../../__testUtils__/prometheus';
import { Evaluator } from '../Evaluator';
import { SliSourceRegistry } from '../counting';
import { PrometheusClient, PrometheusSliSource } from './PrometheusSliSource';
import {
  MAX_MERGED_REGEX,
  MAX_MERGED_VALUES,
  planMerges,
  sumOfRateShape,
} from './promqlMerge';

jest.setTimeout(120_000);

describe('planMerges', () => {
  it('takes apart exactly sum(rate|increase(metric{equalities}[range]))', () => {
    expect(
      sumOfRateShape(
        'sum(rate(http_requests_total{job="a", code=\'200\'}[30d]))',
      ),
    ).toEqual({
      fn: 'rate',
      metric: 'http_requests_total',
      range: '30d',
      matchers: [
        { name: 'job', value: 'a', text: 'job="a"' },
        { name: 'code', value: '200', text: "code='200'" },
      ],
    });
    expect(sumOfRateShape('sum(increase(x{a=`b\\c`}[5m]))')?.matchers).toEqual([
      { name: 'a', value: 'b\\c', text: 'a=`b\\c`' },
    ]);
    for (const other of [
      'sum by (job) (rate(x{job="a"}[5m]))',
      'sum(rate(x{job="a"}[5m] offset 1m))',
      'sum(rate(x{job=~"a"}[5m]))',
      'sum(rate(x{job!="a"}[5m]))',
      'sum(rate(x{job=""}[5m]))',
      'sum(rate(x{job="a\\"b"}[5m]))',
      'sum(rate(x[5m]))',
      'sum(rate({__name__="x", job="a"}[5m]))',
      'sum(rate(x{job="a", job="b"}[5m]))',
      'avg(rate(x{job="a"}[5m]))',
      'sum(irate(x{job="a"}[5m]))',
      'sum(rate(x{job="a"}[5m])) * 2',
      'sum(rate(x{job="a"}[5m:1m]))',
      'sum(rate(x{job="a"}[5m])',
      `sum(rate(x{job="${'a'.repeat(1_000)}"}[5m]))`,
      `sum(rate(x{${Array.from({ length: 9 }, (_, i) => `l${i}="v"`).join(
        ',',
      )}}[5m]))`,
    ]) {
      expect([other.slice(0, 60), sumOfRateShape(other)]).toEqual([
        other.slice(0, 60),
        undefined,
      ]);
    }
  });

  it('merges the expressions that differ in one label only, and leaves the rest as written', () => {
    const exprs = [
      'sum(rate(req_total{job="shop", region="eu"}[30d]))',
      'sum(rate(req_total{region="us", job="shop"}[30d]))',
      'sum(rate(req_total{job="shop", region="a.b|c"}[30d]))',
      'sum(rate(req_total{job="shop", region="eu"}[30d]))',
      'sum(rate(req_total{job="shop", region="eu"}[5m]))',
      'sum(rate(other_total{job="shop"}[30d]))',
      '1 - sum(rate(req_total{job="shop"}[30d]))',
    ];
    const { merged, rest } = planMerges(exprs);
    expect(merged).toEqual([
      {
        query:
          'sum by (region) (rate(req_total{job="shop", region=~`eu|us|a\\.b\\|c`}[30d]))',
        label: 'region',
        members: new Map([
          ['eu', [0, 3]],
          ['us', [1]],
          ['a.b|c', [2]],
        ]),
      },
    ]);
    // a different range, a metric alone, an expression of another shape
    expect(rest).toEqual([4, 5, 6]);
  });

  it('leaves the same expression asked twice, and values a raw string cannot hold, as written', () => {
    expect(
      planMerges(['sum(rate(x{a="1"}[5m]))', 'sum(rate(x{a="1"}[5m]))']),
    ).toEqual({ merged: [], rest: [0, 1] });
    const tick = planMerges([
      'sum(rate(x{a="1"}[5m]))',
      "sum(rate(x{a='b`c'}[5m]))",
    ]);
    expect(tick).toEqual({ merged: [], rest: [0, 1] });
  });

  it(`splits a merge at ${MAX_MERGED_VALUES} values a query`, () => {
    const exprs = Array.from(
      { length: MAX_MERGED_VALUES + 3 },
      (_, i) => `sum(rate(x{slo="${i}"}[5m]))`,
    );
    const { merged, rest } = planMerges(exprs);
    expect(merged.map(m => m.members.size)).toEqual([MAX_MERGED_VALUES, 3]);
    expect(rest).toEqual([]);
  });

  it(`splits a merge at ${MAX_MERGED_REGEX} characters of values a query`, () => {
    // 40 values of 900 characters: 17 fit in 16,000
    const exprs = Array.from(
      { length: 40 },
      (_, i) => `sum(rate(x{slo="${String(i).padStart(900, 'v')}"}[5m]))`,
    );
    const { merged, rest } = planMerges(exprs);
    expect(merged.map(m => m.members.size)).toEqual([17, 17, 6]);
    expect(rest).toEqual([]);
    for (const m of merged)
      expect(m.query.length).toBeLessThan(MAX_MERGED_REGEX + 100);
  });
});

describe('merged queries against a real Prometheus', () => {
  const MIN = 60_000;
  const NOW = Math.floor(Date.now() / MIN) * MIN;
  const T0 = NOW - 2 * 86_400_000;
  const logger = mockServices.logger.mock();
  let prom: { url: string; stop: () => Promise<void> };

  beforeAll(async () => {
    prom = await startPrometheus(demoOpenMetrics(T0, NOW));
  });

  afterAll(async () => {
    await prom?.stop();
  });

  const slo = (name: string, good: string, total: string): SloDefinition => ({
    ref: `default/${name}`,
    namespace: 'default',
    name,
    title: name,
    componentRef: 'component:default/demo',
    target: 0.99,
    window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
    indicator: {
      mode: 'good-total',
      sourceType: 'Prometheus',
      good: { spec: { query: good } },
      total: { spec: { query: total } },
    },
  });

  it('gives what each expression gives alone, to 1e-9, in fewer selectors (eu has a counter reset)', async () => {
    const slos = [
      slo(
        'eu',
        'demo_good_total{region="eu"}',
        'demo_requests_total{region="eu"}',
      ),
      slo(
        'us',
        'demo_good_total{region="us"}',
        'demo_requests_total{region="us"}',
      ),
      slo(
        'nowhere',
        'demo_good_total{region="mars"}',
        'demo_requests_total{region="mars"}',
      ),
      slo(
        'templated',
        'sum(rate(demo_good_total{region="us"}[{{.window}}]))',
        'sum(rate(demo_requests_total{region="us"}[{{.window}}]))',
      ),
    ];
    // 4 SLO-intervals (8 queries) a request
    const source = new PrometheusSliSource(
      [{ name: 'main', url: prom.url, headers: {}, recordedRules: 'off' }],
      logger,
      { batchSize: 4 },
    );
    const reg = new SliSourceRegistry();
    reg.add(source);
    const results = await new Evaluator(undefined as any, reg, logger).evaluate(
      slos,
      NOW,
    );
    const client = new PrometheusClient({
      name: 'alone',
      url: prom.url,
      headers: {},
    });
    for (const region of ['eu', 'us']) {
      for (const ref of region === 'us'
        ? ['default/us', 'default/templated']
        : ['default/eu']) {
        const s = results.get(ref)!.status;
        expect(results.get(ref)!.reason).toBeUndefined();
        for (const w of BURN_RATE_WINDOWS) {
          const alone = await client.instant(
            `(1 - sum(rate(demo_good_total{region="${region}"}[${w}])) / sum(rate(demo_requests_total{region="${region}"}[${w}]))) / (1 - 0.99)`,
            NOW,
          );
          expect(alone).not.toBeNull();
          expect(Math.abs(s.burnRates[w]! - alone!)).toBeLessThanOrEqual(
            1e-9 * Math.max(1, Math.abs(alone!)),
          );
        }
        const total = await client.instant(
          `sum(rate(demo_requests_total{region="${region}"}[30d])) * ${
            30 * 86_400
          }`,
          NOW,
        );
        expect(Math.abs(s.total - total!)).toBeLessThanOrEqual(1e-9 * total!);
      }
    }
    // a region without series: no data, as alone
    expect(results.get('default/nowhere')!.status.state).toBe('no_data');
    // 4 SLOs x 8 distinct windows x 2 expressions = 64 (8 requests as written), as 16 merged queries (2 metrics x 8
    // ranges, each over eu|us|mars): 2 requests
    expect(source.queriesSent().main).toBe(2);
  });

  it('asks each query alone when Prometheus rejects the request, so that an error stays on its own SLO', async () => {
    const source = new PrometheusSliSource(
      [{ name: 'main', url: prom.url, headers: {}, recordedRules: 'off' }],
      logger,
    );
    const reg = new SliSourceRegistry();
    reg.add(source);
    const slos = [
      slo(
        'eu',
        'demo_good_total{region="eu"}',
        'demo_requests_total{region="eu"}',
      ),
      slo(
        'us',
        'demo_good_total{region="us"}',
        'demo_requests_total{region="us"}',
      ),
      // Prometheus refuses a range vector where an instant one is wanted: the batch's request is rejected with it
      slo(
        'broken',
        'sum(demo_good_total[{{.window}}])',
        'sum(rate(demo_requests_total[{{.window}}]))',
      ),
    ];
    const results = await new Evaluator(undefined as any, reg, logger).evaluate(
      slos,
      NOW,
    );
    expect(results.get('default/eu')!.reason).toBeUndefined();
    expect(results.get('default/us')!.reason).toBeUndefined();
    expect(results.get('default/eu')!.status.total).toBeGreaterThan(0);
    expect(results.get('default/broken')!.reason).toMatch(/rejected the query/);
  });
});
