// @ts-check

/**
 * Delivery of alert transitions to PagerDuty, Slack, Opsgenie, Teams and signed webhooks: one row per (alert,
 * transition, target), the outbox. A row exists (queued) before anything is sent; a backend claims it under a lease
 * so that replicas on one database never send it twice. Credentials are never stored: a row names its target.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_deliveries', table => {
    table.comment('Deliveries of alert transitions to notification targets');
    table.bigIncrements('id').primary();
    // alert key + transition + target: a repeated event becomes nothing, not a second page
    table.string('dedup_key', 700).notNullable().unique();
    table.string('alert_key', 200).notNullable();
    table.bigInteger('alert_id').notNullable();
    table.string('slo_ref', 400).notNullable();
    table.string('entity_ref', 400).notNullable();
    table.string('target', 200).notNullable();
    table.string('target_kind', 32).notNullable();
    table.string('transition', 16).notNullable();
    // what is said (summary, severity, details), never where or with which key
    table.text('payload').notNullable();
    table.string('state', 16).notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.bigInteger('next_attempt_at').nullable();
    table.string('holder', 200).nullable();
    table.bigInteger('lease_expires_at').nullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('delivered_at').nullable();
    table.integer('last_status').nullable();
    table.text('last_error').nullable();
    table.index(['state', 'next_attempt_at'], 'reliability_deliveries_due_idx');
    table.index(['alert_key'], 'reliability_deliveries_alert_idx');
    table.index(['entity_ref', 'id'], 'reliability_deliveries_entity_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_deliveries');
};
