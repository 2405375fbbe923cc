// The evaluation's bulk reads of the counts: what was written since, what a boundary slid past.
import { TestDatabases } from '@backstage/backend-test-utils';
import type { SloStores } from '.';
import { rowsOf } from './rows';
import { ReliabilityDatabase } from '../../wiring/ReliabilityDatabase';
import {
  SloDefinition,
  shardOf,
} from '@reliability-suite/plugin-reliability-common';

jest.setTimeout(60_000);

const MIN = 60_000;
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
)('CountReadingsStore on %p', databaseId => {
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

  it('reads the rows written since a time, and those a boundary slid past, exactly (refs of any text, fractional counts)', async () => {
    const odd = 'default/q"u\'o,te\\ [1] {x}\nline ünï ✓';
    await store.registry.syncSlos({
      upserts: [
        {
          def: { ...def('odd'), ref: odd },
          entityRef: 'slo:default/odd',
          docHash: 'h-odd',
        },
      ],
      remove: [],
    });
    const before = store.counts.clock();
    await new Promise(r => setTimeout(r, 5));
    await store.counts.addCounts(
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
    const written = await store.readings.writtenSince(before, 100);
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
      rowsOf(
        (await store.readings.writtenSince(store.counts.clock() + 1_000, 100))!
          .buckets,
      ),
    ).toEqual([]);
    expect(await store.readings.writtenSince(before, 2)).toBeUndefined();
    // boundaries sliding over (T0 + MIN, T0 + 2 MIN] and (T0 + 2 MIN + 1, T0 + 3 MIN]
    const crossed = await store.readings.crossed([
      [T0 + MIN, T0 + 2 * MIN],
      [T0 + 2 * MIN + 1, T0 + 3 * MIN],
    ]);
    expect(sorted(rowsOf(crossed.buckets))).toEqual([
      [odd, T0 + 2 * MIN, 1e-7, 123456789.125],
      [odd, T0 + 3 * MIN, 1e-7 + 2, 123456789.125 + 3],
    ]);
    // a late event (before the odd SLO's latest bucket): a late count at its minute's end, written and crossed
    const beforeLate = store.counts.clock();
    await new Promise(r => setTimeout(r, 5));
    await store.counts.addCounts(
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
    const lateWritten = await store.readings.writtenSince(beforeLate, 100);
    expect([rowsOf(lateWritten!.buckets), rowsOf(lateWritten!.late)]).toEqual([
      [],
      [[odd, T0 + 2 * MIN]],
    ]);
    const lateCrossed = await store.readings.crossed([
      [T0 + MIN, T0 + 2 * MIN],
    ]);
    expect(rowsOf(lateCrossed.late)).toEqual([
      [odd, T0 + 2 * MIN, 0.25, 1e15 + 0.5],
    ]);
    expect(sorted(rowsOf(lateCrossed.buckets))).toEqual([
      [odd, T0 + 2 * MIN, 1e-7, 123456789.125],
    ]);
    const none = await store.readings.crossed([[T0 + 10 * MIN, T0 + 11 * MIN]]);
    expect([rowsOf(none.buckets), rowsOf(none.late)]).toEqual([[], []]);
  });
  it("keeps a replica's reads to the SLOs of its shards, and to refs the registry has no hash for", async () => {
    // 40 SLOs over 4 shards, plus a composite's second objective (its own ref, outside the registry)
    const names = Array.from({ length: 40 }, (_, i) => `s${i}`);
    await store.registry.syncSlos({
      upserts: names.map(n => ({
        def: def(n),
        entityRef: `slo:default/${n}`,
        docHash: n,
      })),
      remove: [],
    });
    const part = 'default/s0.objective-2';
    const before = store.counts.clock();
    await new Promise(r => setTimeout(r, 5));
    const refs = [...names.map(n => `default/${n}`), part];
    await store.counts.addCounts(
      refs.flatMap(sloRef => [
        { sloRef, timestamp: T0 + 10_000, good: 1, total: 1 },
        // a late count: before the minute written next
        { sloRef, timestamp: T0 + 2 * MIN + 1, good: 1, total: 2 },
      ]),
      0,
    );
    await store.counts.addCounts(
      refs.map(sloRef => ({
        sloRef,
        timestamp: T0 + MIN + 5_000,
        good: 1,
        total: 1,
      })),
      0,
    );
    const mine = [1, 3];
    const kept = (ref: string) =>
      ref === part || mine.includes(shardOf(ref, 4));
    const expected = refs.filter(kept);
    // both shards hold some of the 40, and some are left out
    expect(expected.length).toBeGreaterThan(3);
    expect(expected.length).toBeLessThan(refs.length - 3);
    const only = { count: 4, shards: mine };
    const written = (await store.readings.writtenSince(before, 1000, only))!;
    const all = (await store.readings.writtenSince(before, 1000))!;
    const refsOf = (c: { refs: string[] }) => [...new Set(c.refs)].sort();
    expect(refsOf(written.buckets)).toEqual([...expected].sort());
    expect(refsOf(written.late)).toEqual([...expected].sort());
    expect(refsOf(all.buckets)).toEqual([...refs].sort());
    // the rows kept are the same rows, not fewer of them
    expect(rowsOf(written.buckets).length).toBe(
      rowsOf(all.buckets).filter(r => kept(String(r[0]))).length,
    );
    const crossed = await store.readings.crossed([[T0, T0 + 3 * MIN]], only);
    expect(refsOf(crossed.buckets)).toEqual([...expected].sort());
    expect(refsOf(crossed.late)).toEqual([...expected].sort());
    // no shard: only the refs without a hash
    const none = (await store.readings.writtenSince(before, 1000, {
      count: 4,
      shards: [],
    }))!;
    expect(refsOf(none.buckets)).toEqual([part]);
  });
});
