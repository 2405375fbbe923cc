// @ts-check

/**
 * The organisation overview: the budget left as a sortable column of the status, the component's owner, system and
 * lifecycle beside each SLO (filters), and one budget reading per SLO and day (the sparklines).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_status', table => {
    table.double('budget_remaining').nullable();
    table.index(
      ['budget_remaining', 'slo_ref'],
      'reliability_status_budget_idx',
    );
  });
  await knex.schema.alterTable('reliability_slos', table => {
    table.string('owner', 255).nullable();
    table.string('system', 255).nullable();
    table.string('lifecycle', 64).nullable();
  });
  await knex.schema.createTable('reliability_budget_daily', table => {
    table.comment(
      'Budget remaining per SLO and day (the last reading of the day), for the overview sparklines',
    );
    table.string('slo_ref', 255).notNullable();
    table
      .bigInteger('day')
      .notNullable()
      .comment('start of the UTC day, epoch ms');
    table.double('budget_remaining').nullable();
    table.primary(['slo_ref', 'day']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_budget_daily');
  await knex.schema.alterTable('reliability_slos', table => {
    table.dropColumn('owner');
    table.dropColumn('system');
    table.dropColumn('lifecycle');
  });
  await knex.schema.alterTable('reliability_status', table => {
    table.dropIndex(
      ['budget_remaining', 'slo_ref'],
      'reliability_status_budget_idx',
    );
    table.dropColumn('budget_remaining');
  });
};
