// @ts-check

/**
 * Status snapshots are rewritten every tick. The index on their budget column made every rewrite also a write to two
 * indexes, and kept PostgreSQL from updating a row in place. Without it (and with pages half filled on PostgreSQL, so
 * that a new version fits next to the old) each rewrite is a heap-only update: at 10,000 SLOs the tick's upsert took
 * about half the time. The overview ranks by budget with a sort of the evaluated SLOs instead of an index scan; the
 * evaluation bench prints the cost of a page, first and deep.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_status', t => {
    t.dropIndex(
      ['budget_remaining', 'slo_ref'],
      'reliability_status_budget_idx',
    );
  });
  if (knex.client.config.client === 'pg')
    await knex.raw('ALTER TABLE reliability_status SET (fillfactor = 50)');
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  if (knex.client.config.client === 'pg')
    await knex.raw('ALTER TABLE reliability_status RESET (fillfactor)');
  await knex.schema.alterTable('reliability_status', t => {
    t.index(['budget_remaining', 'slo_ref'], 'reliability_status_budget_idx');
  });
};
