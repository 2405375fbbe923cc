import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { Evaluator } from './Evaluator';
import { SliSourceRegistry } from './counting';
import { createSloStores } from './stores';
import { IngestSliSource } from './sources/IngestSliSource';

jest.setTimeout(300_000);

const MIN = 60_000;
const HOUR = 60 * MIN;
const START = Date.parse('2026-11-20T22:17:00Z');
/** Short, so compaction folds minutes below the 2h and 6h boundaries: the index must notice. */
const RETENTION = 90 * MIN;

const def = (name: string, window: SloDefinition['window']): SloDefinition => ({
  ref: `default/${name}`,
  namespace: 'default',
  name,
  title: name,
  componentRef: 'component:default/checkout',
  target: 0.99,
  window,
  indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
});
const DEFS = [
  def('rolling-30d', { kind: 'rolling', duration: { amount: 30, unit: 'd' } }),
  def('rolling-7d', { kind: 'rolling', duration: { amount: 7, unit: 'd' } }),
  def('rolling-1h', { kind: 'rolling', duration: { amount: 1, unit: 'h' } }),
  def('calendar-day', {
    kind: 'calendar',
    duration: { amount: 1, unit: 'd' },
    timeZone: 'Europe/Paris',
  }),
  def('sparse', { kind: 'rolling', duration: { amount: 1, unit: 'd' } }),
  def('silent', { kind: 'rolling', duration: { amount: 1, unit: 'd' } }),
];

/** mulberry32: seeded, so a failure replays. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('incremental evaluation on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('agrees with a from-scratch evaluation on every SLO, tick after tick: random and late ingest, compaction, restarts and a takeover', async () => {
    const knex = await databases.init(databaseId);
    await ReliabilityDatabase.create(knex);
    let wall = START;
    const store = createSloStores(knex, () => wall);
    await store.registry.syncSlos({
      upserts: DEFS.map(d => ({
        def: d,
        entityRef: `slo:${d.ref}`,
        docHash: d.ref,
      })),
      remove: [],
    });
    const logger = mockServices.rootLogger({ level: 'error' });
    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(store));
    // the from-scratch reference: evaluate() without the tick reads every boundary from the tables
    const reference = new Evaluator(store, sources, logger);
    const replica = (maxChangedRows?: number) => {
      const s = new SliSourceRegistry();
      s.add(new IngestSliSource(store, { maxChangedRows }));
      // snapshots serialized and written two at a time
      return new Evaluator(store, s, logger, { snapshotChunk: 2 });
    };
    let ticking = replica();

    const random = rng(databaseId === 'SQLITE_3' ? 7 : 11);
    // two days of history, then compacted as the task does
    const history = [];
    for (let t = START - 2 * 24 * HOUR; t < START; t += MIN) {
      for (const d of DEFS.slice(0, 4))
        history.push({
          sloRef: d.ref,
          timestamp: t + 5_000,
          good: 95 + Math.floor(random() * 6),
          total: 100,
        });
      if (random() < 0.05)
        history.push({
          sloRef: 'default/sparse',
          timestamp: t,
          good: 1,
          total: 2,
        });
    }
    await store.counts.addCounts(history, START - RETENTION);
    await store.counts.compact(START - RETENTION);

    const stats = {
      ticks: 0,
      slid: 0,
      rebuilt: 0,
      late: 0,
      folded: 0,
      full: 0,
    };
    for (let m = 0; m < 150; m++) {
      wall += MIN;
      const at = wall;
      // this minute's traffic: most SLOs, on time; some events late (up to 10 hours), some early in the minute ahead
      const events = [];
      for (const d of DEFS.slice(0, 5)) {
        if (d.name === 'sparse' && random() > 0.1) continue;
        const n = 1 + Math.floor(random() * 3);
        for (let k = 0; k < n; k++) {
          const r = random();
          let ts = at - MIN + Math.floor(random() * MIN);
          if (r < 0.15) ts = at - Math.floor(random() * 10 * HOUR);
          else if (r < 0.2) ts = at + Math.floor(random() * MIN);
          if (ts < at - MIN) stats.late++;
          const total = 1 + Math.floor(random() * 50);
          events.push({
            sloRef: d.ref,
            timestamp: ts,
            good: total - Math.floor(random() * random() * total),
            total,
          });
        }
      }
      await store.counts.addCounts(events, at - RETENTION);

      if (m === 60 || m === 110) ticking = replica(); // a restart: an empty index
      if (m === 85) await replica().evaluateAndStore(DEFS, at); // another replica ticks once: a takeover and back
      if (m === 95) ticking = replica(3); // more rows written between ticks than it follows (a backfill): read afresh

      const got = await ticking.evaluateAndStore(DEFS, at);
      const want = await reference.evaluate(DEFS, at);
      for (const d of DEFS) {
        expect({ m, ref: d.ref, status: got.get(d.ref)!.status }).toEqual({
          m,
          ref: d.ref,
          status: want.get(d.ref)!.status,
        });
      }
      const s = ticking.lastIndexSync!;
      stats.ticks++;
      stats.slid += s.moved;
      stats.rebuilt += s.rebuilt;
      if (s.full) stats.full++;
      // compaction, as the task runs it after each tick
      stats.folded += await store.counts.compact(at - RETENTION);
    }
    // the index did follow the tables (most SLO readings slid rather than being read afresh), and every path ran
    expect(stats.slid).toBeGreaterThan(stats.rebuilt);
    expect(stats.late).toBeGreaterThan(50);
    expect(stats.folded).toBeGreaterThan(0);
    // start, two restarts, the takeover, and each tick of the replica that follows at most 3 written rows
    expect(stats.full).toBeGreaterThanOrEqual(4 + 10);
    // the stored snapshots are the tick's statuses (an unchanged one keeps the time it was last written, at most
    // five minutes ago)
    const stored = await store.statuses.getStatuses(DEFS.map(d => d.ref));
    const last = await reference.evaluate(DEFS, wall);
    for (const d of DEFS) {
      const s = stored.get(d.ref)!;
      expect({ ...s, evaluatedAt: undefined }).toEqual({
        ...last.get(d.ref)!.status,
        evaluatedAt: undefined,
      });
      expect(wall - Date.parse(s.evaluatedAt)).toBeLessThan(5 * MIN);
    }
  });

  it('writes a snapshot only when the status changed, and again once it is five minutes old', async () => {
    const knex = await databases.init(databaseId);
    await ReliabilityDatabase.create(knex);
    const store = createSloStores(knex);
    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(store));
    const evaluator = new Evaluator(
      store,
      sources,
      mockServices.rootLogger({ level: 'error' }),
    );
    // a status that does not move from one minute to the next: an SLO without data
    const silent = DEFS[5];
    await store.registry.syncSlos({
      upserts: [
        { def: silent, entityRef: `slo:${silent.ref}`, docHash: silent.ref },
      ],
      remove: [],
    });
    await evaluator.evaluateAndStore([silent], START + MIN);
    expect(evaluator.lastSnapshotWrites).toBe(1);
    await evaluator.evaluateAndStore([silent], START + 2 * MIN);
    expect(evaluator.lastSnapshotWrites).toBe(0);
    expect(
      (await store.statuses.getStatuses([silent.ref])).get(silent.ref)!
        .evaluatedAt,
    ).toBe(new Date(START + MIN).toISOString());
    await evaluator.evaluateAndStore([silent], START + 6 * MIN);
    expect(evaluator.lastSnapshotWrites).toBe(1);
    expect(
      (await store.statuses.getStatuses([silent.ref])).get(silent.ref)!
        .evaluatedAt,
    ).toBe(new Date(START + 6 * MIN).toISOString());
  });

  it('stores the snapshots of a tick a chunk at a time, all or (on PostgreSQL) none of them, and all again after a failure', async () => {
    const knex = await databases.init(databaseId);
    await ReliabilityDatabase.create(knex);
    const store = createSloStores(knex);
    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(store));
    const evaluator = new Evaluator(
      store,
      sources,
      mockServices.rootLogger({ level: 'error' }),
      { snapshotChunk: 1 },
    );
    const defs = DEFS.slice(0, 4);
    await store.registry.syncSlos({
      upserts: defs.map(d => ({
        def: d,
        entityRef: `slo:${d.ref}`,
        docHash: d.ref,
      })),
      remove: [],
    });
    await store.counts.addCounts(
      defs.map((d, i) => ({
        sloRef: d.ref,
        timestamp: START - 30_000,
        good: 90 + i,
        total: 100,
      })),
      START - RETENTION,
    );
    const first = await evaluator.evaluateAndStore(defs, START + MIN);
    expect(evaluator.lastSnapshotWrites).toBe(4);
    const stored = await store.statuses.getStatuses(defs.map(d => d.ref));
    expect(defs.map(d => stored.get(d.ref))).toEqual(
      defs.map(d => first.get(d.ref)!.status),
    );
    // a ref the status table cannot hold (PostgreSQL: longer than its column) fails that chunk's write
    const long = { ...DEFS[0], ref: `default/${'x'.repeat(300)}` };
    await store.counts.addCounts(
      defs.map(d => ({
        sloRef: d.ref,
        timestamp: START + MIN + 1_000,
        good: 50,
        total: 100,
      })),
      START - RETENTION,
    );
    const failing = [defs[0], defs[1], long, defs[2], defs[3]];
    const pg = databaseId.startsWith('POSTGRES');
    const outcome = await evaluator
      .evaluateAndStore(failing, START + 2 * MIN)
      .then(
        () => 'stored',
        e => String(e),
      );
    expect(outcome).toMatch(pg ? /too long/ : /^stored$/);
    // PostgreSQL: none of that tick's snapshots, the chunks written before the failing one rolled back. SQLite (no
    // length limit) stored them all
    const after = await store.statuses.getStatuses(defs.map(d => d.ref));
    expect(defs.map(d => after.get(d.ref)!.evaluatedAt)).toEqual(
      defs.map(() =>
        new Date(pg ? START + MIN : START + 2 * MIN).toISOString(),
      ),
    );
    // the next tick writes every snapshot (what was written before is not trusted after a failure)
    const third = await evaluator.evaluateAndStore(defs, START + 3 * MIN);
    expect(evaluator.lastSnapshotWrites).toBe(4);
    const again = await store.statuses.getStatuses(defs.map(d => d.ref));
    expect(defs.map(d => again.get(d.ref))).toEqual(
      defs.map(d => third.get(d.ref)!.status),
    );
    expect(third.get(defs[0].ref)!.status.good).toBeGreaterThan(
      first.get(defs[0].ref)!.status.good,
    );
  });
});
