// @ts-check

/**
 * Remediation: executions (one per rule and trigger, the outbox), their attempts (written before each call to
 * the target), and leases per lock key so that replicas on one database never run the same fix concurrently.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_remediations', table => {
    table.comment('Remediation executions: one per rule and triggering event');
    table.bigIncrements('id').primary();
    // rule id + trigger id: a repeated delivery of the same trigger becomes a duplicate, not a second execution
    table.string('dedup_key', 700).notNullable().unique();
    table.string('rule_id', 200).notNullable();
    table.string('entity_ref', 400).notNullable();
    table.string('action', 100).notNullable();
    table.string('target', 1000).notNullable();
    table.string('trigger_kind', 16).notNullable();
    table.string('trigger_id', 500).notNullable();
    table.text('trigger_labels').notNullable();
    table.text('trigger_annotations').notNullable();
    table.string('lock_key', 400).notNullable();
    table.string('state', 16).notNullable();
    table.boolean('dry_run').notNullable().defaultTo(false);
    table.string('actor', 400).nullable();
    table.integer('duplicates').notNullable().defaultTo(0);
    table.string('holder', 200).nullable();
    table.bigInteger('lease_expires_at').nullable();
    table.bigInteger('created_at').notNullable();
    table.bigInteger('finished_at').nullable();
    table.integer('latency_ms').nullable();
    table.text('detail').nullable();
    table.index(
      ['entity_ref', 'created_at'],
      'reliability_remediations_entity_idx',
    );
    table.index(['rule_id', 'created_at'], 'reliability_remediations_rule_idx');
    // the cooldown check: the rule's last success under a lock key
    table.index(
      ['rule_id', 'lock_key', 'state'],
      'reliability_remediations_cooldown_idx',
    );
    table.index(['state'], 'reliability_remediations_state_idx');
  });
  await knex.schema.createTable('reliability_remediation_attempts', table => {
    table.comment('Calls to remediation targets, recorded before the call');
    table.bigIncrements('id').primary();
    table
      .bigInteger('execution_id')
      .notNullable()
      .references('id')
      .inTable('reliability_remediations')
      .onDelete('CASCADE');
    table.string('rule_id', 200).notNullable();
    table.integer('n').notNullable();
    table.string('outcome', 16).notNullable();
    table.bigInteger('started_at').notNullable();
    table.bigInteger('finished_at').nullable();
    table.integer('latency_ms').nullable();
    table.text('error').nullable();
    table.unique(['execution_id', 'n'], {
      indexName: 'reliability_remediation_attempts_n_uq',
    });
    table.index(
      ['rule_id', 'started_at'],
      'reliability_remediation_attempts_rule_idx',
    );
  });
  await knex.schema.createTable('reliability_locks', table => {
    table.comment('Leases per remediation lock key (rollback:{{env}})');
    table.string('lock_key', 400).primary();
    table.string('holder', 200).notNullable();
    table.bigInteger('execution_id').notNullable();
    table.bigInteger('expires_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('reliability_locks');
  await knex.schema.dropTable('reliability_remediation_attempts');
  await knex.schema.dropTable('reliability_remediations');
};
