// @ts-check

/**
 * Delivery routing, holds, escalation and acknowledgement: each delivery says why it was routed (its SLO's own
 * target, a routing policy, an escalation step) and whether it is held back (quiet hours, a self-healing grace
 * period); one row per alert records its acknowledgement and whether self-healing spared a human (written once, so
 * that replicas report an avoided page once).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_deliveries', table => {
    table.string('policy', 200).nullable();
    // slo (the SLO's AlertNotificationTargets), policy (a routing policy), escalation
    table.string('routed_by', 16).nullable();
    // quiet-hours or grace while the row waits for its window or grace to end
    table.string('held', 16).nullable();
    table.integer('escalation_step').nullable();
    // a delivered page's escalation steps still to check (JSON [{afterMs, targets}]); null once done or not routed
    table.text('escalation').nullable();
  });
  await knex.schema.createTable('reliability_delivery_alerts', table => {
    table.comment(
      'Per alert: its acknowledgement, and whether self-healing spared a page',
    );
    table.string('alert_key', 200).primary();
    table.string('acked_by', 400).nullable();
    table.string('ack_source', 16).nullable();
    table.bigInteger('acked_at').nullable();
    table.bigInteger('avoided_at').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_delivery_alerts');
  await knex.schema.alterTable('reliability_deliveries', table => {
    table.dropColumn('policy');
    table.dropColumn('routed_by');
    table.dropColumn('held');
    table.dropColumn('escalation_step');
    table.dropColumn('escalation');
  });
};
