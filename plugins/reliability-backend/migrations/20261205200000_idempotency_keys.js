// @ts-check

/**
 * Idempotency keys of the ingest routes (POST /sli-events, /sli-values, /capacity/runs, /changes). A client that
 * retries sends the same `Idempotency-Key` header: (route, caller, key) is unique, so one request of a key runs and
 * its repeats within 24 hours get its answer, whichever replica receives them. A row is `pending` while its request
 * runs (`claim` names that request), then `done` with the answer's status and body. Rows older than 24 hours are
 * deleted by the reliability-idempotency-cleanup task.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_idempotency_keys', table => {
    table.comment(
      'Idempotency keys of the ingest routes and their first answer',
    );
    table.bigIncrements('id').primary();
    table.string('route', 64).notNullable();
    table.string('caller', 255).notNullable();
    table.string('idempotency_key', 255).notNullable();
    table.string('body_sha256', 64).notNullable();
    table.string('claim', 64).notNullable();
    table.string('state', 16).notNullable();
    table.integer('status').nullable();
    table.text('response').nullable();
    table.bigInteger('created_at').notNullable();
    table.unique(['route', 'caller', 'idempotency_key'], {
      indexName: 'reliability_idempotency_keys_uq',
    });
    table.index(['created_at'], 'reliability_idempotency_keys_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_idempotency_keys');
};
