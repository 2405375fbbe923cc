// @ts-check

/**
 * Load-test runs: what CI posts from a k6 end-of-test summary (p95, throughput, error rate, CPU when measured) with
 * the verdict against the entity's latency SLO. The summary itself is not kept.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_capacity_runs', table => {
    table.comment('k6 load-test results per entity');
    table.increments('id');
    table.string('entity_ref', 255).notNullable();
    table.string('test_type', 16).notNullable();
    table.string('commit', 80).notNullable();
    table.bigInteger('started_at').notNullable();
    table.double('p95_ms').notNullable();
    table.double('p99_ms').nullable();
    table.double('avg_ms').nullable();
    table.double('rps').notNullable();
    table.double('max_rps').nullable();
    table.double('requests').notNullable();
    table.double('error_rate').notNullable();
    table.double('duration_s').nullable();
    table.double('vus_max').nullable();
    table.double('cpu_percent').nullable();
    table.double('target_ms').nullable();
    table.string('verdict', 16).notNullable();
    table.text('reason').notNullable();
    table.string('recorded_by', 255).notNullable();
    table.bigInteger('recorded_at').notNullable();
    table.index(
      ['entity_ref', 'started_at'],
      'reliability_capacity_entity_idx',
    );
    table.index(
      ['entity_ref', 'test_type', 'started_at'],
      'reliability_capacity_type_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_capacity_runs');
};
