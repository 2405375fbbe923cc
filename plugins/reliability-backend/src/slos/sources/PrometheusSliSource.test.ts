import { mockServices } from '@backstage/backend-test-utils';
import { createServer, Socket } from 'net';
import type { AddressInfo } from 'net';
import {
  BURN_RATE_WINDOWS,
  SloDefinition,
  durationMs,
  errorRatioExpr,
  histogramQuantile,
  sliceBudget,
  slicesIn,
} from '@reliability-suite/plugin-reliability-common';
import {
  demoOpenMetrics,
  startPrometheus,
} from '../../__testUtils__/prometheus';
import { Evaluator } from '../Evaluator';
import { SloReads } from '../SloReads';
import { SliSourceRegistry } from '../counting';
import { PrometheusClient, PrometheusSliSource } from './PrometheusSliSource';

jest.setTimeout(120_000);

const MIN = 60_000;
const NOW = Math.floor(Date.now() / MIN) * MIN;
const T0 = NOW - 2 * 86_400_000; // two days of data: the 3d and 30d windows reach before the first sample

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
  expect(Math.abs(actual! - expected!)).toBeLessThanOrEqual(
    1e-9 * Math.max(1, Math.abs(expected!)),
  );
};

describe('Prometheus SLI source against a real Prometheus', () => {
  let prom: { url: string; stop: () => Promise<void> };
  let client: PrometheusClient;
  const logger = mockServices.logger.mock();

  beforeAll(async () => {
    prom = await startPrometheus(demoOpenMetrics(T0, NOW));
    client = new PrometheusClient({ name: 'test', url: prom.url, headers: {} });
  });

  afterAll(async () => {
    await prom?.stop();
  });

  function evaluator(
    source = new PrometheusSliSource(
      [{ name: 'main', url: prom.url, headers: {} }],
      logger,
    ),
  ) {
    const reg = new SliSourceRegistry();
    reg.add(source);
    return new Evaluator(undefined as any, reg, logger);
  }

  /** The reads (charts, gate, counts) over the same source. */
  function reads(
    source = new PrometheusSliSource(
      [{ name: 'main', url: prom.url, headers: {} }],
      logger,
    ),
  ) {
    const reg = new SliSourceRegistry();
    reg.add(source);
    return new SloReads(reg);
  }

  it('matches what Prometheus computes for every window, to 1e-9 relative', async () => {
    const source = new PrometheusSliSource(
      [{ name: 'main', url: prom.url, headers: {} }],
      logger,
    );
    const results = await evaluator(source).evaluate(
      [
        slo(),
        slo({
          ref: 'default/bad',
          name: 'bad',
          indicator: {
            mode: 'bad-total',
            sourceType: 'Prometheus',
            bad: {
              spec: {
                query:
                  'sum(rate(demo_requests_total[{{.window}}])) - sum(rate(demo_good_total[{{.window}}]))',
              },
            },
            total: {
              spec: { query: 'sum(rate(demo_requests_total[{{.window}}]))' },
            },
          },
        }),
      ],
      NOW,
    );
    for (const ref of ['default/demo', 'default/bad']) {
      const s = results.get(ref)!.status;
      expect(results.get(ref)!.reason).toBeUndefined();
      for (const w of BURN_RATE_WINDOWS) {
        const expected = await client.instant(
          `(1 - sum(rate(demo_good_total[${w}])) / sum(rate(demo_requests_total[${w}]))) / (1 - 0.99)`,
          NOW,
        );
        close(s.burnRates[w], expected);
      }
      close(
        s.sli,
        await client.instant(
          'sum(rate(demo_good_total[30d])) / sum(rate(demo_requests_total[30d]))',
          NOW,
        ),
      );
      close(
        s.budgetRemaining,
        await client.instant(
          '1 - (1 - sum(rate(demo_good_total[30d])) / sum(rate(demo_requests_total[30d]))) / (1 - 0.99)',
          NOW,
        ),
      );
      expect(s.windowCoverage).toBeNull();
    }
    // the incident three hours ago shows in the 6h burn but not in the 1h one
    const s = results.get('default/demo')!.status;
    expect(s.burnRates['6h']!).toBeGreaterThan(s.burnRates['1h']! * 2);
    // 2 SLOs x 9 windows x 2 queries, batched per window boundary instant: the compliance windows' queries in one
    // request, sent while the rules API is read; the lookbacks, which fall back to their raw queries (no rules are
    // loaded here), in one more
    expect(source.queriesSent().main).toBe(2);
    expect((source as any).clients.get('main').rulesReads).toBe(1);
  });

  it("reads a raw error ratio (OpenSLO ratioMetric.raw, Sloth's raw SLI) with the same burn rates and budget as the counters", async () => {
    const raw = slo({
      ref: 'default/raw',
      name: 'raw',
      indicator: {
        mode: 'raw-failure',
        sourceType: 'Prometheus',
        bad: {
          type: 'Prometheus',
          spec: {
            query:
              '1 - sum(rate(demo_good_total[{{.window}}])) / sum(rate(demo_requests_total[{{.window}}]))',
          },
        },
        total: {
          type: 'Prometheus',
          spec: {
            query:
              '1 - sum(rate(demo_good_total[{{.window}}])) / sum(rate(demo_requests_total[{{.window}}]))',
          },
        },
      },
    });
    const success = slo({
      ref: 'default/raw-success',
      name: 'raw-success',
      indicator: {
        mode: 'raw-success',
        sourceType: 'Prometheus',
        good: {
          type: 'Prometheus',
          spec: {
            query:
              'sum(rate(demo_good_total[{{.window}}])) / sum(rate(demo_requests_total[{{.window}}]))',
          },
        },
        total: {
          type: 'Prometheus',
          spec: {
            query:
              'sum(rate(demo_good_total[{{.window}}])) / sum(rate(demo_requests_total[{{.window}}]))',
          },
        },
      },
    });
    const results = await evaluator().evaluate([raw, success], NOW);
    for (const ref of ['default/raw', 'default/raw-success']) {
      const s = results.get(ref)!.status;
      expect(results.get(ref)!.reason).toBeUndefined();
      for (const w of BURN_RATE_WINDOWS) {
        close(
          s.burnRates[w],
          await client.instant(
            `(1 - sum(rate(demo_good_total[${w}])) / sum(rate(demo_requests_total[${w}]))) / (1 - 0.99)`,
            NOW,
          ),
        );
      }
      close(
        s.sli,
        await client.instant(
          'sum(rate(demo_good_total[30d])) / sum(rate(demo_requests_total[30d]))',
          NOW,
        ),
      );
      close(
        s.budgetRemaining,
        await client.instant(
          '1 - (1 - sum(rate(demo_good_total[30d])) / sum(rate(demo_requests_total[30d]))) / (1 - 0.99)',
          NOW,
        ),
      );
    }
  });

  it('evaluates a latency SLO from histogram buckets and shows the p95 from histogram_quantile', async () => {
    const latency = slo({
      ref: 'default/otp',
      name: 'otp',
      target: 0.95,
      window: { kind: 'rolling', duration: { amount: 7, unit: 'd' } },
      indicator: {
        mode: 'good-total',
        sourceType: 'Prometheus',
        good: {
          spec: {
            query: 'request_duration_ms_bucket{route="/otp/verify",le="300.0"}',
          },
        },
        total: {
          spec: { query: 'request_duration_ms_count{route="/otp/verify"}' },
        },
      },
      display: {
        query:
          'histogram_quantile(0.95, sum(rate(request_duration_ms_bucket{route="/otp/verify"}[5m])) by (le))',
        label: 'p95',
        unit: 'ms',
      },
    });
    const s = (await evaluator().evaluate([latency], NOW)).get(
      'default/otp',
    )!.status;
    close(
      s.sli,
      await client.instant(
        'sum(rate(request_duration_ms_bucket{route="/otp/verify",le="300.0"}[7d])) / sum(rate(request_duration_ms_count{route="/otp/verify"}[7d]))',
        NOW,
      ),
    );
    // 57 of 60 under 300 ms, 50 of 60 in the slow minute of 11
    expect(s.sli!).toBeGreaterThan(0.93);
    expect(s.sli!).toBeLessThan(0.95);
    expect(s.display).toEqual({
      label: 'p95',
      unit: 'ms',
      value: await client.instant(
        'histogram_quantile(0.95, sum(rate(request_duration_ms_bucket{route="/otp/verify"}[5m])) by (le))',
        NOW,
      ),
    });
    expect(s.display!.value).toBeGreaterThan(100);
    expect(s.display!.value).toBeLessThanOrEqual(300);
  });

  it('serves chart history from range queries that match instant queries', async () => {
    const h = await reads().history(
      slo(),
      { points: 100, window: '1h', from: NOW - 6 * 3_600_000, to: NOW },
      NOW,
    );
    expect(h.points.length).toBeGreaterThan(50);
    expect(h.points.length).toBeLessThanOrEqual(100);
    const peak = h.points.reduce((m, p) =>
      (p.burnRate ?? 0) > (m.burnRate ?? 0) ? p : m,
    );
    close(
      peak.burnRate,
      await client.instant(
        '(1 - sum(rate(demo_good_total[1h])) / sum(rate(demo_requests_total[1h]))) / (1 - 0.99)',
        peak.t,
      ),
    );
    expect(peak.burnRate!).toBeGreaterThan(5);
  });

  it('reports no data with the reason when Prometheus is down, after bounded retries', async () => {
    const down = new PrometheusSliSource(
      [{ name: 'down', url: 'http://127.0.0.1:1', headers: {} }],
      logger,
      { retries: 2, baseDelayMs: 10, timeoutMs: 1000 },
    );
    const started = Date.now();
    const r = (await evaluator(down).evaluate([slo()], NOW)).get(
      'default/demo',
    )!;
    expect(r.status.state).toBe('no_data');
    expect(r.status.sli).toBeNull();
    expect(r.reason).toMatch(/Prometheus down is unreachable/);
    expect(Date.now() - started).toBeLessThan(10_000);
    // one batch, three attempts
    expect(down.queriesSent().down).toBe(3);
  });

  it('keeps one deadline for a query and its retries when Prometheus accepts connections and never answers', async () => {
    // a loopback server that accepts and holds every connection
    const held: Socket[] = [];
    const hang = createServer(socket => {
      held.push(socket);
    });
    await new Promise<void>(r => hang.listen(0, '127.0.0.1', r));
    try {
      const port = (hang.address() as AddressInfo).port;
      const hung = new PrometheusSliSource(
        [{ name: 'hung', url: `http://127.0.0.1:${port}`, headers: {} }],
        logger,
        { retries: 2, baseDelayMs: 10, timeoutMs: 1000 },
      );
      const started = Date.now();
      const r = (await evaluator(hung).evaluate([slo()], NOW)).get(
        'default/demo',
      )!;
      const took = Date.now() - started;
      expect(r.status.state).toBe('no_data');
      expect(r.reason).toMatch(
        /^SLI source failed: Prometheus hung is unreachable|^Prometheus hung is unreachable/,
      );
      // one deadline of 1 s for the call: not three of them
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(2_500);
    } finally {
      held.forEach(s => s.destroy());
      await new Promise(r => hang.close(r));
    }
  });

  it('does not retry a query Prometheus rejects, and keeps the error on its own SLO', async () => {
    const source = new PrometheusSliSource(
      [{ name: 'main', url: prom.url, headers: {} }],
      logger,
    );
    const results = await evaluator(source).evaluate(
      [
        slo({ ref: 'default/fine', name: 'fine' }),
        slo({
          indicator: {
            mode: 'good-total',
            sourceType: 'Prometheus',
            good: {
              spec: { query: 'sum(rate(demo_good_total[{{.window}}]) by (' },
            },
            total: { spec: { query: 'demo_requests_total' } },
          },
        }),
      ],
      NOW,
    );
    const r = results.get('default/demo')!;
    expect(r.status.state).toBe('no_data');
    expect(r.reason).toMatch(/rejected the query/);
    expect(results.get('default/fine')!.reason).toBeUndefined();
    expect(results.get('default/fine')!.status.sli).not.toBeNull();
  });

  describe('time slices: our counts equal what Prometheus computes with subqueries', () => {
    const P95 =
      'histogram_quantile(0.95, sum by (le) (rate(request_duration_ms_bucket{route="/otp/verify"}[{{.window}}])))';
    const RATIO =
      'sum(rate(demo_good_total[{{.window}}])) / sum(rate(demo_requests_total[{{.window}}]))';
    const at = (q: string) => q.split('{{.window}}').join('1m');
    // a subquery [W-1s:1m] at t takes the points at multiples of 1m in (t - W, t]: the slices that end in the window
    const sub = (fn: string, expr: string, w: string) =>
      `${fn}((${expr})[${durationMs(w) / 1000 - 1}s:1m])`;
    const windows = ['1d', ...BURN_RATE_WINDOWS];

    it('Timeslices over a threshold (p95 <= 300 ms per minute), through a gap and a counter reset', async () => {
      const def = slo({
        ref: 'default/otp',
        name: 'otp',
        target: 0.9,
        window: { kind: 'rolling', duration: { amount: 1, unit: 'd' } },
        indicator: {
          mode: 'threshold',
          sourceType: 'Prometheus',
          total: { type: 'Prometheus', spec: { query: P95 } },
        },
        threshold: { op: 'lte', value: 300 },
        budgeting: { method: 'Timeslices', sliceMs: MIN, timeSliceTarget: 1 },
      });
      const source = new PrometheusSliSource(
        [{ name: 'main', url: prom.url, headers: {} }],
        logger,
      );
      // a day ago, through the gap (minutes 600-640) and the reset (minute 1440)
      for (const t of [NOW, T0 + 1460 * MIN, T0 + 700 * MIN]) {
        const r = (
          await source.countWindows([
            {
              slo: def,
              intervals: windows.map(w => ({
                start: t - durationMs(w),
                end: t,
              })),
            },
          ])
        ).get(def.ref)!;
        expect(r.error).toBeUndefined();
        for (const [k, w] of windows.entries()) {
          const good = await client.instant(
            sub('sum_over_time', `${at(P95)} <= bool 300`, w),
            t,
          );
          const total = await client.instant(
            sub('count_over_time', at(P95), w),
            t,
          );
          close(r.counts[k].good, good ?? 0);
          close(r.counts[k].total, total ?? 0);
        }
      }
      // the slow minutes are bad: about one in 11 of those with data
      const s = (await evaluator(source).evaluate([def], NOW)).get(
        def.ref,
      )!.status;
      const good = (await client.instant(
        sub('sum_over_time', `${at(P95)} <= bool 300`, '1d'),
        NOW,
      ))!;
      const total = (await client.instant(
        sub('count_over_time', at(P95), '1d'),
        NOW,
      ))!;
      expect(total - good).toBeGreaterThan(100);
      close(
        s.budgetRemaining,
        sliceBudget({ good, total }, 0.9, slicesIn(86_400_000, MIN)).remaining,
      );
      expect(s.slices).toEqual({ sliceMs: MIN });
    });

    it("Timeslices over a ratio (a minute is good at 99%), as the issue's sum_over_time((rate / rate >= bool 0.99)[1d:1m])", async () => {
      const def = slo({
        ref: 'default/minutes',
        name: 'minutes',
        window: { kind: 'rolling', duration: { amount: 1, unit: 'd' } },
        indicator: {
          mode: 'good-total',
          sourceType: 'Prometheus',
          good: { spec: { query: 'sum(rate(demo_good_total[{{.window}}]))' } },
          total: {
            spec: { query: 'sum(rate(demo_requests_total[{{.window}}]))' },
          },
        },
        budgeting: {
          method: 'Timeslices',
          sliceMs: MIN,
          timeSliceTarget: 0.99,
        },
      });
      const source = new PrometheusSliSource(
        [{ name: 'main', url: prom.url, headers: {} }],
        logger,
      );
      for (const t of [NOW, T0 + 1460 * MIN, T0 + 31 * 60 * MIN]) {
        const r = (
          await source.countWindows([
            {
              slo: def,
              intervals: windows.map(w => ({
                start: t - durationMs(w),
                end: t,
              })),
            },
          ])
        ).get(def.ref)!;
        expect(r.error).toBeUndefined();
        for (const [k, w] of windows.entries()) {
          close(
            r.counts[k].good,
            (await client.instant(
              sub('sum_over_time', `${at(RATIO)} >= bool 0.99`, w),
              t,
            )) ?? 0,
          );
          close(
            r.counts[k].total,
            (await client.instant(sub('count_over_time', at(RATIO), w), t)) ??
              0,
          );
        }
      }
    });

    it("RatioTimeslices: the average of the minutes' ratios", async () => {
      const def = slo({
        ref: 'default/average',
        name: 'average',
        window: { kind: 'rolling', duration: { amount: 1, unit: 'd' } },
        indicator: {
          mode: 'good-total',
          sourceType: 'Prometheus',
          good: { spec: { query: 'sum(rate(demo_good_total[{{.window}}]))' } },
          total: {
            spec: { query: 'sum(rate(demo_requests_total[{{.window}}]))' },
          },
        },
        budgeting: { method: 'RatioTimeslices', sliceMs: MIN },
      });
      const s = (await evaluator().evaluate([def], NOW)).get(def.ref)!.status;
      expect(s.slices).toEqual({ sliceMs: MIN });
      close(
        s.sli,
        await client.instant(sub('avg_over_time', at(RATIO), '1d'), NOW),
      );
      for (const w of BURN_RATE_WINDOWS)
        close(
          s.burnRates[w],
          await client.instant(
            `(1 - ${sub('avg_over_time', at(RATIO), w)}) / (1 - 0.99)`,
            NOW,
          ),
        );
    });

    it('the rule export records the error ratio our evaluation computes, for every budgeting method and a composite', async () => {
      const base = {
        window: {
          kind: 'rolling' as const,
          duration: { amount: 1, unit: 'd' as const },
        },
      };
      const ratio = {
        mode: 'good-total' as const,
        sourceType: 'Prometheus',
        good: { spec: { query: 'sum(rate(demo_good_total[{{.window}}]))' } },
        total: {
          spec: { query: 'sum(rate(demo_requests_total[{{.window}}]))' },
        },
      };
      const defs = [
        slo({
          ...base,
          ref: 'default/a',
          name: 'a',
          indicator: {
            mode: 'threshold',
            sourceType: 'Prometheus',
            total: { type: 'Prometheus', spec: { query: P95 } },
          },
          threshold: { op: 'lte', value: 300 },
          budgeting: { method: 'Timeslices', sliceMs: MIN, timeSliceTarget: 1 },
        }),
        slo({
          ...base,
          ref: 'default/b',
          name: 'b',
          indicator: ratio,
          budgeting: {
            method: 'Timeslices',
            sliceMs: MIN,
            timeSliceTarget: 0.99,
          },
        }),
        slo({
          ...base,
          ref: 'default/c',
          name: 'c',
          indicator: ratio,
          budgeting: { method: 'RatioTimeslices', sliceMs: MIN },
        }),
        slo({
          ...base,
          ref: 'default/d',
          name: 'd',
          indicator: {
            mode: 'threshold',
            sourceType: 'Prometheus',
            total: { type: 'Prometheus', spec: { query: P95 } },
          },
          threshold: { op: 'gt', value: 250 },
        }),
      ];
      // and a composite of two of them, weighted 2 and 1, at the stricter target
      const composite = slo({
        ...base,
        ref: 'default/e',
        name: 'e',
        target: Math.max(defs[1].target, defs[3].target),
        composite: {
          objectives: [
            { weight: 2, def: { ...defs[1], ref: 'default/e._b' } },
            { weight: 1, def: { ...defs[3], ref: 'default/e._d' } },
          ],
        },
      });
      defs.push(composite);
      const results = await evaluator().evaluate(defs, NOW);
      for (const def of defs) {
        const s = results.get(def.ref)!.status;
        expect(results.get(def.ref)!.reason).toBeUndefined();
        for (const w of BURN_RATE_WINDOWS) {
          const expr = errorRatioExpr(def, w);
          expect(expr.ok).toBe(true);
          if (expr.ok)
            close(
              await client.instant(expr.value, NOW),
              s.burnRates[w]! * (1 - def.target),
            );
        }
      }
    });

    it("a histogram's quantile, per slice, is Prometheus's histogram_quantile", async () => {
      const les = ['100.0', '300.0', '1000.0', '+Inf'];
      const from = T0 + 1400 * MIN;
      const to = T0 + 1500 * MIN;
      const expected = await client.range(at(P95), from, to, MIN);
      const buckets = await Promise.all(
        les.map(le =>
          client.range(
            `sum(rate(request_duration_ms_bucket{route="/otp/verify",le="${le}"}[1m]))`,
            from,
            to,
            MIN,
          ),
        ),
      );
      let slow = 0;
      for (const [t, p95] of expected) {
        const ours = histogramQuantile(
          0.95,
          les.map((le, k) => ({
            le: le === '+Inf' ? '+Inf' : Number(le),
            count: buckets[k].get(t)!,
          })),
        );
        close(ours, p95);
        if (p95 > 300) slow++;
      }
      expect(expected.size).toBeGreaterThan(90);
      expect(slow).toBeGreaterThanOrEqual(8);
    });
  });
});
