// @ts-check

/**
 * The SLO registry remembers a hash of each SLO entity it parsed, so the scheduled sync parses a document once per
 * change instead of on every tick and every read.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reliability_slos', table => {
    table
      .string('doc_hash', 64)
      .nullable()
      .comment('sha256 of the SLO entity the definition was parsed from');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('reliability_slos', table => {
    table.dropColumn('doc_hash');
  });
};
