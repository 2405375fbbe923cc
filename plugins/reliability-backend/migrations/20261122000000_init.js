// @ts-check

/**
 * Buckets hold per-minute (bucket_ms 60000) or, after compaction, per-hour (3600000) good/total counts with
 * the running cumulative counts of the SLO up to the bucket's end: a window's counts are two index lookups.
 * Counts are float8/REAL: exact for integers below 2^53 and not returned as strings by pg.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_slos', table => {
    table.comment('SLOs known to the evaluator, synced from the catalog');
    table.string('ref', 255).primary().notNullable().comment('namespace/name');
    table.string('entity_ref', 255).notNullable();
    table.string('component_ref', 255).notNullable();
    table.text('definition').notNullable().comment('SloDefinition JSON');
    table.bigInteger('updated_at').notNullable();
    table.index(['component_ref'], 'reliability_slos_component_idx');
  });
  if (knex.client.config.client.includes('sqlite')) {
    // WITHOUT ROWID: the primary key is the table's own b-tree, so the index probes of an evaluation read the
    // cumulative counts without a second lookup
    await knex.raw(`CREATE TABLE reliability_buckets (
      slo_ref varchar(255) NOT NULL,
      bucket_end bigint NOT NULL,
      bucket_ms integer NOT NULL,
      good float NOT NULL,
      total float NOT NULL,
      cum_good float NOT NULL,
      cum_total float NOT NULL,
      PRIMARY KEY (slo_ref, bucket_end)
    ) WITHOUT ROWID`);
  } else {
    const pg = knex.client.config.client === 'pg';
    await knex.schema.createTable('reliability_buckets', table => {
      table.comment('Time buckets of SLI counts with cumulative sums');
      table.string('slo_ref', 255).notNullable();
      table
        .bigInteger('bucket_end')
        .notNullable()
        .comment('exclusive end, epoch ms');
      table.integer('bucket_ms').notNullable();
      table.double('good').notNullable();
      table.double('total').notNullable();
      table.double('cum_good').notNullable();
      table.double('cum_total').notNullable();
      if (!pg) table.primary(['slo_ref', 'bucket_end']);
    });
    if (pg) {
      // the key carries the cumulative counts: evaluation probes are index-only scans
      await knex.raw(
        'ALTER TABLE reliability_buckets ADD CONSTRAINT reliability_buckets_pkey PRIMARY KEY (slo_ref, bucket_end) INCLUDE (cum_good, cum_total)',
      );
    }
  }
  await knex.schema.createTable('reliability_status', table => {
    table.comment('Latest evaluated status per SLO');
    table.string('slo_ref', 255).primary().notNullable();
    table.string('state', 32).notNullable();
    table.bigInteger('evaluated_at').notNullable();
    table.text('status').notNullable().comment('SloStatus JSON');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_status');
  await knex.schema.dropTable('reliability_buckets');
  await knex.schema.dropTable('reliability_slos');
};
