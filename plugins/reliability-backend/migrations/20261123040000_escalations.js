// @ts-check

/**
 * Remediation escalations get a table of their own. They were rows of the SLO alert table with
 * `slo_ref 'remediation:<rule id>'`, found again by that prefix; they move here (and back on the way down).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('reliability_escalations', table => {
    table.comment(
      'Remediation rules that spent their attempt budget and need a human: at most one open per rule',
    );
    table.increments('id');
    table.string('rule_id', 255).notNullable();
    table.string('entity_ref', 255).notNullable();
    table.string('state', 16).notNullable().comment('open | resolved');
    table
      .string('open_key', 255)
      .nullable()
      .unique()
      .comment('the rule id while open; null once resolved');
    table.bigInteger('opened_at').notNullable();
    table.bigInteger('resolved_at').nullable();
    table
      .integer('execution_id')
      .nullable()
      .comment('the execution that escalated');
    table
      .integer('attempts')
      .notNullable()
      .comment('calls made within the attempt window when it escalated');
    table.string('attempt_window', 32).notNullable();
    table.index(
      ['entity_ref', 'opened_at'],
      'reliability_escalations_entity_idx',
    );
  });
  const old = await knex('reliability_alerts')
    .where('slo_ref', 'like', 'remediation:%')
    .select('*');
  for (const row of old) {
    const details = row.details ? JSON.parse(row.details) : {};
    const ruleId = String(row.slo_ref).slice('remediation:'.length);
    const open = row.state !== 'resolved';
    await knex('reliability_escalations').insert({
      rule_id: ruleId,
      entity_ref: String(details.entityRef ?? ''),
      state: open ? 'open' : 'resolved',
      open_key: open ? ruleId : null,
      opened_at: row.fired_at ?? row.started_at,
      resolved_at: row.resolved_at ?? null,
      execution_id:
        typeof details.executionId === 'number' ? details.executionId : null,
      attempts: Number(details.attempts ?? 0),
      attempt_window: String(details.window ?? ''),
    });
  }
  await knex('reliability_alerts')
    .where('slo_ref', 'like', 'remediation:%')
    .delete();
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  const rows = await knex('reliability_escalations').select('*');
  for (const row of rows) {
    const open = row.state === 'open';
    await knex('reliability_alerts').insert({
      slo_ref: `remediation:${row.rule_id}`,
      rule: 'remediation escalated',
      severity: 'page',
      state: open ? 'firing' : 'resolved',
      open_key: open ? `remediation:${row.rule_id}|escalated` : null,
      started_at: row.opened_at,
      fired_at: row.opened_at,
      resolved_at: row.resolved_at,
      last_seen_at: row.resolved_at ?? row.opened_at,
      details: JSON.stringify({
        ruleId: row.rule_id,
        entityRef: row.entity_ref,
        attempts: row.attempts,
        window: row.attempt_window,
        executionId: row.execution_id,
      }),
    });
  }
  await knex.schema.dropTable('reliability_escalations');
};
