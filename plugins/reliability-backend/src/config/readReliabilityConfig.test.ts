import { ConfigReader } from '@backstage/config';
import type { JsonValue } from '@backstage/types';
import { readReliabilityConfig } from './readReliabilityConfig';

const read = (evaluation: JsonValue) =>
  readReliabilityConfig(new ConfigReader({ reliability: { evaluation } }));

describe('reliability.evaluation.shards', () => {
  it('is off when absent: one global tick', () => {
    expect(read({}).evaluationShards).toBeUndefined();
    expect(readReliabilityConfig(new ConfigReader({})).evaluationShards).toBe(
      undefined,
    );
  });

  it('reads count and leaseSeconds, with a 30 s lease by default', () => {
    expect(
      read({ shards: { count: 64, leaseSeconds: 45 } }).evaluationShards,
    ).toEqual({ count: 64, leaseSeconds: 45 });
    expect(read({ shards: { count: 8 } }).evaluationShards).toEqual({
      count: 8,
      leaseSeconds: 30,
    });
  });

  it.each([
    [
      { leaseSeconds: 30 },
      /shards\.count must be a whole number from 1 to 4096, got null/,
    ],
    [
      { count: 0 },
      /shards\.count must be a whole number from 1 to 4096, got 0/,
    ],
    [{ count: 2.5 }, /shards\.count must be a whole number/],
    [{ count: 5000 }, /shards\.count must be a whole number from 1 to 4096/],
    [{ count: 'many' }, /shards\.count must be a whole number/],
    [
      { count: 8, leaseSeconds: 1 },
      /shards\.leaseSeconds must be a whole number from 6 to 3600, got 1/,
    ],
  ])(
    'refuses %j at startup, naming the key and the rule',
    (shards, message) => {
      expect(() => read({ shards })).toThrow(message);
    },
  );
});
