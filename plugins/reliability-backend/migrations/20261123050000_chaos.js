// @ts-check

/**
 * Chaos experiments: one row per experiment of an entity with its state (draft, approved, running, completed,
 * aborted), and every version of its document, as runbooks keep theirs.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_chaos_experiments', table => {
    table.comment('Chaos experiments designed in the portal, per entity');
    table.increments('id');
    table.string('entity_ref', 255).notNullable();
    table.string('name', 63).notNullable();
    table.string('state', 16).notNullable();
    table
      .text('spec')
      .notNullable()
      .comment('the experiment document (JSON) of the current version');
    table.integer('version').notNullable();
    table.string('author', 255).notNullable();
    table.string('approved_by', 255).nullable();
    table.bigInteger('approved_at').nullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.bigInteger('started_at').nullable();
    table.bigInteger('finished_at').nullable();
    table.text('abort_reason').nullable();
    table.double('budget_at_start').nullable();
    table.double('budget_spent').nullable();
    table
      .text('guard_state')
      .nullable()
      .comment(
        'JSON: since when each abort condition has held (the guard, across replicas)',
      );
    table.unique(['entity_ref', 'name'], {
      indexName: 'reliability_chaos_entity_name_unique',
    });
    table.index(['state'], 'reliability_chaos_state_idx');
  });
  await knex.schema.createTable('reliability_chaos_versions', table => {
    table.comment('Every version of a chaos experiment document');
    table
      .integer('experiment_id')
      .notNullable()
      .references('id')
      .inTable('reliability_chaos_experiments')
      .onDelete('CASCADE');
    table.integer('version').notNullable();
    table.text('spec').notNullable();
    table.string('author', 255).notNullable();
    table.bigInteger('created_at').notNullable();
    table.primary(['experiment_id', 'version']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_chaos_versions');
  await knex.schema.dropTable('reliability_chaos_experiments');
};
