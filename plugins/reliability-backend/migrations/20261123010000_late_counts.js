// @ts-check

/**
 * Late SLI counts: an event for a time before an SLO's latest bucket is kept here, one row per SLO and bucket
 * end, instead of moving every later cumulative value. Readers add the late rows at or before t to the stored
 * cumulative value at t; the scheduled compaction absorbs rows older than the minute retention into the buckets.
 * A late event so costs one row write, whatever the number of later buckets.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_late_counts', table => {
    table.comment(
      'SLI counts that arrived after later buckets of their SLO: added to cumulative values on read',
    );
    table.string('slo_ref', 255).notNullable();
    table
      .bigInteger('at')
      .notNullable()
      .comment('the end of the bucket the counts belong to, epoch ms');
    table.double('good').notNullable();
    table.double('total').notNullable();
    table.primary(['slo_ref', 'at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  // nothing is lost going down: the late counts move into every later cumulative value first
  for (const col of ['good', 'total']) {
    await knex.raw(
      `UPDATE reliability_buckets SET cum_${col} = cum_${col} + (SELECT COALESCE(SUM(l.${col}), 0) FROM reliability_late_counts l WHERE l.slo_ref = reliability_buckets.slo_ref AND l.at <= reliability_buckets.bucket_end)`,
    );
  }
  await knex.schema.dropTable('reliability_late_counts');
};
