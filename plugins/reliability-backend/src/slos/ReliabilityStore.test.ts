import { TestDatabases } from '@backstage/backend-test-utils';
import { ReliabilityStore, rowsOf } from './ReliabilityStore';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';

jest.setTimeout(60_000);

const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

const def = (name: string): SloDefinition => ({
  ref: `default/${name}`,
  namespace: 'default',
  name,
  title: name,
  componentRef: 'component:default/checkout',
  target: 0.99,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('ReliabilityStore on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let store: ReliabilityStore;
  let knex: Awaited<ReturnType<typeof databases.init>>;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = (await ReliabilityDatabase.create(knex)).stores().slos;
    await store.syncSlos({
      upserts: [
        { def: def('a'), entityRef: 'slo:default/a', docHash: 'h-a' },
        { def: def('b'), entityRef: 'slo:default/b', docHash: 'h-b' },
      ],
      remove: [],
    });
  });

  const cum = async (ref: string, t: number) =>
    (await store.cumulativeAt([{ sloRef: ref, t }])).get(ref)!.get(t)!;

  it('counts a window as the difference of two cumulative readings', async () => {
    await store.addCounts(
      [
        { sloRef: 'default/a', timestamp: T0 + 10_000, good: 9, total: 10 },
        { sloRef: 'default/a', timestamp: T0 + 50_000, good: 1, total: 1 }, // same minute: merged
        { sloRef: 'default/a', timestamp: T0 + MIN + 5, good: 5, total: 10 },
        { sloRef: 'default/a', timestamp: T0 + 3 * MIN, good: 7, total: 7 },
        { sloRef: 'default/b', timestamp: T0, good: 1, total: 2 },
      ],
      0,
    );
    expect(await cum('default/a', T0)).toEqual({ good: 0, total: 0 });
    expect(await cum('default/a', T0 + MIN)).toEqual({ good: 10, total: 11 });
    expect(await cum('default/a', T0 + 2 * MIN + 30_000)).toEqual({
      good: 15,
      total: 21,
    });
    expect(await cum('default/a', T0 + 99 * MIN)).toEqual({
      good: 22,
      total: 28,
    });
    expect(await cum('default/b', T0 + 99 * MIN)).toEqual({
      good: 1,
      total: 2,
    });
    const first = await store.firstDataAt(['default/a', 'default/b']);
    expect(first.get('default/a')).toBe(T0);
  });

  it('moves every later cumulative value when a late event arrives', async () => {
    await store.addCounts(
      [0, 1, 2, 3].map(i => ({
        sloRef: 'default/a',
        timestamp: T0 + i * MIN,
        good: 10,
        total: 10,
      })),
      0,
    );
    await store.addCounts(
      [{ sloRef: 'default/a', timestamp: T0 + MIN + 1, good: 0, total: 5 }],
      0,
    );
    expect(await cum('default/a', T0 + MIN)).toEqual({ good: 10, total: 10 });
    expect(await cum('default/a', T0 + 2 * MIN)).toEqual({
      good: 20,
      total: 25,
    });
    expect(await cum('default/a', T0 + 4 * MIN)).toEqual({
      good: 40,
      total: 45,
    });
    // a late event in a gap creates its bucket between the others
    await store.addCounts(
      [{ sloRef: 'default/a', timestamp: T0 - 5 * MIN, good: 1, total: 1 }],
      0,
    );
    expect(await cum('default/a', T0 - 3 * MIN)).toEqual({ good: 1, total: 1 });
    expect(await cum('default/a', T0 + 4 * MIN)).toEqual({
      good: 41,
      total: 46,
    });
  });

  it('stores nothing of a batch that fails', async () => {
    await expect(
      store.addCounts(
        [
          { sloRef: 'default/a', timestamp: T0, good: 1, total: 1 },
          { sloRef: 'default/a', timestamp: T0 + MIN, good: NaN, total: 1 },
        ],
        0,
      ),
    ).rejects.toThrow();
    expect(await store.hasData('default/a')).toBe(false);
  });

  it('compacts minute buckets into hourly ones and keeps cumulative values exact', async () => {
    const deltas = Array.from({ length: 150 }, (_, i) => ({
      sloRef: 'default/a',
      timestamp: T0 + i * MIN,
      good: i % 10 === 0 ? 0 : 1,
      total: 1,
    }));
    await store.addCounts(deltas, 0);
    const before = await store.readCumulative('default/a', T0, T0 + 3 * HOUR);
    const atHour = await cum('default/a', T0 + HOUR);
    const atTwoHours = await cum('default/a', T0 + 2 * HOUR);
    const folded = await store.compact(T0 + 2 * HOUR + 30 * MIN);
    expect(folded).toBe(120);
    expect(await cum('default/a', T0 + HOUR)).toEqual(atHour);
    expect(await cum('default/a', T0 + 2 * HOUR)).toEqual(atTwoHours);
    expect(await cum('default/a', T0 + 3 * HOUR)).toEqual({
      good: 135,
      total: 150,
    });
    const after = await store.readCumulative('default/a', T0, T0 + 3 * HOUR);
    expect(after.length).toBe(before.length - 118); // 120 minutes -> 2 hours
    // late data for a compacted hour lands in the hourly bucket
    await store.addCounts(
      [{ sloRef: 'default/a', timestamp: T0 + 10 * MIN, good: 0, total: 100 }],
      T0 + 2 * HOUR,
    );
    expect(await cum('default/a', T0 + HOUR)).toEqual({
      good: atHour.good,
      total: atHour.total + 100,
    });
    expect(await cum('default/a', T0 + 3 * HOUR)).toEqual({
      good: 135,
      total: 250,
    });
  });

  it('keeps statuses and forgets SLOs that left the catalog', async () => {
    const status: any = {
      state: 'healthy',
      evaluatedAt: new Date(T0).toISOString(),
      burnRates: {},
    };
    await store.saveStatuses([
      { sloRef: 'default/a', status },
      { sloRef: 'default/b', status },
    ]);
    expect((await store.getStatuses(['default/a', 'default/b'])).size).toBe(2);
    expect(await store.registryHashes()).toEqual(
      new Map([
        ['default/a', 'h-a'],
        ['default/b', 'h-b'],
      ]),
    );
    await store.syncSlos({ upserts: [], remove: ['default/b'] });
    expect((await store.listSlos()).map(s => s.def.ref)).toEqual(['default/a']);
    expect([
      ...(await store.getStatuses(['default/a', 'default/b'])).keys(),
    ]).toEqual(['default/a']);
  });

  it('keeps every window exact under late events in any order, before and after compaction (one row per late minute)', async () => {
    // a seeded generator: events over 30 hours, sent in 20 batches in shuffled order, many of them late
    let seed = 42;
    const rand = () =>
      (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const events = Array.from({ length: 2_000 }, () => {
      const total = 1 + Math.floor(rand() * 5);
      return {
        sloRef: rand() < 0.8 ? 'default/a' : 'default/b',
        timestamp: T0 + Math.floor(rand() * 30 * HOUR),
        good: Math.floor(rand() * (total + 1)),
        total,
      };
    });
    const now = T0 + 30 * HOUR;
    const hourlyBefore = now - 7 * HOUR;
    for (let i = 0; i < events.length; i += 100)
      await store.addCounts(events.slice(i, i + 100), hourlyBefore);
    const naive = (ref: string, from: number, to: number) =>
      events
        .filter(
          e => e.sloRef === ref && e.timestamp >= from && e.timestamp < to,
        )
        .reduce(
          (c, e) => ({ good: c.good + e.good, total: c.total + e.total }),
          { good: 0, total: 0 },
        );
    const windows = (ref: string) =>
      [
        [T0, now + MIN],
        [now - 5 * HOUR, now + MIN],
        [now - 6 * HOUR + 17 * MIN, now - 2 * HOUR + 3 * MIN],
        [T0 + 3 * HOUR, T0 + 20 * HOUR],
        [T0 + 22 * HOUR, T0 + 29 * HOUR],
      ].map(([from, to]) => [ref, from, to] as const);
    /** Windows are minute-precise after `precise`, hour-precise before it. */
    const check = async (precise: number) => {
      for (const ref of ['default/a', 'default/b']) {
        for (const [, from, to] of windows(ref)) {
          const [a, b] = [await cum(ref, from), await cum(ref, to)];
          // minute precision within the retention; hourly before it: windows that start earlier are checked only
          // on hour boundaries
          const exact =
            from >= precise || (from % HOUR === 0 && to % HOUR === 0);
          const got = { good: b.good - a.good, total: b.total - a.total };
          expect(exact ? got : naive(ref, from, to)).toEqual(
            naive(ref, from, to),
          );
        }
        const all = naive(ref, T0, now + MIN);
        expect(await cum(ref, now + MIN)).toEqual(all);
        const points = await store.readCumulative(ref, T0, now + MIN);
        expect(points[points.length - 1]).toMatchObject({
          cumGood: all.good,
          cumTotal: all.total,
        });
      }
    };
    await check(hourlyBefore);
    await store.compact(now - 7 * HOUR);
    await check(hourlyBefore);
    // everything older than the horizon was absorbed into the buckets, and every bucket is hourly now
    await store.compact(now + 2 * HOUR);
    await check(now + 2 * HOUR);
  });

  it('writes one row for a late event, whatever the number of later buckets', async () => {
    await store.addCounts(
      Array.from({ length: 600 }, (_, i) => ({
        sloRef: 'default/a',
        timestamp: T0 + i * MIN,
        good: 1,
        total: 1,
      })),
      0,
    );
    const before = await knex('reliability_buckets')
      .where('slo_ref', 'default/a')
      .orderBy('bucket_end')
      .select('bucket_end', 'cum_good', 'cum_total');
    await store.addCounts(
      [{ sloRef: 'default/a', timestamp: T0 + 5 * MIN, good: 0, total: 7 }],
      0,
    );
    // no later bucket was rewritten; the late count is one row, added on read
    expect(
      await knex('reliability_buckets')
        .where('slo_ref', 'default/a')
        .orderBy('bucket_end')
        .select('bucket_end', 'cum_good', 'cum_total'),
    ).toEqual(before);
    expect(
      Number(
        (await knex('reliability_late_counts').count({ n: '*' }).first())?.n,
      ),
    ).toBe(1);
    expect(await cum('default/a', T0 + 600 * MIN)).toEqual({
      good: 600,
      total: 607,
    });
    expect(await cum('default/a', T0 + 5 * MIN)).toEqual({ good: 5, total: 5 });
    expect(await cum('default/a', T0 + 6 * MIN)).toEqual({
      good: 6,
      total: 13,
    });
  });

  it('never loses counts when batches for one SLO race', async () => {
    const batches = Array.from({ length: 20 }, (_, i) =>
      Array.from({ length: 50 }, (_unused, k) => ({
        sloRef: 'default/a',
        timestamp: T0 + ((i * 50 + k) % 90) * MIN,
        good: 1,
        total: 2,
      })),
    );
    await Promise.all(batches.map(b => store.addCounts(b, 0)));
    expect(await cum('default/a', T0 + 2 * HOUR)).toEqual({
      good: 1_000,
      total: 2_000,
    });
  });

  it("rewrites an SLO's sparkline reading once an hour at a minute of its own, or at once when its budget moves five points", async () => {
    const clock = jest.spyOn(Date, 'now');
    try {
      const start = T0 + 10 * HOUR;
      const save = async (t: number, budgetRemaining: number) => {
        clock.mockReturnValue(t);
        await store.saveStatuses([
          {
            sloRef: 'default/a',
            status: {
              evaluatedAt: new Date(t).toISOString(),
              state: 'healthy',
              budgetRemaining,
            } as any,
          },
        ]);
      };
      const reading = async () =>
        Number(
          (
            await knex('reliability_budget_daily')
              .where('slo_ref', 'default/a')
              .first()
          ).budget_remaining,
        );
      await save(start, 0.9);
      expect(await reading()).toBeCloseTo(0.9, 9);
      // a small move waits for the SLO's minute
      await save(start + MIN, 0.89);
      expect(await reading()).toBeCloseTo(0.9, 9);
      // five points at once
      await save(start + 2 * MIN, 0.84);
      expect(await reading()).toBeCloseTo(0.84, 9);
      // its minute comes within the next hour
      await save(start + 2 * HOUR + MIN, 0.83);
      expect(await reading()).toBeCloseTo(0.83, 9);
    } finally {
      clock.mockRestore();
    }
  });

  it('stores snapshots exactly: the status text, the budget column to the last bit, no budget as NULL', async () => {
    const at = T0 + HOUR;
    const a = {
      evaluatedAt: new Date(at).toISOString(),
      state: 'healthy',
      budgetRemaining: 0.1 + 0.2,
      reason: 'quotes " and \\ and, commas',
    } as any;
    const b = {
      evaluatedAt: new Date(at).toISOString(),
      state: 'no_data',
      budgetRemaining: null,
    } as any;
    await store.saveStatuses([
      { sloRef: 'default/a', status: a },
      { sloRef: 'default/b', status: b },
    ]);
    const rows = await knex('reliability_status')
      .orderBy('slo_ref')
      .select('slo_ref', 'state', 'evaluated_at', 'budget_remaining');
    expect(
      rows.map(r => [
        r.slo_ref,
        r.state,
        Number(r.evaluated_at),
        r.budget_remaining === null ? null : Number(r.budget_remaining),
      ]),
    ).toEqual([
      ['default/a', 'healthy', at, 0.30000000000000004],
      ['default/b', 'no_data', at, null],
    ]);
    const read = await store.getStatuses(['default/a', 'default/b']);
    expect([read.get('default/a'), read.get('default/b')]).toEqual([a, b]);
    // a text with a line break (which the columns' split uses) is written another way, as exactly
    await store.saveStatuses([
      { sloRef: 'default/line\nbreak', status: a },
      { sloRef: 'default/b', status: a },
    ]);
    const again = await store.getStatuses(['default/line\nbreak', 'default/b']);
    expect([again.get('default/line\nbreak'), again.get('default/b')]).toEqual([
      a,
      a,
    ]);
  });

  it('stores snapshots given chunk by chunk, every chunk of them, and on PostgreSQL none when one chunk fails', async () => {
    const at = T0 + HOUR;
    const status = (n: number) =>
      ({
        evaluatedAt: new Date(at).toISOString(),
        state: 'healthy',
        budgetRemaining: n / 7,
      } as any);
    const chunks = [
      [
        { sloRef: 'default/c1', status: status(1) },
        { sloRef: 'default/c2', status: status(2) },
      ],
      // a line break in a ref: this chunk goes the other way (a JSON document of rows)
      [{ sloRef: 'default/c\n3', status: status(3) }],
      [{ sloRef: 'default/c4', status: status(4) }],
    ];
    let k = 0;
    const writes = store.writes;
    expect(await store.saveStatusChunks(() => chunks[k++])).toBe(4);
    expect(k).toBe(4);
    // one write, as the overview's page cache counts them; nothing given (or empty chunks only) is none
    expect(store.writes).toBe(writes + 1);
    const empty = [[], []];
    expect(await store.saveStatusChunks(() => empty.pop())).toBe(0);
    expect(store.writes).toBe(writes + 1);
    const refs = ['default/c1', 'default/c2', 'default/c\n3', 'default/c4'];
    const read = await store.getStatuses(refs);
    expect(refs.map(r => read.get(r)?.budgetRemaining)).toEqual([
      1 / 7,
      2 / 7,
      3 / 7,
      4 / 7,
    ]);
    if (!databaseId.startsWith('POSTGRES')) return;
    // a ref longer than the column: that chunk's upsert fails, and the chunk written before it is rolled back
    const failing = [
      [{ sloRef: 'default/c1', status: status(5) }],
      [{ sloRef: `default/${'x'.repeat(300)}`, status: status(6) }],
      [{ sloRef: 'default/c4', status: status(7) }],
    ];
    k = 0;
    await expect(store.saveStatusChunks(() => failing[k++])).rejects.toThrow(
      /too long/,
    );
    const after = await store.getStatuses(['default/c1', 'default/c4']);
    expect([
      after.get('default/c1')!.budgetRemaining,
      after.get('default/c4')!.budgetRemaining,
    ]).toEqual([1 / 7, 4 / 7]);
  });

  it('reads the rows written since a time, and those a boundary slid past, exactly (refs of any text, fractional counts)', async () => {
    const odd = 'default/q"u\'o,te\\ [1] {x}\nline ünï ✓';
    await store.syncSlos({
      upserts: [
        {
          def: { ...def('odd'), ref: odd },
          entityRef: 'slo:default/odd',
          docHash: 'h-odd',
        },
      ],
      remove: [],
    });
    const before = store.clock();
    await new Promise(r => setTimeout(r, 5));
    await store.addCounts(
      [
        {
          sloRef: 'default/a',
          timestamp: T0 + 10_000,
          good: 0.1,
          total: 0.30000000000000004,
        },
        {
          sloRef: odd,
          timestamp: T0 + MIN + 1,
          good: 1e-7,
          total: 123456789.125,
        },
        { sloRef: odd, timestamp: T0 + 2 * MIN + 1, good: 2, total: 3 },
      ],
      0,
    );
    const written = await store.writtenSince(before, 100);
    const sorted = (rows: unknown[][]) =>
      [...rows].sort(
        (x, y) =>
          String(x[0]).localeCompare(String(y[0])) ||
          Number(x[1]) - Number(y[1]),
      );
    expect(sorted(rowsOf(written!.buckets))).toEqual(
      sorted([
        ['default/a', T0 + MIN, 0.1, 0.30000000000000004],
        [odd, T0 + 2 * MIN, 1e-7, 123456789.125],
        [odd, T0 + 3 * MIN, 1e-7 + 2, 123456789.125 + 3],
      ]),
    );
    expect(rowsOf(written!.late)).toEqual([]);
    // nothing written since now; more rows than the limit: undefined (read afresh)
    expect(
      rowsOf((await store.writtenSince(store.clock() + 1_000, 100))!.buckets),
    ).toEqual([]);
    expect(await store.writtenSince(before, 2)).toBeUndefined();
    // boundaries sliding over (T0 + MIN, T0 + 2 MIN] and (T0 + 2 MIN + 1, T0 + 3 MIN]
    const crossed = await store.crossed([
      [T0 + MIN, T0 + 2 * MIN],
      [T0 + 2 * MIN + 1, T0 + 3 * MIN],
    ]);
    expect(sorted(rowsOf(crossed.buckets))).toEqual([
      [odd, T0 + 2 * MIN, 1e-7, 123456789.125],
      [odd, T0 + 3 * MIN, 1e-7 + 2, 123456789.125 + 3],
    ]);
    // a late event (before the odd SLO's latest bucket): a late count at its minute's end, written and crossed
    const beforeLate = store.clock();
    await new Promise(r => setTimeout(r, 5));
    await store.addCounts(
      [
        {
          sloRef: odd,
          timestamp: T0 + MIN + 30_000,
          good: 0.25,
          total: 1e15 + 0.5,
        },
      ],
      0,
    );
    const lateWritten = await store.writtenSince(beforeLate, 100);
    expect([rowsOf(lateWritten!.buckets), rowsOf(lateWritten!.late)]).toEqual([
      [],
      [[odd, T0 + 2 * MIN]],
    ]);
    const lateCrossed = await store.crossed([[T0 + MIN, T0 + 2 * MIN]]);
    expect(rowsOf(lateCrossed.late)).toEqual([
      [odd, T0 + 2 * MIN, 0.25, 1e15 + 0.5],
    ]);
    expect(sorted(rowsOf(lateCrossed.buckets))).toEqual([
      [odd, T0 + 2 * MIN, 1e-7, 123456789.125],
    ]);
    const none = await store.crossed([[T0 + 10 * MIN, T0 + 11 * MIN]]);
    expect([rowsOf(none.buckets), rowsOf(none.late)]).toEqual([[], []]);
  });
});
