// @ts-check

/**
 * Incident follow-ups: the links an incident holds (dashboards, logs, pull requests) and its status-update cadence,
 * with the time of its last status update (declared or status change) from which the next update is due, and what
 * the follow-up tasks last told (overdue status updates, overdue action items after close).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_incidents', table => {
    // JSON list of { kind, title, url }, at most 50
    table.text('links').notNullable().defaultTo('[]');
    // minutes between status updates (5..120)
    table.integer('update_cadence_min').notNullable().defaultTo(30);
    // epoch ms of the last status update; null: use declared_at
    table.bigInteger('last_update_at').nullable();
    // the due time (epoch ms) of the overdue period whose Comms holder was last told; one notice per period
    table.bigInteger('update_nudged_for').nullable();
    // JSON { "<action item index>": epoch ms of the last overdue notice to its owner }
    table.text('action_item_nudges').notNullable().defaultTo('{}');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('reliability_incidents', table => {
    table.dropColumn('links');
    table.dropColumn('update_cadence_min');
    table.dropColumn('last_update_at');
    table.dropColumn('update_nudged_for');
    table.dropColumn('action_item_nudges');
  });
};
