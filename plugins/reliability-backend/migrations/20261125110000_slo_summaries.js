// @ts-check

/**
 * Reads without parsing: each registered SLO keeps the JSON of its summary (what `GET /slos` answers about it, its
 * status aside), written when the registry parses its document. A read joins it to the status snapshot in one query
 * and concatenates the two. Rows registered before this migration have none until the next sync (every start
 * parses every document again); reads build theirs from the definition meanwhile.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_slos', t => {
    t.text('summary').nullable().comment('SloSummary JSON without its status');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  if (
    !(await knex.schema.hasTable('reliability_slos')) ||
    !(await knex.schema.hasColumn('reliability_slos', 'summary'))
  )
    return;
  await knex.schema.alterTable('reliability_slos', t => {
    t.dropColumn('summary');
  });
};
