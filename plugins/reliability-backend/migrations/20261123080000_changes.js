// @ts-check

/**
 * Change events per entity: deploys, config pushes, flag flips and restarts, posted by CI, Argo CD, flag services,
 * or recorded by the suite's own remediation.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_changes', table => {
    table.comment('Changes to entities, for the burn charts and the commander');
    table.increments('id');
    table.string('entity_ref', 255).notNullable();
    table.string('kind', 16).notNullable();
    table.string('version', 200).nullable();
    table.string('summary', 500).nullable();
    table.string('author', 200).nullable();
    table.text('link').nullable();
    table.bigInteger('at').notNullable();
    table.string('source', 255).notNullable();
    table.bigInteger('recorded_at').notNullable();
    table.index(['entity_ref', 'at'], 'reliability_changes_entity_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_changes');
};
