// @ts-check

/**
 * Failover drills: one row per drill of an entity (a regional failover, a point-in-time or backup restore), with
 * what it measured. A drill is one per entity, day, kind and region, so importing the same log twice updates it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_drills', table => {
    table.comment('Failover and restore drills per entity');
    table.increments('id');
    table.string('entity_ref', 255).notNullable();
    table
      .bigInteger('date')
      .notNullable()
      .comment('the day of the drill, epoch ms at 00:00 UTC');
    table.string('kind', 32).notNullable();
    table.string('region', 64).notNullable();
    table.string('to_region', 64).nullable();
    table.double('duration_min').notNullable();
    table.boolean('success').notNullable();
    table.double('rto_s').nullable();
    table.double('rpo_s').nullable();
    table.double('replication_lag_s').nullable();
    table.text('steps').notNullable().comment('JSON list');
    table.text('notes').notNullable();
    table.text('evidence').notNullable().comment('JSON list of links');
    table.string('recorded_by', 255).notNullable();
    table.bigInteger('recorded_at').notNullable();
    table.unique(['entity_ref', 'date', 'kind', 'region'], {
      indexName: 'reliability_drills_key',
    });
    table.index(['entity_ref', 'date'], 'reliability_drills_entity_date_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_drills');
};
