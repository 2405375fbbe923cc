// The counts (buckets and late counts): ingest, late events, compaction, one SLO's reads.
import { TestDatabases } from '@backstage/backend-test-utils';
import type { SloStores } from '.';
import { ReliabilityDatabase } from '../../wiring/ReliabilityDatabase';
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
)('SliCountsStore on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let store: SloStores;
  let knex: Awaited<ReturnType<typeof databases.init>>;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = (await ReliabilityDatabase.create(knex)).stores().slos;
    await store.registry.syncSlos({
      upserts: [
        { def: def('a'), entityRef: 'slo:default/a', docHash: 'h-a' },
        { def: def('b'), entityRef: 'slo:default/b', docHash: 'h-b' },
      ],
      remove: [],
    });
  });

  const cum = async (ref: string, t: number) =>
    (await store.readings.cumulativeAt([{ sloRef: ref, t }])).get(ref)!.get(t)!;

  it('counts a window as the difference of two cumulative readings', async () => {
    await store.counts.addCounts(
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
    const first = await store.readings.firstDataAt(['default/a', 'default/b']);
    expect(first.get('default/a')).toBe(T0);
  });

  it('moves every later cumulative value when a late event arrives', async () => {
    await store.counts.addCounts(
      [0, 1, 2, 3].map(i => ({
        sloRef: 'default/a',
        timestamp: T0 + i * MIN,
        good: 10,
        total: 10,
      })),
      0,
    );
    await store.counts.addCounts(
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
    await store.counts.addCounts(
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
      store.counts.addCounts(
        [
          { sloRef: 'default/a', timestamp: T0, good: 1, total: 1 },
          { sloRef: 'default/a', timestamp: T0 + MIN, good: NaN, total: 1 },
        ],
        0,
      ),
    ).rejects.toThrow();
    expect(await store.counts.hasData('default/a')).toBe(false);
  });

  it('compacts minute buckets into hourly ones and keeps cumulative values exact', async () => {
    const deltas = Array.from({ length: 150 }, (_, i) => ({
      sloRef: 'default/a',
      timestamp: T0 + i * MIN,
      good: i % 10 === 0 ? 0 : 1,
      total: 1,
    }));
    await store.counts.addCounts(deltas, 0);
    const before = await store.counts.readCumulative(
      'default/a',
      T0,
      T0 + 3 * HOUR,
    );
    const atHour = await cum('default/a', T0 + HOUR);
    const atTwoHours = await cum('default/a', T0 + 2 * HOUR);
    const folded = await store.counts.compact(T0 + 2 * HOUR + 30 * MIN);
    expect(folded).toBe(120);
    expect(await cum('default/a', T0 + HOUR)).toEqual(atHour);
    expect(await cum('default/a', T0 + 2 * HOUR)).toEqual(atTwoHours);
    expect(await cum('default/a', T0 + 3 * HOUR)).toEqual({
      good: 135,
      total: 150,
    });
    const after = await store.counts.readCumulative(
      'default/a',
      T0,
      T0 + 3 * HOUR,
    );
    expect(after.length).toBe(before.length - 118); // 120 minutes -> 2 hours
    // late data for a compacted hour lands in the hourly bucket
    await store.counts.addCounts(
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
      await store.counts.addCounts(events.slice(i, i + 100), hourlyBefore);
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
        const points = await store.counts.readCumulative(ref, T0, now + MIN);
        expect(points[points.length - 1]).toMatchObject({
          cumGood: all.good,
          cumTotal: all.total,
        });
      }
    };
    await check(hourlyBefore);
    await store.counts.compact(now - 7 * HOUR);
    await check(hourlyBefore);
    // everything older than the horizon was absorbed into the buckets, and every bucket is hourly now
    await store.counts.compact(now + 2 * HOUR);
    await check(now + 2 * HOUR);
  });

  it('writes one row for a late event, whatever the number of later buckets', async () => {
    await store.counts.addCounts(
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
    await store.counts.addCounts(
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
    await Promise.all(batches.map(b => store.counts.addCounts(b, 0)));
    expect(await cum('default/a', T0 + 2 * HOUR)).toEqual({
      good: 1_000,
      total: 2_000,
    });
  });
  it('counts one batch of 60,000 SLOs at once (on PostgreSQL, within its default lock table)', async () => {
    // closing the time slices adds every budgeted SLO's deltas in one transaction, and the API takes 10,000 events a
    // batch: one lock per SLO ran out of PostgreSQL's lock table ("out of shared memory" at 100,000 SLOs)
    const refs = Array.from({ length: 60_000 }, (_, i) => `default/many-${i}`);
    await store.counts.addCounts(
      refs.map((sloRef, i) => ({
        sloRef,
        timestamp: T0 + 30_000,
        good: i % 7,
        total: 7,
      })),
      0,
    );
    for (const i of [0, 29_999, 59_999])
      expect(await cum(refs[i], T0 + HOUR)).toEqual({ good: i % 7, total: 7 });
    const [{ n }] = await knex('reliability_buckets')
      .where('slo_ref', 'like', 'default/many-%')
      .count({ n: '*' });
    expect(Number(n)).toBe(60_000);
  });
});
