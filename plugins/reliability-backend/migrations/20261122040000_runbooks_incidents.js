// @ts-check

/**
 * Portal-authored runbooks (every save is a new version: who, when, what) and incidents with their timeline.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_runbooks', table => {
    table.comment(
      'Versions of runbooks authored in the portal, one row per save',
    );
    table.string('entity_ref', 400).notNullable();
    table.integer('version').notNullable();
    table.text('markdown').notNullable();
    table.text('failure_modes').notNullable();
    table.string('author', 400).notNullable();
    table.string('message', 500).nullable();
    table.bigInteger('created_at').notNullable();
    // the primary key refuses a second save on the same base version (optimistic concurrency)
    table.primary(['entity_ref', 'version']);
  });
  await knex.schema.createTable('reliability_incidents', table => {
    table.comment('Incidents declared from the commander view or an entity');
    table.bigIncrements('id').primary();
    table.string('entity_ref', 400).notNullable();
    table.string('title', 200).notNullable();
    table.string('severity', 8).notNullable();
    table.string('state', 16).notNullable();
    table.string('status', 16).notNullable();
    table.text('roles').notNullable();
    table.string('declared_by', 400).notNullable();
    table.bigInteger('declared_at').notNullable();
    table.bigInteger('resolved_at').nullable();
    table.bigInteger('closed_at').nullable();
    table.string('trigger', 500).nullable();
    table.text('impact').nullable();
    table.text('root_causes').notNullable();
    table.text('action_items').notNullable();
    table.index(['state', 'declared_at'], 'reliability_incidents_state_idx');
    table.index(
      ['entity_ref', 'declared_at'],
      'reliability_incidents_entity_idx',
    );
  });
  await knex.schema.createTable('reliability_incident_events', table => {
    table.comment(
      'Timeline of an incident: declaration, scribe entries, status updates, role changes, closure',
    );
    table.bigIncrements('id').primary();
    table
      .bigInteger('incident_id')
      .notNullable()
      .references('id')
      .inTable('reliability_incidents')
      .onDelete('CASCADE');
    table.bigInteger('at').notNullable();
    table.string('author', 400).notNullable();
    table.string('kind', 16).notNullable();
    table.string('status', 16).nullable();
    table.text('text').notNullable();
    table.index(['incident_id', 'at'], 'reliability_incident_events_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_incident_events');
  await knex.schema.dropTable('reliability_incidents');
  await knex.schema.dropTable('reliability_runbooks');
};
