import { Knex } from 'knex';
import type { RemediationEscalation } from '@reliability-suite/plugin-reliability-common';
import { isoOrNull as iso } from '../database/rows';

/** What an escalation records when it opens. */
export interface NewEscalation {
  ruleId: string;
  entityRef: string;
  executionId: number;
  attempts: number;
  attemptWindow: string;
}

/**
 * Escalations of remediation rules, in their own table: a rule that spent its attempt budget opens one (at most
 * one open per rule, whatever the number of replicas), and its next success resolves it (in the success's own
 * write: `RemediationStore.succeed`).
 */
export class EscalationStore {
  constructor(private readonly db: Knex) {}

  /** Opens the rule's escalation; false when one is open already. */
  async open(e: NewEscalation, now: number): Promise<boolean> {
    const inserted = await this.db('reliability_escalations')
      .insert({
        rule_id: e.ruleId,
        entity_ref: e.entityRef,
        state: 'open',
        open_key: e.ruleId,
        opened_at: now,
        execution_id: e.executionId,
        attempts: e.attempts,
        attempt_window: e.attemptWindow,
      })
      .onConflict('open_key')
      .ignore()
      .returning('id');
    return inserted.length > 0;
  }

  async isOpen(ruleId: string): Promise<boolean> {
    return Boolean(
      await this.db('reliability_escalations')
        .where('open_key', ruleId)
        .first('id'),
    );
  }

  /** Escalations, newest first. */
  async list(
    filter: {
      entityRefs?: string[];
      ruleIds?: string[];
      state?: 'open' | 'resolved';
      limit?: number;
      offset?: number;
    } = {},
  ): Promise<RemediationEscalation[]> {
    const q = this.db('reliability_escalations')
      .select('*')
      .orderBy('opened_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 200)
      .offset(filter.offset ?? 0);
    if (filter.entityRefs) q.whereIn('entity_ref', filter.entityRefs);
    if (filter.ruleIds) q.whereIn('rule_id', filter.ruleIds);
    if (filter.state) q.where('state', filter.state);
    const rows = await q;
    return rows.map(r => ({
      id: Number(r.id),
      ruleId: r.rule_id,
      entityRef: r.entity_ref,
      state: r.state,
      openedAt: iso(r.opened_at)!,
      resolvedAt: iso(r.resolved_at),
      executionId: r.execution_id === null ? null : Number(r.execution_id),
      attempts: Number(r.attempts),
      attemptWindow: r.attempt_window,
    }));
  }
}
