// @ts-check

/**
 * Deliveries received by the webhook receivers (PagerDuty's V3 webhooks, generic signed webhooks). Senders deliver
 * at least once: (source, sender_id) is unique, so a repeat is counted as a duplicate of the first delivery instead
 * of acting twice, whichever replica receives it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_webhook_receipts', table => {
    table.comment('Deliveries received by the webhook receivers');
    table.bigIncrements('id').primary();
    table.string('source', 16).notNullable();
    table.string('name', 100).notNullable();
    table.string('sender_id', 400).notNullable();
    table.string('event_type', 100).notNullable();
    table.text('labels').notNullable();
    table.bigInteger('received_at').notNullable();
    table.integer('duplicates').notNullable().defaultTo(0);
    table.unique(['source', 'sender_id'], {
      indexName: 'reliability_webhook_receipts_sender_uq',
    });
    table.index(['received_at'], 'reliability_webhook_receipts_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_webhook_receipts');
};
