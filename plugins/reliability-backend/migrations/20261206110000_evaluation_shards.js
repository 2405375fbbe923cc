// @ts-check

/**
 * Sharded evaluation (`reliability.evaluation.shards`): the SLOs are split into shards by a stable hash of their ref,
 * and each replica evaluates the shards it holds a lease on.
 * - `reliability_shard_leases`: one row per shard: its holder (a replica id made at startup; null when free), until
 *   when the lease holds (epoch ms; a lease past it may be claimed by anyone), and the last evaluation period the
 *   shard was evaluated for (so a shard that moves mid-period is not evaluated twice for that period);
 * - `reliability_shard_replicas`: each live replica's heartbeat (epoch ms it expires at), so that a replica that holds
 *   nothing yet still counts when the fair share is worked out;
 * - `reliability_shard_events`: the leases' history (claimed, released, taken over), for operators and tests.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_shard_leases', table => {
    table.integer('shard').primary();
    table.string('holder', 100).nullable();
    table.bigInteger('expires_at').notNullable().defaultTo(0);
    table.bigInteger('evaluated_period').notNullable().defaultTo(-1);
  });
  await knex.schema.createTable('reliability_shard_replicas', table => {
    table.string('replica', 100).primary();
    table.bigInteger('expires_at').notNullable();
  });
  await knex.schema.createTable('reliability_shard_events', table => {
    table.bigIncrements('id').primary();
    table.integer('shard').notNullable();
    // claimed | taken_over | released
    table.string('kind', 20).notNullable();
    table.string('replica', 100).notNullable();
    table.string('previous', 100).nullable();
    table.bigInteger('at').notNullable();
    table.index(['at'], 'reliability_shard_events_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_shard_events');
  await knex.schema.dropTable('reliability_shard_replicas');
  await knex.schema.dropTable('reliability_shard_leases');
};
