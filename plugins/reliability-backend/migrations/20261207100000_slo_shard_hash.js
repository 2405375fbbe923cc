// @ts-check

/**
 * Each registered SLO's shard hash (`reliability_slos.shard_hash`): the stable hash of its ref that places it in an
 * evaluation shard (`shard_hash % count`, -common's `shardHash`), stored so that a replica's reads of the counts keep
 * to the shards it evaluates. The registry writes it with each definition; this fills it for the SLOs already there.
 *
 * The hash is written out here as it was when this migration shipped: a migration never changes, and neither may the
 * hash (every SLO would move to another shard). `migrations.test.ts` checks the two agree.
 *
 * @param {string} ref
 */
function shardHash(ref) {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(ref)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_slos', table => {
    table.bigInteger('shard_hash').nullable();
  });
  // the registry's refs, 500 at a time in ref order (one row per SLO: no table scan per batch)
  let after = '';
  for (;;) {
    const refs = (
      await knex('reliability_slos')
        .where('ref', '>', after)
        .orderBy('ref')
        .limit(500)
        .select('ref')
    ).map(r => String(r.ref));
    if (!refs.length) break;
    await knex.transaction(async tx => {
      for (const ref of refs)
        await tx('reliability_slos')
          .where('ref', ref)
          .update({ shard_hash: shardHash(ref) });
    });
    after = refs[refs.length - 1];
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('reliability_slos', table => {
    table.dropColumn('shard_hash');
  });
};
