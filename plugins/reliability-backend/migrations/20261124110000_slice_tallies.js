// @ts-check

/**
 * Time-slice SLOs (OpenSLO Timeslices, RatioTimeslices): one tally per SLO and slice (data points or events seen,
 * and how many were good). The evaluation tick turns each closed slice into its contribution to the SLO's counts
 * (`reliability_buckets`, in slices) and records what it counted, so a late value that changes a slice's verdict
 * moves the counts by the difference only.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_slice_tallies', table => {
    table.comment(
      'Per SLO and time slice: what was seen, what was good, and what the counts hold for it',
    );
    table.string('slo_ref', 512).notNullable();
    table
      .bigInteger('slice_end')
      .notNullable()
      .comment('Exclusive end of the slice, epoch ms');
    table
      .double('n')
      .notNullable()
      .comment('Data points (thresholdMetric) or events (ratioMetric) seen');
    table.double('good').notNullable().comment('Of those, how many were good');
    table
      .double('counted_good')
      .notNullable()
      .defaultTo(0)
      .comment('The good slices this slice added to the counts');
    table
      .double('counted_total')
      .notNullable()
      .defaultTo(0)
      .comment('The slices this slice added to the counts (0 or 1)');
    table
      .boolean('dirty')
      .notNullable()
      .defaultTo(true)
      .comment('Changed since the tick last counted it');
    table.primary(['slo_ref', 'slice_end']);
    table.index(['dirty', 'slice_end'], 'reliability_slice_tallies_dirty_idx');
    table.index(['slice_end'], 'reliability_slice_tallies_end_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_slice_tallies');
};
