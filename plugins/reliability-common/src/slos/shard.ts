/**
 * The stable hash of an SLO's ref that places it in an evaluation shard: 32-bit FNV-1a over the ref's UTF-8 bytes,
 * then a final avalanche so that refs differing in their last characters spread over all shards. An unsigned 32-bit
 * integer. The same ref gives the same hash in every process and every release; the registry stores it
 * (`reliability_slos.shard_hash`) so that a replica's reads can keep to its shards (`shard_hash % count`).
 *
 * @public
 */
export function shardHash(sloRef: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(sloRef)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  // murmur3's fmix32: FNV-1a's low bits alone are weak for small moduli
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The evaluation shard an SLO belongs to: its `shardHash` modulo `count`, so replicas agree on the split without
 * talking.
 *
 * @public
 */
export function shardOf(sloRef: string, count: number): number {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(
      `shard count must be a positive integer, not ${count}`,
    );
  return shardHash(sloRef) % count;
}
