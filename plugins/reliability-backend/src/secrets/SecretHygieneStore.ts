import { Knex } from 'knex';
import type { SecretState } from '@reliability-suite/plugin-reliability-common';

const TABLE = 'reliability_secret_hygiene';

/** A secret's recorded hygiene: the state its owners were last told of and its last refused call. */
export interface SecretHygieneRow {
  secret: string;
  state?: SecretState;
  authFailure?: { at: number; where: string; status: number };
}

/**
 * Per secret config path (never a value): the last state the owners heard of, and the last 401/403 with its
 * hourly escalation claim. Conditional updates make each change and each claim count once across replicas.
 */
export class SecretHygieneStore {
  constructor(private readonly db: Knex) {}

  /**
   * Records a secret's state; true when it differs from the state recorded before (a first record counts as a
   * change only when the state needs someone: due-soon or expired).
   */
  async transition(
    secret: string,
    state: SecretState,
    now: number,
  ): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ secret })
      .andWhere(q => q.whereNot({ state }).orWhereNull('state'))
      .update({ state, state_changed_at: now });
    if (updated > 0) return true;
    const inserted = await this.db(TABLE)
      .insert({ secret, state, state_changed_at: now })
      .onConflict('secret')
      .ignore()
      .returning(['secret']);
    return inserted.length > 0 && (state === 'due-soon' || state === 'expired');
  }

  /** Records a refused call; true when this one claims the escalation (none in the `windowMs` before). */
  async authFailed(
    secret: string,
    where: string,
    status: number,
    now: number,
    windowMs: number,
  ): Promise<boolean> {
    const failure = {
      auth_failed_at: now,
      auth_failed_where: where.slice(0, 400),
      auth_failed_status: status,
    };
    await this.db(TABLE)
      .insert({ secret, ...failure })
      .onConflict('secret')
      .merge(failure);
    const claimed = await this.db(TABLE)
      .where({ secret })
      .andWhere(q =>
        q
          .whereNull('escalated_at')
          .orWhere('escalated_at', '<=', now - windowMs),
      )
      .update({ escalated_at: now });
    return claimed > 0;
  }

  /** Every recorded secret (one row per configured secret path: a bounded set). */
  async all(): Promise<SecretHygieneRow[]> {
    const rows = await this.db(TABLE).select().orderBy('secret').limit(10_000);
    return rows.map(r => ({
      secret: r.secret,
      state: r.state ?? undefined,
      authFailure:
        r.auth_failed_at === null || r.auth_failed_at === undefined
          ? undefined
          : {
              at: Number(r.auth_failed_at),
              where: r.auth_failed_where,
              status: Number(r.auth_failed_status),
            },
    }));
  }
}
