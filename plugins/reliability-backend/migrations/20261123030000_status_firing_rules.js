// @ts-check

/**
 * A status's `firing` became a list of `{ id, severity }` (it was the rules' display text, mapped back to a severity
 * by guessing). Statuses are derived data, rewritten by every evaluation tick: the stored ones are cleared both
 * ways, and the next tick writes them in the shape of the running version.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex('reliability_status').delete();
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex('reliability_status').delete();
};
