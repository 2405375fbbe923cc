// @ts-check

/**
 * Budget corrections: time ranges (one, or a recurring window: cron and duration) excluded from an SLO's budget, with
 * who asked and why. A correction is reverted, never deleted, so the history of the budget can be explained.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_corrections', table => {
    table.comment(
      'Time ranges excluded from SLO budgets, audited and revertible',
    );
    table.string('id', 36).primary();
    table.string('slo_ref', 512).notNullable();
    table.string('kind', 16).notNullable().comment('once or recurring');
    table.bigInteger('start_at').notNullable();
    table
      .bigInteger('end_at')
      .nullable()
      .comment(
        'Exclusive end; for recurring windows, when they stop (null: never)',
      );
    table.string('cron', 100).nullable();
    table.string('time_zone', 64).nullable();
    table.string('duration', 10).nullable();
    table.string('reason', 500).notNullable();
    table.string('created_by', 512).notNullable();
    table.bigInteger('created_at').notNullable();
    table.string('reverted_by', 512).nullable();
    table.bigInteger('reverted_at').nullable();
    table.index(['slo_ref', 'reverted_at'], 'reliability_corrections_slo_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_corrections');
};
