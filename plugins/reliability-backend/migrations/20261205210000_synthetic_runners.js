// @ts-check

/**
 * Which regions have a live synthetic runner: each backend replica that runs journeys reports the regions it serves
 * (`reliability.synthetics.region`; `*` for a replica that serves every region) every interval, so a journey region
 * that no live replica serves is reported as unmonitored.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_synthetic_runners', table => {
    table.comment(
      'Regions served by a live synthetic runner: when a replica last reported it, and how long that counts',
    );
    table.string('region', 64).primary();
    table.bigInteger('seen_at').notNullable();
    table.integer('stale_after_ms').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_synthetic_runners');
};
