// @ts-check

/**
 * Synthetic journeys per entity (the registry), when each journey runs next in each region (the claim that keeps
 * a journey and region on one runner at a time), their runs (kept for the charts), and the evidence of the last runs
 * (per-step timings, redacted excerpts, a screenshot and a HAR for browser steps), pruned by a scheduled task.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_synthetic_journeys', table => {
    table.comment(
      'Synthetic journeys of entities: regions, frequency, deadline and steps',
    );
    table.increments('id');
    table.string('entity_ref', 255).notNullable();
    table.string('name', 63).notNullable();
    table.text('regions').notNullable();
    table.string('frequency', 16).notNullable();
    table.bigInteger('frequency_ms').notNullable();
    table.integer('deadline_ms').notNullable();
    table.text('steps').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.string('updated_by', 255).notNullable();
    table.unique(['entity_ref', 'name'], {
      indexName: 'reliability_synthetic_journeys_entity_name_uq',
    });
  });
  await knex.schema.createTable('reliability_synthetic_schedule', table => {
    table.comment(
      'When a journey runs next in a region, and until when a runner holds it',
    );
    table
      .integer('journey_id')
      .notNullable()
      .references('id')
      .inTable('reliability_synthetic_journeys')
      .onDelete('CASCADE');
    table.string('region', 64).notNullable();
    table.bigInteger('next_run_at').notNullable();
    table.bigInteger('lease_until').notNullable().defaultTo(0);
    table.primary(['journey_id', 'region']);
    table.index(['next_run_at'], 'reliability_synthetic_schedule_next_idx');
  });
  await knex.schema.createTable('reliability_synthetic_runs', table => {
    table.comment(
      'Runs of synthetic journeys: outcome and duration, for status and charts',
    );
    table.increments('id');
    table
      .integer('journey_id')
      .notNullable()
      .references('id')
      .inTable('reliability_synthetic_journeys')
      .onDelete('CASCADE');
    table.string('entity_ref', 255).notNullable();
    table.string('journey', 63).notNullable();
    table.string('region', 64).notNullable();
    table.bigInteger('started_at').notNullable();
    table.integer('duration_ms').notNullable();
    table.boolean('success').notNullable();
    table.text('error').nullable();
    table.text('warnings').notNullable();
    table.index(
      ['journey_id', 'region', 'started_at'],
      'reliability_synthetic_runs_journey_idx',
    );
    table.index(
      ['entity_ref', 'started_at'],
      'reliability_synthetic_runs_entity_idx',
    );
    table.index(['started_at'], 'reliability_synthetic_runs_started_idx');
  });
  await knex.schema.createTable('reliability_synthetic_evidence', table => {
    table.comment(
      'Evidence of the last runs: per-step timings and excerpts, screenshot and HAR of browser steps',
    );
    table
      .integer('run_id')
      .primary()
      .references('id')
      .inTable('reliability_synthetic_runs')
      .onDelete('CASCADE');
    table.text('steps').notNullable();
    table.binary('screenshot').nullable();
    table.text('har').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_synthetic_evidence');
  await knex.schema.dropTable('reliability_synthetic_runs');
  await knex.schema.dropTable('reliability_synthetic_schedule');
  await knex.schema.dropTable('reliability_synthetic_journeys');
};
