// @ts-check

/**
 * Secret hygiene: per secret (named by its config path, never its value) the state the owners were last told of,
 * and the last time its credentials were refused (401/403) with the hourly escalation claim, so that replicas tell
 * the owners once.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_secret_hygiene', table => {
    table.comment(
      'Per secret config path: last notified state and last auth failure',
    );
    table.string('secret', 400).primary();
    // ok, due-soon, expired, unknown
    table.string('state', 16).nullable();
    table.bigInteger('state_changed_at').nullable();
    table.bigInteger('auth_failed_at').nullable();
    table.string('auth_failed_where', 400).nullable();
    table.integer('auth_failed_status').nullable();
    table.bigInteger('escalated_at').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_secret_hygiene');
};
