// @ts-check

/**
 * Stored SLO history: points of the charts' series (budget left over the window, 1h burn rate and SLI) that either a
 * real evaluation wrote (`replayed` false) or the replay of a Prometheus-backed SLO's past computed from range queries
 * (`replayed` true, with the hash of the definition they were replayed for). One row per SLO and instant. Beside it,
 * each Prometheus-backed SLO's replay: the definition replayed, how far it got, and when a failed replay is tried again.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_slo_history', table => {
    table.string('slo_ref', 255).notNullable();
    // epoch ms of the point
    table.bigInteger('t').notNullable();
    table.double('budget_remaining').nullable();
    table.double('burn_rate').nullable();
    table.double('sli').nullable();
    table.boolean('replayed').notNullable().defaultTo(false);
    // the definition hash a replayed point was computed for; null for evaluated points
    table.string('def_hash', 64).nullable();
    table.primary(['slo_ref', 't']);
  });
  await knex.schema.createTable('reliability_slo_replays', table => {
    table.string('slo_ref', 255).primary().notNullable();
    table.string('def_hash', 64).notNullable();
    // pending | done
    table.string('state', 16).notNullable();
    // the replayed range [from_t, to_t] and the last instant written (null: none yet)
    table.bigInteger('from_t').notNullable();
    table.bigInteger('to_t').notNullable();
    table.bigInteger('step_ms').notNullable();
    table.bigInteger('cursor').nullable();
    table.integer('points').notNullable().defaultTo(0);
    table.integer('attempts').notNullable().defaultTo(0);
    // epoch ms before which a failed replay is not tried again
    table.bigInteger('next_at').notNullable().defaultTo(0);
    // the last failure, redacted
    table.text('error').nullable();
    table.bigInteger('updated_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_slo_replays');
  await knex.schema.dropTable('reliability_slo_history');
};
