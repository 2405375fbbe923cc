// @ts-check

/**
 * Notices already sent once per fact (a drill proof that went stale on a given last drill), so a scheduled check
 * tells the owners once, not on every run.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_notices', table => {
    table.comment('One row per notice sent: the fact it was about, and when');
    table.string('notice_key', 512).primary();
    table.bigInteger('sent_at').notNullable().index();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_notices');
};
