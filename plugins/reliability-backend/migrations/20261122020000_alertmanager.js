// @ts-check

/**
 * Alerts received from Alertmanager's webhook. Alertmanager delivers at least once (and HA pairs deliver
 * twice on purpose): `dedup_key` = fingerprint|status|startsAt is unique, so a repeat is recorded as a duplicate
 * of the first delivery instead of a second alert, whichever replica receives it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_am_alerts', table => {
    table.comment('Alerts received from Alertmanager');
    table.bigIncrements('id').primary();
    table.string('dedup_key', 400).notNullable().unique();
    table.string('fingerprint', 64).notNullable();
    table.string('status', 16).notNullable();
    table.string('alertname', 255).nullable();
    table.string('group_key', 1000).notNullable();
    table.bigInteger('starts_at').notNullable();
    table.bigInteger('ends_at').nullable();
    table.text('labels').notNullable();
    table.text('annotations').notNullable();
    table.bigInteger('received_at').notNullable();
    table.integer('duplicates').notNullable().defaultTo(0);
    table.index(['fingerprint', 'received_at'], 'reliability_am_alerts_fp_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_am_alerts');
};
