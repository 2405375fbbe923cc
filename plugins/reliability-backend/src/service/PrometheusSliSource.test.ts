import { mockServices } from '@backstage/backend-test-utils';
import { BURN_RATE_WINDOWS, SloDefinition } from '@internal/plugin-reliability-common';
import { startPrometheus } from '../__testUtils__/prometheus';
import { Evaluator, SliSourceRegistry } from './Evaluator';
import { PrometheusClient, PrometheusSliSource } from './PrometheusSliSource';

jest.setTimeout(120_000);

const MIN = 60_000;
const NOW = Math.floor(Date.now() / MIN) * MIN;
const T0 = NOW - 2 * 86_400_000; // two days of data: the 3d and 30d windows reach before the first sample

/**
 * Counters with a counter reset (eu, one day in), a two-hour gap (us) and an incident (eu, 80% good for an hour,
 * 3 hours ago), one sample a minute.
 */
function openMetrics(): string {
  const series: Record<string, [number, number][]> = {};
  const add = (key: string, t: number, v: number) => (series[key] ??= []).push([t, v]);
  let eu = { good: 0, total: 0 };
  let us = { good: 0, total: 0 };
  for (let t = T0; t < NOW; t += MIN) {
    const i = (t - T0) / MIN;
    if (i === 1440) eu = { good: 0, total: 0 }; // process restart: counters reset
    const incident = t >= NOW - 3 * 3_600_000 && t < NOW - 2 * 3_600_000;
    eu = { good: eu.good + (incident ? 80 : 99) + (i % 7 === 0 ? 1 : 0), total: eu.total + 100 };
    us = { good: us.good + 50 - (i % 13 === 0 ? 1 : 0), total: us.total + 50 };
    add('demo_good_total{region="eu"}', t, eu.good);
    add('demo_requests_total{region="eu"}', t, eu.total);
    if (!(i >= 30 * 60 && i < 32 * 60)) {
      add('demo_good_total{region="us"}', t, us.good);
      add('demo_requests_total{region="us"}', t, us.total);
    }
  }
  const lines: string[] = [];
  for (const family of ['demo_good', 'demo_requests']) {
    lines.push(`# TYPE ${family} counter`);
    for (const [key, samples] of Object.entries(series)) {
      if (!key.startsWith(`${family}_total`)) continue;
      for (const [t, v] of samples) lines.push(`${key} ${v} ${t / 1000}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

const slo = (over: Partial<SloDefinition> = {}): SloDefinition => ({
  ref: 'default/demo',
  namespace: 'default',
  name: 'demo',
  title: 'demo',
  componentRef: 'component:default/demo',
  target: 0.99,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: {
    mode: 'good-total',
    sourceType: 'Prometheus',
    good: { type: 'Prometheus', spec: { query: 'demo_good_total' } },
    total: { type: 'Prometheus', spec: { query: 'demo_requests_total' } },
  },
  ...over,
});

const close = (actual: number | null, expected: number | null) => {
  expect(actual).not.toBeNull();
  expect(expected).not.toBeNull();
  expect(Math.abs(actual! - expected!)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected!)));
};

describe('Prometheus SLI source against a real Prometheus', () => {
  let prom: { url: string; stop: () => Promise<void> };
  let client: PrometheusClient;
  const logger = mockServices.logger.mock();

  beforeAll(async () => {
    prom = await startPrometheus(openMetrics());
    client = new PrometheusClient({ name: 'test', url: prom.url, headers: {} });
  });

  afterAll(async () => {
    await prom?.stop();
  });

  function evaluator(source = new PrometheusSliSource([{ name: 'main', url: prom.url, headers: {} }], logger)) {
    const reg = new SliSourceRegistry();
    reg.add(source);
    return new Evaluator(undefined as any, reg, logger);
  }

  it('matches what Prometheus computes for every window, to 1e-9 relative', async () => {
    const source = new PrometheusSliSource([{ name: 'main', url: prom.url, headers: {} }], logger);
    const results = await evaluator(source).evaluate([slo(), slo({ ref: 'default/bad', name: 'bad', indicator: { mode: 'bad-total', sourceType: 'Prometheus', bad: { spec: { query: 'sum(rate(demo_requests_total[{{.window}}])) - sum(rate(demo_good_total[{{.window}}]))' } }, total: { spec: { query: 'sum(rate(demo_requests_total[{{.window}}]))' } } } })], NOW);
    for (const ref of ['default/demo', 'default/bad']) {
      const s = results.get(ref)!.status;
      expect(results.get(ref)!.reason).toBeUndefined();
      for (const w of BURN_RATE_WINDOWS) {
        const expected = await client.instant(`(1 - sum(rate(demo_good_total[${w}])) / sum(rate(demo_requests_total[${w}]))) / (1 - 0.99)`, NOW);
        close(s.burnRates[w], expected);
      }
      close(s.sli, await client.instant('sum(rate(demo_good_total[30d])) / sum(rate(demo_requests_total[30d]))', NOW));
      close(s.budgetRemaining, await client.instant('1 - (1 - sum(rate(demo_good_total[30d])) / sum(rate(demo_requests_total[30d]))) / (1 - 0.99)', NOW));
      expect(s.windowCoverage).toBeNull();
    }
    // the incident three hours ago shows in the 6h burn but not in the 1h one
    const s = results.get('default/demo')!.status;
    expect(s.burnRates['6h']!).toBeGreaterThan(s.burnRates['1h']! * 2);
    expect(source.queriesSent().main).toBe(2 * 9 * 2);
  });

  it('serves chart history from range queries that match instant queries', async () => {
    const h = await evaluator().history(slo(), { points: 100, window: '1h', from: NOW - 6 * 3_600_000, to: NOW }, NOW);
    expect(h.points.length).toBeGreaterThan(50);
    expect(h.points.length).toBeLessThanOrEqual(100);
    const peak = h.points.reduce((m, p) => ((p.burnRate ?? 0) > (m.burnRate ?? 0) ? p : m));
    close(peak.burnRate, await client.instant('(1 - sum(rate(demo_good_total[1h])) / sum(rate(demo_requests_total[1h]))) / (1 - 0.99)', peak.t));
    expect(peak.burnRate!).toBeGreaterThan(5);
  });

  it('reports no data with the reason when Prometheus is down, after bounded retries', async () => {
    const down = new PrometheusSliSource([{ name: 'down', url: 'http://127.0.0.1:1', headers: {} }], logger, { retries: 2, baseDelayMs: 10, timeoutMs: 1000 });
    const started = Date.now();
    const r = (await evaluator(down).evaluate([slo()], NOW)).get('default/demo')!;
    expect(r.status.state).toBe('no_data');
    expect(r.status.sli).toBeNull();
    expect(r.reason).toMatch(/Prometheus down is unreachable/);
    expect(Date.now() - started).toBeLessThan(10_000);
    // 3 attempts for the first failing query of each window, at most
    expect(down.queriesSent().down).toBeLessThanOrEqual(9 * 2 * 3);
  });

  it('does not retry a query Prometheus rejects', async () => {
    const source = new PrometheusSliSource([{ name: 'main', url: prom.url, headers: {} }], logger);
    const r = (await evaluator(source).evaluate([slo({ indicator: { mode: 'good-total', sourceType: 'Prometheus', good: { spec: { query: 'sum(rate(demo_good_total[{{.window}}]) by (' } }, total: { spec: { query: 'demo_requests_total' } } } })], NOW)).get('default/demo')!;
    expect(r.status.state).toBe('no_data');
    expect(r.reason).toMatch(/rejected the query/);
  });
});
