import { parse } from 'yaml';
import { compositeParentRef } from './definition';
import { parseOpenSlo, parseOpenSloObjectives } from './parse';
import { resolveSloReferences } from './kinds';
import { compositeStatus } from '../math/composite';
import { evaluateStatus } from '../math/status';

const DAY = 86_400_000;
const checkout = `
apiVersion: openslo/v1
kind: SLO
metadata: { name: checkout-journey, displayName: Checkout journey }
spec:
  service: checkout
  timeWindow: [{ duration: 28d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives:
    - displayName: Login
      target: 0.999
      compositeWeight: 2
      indicator:
        metadata: { name: login-success }
        spec: { ratioMetric: { counter: true, good: { metricSource: { type: Ingest, spec: { endpoint: /api/reliability/sli-events } } }, total: { metricSource: { type: Ingest, spec: { endpoint: /api/reliability/sli-events } } } } }
    - displayName: Payment latency
      target: 0.99
      op: lte
      value: 800
      indicator:
        metadata: { name: payment-p99 }
        spec: { thresholdMetric: { metricSource: { type: Ingest, spec: { endpoint: /api/reliability/sli-events } } } }
`;

describe('composite SLOs (an indicator per objective, weighted)', () => {
  it('is one SLO whose objectives each have their own indicator, target and weight, under refs of their own', () => {
    const r = parseOpenSloObjectives(parse(checkout));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toHaveLength(1);
    const def = r.value[0];
    expect([def.ref, def.title, def.target]).toEqual([
      'default/checkout-journey',
      'Checkout journey',
      0.999,
    ]);
    expect(
      def.composite!.objectives.map(o => [
        o.def.ref,
        o.weight,
        o.def.target,
        o.def.indicator.mode,
        o.def.threshold,
      ]),
    ).toEqual([
      ['default/checkout-journey._login', 2, 0.999, 'good-total', undefined],
      [
        'default/checkout-journey._payment-latency',
        1,
        0.99,
        'threshold',
        { op: 'lte', value: 800 },
      ],
    ]);
    expect(compositeParentRef('default/checkout-journey._login')).toBe(
      'default/checkout-journey',
    );
    expect([
      compositeParentRef('default/checkout-journey'),
      compositeParentRef('default/checkout-journey.contract'),
    ]).toEqual([undefined, undefined]);
  });

  it('refuses what the go-sdk refuses, naming the field', () => {
    const cases: [(d: any) => void, RegExp][] = [
      [
        d => {
          d.spec.indicator = d.spec.objectives[0].indicator;
        },
        /spec\.indicator: 'indicator' goes on the spec \(a standard SLO\) or on each objective \(a composite SLO\), not both/,
      ],
      [
        d => {
          delete d.spec.objectives[1].indicator;
          delete d.spec.objectives[1].op;
          delete d.spec.objectives[1].value;
        },
        /spec\.objectives\.1\.indicator: every objective of a composite SLO needs its own 'indicator' or 'indicatorRef'/,
      ],
      [
        d => {
          d.spec.objectives[0].compositeWeight = 0;
        },
        /spec\.objectives\.0\.compositeWeight: compositeWeight must be > 0/,
      ],
      [
        d => {
          d.spec.objectives = d.spec.objectives.map((o: any) => ({
            target: o.target,
          }));
        },
        /spec\.indicator: 'indicator' or 'indicatorRef' is required/,
      ],
      [
        d => {
          delete d.spec.objectives[1].op;
        },
        /spec\.objectives\.1\.op: op is required with a thresholdMetric/,
      ],
    ];
    for (const [mutate, message] of cases) {
      const d = parse(checkout);
      mutate(d);
      expect(parseOpenSlo(d)).toEqual({
        ok: false,
        error: expect.stringMatching(message),
      });
    }
  });

  it("resolves a composite objective's indicatorRef to its SLI document", async () => {
    const d = parse(checkout);
    const sli = {
      apiVersion: 'openslo/v1',
      kind: 'SLI',
      metadata: { name: 'login-success', displayName: 'Logins that succeed' },
      spec: d.spec.objectives[0].indicator.spec,
    };
    delete d.spec.objectives[0].indicator;
    d.spec.objectives[0].indicatorRef = 'login-success';
    const r = await resolveSloReferences(d, async (kind, name) =>
      kind === 'SLI' && name === 'login-success' ? sli : undefined,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.references).toEqual([
      {
        kind: 'SLI',
        name: 'login-success',
        namespace: 'default',
        field: 'spec.objectives.0.indicatorRef',
      },
    ]);
    const parsed = parseOpenSlo(r.value.doc);
    expect(
      parsed.ok && parsed.value.composite!.objectives[0].def.indicator.mode,
    ).toBe('good-total');
    d.spec.objectives[0].indicatorRef = 'missing-sli';
    const dangling = await resolveSloReferences(d, async () => undefined);
    expect(dangling).toEqual({
      ok: false,
      error:
        'spec.objectives.0.indicatorRef: no SLI named missing-sli in namespace default',
    });
  });

  it('combines the objectives by weight: burn rates, budget and SLI are weighted means; one state', () => {
    const now = Date.parse('2026-11-24T00:00:00Z');
    const status = (good: number, total: number, target: number) =>
      evaluateStatus({
        now,
        target,
        windowMs: 28 * DAY,
        windowStart: now - 28 * DAY,
        window: { good, total },
        lookbacks: { '5m': { good, total }, '1h': { good, total } },
      });
    // login: 0.2% bad at 99.9% = 2x; payment: 5% bad at 99% = 5x
    const login = status(998, 1000, 0.999);
    const payment = status(95, 100, 0.99);
    const c = compositeStatus({
      now,
      windowMs: 28 * DAY,
      parts: [
        { weight: 2, displayName: 'Login', status: login },
        { weight: 1, displayName: 'Payment latency', status: payment },
      ],
    });
    expect(c.burnRates['1h']).toBeCloseTo((2 * 2 + 1 * 5) / 3, 9);
    expect(c.budgetRemaining).toBeCloseTo((2 * (1 - 2) + 1 * (1 - 5)) / 3, 9);
    expect(c.state).toBe('exhausted');
    expect(c.sli).toBeCloseTo((2 * 0.998 + 0.95) / 3, 12);
    expect([c.good, c.total]).toEqual([1093, 1100]);
    expect(c.composite).toEqual([
      {
        displayName: 'Login',
        weight: 2,
        sli: 0.998,
        budgetRemaining: login.budgetRemaining,
        state: login.state,
      },
      {
        displayName: 'Payment latency',
        weight: 1,
        sli: 0.95,
        budgetRemaining: payment.budgetRemaining,
        state: payment.state,
      },
    ]);
    // an objective without data is left out of the means; none with data is no data
    const quiet = status(0, 0, 0.99);
    expect(
      compositeStatus({
        now,
        windowMs: 28 * DAY,
        parts: [
          { weight: 2, status: login },
          { weight: 5, status: quiet },
        ],
      }).burnRates['1h'],
    ).toBeCloseTo(2, 9);
    expect(
      compositeStatus({
        now,
        windowMs: 28 * DAY,
        parts: [{ weight: 1, status: quiet }],
      }).state,
    ).toBe('no_data');
  });
});
