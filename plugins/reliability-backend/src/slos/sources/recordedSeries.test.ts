import { mockServices } from '@backstage/backend-test-utils';
import {
  BURN_RATE_WINDOWS,
  SloDefinition,
  prometheusRuleFile,
  prometheusRuleGroups,
} from '@reliability-suite/plugin-reliability-common';
import {
  demoOpenMetrics,
  startPrometheus,
} from '../../__testUtils__/prometheus';
import { Evaluator } from '../Evaluator';
import { SliSourceRegistry } from '../counting';
import { PrometheusSliSource, RecordedRulesMode } from './PrometheusSliSource';

jest.setTimeout(120_000);

const MIN = 60_000;
const NOW = Math.floor(Date.now() / MIN) * MIN;
const T0 = NOW - 2 * 86_400_000;
/**
 * The instant evaluated, inside the range of the backfilled rules. They are evaluated every second, at an offset of
 * their own within it, so the recorded value at AT is Prometheus's raw expression less than a second earlier. The data's
 * samples are half a minute off the minute, so both instants see the same samples in every window.
 */
const AT = NOW - 30 * MIN;

const GOOD = 'sum(rate(demo_good_total[{{.window}}]))';
const TOTAL = 'sum(rate(demo_requests_total[{{.window}}]))';

const slo = (
  name: string,
  over: Partial<SloDefinition> = {},
): SloDefinition => ({
  ref: `default/${name}`,
  namespace: 'default',
  name,
  title: name,
  componentRef: 'component:default/shop',
  target: 0.99,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: {
    mode: 'good-total',
    sourceType: 'Prometheus',
    good: { spec: { query: 'demo_good_total{region="eu"}' } },
    total: { spec: { query: 'demo_requests_total{region="eu"}' } },
  },
  ...over,
});

/** The SLOs whose rules are loaded, one of each shape the rules export. */
const loaded: SloDefinition[] = [
  // counter selectors (wrapped in sum(rate(...)) by the export), a 30-day window
  slo('selectors'),
  // full expressions with {{.window}} and matchers in another order than Prometheus prints them
  slo('errors', {
    target: 0.995,
    indicator: {
      mode: 'bad-total',
      sourceType: 'Prometheus',
      bad: {
        spec: {
          query:
            'sum(rate(demo_requests_total{region="us",job!="x"}[{{.window}}])) - sum(rate(demo_good_total{region="us"}[{{.window}}]))',
        },
      },
      total: {
        spec: {
          query: 'sum(rate(demo_requests_total{region="us"}[{{.window}}]))',
        },
      },
    },
  }),
  // a raw error ratio, a one-day window: the 1d lookback is its window, read from its raw queries
  slo('raw', {
    window: { kind: 'rolling', duration: { amount: 1, unit: 'd' } },
    indicator: {
      mode: 'raw-failure',
      sourceType: 'Prometheus',
      bad: { spec: { query: `1 - ${GOOD} / ${TOTAL}` } },
      total: { spec: { query: `1 - ${GOOD} / ${TOTAL}` } },
    },
  }),
  // imported from Sloth: its series carry Sloth's ids
  slo('imported', {
    sloth: { service: 'shop', slo: 'requests' },
    indicator: {
      mode: 'raw-success',
      sourceType: 'Prometheus',
      good: { spec: { query: `${GOOD} / ${TOTAL}` } },
      total: { spec: { query: `${GOOD} / ${TOTAL}` } },
    },
  }),
  // rules loaded, but its minimum-traffic guard needs event counts in the lookbacks
  slo('guarded', { minEvents: 10 }),
];

describe('Prometheus SLOs read the recorded series of the exported rules', () => {
  let prom: { url: string; stop: () => Promise<void> };
  const logger = mockServices.logger.mock();

  beforeAll(async () => {
    const groups = loaded.flatMap(d => {
      const g = prometheusRuleGroups(d);
      if (!g.ok) throw new Error(g.error);
      return g.value;
    });
    prom = await startPrometheus(demoOpenMetrics(T0 + 30_000, NOW), {
      ruleFiles: { 'slos.rules.yaml': prometheusRuleFile(groups) },
      backfillRules: {
        start: AT - 2 * MIN,
        end: AT + 2 * MIN,
        intervalSeconds: 1,
      },
    });
  });

  afterAll(async () => {
    await prom?.stop();
  });

  const source = (recordedRules: RecordedRulesMode) =>
    new PrometheusSliSource(
      [{ name: 'main', url: prom.url, headers: {}, recordedRules }],
      logger,
    );
  const evaluate = async (s: PrometheusSliSource, defs: SloDefinition[]) => {
    const reg = new SliSourceRegistry();
    reg.add(s);
    return new Evaluator(undefined as any, reg, logger, {
      gateWindow: '7d',
    }).evaluate(defs, AT);
  };

  const parity = (
    a: number | null | undefined,
    b: number | null | undefined,
  ) => {
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(Math.abs(a! - b!)).toBeLessThanOrEqual(1e-9);
  };

  it('finds the loaded rules through /api/v1/rules and matches the raw path to 1e-9, with one selector per window', async () => {
    const recorded = source('detect');
    const raw = source('off');
    const [viaRules, viaRaw] = [
      await evaluate(recorded, loaded),
      await evaluate(raw, loaded),
    ];
    for (const def of loaded) {
      const [a, b] = [viaRules.get(def.ref)!, viaRaw.get(def.ref)!];
      expect([a.reason, b.reason]).toEqual([undefined, undefined]);
      // the error ratio of every window (the recorded quantity: a burn rate is it over the budget, 1 - target)
      for (const w of BURN_RATE_WINDOWS)
        parity(
          a.status.burnRates[w]! * (1 - def.target),
          b.status.burnRates[w]! * (1 - def.target),
        );
      parity(a.status.sli, b.status.sli);
      parity(a.status.budgetRemaining, b.status.budgetRemaining);
      parity(a.status.gate?.budgetRemaining, b.status.gate?.budgetRemaining);
      // the compliance window's events are counted, not recorded
      expect([a.status.good, a.status.total]).toEqual([
        b.status.good,
        b.status.total,
      ]);
      expect(a.status.state).toBe(b.status.state);
    }
    // the incident shows in the recorded 6h burn rate (so these are real numbers, not zeros)
    expect(
      viaRules.get('default/selectors')!.status.burnRates['6h']!,
    ).toBeGreaterThan(1);
    // recorded: the 7 lookbacks under 30d of the three 30-day SLOs, the 5 under 1d of the one-day SLO. From raw
    // queries: the guarded SLO's 10 intervals; the window, the 30d lookback and the gate's 7d of the 30-day ones; the
    // one-day SLO's window, 1d, 3d and 30d lookbacks and gate
    expect(recorded.lastCount).toEqual({
      recorded: 3 * 7 + 5,
      raw: 10 + 3 * 3 + 5,
    });
    expect(raw.lastCount).toEqual({ recorded: 0, raw: 5 * 10 });
    // rules read once, and kept for the next tick
    await evaluate(recorded, loaded);
    expect((recorded as any).clients.get('main').rulesReads).toBe(1);
    // re-read every tick when asked, but once per tick, whatever the number of SLOs
    const everyTick = new PrometheusSliSource(
      [{ name: 'main', url: prom.url, headers: {} }],
      logger,
      { rulesRefreshMs: 0 },
    );
    await evaluate(everyTick, loaded);
    await evaluate(everyTick, loaded);
    expect((everyTick as any).clients.get('main').rulesReads).toBe(2);
    expect(everyTick.lastCount.recorded).toBe(3 * 7 + 5);
  });

  it('a series is read in one selector per window for every SLO at once', async () => {
    const recorded = source('detect');
    await evaluate(recorded, loaded.slice(0, 2));
    // one rules read; 7 selectors; the window and the gate's 7d of two SLOs in one batch
    // the window (30d, also the 30d lookback) and the gate's 7d from raw queries: 3 intervals each, 2 distinct
    expect(recorded.lastCount).toEqual({ recorded: 14, raw: 2 * 3 });
    expect(recorded.queriesSent().main).toBe(7 + 1);
  });

  it("does not use a rule whose query is not the SLO's current one, and declared rules skip the rules API", async () => {
    // the SLO changed after its rules were loaded: the recorded series would answer for the old query
    const changed = slo('selectors', {
      indicator: {
        ...loaded[0].indicator,
        good: { spec: { query: 'demo_good_total{region="us"}' } },
        total: { spec: { query: 'demo_requests_total{region="us"}' } },
      },
    });
    const detect = source('detect');
    const [a, b] = [
      await evaluate(detect, [changed]),
      await evaluate(source('off'), [changed]),
    ];
    expect(detect.lastCount.recorded).toBe(0);
    for (const w of BURN_RATE_WINDOWS)
      expect(a.get(changed.ref)!.status.burnRates[w]).toBe(
        b.get(changed.ref)!.status.burnRates[w],
      );

    // declared: no rules API read, the series are read wherever they exist
    const declared = source('declared');
    const c = await evaluate(declared, loaded.slice(0, 1));
    expect((declared as any).clients.get('main').rulesReads).toBe(0);
    expect(declared.lastCount.recorded).toBe(7);
    const e = await evaluate(source('off'), loaded.slice(0, 1));
    for (const w of BURN_RATE_WINDOWS)
      parity(
        c.get(loaded[0].ref)!.status.burnRates[w]! * 0.01,
        e.get(loaded[0].ref)!.status.burnRates[w]! * 0.01,
      );

    // an SLO without rules loaded falls back to its raw queries in both modes
    const other = slo('unloaded');
    const d = source('declared');
    expect((await evaluate(d, [other])).get(other.ref)!.reason).toBeUndefined();
    expect(d.lastCount.recorded).toBe(0);
  });
});
