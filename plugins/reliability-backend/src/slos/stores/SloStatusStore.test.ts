// The snapshots and the sparklines' daily readings.
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
)('SloStatusStore on %p', databaseId => {
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

  it("rewrites an SLO's sparkline reading once an hour at a minute of its own, or at once when its budget moves five points", async () => {
    const clock = jest.spyOn(Date, 'now');
    try {
      const start = T0 + 10 * HOUR;
      const save = async (t: number, budgetRemaining: number) => {
        clock.mockReturnValue(t);
        await store.statuses.saveStatuses([
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
    await store.statuses.saveStatuses([
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
    const read = await store.statuses.getStatuses(['default/a', 'default/b']);
    expect([read.get('default/a'), read.get('default/b')]).toEqual([a, b]);
    // a text with a line break (which the columns' split uses) is written another way, as exactly
    await store.statuses.saveStatuses([
      { sloRef: 'default/line\nbreak', status: a },
      { sloRef: 'default/b', status: a },
    ]);
    const again = await store.statuses.getStatuses([
      'default/line\nbreak',
      'default/b',
    ]);
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
    const writes = store.statuses.writes;
    expect(await store.statuses.saveStatusChunks(() => chunks[k++])).toBe(4);
    expect(k).toBe(4);
    // one write, as the overview's page cache counts them; nothing given (or empty chunks only) is none
    expect(store.statuses.writes).toBe(writes + 1);
    const empty = [[], []];
    expect(await store.statuses.saveStatusChunks(() => empty.pop())).toBe(0);
    expect(store.statuses.writes).toBe(writes + 1);
    const refs = ['default/c1', 'default/c2', 'default/c\n3', 'default/c4'];
    const read = await store.statuses.getStatuses(refs);
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
    await expect(
      store.statuses.saveStatusChunks(() => failing[k++]),
    ).rejects.toThrow(/too long/);
    const after = await store.statuses.getStatuses([
      'default/c1',
      'default/c4',
    ]);
    expect([
      after.get('default/c1')!.budgetRemaining,
      after.get('default/c4')!.budgetRemaining,
    ]).toEqual([1 / 7, 4 / 7]);
  });
});
