// @ts-check

/**
 * The burn-rate registry imported through POST /import/burn-rate-alerts: its rules per slo_id (they win over the
 * reliability.alerting.burnRateCsv file, and lose to an SLO's own alert policy).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_burn_rate_imports', table => {
    table.comment(
      'Burn-rate rules per slo_id from the imported burn-rate registry',
    );
    table.string('slo_id', 255).primary();
    table
      .text('rules')
      .notNullable()
      .comment('JSON: the MwmbRule list, in file order');
    table.string('imported_by', 255).notNullable();
    table.bigInteger('imported_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_burn_rate_imports');
};
