// @ts-check

/**
 * Incremental evaluation. The tick keeps, per SLO, the cumulative counts at each window boundary in memory and
 * moves them forward each tick by reading only:
 * - the rows written since its last read (`written_at`, the writer's clock in epoch ms), and
 * - the buckets and late counts its boundaries slid past (a range over `bucket_end` / `at`).
 * `reliability_tick_marker` names the process that ran the last tick: another process's tick (a takeover, or the
 * scheduler moving the task between replicas) makes the next one rebuild its index from the tables.
 * Existing rows get written_at 0: a process always builds its index from the tables when it starts.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  for (const table of ['reliability_buckets', 'reliability_late_counts']) {
    await knex.schema.alterTable(table, t => {
      t.bigInteger('written_at')
        .notNullable()
        .defaultTo(0)
        .comment('When the row was last written (epoch ms)');
    });
  }
  // covering: the tick reads what it needs from the index alone
  await knex.schema.alterTable('reliability_buckets', t => {
    t.index(
      ['written_at', 'slo_ref', 'bucket_end', 'cum_good', 'cum_total'],
      'reliability_buckets_written_idx',
    );
    t.index(
      ['bucket_end', 'slo_ref', 'cum_good', 'cum_total'],
      'reliability_buckets_end_idx',
    );
  });
  await knex.schema.alterTable('reliability_late_counts', t => {
    t.index(['written_at'], 'reliability_late_counts_written_idx');
    t.index(['at'], 'reliability_late_counts_at_idx');
  });
  await knex.schema.createTable('reliability_tick_marker', t => {
    t.comment(
      'One row: the process that ran the last evaluation tick, and the token of that tick',
    );
    t.integer('id').primary().notNullable();
    t.string('owner', 128).notNullable();
    t.string('token', 64).notNullable();
    t.bigInteger('at')
      .notNullable()
      .comment('When that tick read the tables (epoch ms)');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('reliability_tick_marker');
  for (const name of [
    'reliability_late_counts_at_idx',
    'reliability_late_counts_written_idx',
    'reliability_buckets_end_idx',
    'reliability_buckets_written_idx',
  ]) {
    await knex.raw(`DROP INDEX IF EXISTS ${name}`);
  }
  // a table an earlier migration already took down has nothing to give back
  for (const table of ['reliability_buckets', 'reliability_late_counts']) {
    if (
      !(await knex.schema.hasTable(table)) ||
      !(await knex.schema.hasColumn(table, 'written_at'))
    )
      continue;
    await knex.schema.alterTable(table, t => {
      t.dropColumn('written_at');
    });
  }
};
