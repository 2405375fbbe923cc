// @ts-check

/**
 * Chaos expectations checked: each run that ended (completed or aborted) holds what its experiment expected and
 * what was found (met, not met, unknown, with evidence), when it was checked (one conditional update: of replicas
 * ending the same run, one writes it), the follow-up's action items (one per unmet expectation) and the incident
 * whose review the run is linked to. Runs that ended before this migration are marked checked (with nothing): their
 * experiments declared no expectations then.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_chaos_runs', table => {
    // JSON list of ChaosExpectationResult; null until checked
    table.text('expectations').nullable();
    // epoch ms of the check; null: an ended run still to check
    table.bigInteger('evaluated_at').nullable();
    // JSON list of ChaosFollowUpItem (one per unmet expectation)
    table.text('follow_up').notNullable().defaultTo('[]');
    table.integer('incident_id').nullable();
    table.index(['state', 'evaluated_at'], 'reliability_chaos_runs_eval_idx');
  });
  await knex('reliability_chaos_runs')
    .whereIn('state', ['completed', 'aborted', 'refused'])
    .update({ evaluated_at: knex.raw('coalesce(finished_at, created_at)') });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('reliability_chaos_runs', table => {
    table.dropIndex(
      ['state', 'evaluated_at'],
      'reliability_chaos_runs_eval_idx',
    );
  });
  await knex.schema.alterTable('reliability_chaos_runs', table => {
    table.dropColumn('expectations');
    table.dropColumn('evaluated_at');
    table.dropColumn('follow_up');
    table.dropColumn('incident_id');
  });
};
