// Sharded evaluation with several replicas in one process, sharing one PostgreSQL database and a fake clock: each
// SLO is evaluated exactly once per period, a replica that stops renewing is taken over within two ticks, and a
// replica that joins gets a share without restarts.
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  SloDefinition,
  shardOf,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { ingestSlo } from '../__testUtils__/entities';
import { EvaluationTask } from './EvaluationTask';
import { Evaluator } from './Evaluator';
import { SliSourceRegistry } from './counting';
import { IngestSliSource } from './sources/IngestSliSource';
import { SloRegistry } from './SloRegistry';
import { periodOfSchedule, ShardRunner } from './ShardRunner';
import type { ShardRunResult } from './ShardRunner';
import { createSloStores } from './stores';
import type { ShardLeaseStore, SloStores } from './stores';

jest.setTimeout(120_000);

const MIN = 60_000;
const STEP = 10_000; // a third of the 30 s lease: how often each replica's local task runs
const COUNT = 8;

describe.each(TestDatabases.create({ ids: ['POSTGRES_15'] }).eachSupportedId())(
  'ShardRunner on %p',
  databaseId => {
    const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

    it('evaluates each SLO once per period across replicas, takes over a dead one within two ticks, and rebalances when one joins', async () => {
      const knex = await databases.init(databaseId);
      const { slos: store, alerts } = (
        await ReliabilityDatabase.create(knex)
      ).stores();
      const leases = store.leases as ShardLeaseStore;
      const logger = mockServices.rootLogger({ level: 'error' });
      const names = Array.from({ length: 24 }, (_, i) => `svc-${i}`);
      const registry = new SloRegistry(
        catalogServiceMock({ entities: names.map(n => ingestSlo(n)) }),
        mockServices.auth(),
        store.registry,
        logger,
      );
      let now = Date.parse('2026-12-01T12:00:00Z');
      // the global part (registry, slices, compaction): it evaluates nothing
      const evaluator = () => {
        const sources = new SliSourceRegistry();
        sources.add(new IngestSliSource(store));
        return new Evaluator(store, sources, logger);
      };
      const global = new EvaluationTask({
        registry,
        evaluator: evaluator(),
        store,
        alerts,
        logger,
        pendingMs: 0,
        minuteRetentionMs: 7 * 60 * MIN,
        now: () => now,
        sharded: { compacted: async () => {} },
      });
      expect(await global.run()).toMatchObject({ evaluated: 0 });
      const refs = (await registry.all()).map(r => r.def.ref).sort();
      expect(refs).toHaveLength(24);
      // every shard has SLOs, so every shard's evaluation shows
      expect(new Set(refs.map(r => shardOf(r, COUNT))).size).toBe(COUNT);

      // each replica as its own process would have it: its own evaluator and index
      const runner = (replica: string) =>
        new ShardRunner({
          replica,
          leases,
          shards: { count: COUNT, leaseSeconds: 30 },
          slos: async () => (await registry.all()).map(r => r.def),
          periodMs: MIN,
          evaluator: evaluator(),
          alerts,
          pendingMs: 0,
          logger,
          now: () => now,
        });
      const runners = new Map<string, ShardRunner>();
      const evaluations = new Map<number, string[]>(); // period -> refs evaluated in it
      const lastRun = new Map<string, ShardRunResult>();
      const checkLeases = async () => {
        // at every step: each live lease has one holder, and what each replica believes it holds is what the table says
        const table = await leases.leases();
        expect(table).toHaveLength(COUNT);
        const at = now;
        const ids = [...runners.keys()];
        expect(
          ids.map(id =>
            table
              .filter(l => l.holder === id && l.expiresAt > at)
              .map(l => l.shard),
          ),
        ).toEqual(ids.map(id => lastRun.get(id)?.held ?? []));
        const heldByRunners = ids.flatMap(id => lastRun.get(id)?.held ?? []);
        expect(new Set(heldByRunners).size).toBe(heldByRunners.length);
      };
      const step = async () => {
        for (const [id, r] of runners) {
          const result = await r.run();
          lastRun.set(id, result);
          const period = Math.floor(now / MIN);
          evaluations.set(period, [
            ...(evaluations.get(period) ?? []),
            ...result.evaluated,
          ]);
          await checkLeases();
        }
        now += STEP;
      };
      const onceEach = (period: number) =>
        expect([...(evaluations.get(period) ?? [])].sort()).toEqual(refs);
      const period = () => Math.floor(now / MIN);
      const held = (id: string) => lastRun.get(id)?.held.length ?? 0;

      // one replica: all shards, every SLO once
      runners.set('a', runner('a'));
      const p0 = period();
      for (let i = 0; i < 6; i++) await step();
      onceEach(p0);
      expect(held('a')).toBe(COUNT);

      // a second joins: a releases down to its fair share (4), b claims the rest, with no restart
      runners.set('b', runner('b'));
      const p1 = period();
      for (let i = 0; i < 6; i++) await step();
      onceEach(p1);
      expect([held('a'), held('b')]).toEqual([4, 4]);

      // a third: ceil(8 / 3) = 3 each at most, and c gets a share
      runners.set('c', runner('c'));
      const p2 = period();
      for (let i = 0; i < 6; i++) await step();
      onceEach(p2);
      expect(held('a')).toBeLessThanOrEqual(3);
      expect(held('b')).toBeLessThanOrEqual(3);
      expect(held('c')).toBeGreaterThanOrEqual(2);
      for (let i = 0; i < 6; i++) await step();
      onceEach(p2 + 1);

      // c dies (stops running without releasing): its leases expire after 30 s and a and b take them over within two
      // ticks, with each SLO still evaluated once in every period
      const cShards = lastRun.get('c')!.held;
      runners.delete('c');
      const p3 = period();
      for (let i = 0; i < 12; i++) await step();
      onceEach(p3);
      onceEach(p3 + 1);
      expect(held('a') + held('b')).toBe(COUNT);
      const takeovers = (await leases.events()).filter(
        e => e.kind === 'taken_over' && e.previous === 'c',
      );
      expect(takeovers.map(e => e.shard).sort()).toEqual([...cShards].sort());
      for (const e of takeovers) expect(e.at - p3 * MIN).toBeLessThan(2 * MIN);

      // b stops cleanly: its leases are released at once and a takes them at its next run
      await runners.get('b')!.stop();
      runners.delete('b');
      const p4 = period();
      for (let i = 0; i < 6; i++) await step();
      onceEach(p4);
      expect(held('a')).toBe(COUNT);
    });

    it('reads only the counts of its own shards, and its statuses agree with a from-scratch evaluation', async () => {
      const knex = await databases.init(databaseId);
      await ReliabilityDatabase.create(knex);
      let wall = Date.parse('2026-12-01T12:00:00Z');
      const store = createSloStores(knex, () => wall);
      const defs: SloDefinition[] = Array.from({ length: 24 }, (_, i) => ({
        ref: `default/svc-${i}`,
        namespace: 'default',
        name: `svc-${i}`,
        title: `svc ${i}`,
        componentRef: `component:default/svc-${i % 3}`,
        target: 0.99,
        window: { kind: 'rolling', duration: { amount: 1, unit: 'd' } },
        indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
      }));
      await store.registry.syncSlos({
        upserts: defs.map(d => ({
          def: d,
          entityRef: `slo:${d.ref}`,
          docHash: d.ref,
        })),
        remove: [],
      });
      const logger = mockServices.rootLogger({ level: 'error' });
      const evaluatorOver = (s: SloStores) => {
        const sources = new SliSourceRegistry();
        sources.add(new IngestSliSource(s));
        return new Evaluator(s, sources, logger);
      };
      const reference = evaluatorOver(store);
      // each replica's store records the refs whose written or slid-past rows it read
      const replica = (name: string) => {
        const read = new Set<string>();
        const real = store.readings;
        const readings = Object.create(real) as typeof real;
        const note = (c: { refs: string[] }) =>
          c.refs.forEach(r => read.add(r));
        readings.writtenSince = async (...args) => {
          const r = await real.writtenSince(...args);
          if (r) [r.buckets, r.late].forEach(note);
          return r;
        };
        readings.crossed = async (...args) => {
          const r = await real.crossed(...args);
          [r.buckets, r.late].forEach(note);
          return r;
        };
        const runner = new ShardRunner({
          replica: name,
          leases: store.leases as ShardLeaseStore,
          // longer than the minute between runs here
          shards: { count: COUNT, leaseSeconds: 600 },
          slos: async () => defs,
          periodMs: MIN,
          evaluator: evaluatorOver({ ...store, readings }),
          alerts: { apply: async () => [] },
          pendingMs: 0,
          logger,
          now: () => wall,
        });
        return { runner, read };
      };
      const a = replica('a');
      const b = replica('b');
      let checked = 0;
      for (let minute = 0; minute < 10; minute++) {
        // a minute of traffic for every SLO, and now and then a late event (before an SLO's latest minute)
        const at = wall - 30_000;
        await store.counts.addCounts(
          defs.map((d, i) => ({
            sloRef: d.ref,
            timestamp: at,
            good: 90 + ((i + minute) % 11),
            total: 100,
          })),
          0,
        );
        if (minute % 3 === 2)
          await store.counts.addCounts(
            [
              {
                sloRef: defs[minute].ref,
                timestamp: wall - 3 * MIN,
                good: 0,
                total: 7,
              },
            ],
            0,
          );
        wall += MIN;
        const results = [];
        for (const r of [a, b]) {
          r.read.clear();
          results.push({ ...r, result: await r.runner.run() });
        }
        // from the third minute, the shards are shared out (a takes them all, then gives b its half)
        if (minute < 2) continue;
        const [ra, rb] = results.map(r => r.result);
        expect([ra.held.length, rb.held.length]).toEqual([4, 4]);
        expect([...ra.evaluated, ...rb.evaluated].sort()).toEqual(
          defs.map(d => d.ref).sort(),
        );
        for (const r of results) {
          // rows were read (this minute's), and only rows of the SLOs this replica evaluated
          expect(r.read.size).toBeGreaterThan(0);
          const foreign = [...r.read].filter(
            ref => !r.result.evaluatedShards.includes(shardOf(ref, COUNT)),
          );
          expect(foreign).toEqual([]);
        }
        const stored = await store.statuses.getStatuses(defs.map(d => d.ref));
        const scratch = await reference.evaluate(defs, wall);
        for (const d of defs)
          expect({ ...stored.get(d.ref)!, evaluatedAt: undefined }).toEqual({
            ...scratch.get(d.ref)!.status,
            evaluatedAt: undefined,
          });
        checked++;
      }
      expect(checked).toBe(8);
    });
  },
);

describe('periodOfSchedule', () => {
  it('is the frequency as a duration, and a minute for a cron or anything else', () => {
    expect(periodOfSchedule({ minutes: 1 })).toBe(60_000);
    expect(periodOfSchedule({ minutes: 2, seconds: 30 })).toBe(150_000);
    expect(periodOfSchedule({ cron: '* * * * *' })).toBe(60_000);
    expect(periodOfSchedule({ seconds: 0 })).toBe(60_000);
    expect(periodOfSchedule(undefined)).toBe(60_000);
  });
});
