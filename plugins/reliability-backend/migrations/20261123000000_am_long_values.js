// @ts-check

/**
 * Alertmanager sends group keys and alert names of any length: they become text columns (neither is indexed),
 * so a 2,000-character groupKey or a 300-character alertname is stored whole instead of failing on PostgreSQL.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_am_alerts', table => {
    table.text('group_key').notNullable().alter();
    table.text('alertname').nullable().alter();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('reliability_am_alerts', table => {
    table.string('group_key', 1000).notNullable().alter();
    table.string('alertname', 255).nullable().alter();
  });
};
