import { Knex } from 'knex';
import { isPg } from './rows';

/** One shard's lease, as the table holds it. */
export interface ShardLease {
  shard: number;
  /** The replica holding it; null when free. */
  holder: string | null;
  /** Epoch ms the lease holds until: past it, any replica may claim the shard. */
  expiresAt: number;
  /** The last evaluation period the shard was taken for (-1: never). */
  evaluatedPeriod: number;
}

/** One change of a shard's holder. */
export interface ShardLeaseEvent {
  shard: number;
  kind: 'claimed' | 'taken_over' | 'released';
  replica: string;
  previous: string | null;
  at: number;
}

/**
 * The evaluation shards' leases (`reliability.evaluation.shards`): which replica holds which shard until when. Every
 * change is one conditional write, so two replicas never hold one shard: a shard is claimed only while it is free,
 * expired or already the claimer's.
 */
export interface ShardLeases {
  /** Whether replicas can share the leases (PostgreSQL); SQLite is one process and never shards. */
  readonly shared: boolean;
  /** Makes sure shards 0..count-1 exist, and forgets shards past them (a smaller count). */
  prepare(count: number): Promise<void>;
  /** Marks a replica alive until now + ttlMs. */
  heartbeat(replica: string, now: number, ttlMs: number): Promise<void>;
  /** Replicas with a live heartbeat or an unexpired lease. */
  liveReplicas(now: number): Promise<number>;
  /** Extends every lease the replica holds to now + ttlMs; answers those shards. */
  renew(replica: string, now: number, ttlMs: number): Promise<number[]>;
  /** Claims up to `max` shards that are free or expired; answers those it got. */
  claim(
    replica: string,
    max: number,
    now: number,
    ttlMs: number,
  ): Promise<number[]>;
  /** Frees the replica's leases on `shards` (all of them when omitted). */
  release(replica: string, now: number, shards?: number[]): Promise<void>;
  /** Forgets a stopping replica's heartbeat. */
  leave(replica: string): Promise<void>;
  /**
   * Takes the evaluation period for those of `shards` the replica holds (unexpired) and that were not taken for it
   * yet: answers the shards this replica is to evaluate for `period` (each shard is answered to one replica once).
   */
  takePeriod(
    replica: string,
    shards: number[],
    period: number,
    now: number,
  ): Promise<number[]>;
  /** Gives a period back (its evaluation failed), so the shard's holder evaluates it on its next run. */
  returnPeriod(
    replica: string,
    shards: number[],
    period: number,
  ): Promise<void>;
  /** Every shard's lease, by shard. */
  leases(): Promise<ShardLease[]>;
  /** The latest lease changes, oldest first (at most `limit`). */
  events(limit?: number): Promise<ShardLeaseEvent[]>;
}

/** Lease changes are kept this long. */
const EVENT_RETENTION_MS = 7 * 86_400_000;

/** The leases over `reliability_shard_leases`, `reliability_shard_replicas` and `reliability_shard_events`. */
export class ShardLeaseStore implements ShardLeases {
  readonly shared: boolean;

  constructor(private readonly db: Knex) {
    this.shared = isPg(db);
  }

  async prepare(count: number): Promise<void> {
    const rows = Array.from({ length: count }, (_, shard) => ({ shard }));
    for (let i = 0; i < rows.length; i += 500)
      await this.db('reliability_shard_leases')
        .insert(rows.slice(i, i + 500))
        .onConflict('shard')
        .ignore();
    await this.db('reliability_shard_leases')
      .where('shard', '>=', count)
      .delete();
  }

  async heartbeat(replica: string, now: number, ttlMs: number): Promise<void> {
    await this.db('reliability_shard_replicas')
      .insert({ replica, expires_at: now + ttlMs })
      .onConflict('replica')
      .merge();
    // dead replicas' rows and old history, a little at a time
    await this.db('reliability_shard_replicas')
      .where('expires_at', '<', now - ttlMs)
      .delete();
    await this.db('reliability_shard_events')
      .where('at', '<', now - EVENT_RETENTION_MS)
      .delete();
  }

  async liveReplicas(now: number): Promise<number> {
    const [beats, holders] = await Promise.all([
      this.db('reliability_shard_replicas')
        .where('expires_at', '>', now)
        .select('replica'),
      this.db('reliability_shard_leases')
        .whereNotNull('holder')
        .where('expires_at', '>', now)
        .distinct('holder'),
    ]);
    return new Set([
      ...beats.map(r => r.replica as string),
      ...holders.map(r => r.holder as string),
    ]).size;
  }

  async renew(replica: string, now: number, ttlMs: number): Promise<number[]> {
    return this.db.transaction(async tx => {
      await tx('reliability_shard_leases')
        .where('holder', replica)
        .update({ expires_at: now + ttlMs });
      return (
        await tx('reliability_shard_leases')
          .where('holder', replica)
          .orderBy('shard')
          .select('shard')
      ).map(r => Number(r.shard));
    });
  }

  async claim(
    replica: string,
    max: number,
    now: number,
    ttlMs: number,
  ): Promise<number[]> {
    if (max <= 0) return [];
    return this.db.transaction(async tx => {
      const free = (qb: Knex.QueryBuilder) =>
        qb.whereNull('holder').orWhere('expires_at', '<', now);
      let q = tx('reliability_shard_leases')
        .where(free)
        .orderBy('shard')
        .limit(max)
        .select('shard', 'holder');
      // a shard another replica is claiming right now is skipped, not waited for
      if (this.shared) q = q.forUpdate().skipLocked();
      const rows = await q;
      if (!rows.length) return [];
      const shards = rows.map(r => Number(r.shard));
      // the same condition again in the write: on PostgreSQL the rows are locked; the condition keeps it one writer
      // whatever the isolation
      await tx('reliability_shard_leases')
        .whereIn('shard', shards)
        .where(free)
        .update({ holder: replica, expires_at: now + ttlMs });
      const got = (
        await tx('reliability_shard_leases')
          .whereIn('shard', shards)
          .where('holder', replica)
          .select('shard')
      ).map(r => Number(r.shard));
      const previous = new Map(
        rows.map(r => [Number(r.shard), r.holder as string | null]),
      );
      if (got.length)
        await tx('reliability_shard_events').insert(
          got.map(shard => ({
            shard,
            kind: previous.get(shard) ? 'taken_over' : 'claimed',
            replica,
            previous: previous.get(shard) ?? null,
            at: now,
          })),
        );
      return got.sort((a, b) => a - b);
    });
  }

  async release(replica: string, now: number, shards?: number[]) {
    if (shards && !shards.length) return;
    await this.db.transaction(async tx => {
      const mine = () => {
        const q = tx('reliability_shard_leases').where('holder', replica);
        return shards ? q.whereIn('shard', shards) : q;
      };
      const held = (await mine().select('shard')).map(r => Number(r.shard));
      if (!held.length) return;
      await mine().update({ holder: null, expires_at: 0 });
      await tx('reliability_shard_events').insert(
        held.map(shard => ({
          shard,
          kind: 'released',
          replica,
          previous: replica,
          at: now,
        })),
      );
    });
  }

  async leave(replica: string): Promise<void> {
    await this.db('reliability_shard_replicas').where({ replica }).delete();
  }

  async takePeriod(
    replica: string,
    shards: number[],
    period: number,
    now: number,
  ): Promise<number[]> {
    if (!shards.length) return [];
    return this.db.transaction(async tx => {
      let q = tx('reliability_shard_leases')
        .whereIn('shard', shards)
        .where('holder', replica)
        .where('expires_at', '>', now)
        .where('evaluated_period', '<', period)
        .select('shard');
      if (this.shared) q = q.forUpdate();
      const due = (await q).map(r => Number(r.shard));
      if (due.length)
        await tx('reliability_shard_leases')
          .whereIn('shard', due)
          .where('holder', replica)
          .where('evaluated_period', '<', period)
          .update({ evaluated_period: period });
      return due.sort((a, b) => a - b);
    });
  }

  async returnPeriod(replica: string, shards: number[], period: number) {
    if (!shards.length) return;
    await this.db('reliability_shard_leases')
      .whereIn('shard', shards)
      .where({ holder: replica, evaluated_period: period })
      .update({ evaluated_period: period - 1 });
  }

  async leases(): Promise<ShardLease[]> {
    return (
      await this.db('reliability_shard_leases')
        .orderBy('shard')
        .select('shard', 'holder', 'expires_at', 'evaluated_period')
    ).map(r => ({
      shard: Number(r.shard),
      holder: r.holder ?? null,
      expiresAt: Number(r.expires_at),
      evaluatedPeriod: Number(r.evaluated_period),
    }));
  }

  async events(limit = 1000): Promise<ShardLeaseEvent[]> {
    const rows = await this.db('reliability_shard_events')
      .orderBy('id', 'desc')
      .limit(limit)
      .select('shard', 'kind', 'replica', 'previous', 'at');
    return rows.reverse().map(r => ({
      shard: Number(r.shard),
      kind: r.kind,
      replica: r.replica,
      previous: r.previous ?? null,
      at: Number(r.at),
    }));
  }
}
