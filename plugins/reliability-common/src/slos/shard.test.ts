import { shardHash, shardOf } from './shard';

const PINNED = [56, 37, 11, 59];

describe('shardOf', () => {
  it('is stable: fixed values that every process and release must agree on', () => {
    // pinned: changing the hash would move every SLO to another shard on upgrade
    expect([
      shardOf('slo:default/checkout-availability', 64),
      shardOf('slo:default/checkout-latency', 64),
      shardOf('', 64),
      shardOf('slo:default/é', 64),
    ]).toEqual(PINNED);
    expect(shardOf('slo:default/a', 1)).toBe(0);
  });

  it('is the hash modulo the count, and the hash is an unsigned 32-bit integer', () => {
    for (const ref of ['slo:default/checkout-latency', '', 'slo:default/é']) {
      const h = shardHash(ref);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
      for (const count of [1, 7, 64])
        expect(shardOf(ref, count)).toBe(h % count);
    }
  });

  it('answers the same shard on every call', () => {
    for (let i = 0; i < 100; i++)
      expect(shardOf(`slo:default/s${i}`, 7)).toBe(
        shardOf(`slo:default/s${i}`, 7),
      );
  });

  it('spreads refs roughly uniformly, even refs that differ only at the end', () => {
    for (const count of [2, 16, 64]) {
      const n = count * 500;
      const buckets = new Array<number>(count).fill(0);
      for (let i = 0; i < n; i++)
        buckets[shardOf(`slo:default/svc-${i}`, count)]++;
      // 500 expected per shard: within 25% (a binomial's sd is ~22, so this is > 5 sd)
      for (const b of buckets) {
        expect(b).toBeGreaterThan(375);
        expect(b).toBeLessThan(625);
      }
    }
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => shardOf('x', 0)).toThrow(/positive integer/);
    expect(() => shardOf('x', 1.5)).toThrow(/positive integer/);
  });
});
