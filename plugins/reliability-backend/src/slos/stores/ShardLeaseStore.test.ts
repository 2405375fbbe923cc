// The evaluation shards' leases, on PostgreSQL (the only database replicas share; SQLite never shards).
import { TestDatabases } from '@backstage/backend-test-utils';
import { ReliabilityDatabase } from '../../wiring/ReliabilityDatabase';
import { ShardLeaseStore } from './ShardLeaseStore';
import type { ShardLease } from './ShardLeaseStore';

jest.setTimeout(60_000);

const TTL = 30_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');

/** Never two holders: a shard has one holder column, so check the table as a whole instead: who holds what, live. */
const holders = (leases: ShardLease[], now: number) => {
  const out: Record<string, number[]> = {};
  for (const l of leases)
    if (l.holder && l.expiresAt > now) (out[l.holder] ??= []).push(l.shard);
  return out;
};

describe.each(TestDatabases.create({ ids: ['POSTGRES_15'] }).eachSupportedId())(
  'ShardLeaseStore on %p',
  databaseId => {
    const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
    let store: ShardLeaseStore;

    beforeEach(async () => {
      const knex = await databases.init(databaseId);
      await ReliabilityDatabase.create(knex);
      store = new ShardLeaseStore(knex);
      await store.prepare(6);
    });

    it('is shared on PostgreSQL', () => {
      expect(store.shared).toBe(true);
    });

    it('claims free shards, renews its own, and never hands one shard to two replicas', async () => {
      expect(await store.claim('a', 4, T0, TTL)).toEqual([0, 1, 2, 3]);
      // b asks for everything: only the free ones
      expect(await store.claim('b', 6, T0, TTL)).toEqual([4, 5]);
      expect(await store.claim('c', 6, T0, TTL)).toEqual([]);
      expect(holders(await store.leases(), T0)).toEqual({
        a: [0, 1, 2, 3],
        b: [4, 5],
      });
      // renewal moves a's leases only
      expect(await store.renew('a', T0 + 20_000, TTL)).toEqual([0, 1, 2, 3]);
      const leases = await store.leases();
      expect(
        leases.filter(l => l.holder === 'a').map(l => l.expiresAt),
      ).toEqual([1, 2, 3, 4].map(() => T0 + 20_000 + TTL));
      expect(
        leases.filter(l => l.holder === 'b').map(l => l.expiresAt),
      ).toEqual([T0 + TTL, T0 + TTL]);
    });

    it('hands an expired lease to the next claimer, and logs the takeover', async () => {
      await store.claim('a', 6, T0, TTL);
      // not yet expired: nothing to take
      expect(await store.claim('b', 6, T0 + TTL - 1, TTL)).toEqual([]);
      const later = T0 + TTL + 1;
      expect(await store.claim('b', 2, later, TTL)).toEqual([0, 1]);
      expect(holders(await store.leases(), later)).toEqual({ b: [0, 1] });
      // a comes back: it renews only what is still its own
      expect(await store.renew('a', later, TTL)).toEqual([2, 3, 4, 5]);
      expect(holders(await store.leases(), later)).toEqual({
        a: [2, 3, 4, 5],
        b: [0, 1],
      });
      const events = await store.events();
      expect(events.filter(e => e.kind === 'taken_over')).toEqual([
        {
          shard: 0,
          kind: 'taken_over',
          replica: 'b',
          previous: 'a',
          at: later,
        },
        {
          shard: 1,
          kind: 'taken_over',
          replica: 'b',
          previous: 'a',
          at: later,
        },
      ]);
    });

    it('claims concurrently without a shard claimed twice', async () => {
      const got = await Promise.all(
        ['a', 'b', 'c', 'd'].map(r => store.claim(r, 6, T0, TTL)),
      );
      const all = got.flat().sort((x, y) => x - y);
      expect(all).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it('releases, counts live replicas by heartbeat or lease, and forgets a replica that leaves', async () => {
      await store.heartbeat('a', T0, TTL);
      await store.claim('a', 6, T0, TTL);
      await store.heartbeat('b', T0, TTL);
      expect(await store.liveReplicas(T0)).toBe(2);
      await store.release('a', T0, [4, 5]);
      expect(holders(await store.leases(), T0)).toEqual({ a: [0, 1, 2, 3] });
      expect(await store.claim('b', 3, T0, TTL)).toEqual([4, 5]);
      await store.release('b', T0);
      await store.leave('b');
      expect(await store.liveReplicas(T0)).toBe(1);
      // a's heartbeat lapsed but its leases hold: still live
      await store.renew('a', T0 + 25_000, TTL);
      expect(await store.liveReplicas(T0 + 40_000)).toBe(1);
      expect(await store.liveReplicas(T0 + 25_000 + TTL + 1)).toBe(0);
    });

    it('hands each evaluation period of a shard out once, and takes it back after a failure', async () => {
      await store.claim('a', 3, T0, TTL);
      await store.claim('b', 3, T0, TTL);
      expect(await store.takePeriod('a', [0, 1, 2, 3], 7, T0)).toEqual([
        0, 1, 2,
      ]);
      expect(await store.takePeriod('a', [0, 1, 2], 7, T0)).toEqual([]);
      // a moves shard 2 to b mid-period: b does not evaluate it again for period 7
      await store.release('a', T0, [2]);
      expect(await store.claim('b', 1, T0, TTL)).toEqual([2]);
      expect(await store.takePeriod('b', [2, 3, 4, 5], 7, T0)).toEqual([
        3, 4, 5,
      ]);
      await store.returnPeriod('b', [3], 7);
      expect(await store.takePeriod('b', [2, 3], 7, T0)).toEqual([3]);
      expect(await store.takePeriod('b', [2, 3], 8, T0)).toEqual([2, 3]);
    });

    it('drops shards past a smaller count', async () => {
      await store.prepare(4);
      expect((await store.leases()).map(l => l.shard)).toEqual([0, 1, 2, 3]);
    });
  },
);
