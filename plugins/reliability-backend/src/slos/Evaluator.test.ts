import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { SliSource } from '@reliability-suite/plugin-reliability-node';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { Evaluator, sameStatus } from './Evaluator';
import { SloReads } from './SloReads';
import { SliSourceRegistry } from './counting';
import { IngestSliSource } from './sources/IngestSliSource';

jest.setTimeout(60_000);

const MIN = 60_000;
const NOW = Date.parse('2026-11-23T12:00:30Z');

const def = (
  name: string,
  sourceType = 'Ingest',
  target = 0.99,
): SloDefinition => ({
  ref: `default/${name}`,
  namespace: 'default',
  name,
  title: name,
  componentRef: 'component:default/checkout',
  target,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: { mode: 'good-total', sourceType, total: {} },
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('Evaluator on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  async function setup(extra: SliSource[] = []) {
    const knex = await databases.init(databaseId);
    const { slos: store } = (await ReliabilityDatabase.create(knex)).stores();
    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(store));
    extra.forEach(s => sources.add(s));
    // the ingest source reads the SLOs the registry knows
    await store.registry.syncSlos({
      upserts: ['a', 'b', 'quiet'].map(n => ({
        def: def(n),
        entityRef: `slo:default/${n}`,
        docHash: n,
      })),
      remove: [],
    });
    return {
      store,
      reads: new SloReads(sources),
      evaluator: new Evaluator(
        store,
        sources,
        mockServices.rootLogger({ level: 'error' }),
      ),
    };
  }

  it('evaluates from the window counts at a minute boundary and stores the statuses', async () => {
    const { store, evaluator } = await setup();
    // an hour of traffic: 100 a minute, the last 5 minutes 10% bad
    const events = [];
    for (let m = 60; m >= 1; m--)
      events.push({
        sloRef: 'default/a',
        timestamp: NOW - 30_000 - m * MIN,
        good: m <= 5 ? 90 : 100,
        total: 100,
      });
    await store.counts.addCounts(events, NOW - 7 * 60 * MIN);
    const results = await evaluator.evaluateAndStore(
      [def('a'), def('quiet')],
      NOW,
    );
    const a = results.get('default/a')!.status;
    expect(a.evaluatedAt).toBe('2026-11-23T12:00:00.000Z');
    expect(a.total).toBe(6_000);
    expect(a.sli).toBeCloseTo(5_950 / 6_000, 12);
    // 10% bad over the last 5 minutes against a 1% budget: 10x
    expect(a.burnRates['5m']).toBeCloseTo(10, 9);
    expect(a.burnRates['1h']).toBeCloseTo(50 / 6_000 / 0.01, 9);
    expect(results.get('default/quiet')!.status.state).toBe('no_data');
    const stored = await store.statuses.getStatuses([
      'default/a',
      'default/quiet',
    ]);
    expect(stored.get('default/a')).toEqual(a);
    expect(stored.get('default/quiet')?.state).toBe('no_data');
  });

  it('answers a reason, not a guess, when an SLO has no source or its source fails', async () => {
    const failing: SliSource = {
      types: ['Broken'],
      countWindows: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:9');
      },
    };
    const { evaluator } = await setup([failing]);
    const results = await evaluator.evaluate(
      [def('x', 'Datadog'), def('y', 'Broken')],
      NOW,
    );
    expect(results.get('default/x')).toMatchObject({
      status: { state: 'no_data' },
      // no source serves Datadog: counted from the built-in ingest, which has nothing for it
      reason:
        'no data: the suite reads Broken, synthetics and the built-in ingest; this SLO reads Datadog',
    });
    expect(results.get('default/y')).toMatchObject({
      status: { state: 'no_data' },
      reason: 'SLI source failed: connect ECONNREFUSED 127.0.0.1:9',
    });
  });

  it('counts an SLO on a type no source serves from the built-in ingest, in the tick and the reads', async () => {
    const { store, evaluator, reads } = await setup();
    const cw = def('cw', 'CloudWatch');
    await store.registry.syncSlos({
      upserts: [{ def: cw, entityRef: 'slo:default/cw', docHash: 'cw' }],
      remove: [],
    });
    const reason =
      'no data: the suite reads synthetics and the built-in ingest; this SLO reads CloudWatch';
    const gate = { window: '7d', threshold: 0.25 };
    const day = [{ start: NOW - 24 * 60 * MIN, end: NOW }];
    expect(await evaluator.evaluate([cw], NOW)).toEqual(
      new Map([
        [
          'default/cw',
          expect.objectContaining({
            status: expect.objectContaining({ state: 'no_data' }),
            reason,
          }),
        ],
      ]),
    );
    expect(await reads.gateFigures([cw], gate, NOW)).toEqual({
      per: [{ ref: 'default/cw', budgetRemaining: null, allow: true }],
      notes: [`default/cw: no data over 7d (${reason})`],
    });
    expect(await reads.counts(cw, day)).toEqual([{ good: 0, total: 0 }]);
    // a day of what was posted for it: 0.5% bad against a 1% budget
    const events = [];
    for (let h = 24; h >= 1; h--)
      events.push({
        sloRef: 'default/cw',
        timestamp: NOW - h * 60 * MIN,
        good: 995,
        total: 1_000,
      });
    await store.counts.addCounts(events, NOW - 7 * 60 * MIN);
    const evaluated = (await evaluator.evaluate([cw], NOW)).get('default/cw')!;
    expect(evaluated.reason).toBeUndefined();
    expect(evaluated.status).toMatchObject({
      state: 'healthy',
      good: 23_880,
      total: 24_000,
    });
    const figures = await reads.gateFigures([cw], gate, NOW);
    expect(figures.notes).toEqual([]);
    expect(figures.per[0].budgetRemaining).toBeCloseTo(0.5, 9);
    expect(await reads.counts(cw, day)).toEqual([
      { good: 23_880, total: 24_000 },
    ]);
    // a registry without the built-in ingest has nothing to count it from: the same reason, from its own sources
    const only = new SliSourceRegistry();
    only.add({ types: ['Dynatrace'], countWindows: async () => new Map() });
    const alone =
      'no data: the suite reads Dynatrace; this SLO reads CloudWatch';
    expect(
      (
        await new Evaluator(
          store,
          only,
          mockServices.rootLogger({ level: 'error' }),
        ).evaluate([cw], NOW)
      ).get('default/cw')?.reason,
    ).toBe(alone);
    await expect(new SloReads(only).counts(cw, day)).rejects.toThrow(alone);
  });

  it('gates launches on the budget left over the gate window', async () => {
    const { store, evaluator, reads } = await setup();
    const events = [];
    // a: 0.5% bad over the day (half its 1% budget); b: 2% bad (budget spent twice over)
    for (let h = 24; h >= 1; h--) {
      events.push({
        sloRef: 'default/a',
        timestamp: NOW - h * 60 * MIN,
        good: 995,
        total: 1_000,
      });
      events.push({
        sloRef: 'default/b',
        timestamp: NOW - h * 60 * MIN,
        good: 980,
        total: 1_000,
      });
    }
    await store.counts.addCounts(events, NOW - 7 * 60 * MIN);
    const open = await reads.gate(
      [def('a')],
      { window: '7d', threshold: 0.25 },
      NOW,
    );
    expect(open).toMatchObject({
      allow: true,
      slos: [{ ref: 'default/a', allow: true }],
    });
    expect(open.budgetRemaining).toBeCloseTo(0.5, 9);
    const frozen = await reads.gate(
      [def('a'), def('b')],
      { window: '7d', threshold: 0.25 },
      NOW,
    );
    expect(frozen.allow).toBe(false);
    expect(frozen.reason).toMatch(
      /^launch freeze: default\/b has -100% of its 7d error budget left \(threshold 25%\)/,
    );
    expect(
      await reads.gate([], { window: '7d', threshold: 0.25 }, NOW),
    ).toMatchObject({ allow: true, reason: 'no SLOs: nothing to protect' });

    // the tick's statuses carry the same figure over the gate's window (whatever the SLO's own 30d window), from
    // scratch and from the index alike, so that GET /gate answers from the snapshots
    const withGate = new Evaluator(
      store,
      (evaluator as any).sources,
      mockServices.rootLogger({ level: 'error' }),
      { gateWindow: '7d' },
    );
    const scratch = await withGate.evaluate(
      [def('a'), def('b'), def('quiet')],
      NOW,
    );
    const ticked = await withGate.evaluateAndStore(
      [def('a'), def('b'), def('quiet')],
      NOW,
    );
    for (const results of [scratch, ticked]) {
      expect(results.get('default/a')!.status.gate!.window).toBe('7d');
      expect(
        results.get('default/a')!.status.gate!.budgetRemaining,
      ).toBeCloseTo(frozen.slos[0].budgetRemaining!, 12);
      expect(
        results.get('default/b')!.status.gate!.budgetRemaining,
      ).toBeCloseTo(frozen.slos[1].budgetRemaining!, 12);
      expect(results.get('default/quiet')!.status.gate).toEqual({
        window: '7d',
        budgetRemaining: null,
      });
    }
    // ten days ago, a day all good: in a's 30d window, not in the gate's 7d one
    const old = [];
    for (let h = 24; h >= 1; h--)
      old.push({
        sloRef: 'default/a',
        timestamp: NOW - 10 * 1440 * MIN - h * 60 * MIN,
        good: 1_000,
        total: 1_000,
      });
    await store.counts.addCounts(old, NOW - 11 * 1440 * MIN);
    const later = (await withGate.evaluate([def('a')], NOW)).get(
      'default/a',
    )!.status;
    expect(later.gate!.budgetRemaining).toBeCloseTo(0.5, 9);
    expect(later.budgetRemaining).toBeCloseTo(0.75, 9);
  });

  it('draws the history from cumulative counts, downsampled to the points asked for', async () => {
    const { store, reads } = await setup();
    const events = [];
    for (let m = 120; m >= 1; m--)
      events.push({
        sloRef: 'default/a',
        timestamp: NOW - 30_000 - m * MIN,
        good: 100,
        total: 100,
      });
    await store.counts.addCounts(events, NOW - 7 * 60 * MIN);
    const h = await reads.history(
      def('a'),
      { from: NOW - 120 * MIN, points: 10, window: '1h' },
      NOW,
    );
    expect(h.points).toHaveLength(10);
    expect(h.downsampledFrom).toBeGreaterThanOrEqual(119);
    expect(h.points.at(-1)).toMatchObject({
      budgetRemaining: 1,
      burnRate: 0,
      sli: 1,
    });
    expect(h.thresholds.map(t => t.label)).toEqual([
      'page 14.4x 1h&5m',
      'page 6x 6h&30m',
      'ticket 3x 1d&2h',
      'ticket 1x 3d&6h',
    ]);
    // no source: an empty series, not an error
    expect(
      (
        await reads.history(
          def('x', 'Datadog'),
          { points: 10, window: '1h' },
          NOW,
        )
      ).points,
    ).toEqual([]);
  });
});

describe('sameStatus', () => {
  const base = {
    evaluatedAt: '2026-11-24T10:00:00.000Z',
    sli: 0.9991,
    budgetRemaining: 0.1 + 0.2,
    burnRates: {
      '5m': 1.5,
      '30m': null,
      '1h': 0.2,
      '2h': 0,
      '6h': 0,
      '1d': 0,
      '3d': 0,
    },
    state: 'healthy',
    firing: [{ id: 'page 14.4x 1h&5m', severity: 'page' }],
    exhaustsAt: null,
    good: 999,
    total: 1000,
    windowCoverage: 1,
    quieted: undefined,
  } as any;
  const json = (s: unknown) =>
    JSON.stringify({ ...(s as object), evaluatedAt: undefined });

  it('says what their JSON texts would say, evaluatedAt aside', () => {
    const cases: [string, any][] = [
      ['another instant', { ...base, evaluatedAt: '2026-11-24T10:01:00.000Z' }],
      ['a copy', JSON.parse(JSON.stringify(base))],
      [
        'an undefined property left out',
        (({ quieted, ...rest }) => rest)(base),
      ],
      [
        'a nested number',
        { ...base, burnRates: { ...base.burnRates, '2h': 0.0001 } },
      ],
      [
        'null for a number',
        { ...base, burnRates: { ...base.burnRates, '30m': 0 } },
      ],
      [
        'one rule more',
        {
          ...base,
          firing: [
            ...base.firing,
            { id: 'ticket 6x 6h&30m', severity: 'ticket' },
          ],
        },
      ],
      [
        'a rule of another severity',
        { ...base, firing: [{ ...base.firing[0], severity: 'ticket' }] },
      ],
      ['a field more', { ...base, reason: 'no data' }],
      ['a field less', (({ sli, ...rest }) => rest)(base)],
      ['the last bit of a number', { ...base, budgetRemaining: 0.3 }],
      ['an array for an object', { ...base, burnRates: [] }],
    ];
    for (const [what, other] of cases) {
      expect({
        what,
        same: sameStatus(base, other),
        back: sameStatus(other, base),
      }).toEqual({
        what,
        same: json(base) === json(other),
        back: json(base) === json(other),
      });
    }
    expect(
      cases
        .filter(([, other]) => sameStatus(base, other))
        .map(([what]) => what),
    ).toEqual(['another instant', 'a copy', 'an undefined property left out']);
  });
});
