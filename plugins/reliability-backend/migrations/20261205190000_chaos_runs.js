// @ts-check

/**
 * Chaos runs: each start of an experiment (from the portal, or by its cron schedule) and each scheduled start that
 * was refused, with why. A scheduled start is claimed by inserting its row (experiment, cron time): the unique key
 * lets one replica only start it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_chaos_runs', table => {
    table.comment(
      'Runs of chaos experiments: manual and scheduled starts, refusals',
    );
    table.increments('id');
    table
      .integer('experiment_id')
      .notNullable()
      .references('id')
      .inTable('reliability_chaos_experiments')
      .onDelete('CASCADE');
    // schedule | manual
    table.string('trigger', 16).notNullable();
    // epoch ms of the cron time a scheduled run is for; null for manual runs
    table.bigInteger('scheduled_for').nullable();
    // starting | running | completed | aborted | refused
    table.string('state', 16).notNullable();
    table.text('reason').nullable();
    table.bigInteger('started_at').nullable();
    table.bigInteger('ends_at').nullable();
    table.bigInteger('finished_at').nullable();
    table.bigInteger('created_at').notNullable();
    table.unique(['experiment_id', 'scheduled_for'], {
      indexName: 'reliability_chaos_runs_claim_unique',
    });
    table.index(['state'], 'reliability_chaos_runs_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_chaos_runs');
};
