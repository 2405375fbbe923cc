import { Knex } from 'knex';

const TABLE = 'reliability_idempotency_keys';

/** One key as stored: its request's body digest, and the first answer once there is one. */
export interface IdempotencyRecord {
  bodySha256: string;
  claim: string;
  state: 'pending' | 'done';
  status: number | null;
  response: string | null;
  createdAt: number;
}

/** The idempotency keys of the ingest routes; its knex is its own. */
export class IdempotencyStore {
  constructor(private readonly db: Knex) {}

  /** Inserts a pending key unless (route, caller, key) exists; answers the row there is afterwards (ours or not). */
  async claim(r: {
    route: string;
    caller: string;
    key: string;
    bodySha256: string;
    claim: string;
    now: number;
  }): Promise<IdempotencyRecord | undefined> {
    await this.db(TABLE)
      .insert({
        route: r.route,
        caller: r.caller,
        idempotency_key: r.key,
        body_sha256: r.bodySha256,
        claim: r.claim,
        state: 'pending',
        created_at: r.now,
      })
      .onConflict(['route', 'caller', 'idempotency_key'])
      .ignore();
    return this.get(r.route, r.caller, r.key);
  }

  async get(
    route: string,
    caller: string,
    key: string,
  ): Promise<IdempotencyRecord | undefined> {
    const row = await this.db(TABLE)
      .where({ route, caller, idempotency_key: key })
      .first();
    return row
      ? {
          bodySha256: row.body_sha256,
          claim: row.claim,
          state: row.state,
          status: row.status === null ? null : Number(row.status),
          response: row.response,
          createdAt: Number(row.created_at),
        }
      : undefined;
  }

  /** The first answer of the request that holds the claim. */
  async complete(
    r: { route: string; caller: string; key: string; claim: string },
    status: number,
    response: string,
  ): Promise<void> {
    await this.db(TABLE)
      .where({
        route: r.route,
        caller: r.caller,
        idempotency_key: r.key,
        claim: r.claim,
      })
      .update({ state: 'done', status, response });
  }

  /**
   * The first answer, written by the request's own write transaction (`tx`, another store's) while the claim is still
   * pending and still this request's: answers false when it is not (a retry took the key over), and the caller then
   * rolls its writes back.
   */
  async settleIn(
    tx: Knex.Transaction,
    r: { route: string; caller: string; key: string; claim: string },
    status: number,
    response: string,
  ): Promise<boolean> {
    const n = await tx(TABLE)
      .where({
        route: r.route,
        caller: r.caller,
        idempotency_key: r.key,
        claim: r.claim,
        state: 'pending',
      })
      .update({ state: 'done', status, response });
    return Number(n) === 1;
  }

  /**
   * Frees a key: the claim's request failed (nothing was counted), its claim went stale, or the key expired (`claim`
   * then names it). With `pendingOnly`, a key whose answer was written (its writes committed) stays.
   */
  async release(r: {
    route: string;
    caller: string;
    key: string;
    claim: string;
    pendingOnly?: boolean;
  }): Promise<void> {
    const q = this.db(TABLE).where({
      route: r.route,
      caller: r.caller,
      idempotency_key: r.key,
      claim: r.claim,
    });
    if (r.pendingOnly) q.where('state', 'pending');
    await q.delete();
  }

  /** Deletes keys created before `before`, at most `limit` a call; answers how many. */
  async deleteBefore(before: number, limit: number): Promise<number> {
    const ids = await this.db(TABLE)
      .where('created_at', '<', before)
      .orderBy('id')
      .limit(limit)
      .pluck('id');
    if (!ids.length) return 0;
    return this.db(TABLE).whereIn('id', ids).delete();
  }
}
