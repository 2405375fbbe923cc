// @ts-check

/**
 * Incident action items followed after close: the earliest time (epoch ms) at which an open action item of a closed
 * incident, whose owner was not yet told, becomes overdue (null: nothing left to tell). The follow-up task finds the
 * incidents to look at through it (indexed), without reading every closed incident's items.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_incidents', table => {
    table.bigInteger('action_due_at').nullable();
    table.index(['action_due_at'], 'reliability_incidents_action_due_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('reliability_incidents', table => {
    table.dropIndex(
      ['action_due_at'],
      'reliability_incidents_action_due_at_idx',
    );
    table.dropColumn('action_due_at');
  });
};
