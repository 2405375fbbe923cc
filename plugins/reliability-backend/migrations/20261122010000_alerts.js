// @ts-check

/**
 * Burn-rate and no-data alerts with their lifecycle: pending -> firing -> resolved.
 * `open_key` (slo_ref + rule) is set while an alert is open and cleared when it resolves: its unique index lets
 * at most one open alert exist per SLO and rule, on SQLite and PostgreSQL alike (NULLs do not collide).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_alerts', table => {
    table.comment('SLO alerts and their lifecycle');
    table.bigIncrements('id').primary();
    table.string('slo_ref', 255).notNullable();
    table
      .string('rule', 255)
      .notNullable()
      .comment('e.g. page 14.4x 1h&5m, or no_data');
    table.string('severity', 32).notNullable();
    table
      .string('state', 16)
      .notNullable()
      .comment('pending | firing | resolved');
    table.string('open_key', 600).nullable().unique();
    table.bigInteger('started_at').notNullable();
    table.bigInteger('fired_at').nullable();
    table.bigInteger('resolved_at').nullable();
    table.bigInteger('last_seen_at').notNullable();
    table
      .text('details')
      .nullable()
      .comment('burn rates or the no-data reason, JSON');
    table.index(['slo_ref', 'state'], 'reliability_alerts_slo_state_idx');
    table.index(['state'], 'reliability_alerts_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_alerts');
};
