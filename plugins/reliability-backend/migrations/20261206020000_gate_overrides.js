// @ts-check

/**
 * Overrides of the deploy gate (POST /gate/overrides): someone allowed to (reliability.gate.override) opens the gate
 * of an entity while its SLOs keep it closed, for a reason, until a time. A row is in force while `until_at` is
 * ahead and it is not revoked; it expires by itself (nothing deletes it: the rows are the record of who shipped
 * past a freeze, and why). Times are epoch milliseconds.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_gate_overrides', table => {
    table.comment(
      'Overrides of the deploy gate: who opened it, why, until when',
    );
    table.string('id', 36).primary();
    table.string('entity_ref', 512).notNullable();
    table.string('reason', 500).notNullable();
    table.string('created_by', 512).notNullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('until_at').notNullable();
    table.string('revoked_by', 512).nullable();
    table.bigInteger('revoked_at').nullable();
    table.index(
      ['entity_ref', 'until_at'],
      'reliability_gate_overrides_entity_idx',
    );
    table.index(['created_at'], 'reliability_gate_overrides_created_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_gate_overrides');
};
