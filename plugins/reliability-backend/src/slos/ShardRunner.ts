import { LoggerService } from '@backstage/backend-plugin-api';
import {
  SloDefinition,
  shardOf,
} from '@reliability-suite/plugin-reliability-common';
import { randomUUID } from 'crypto';
import { evaluateSlos } from './EvaluationTask';
import type { EvaluationTaskOptions } from './EvaluationTask';
import type { ShardLeases } from './stores/ShardLeaseStore';

/** `reliability.evaluation.shards`, read. */
export interface EvaluationShardsConfig {
  count: number;
  leaseSeconds: number;
}

export interface ShardRunnerOptions
  extends Pick<
    EvaluationTaskOptions,
    | 'evaluator'
    | 'alerts'
    | 'pendingMs'
    | 'onFired'
    | 'fastChecked'
    | 'recordHistory'
  > {
  leases: ShardLeases;
  shards: EvaluationShardsConfig;
  /** Every registered SLO (the registry's read; the global task syncs it). */
  slos: () => Promise<SloDefinition[]>;
  /** The evaluation period (the tick): each SLO is evaluated once per period, by the replica holding its shard. */
  periodMs: number;
  /** Changes when compaction ran somewhere (the tick marker's token): the index is then read afresh. */
  compactionMarker?: () => Promise<string | undefined>;
  logger: LoggerService;
  /** This replica's id; a random one by default (made at startup). */
  replica?: string;
  now?: () => number;
}

/** What one run did, for logs and tests. */
export interface ShardRunResult {
  held: number[];
  claimed: number[];
  released: number[];
  /** The shards evaluated for this period (each by one replica only). */
  evaluatedShards: number[];
  evaluated: string[];
  fired: number;
}

/**
 * A replica's part of sharded evaluation, run by a local task every third of the lease: renews the leases it holds,
 * takes its fair share (ceil(shards / live replicas)), releasing what it holds beyond it or claiming free and expired
 * shards, then evaluates the SLOs of the shards it holds that no replica evaluated for this period yet. A shard it
 * did not hold at its last run (a takeover), and compaction anywhere, make it read its index afresh.
 */
export class ShardRunner {
  readonly replica: string;
  private readonly now: () => number;
  private prepared = false;
  private lastHeld = new Set<number>();
  private lastMarker: string | undefined;
  private failed = false;
  private stopped = false;

  constructor(private readonly o: ShardRunnerOptions) {
    this.replica = o.replica ?? `replica-${randomUUID()}`;
    this.now = o.now ?? Date.now;
  }

  /** Each ref's shard, remembered (hashing every ref each run costs more than the rest of a small tick). */
  private readonly shards = new Map<string, number>();

  private shardOf(ref: string, registered: number): number {
    let shard = this.shards.get(ref);
    if (shard === undefined) {
      // refs the registry dropped are forgotten now and then: the map stays near the registry's size
      if (this.shards.size > 2 * registered + 1000) this.shards.clear();
      shard = shardOf(ref, this.o.shards.count);
      this.shards.set(ref, shard);
    }
    return shard;
  }

  private get leaseMs() {
    return this.o.shards.leaseSeconds * 1000;
  }

  async run(): Promise<ShardRunResult> {
    const { leases, shards } = this.o;
    const out: ShardRunResult = {
      held: [],
      claimed: [],
      released: [],
      evaluatedShards: [],
      evaluated: [],
      fired: 0,
    };
    if (this.stopped) return out;
    if (!this.prepared) {
      await leases.prepare(shards.count);
      this.prepared = true;
    }
    const now = this.now();
    await leases.heartbeat(this.replica, now, this.leaseMs);
    let held = await leases.renew(this.replica, now, this.leaseMs);
    const live = Math.max(1, await leases.liveReplicas(now));
    const fair = Math.ceil(shards.count / live);
    if (held.length > fair) {
      out.released = held.slice(fair);
      await leases.release(this.replica, now, out.released);
      held = held.slice(0, fair);
    } else if (held.length < fair) {
      out.claimed = await leases.claim(
        this.replica,
        fair - held.length,
        now,
        this.leaseMs,
      );
      held = [...held, ...out.claimed].sort((a, b) => a - b);
    }
    out.held = held;
    const gained = held.some(s => !this.lastHeld.has(s));
    this.lastHeld = new Set(held);

    const period = Math.floor(now / this.o.periodMs);
    const due = await leases.takePeriod(this.replica, held, period, now);
    if (!due.length) return out;
    const dueSet = new Set(due);
    const all = await this.o.slos();
    const slos = all.filter(s => dueSet.has(this.shardOf(s.ref, all.length)));
    // the fast check picks its SLOs among all of them (maxSlos included): the same pick here, not one per shard
    const fast = this.o.fastChecked?.(all);
    const marker = await this.o.compactionMarker?.();
    const rebuild = gained || this.failed || marker !== this.lastMarker;
    this.lastMarker = marker;
    try {
      const { results, fired } = await evaluateSlos(
        { ...this.o, fastChecked: fast ? () => fast : undefined },
        slos,
        now,
        { rebuild, only: { count: shards.count, shards: due } },
      );
      this.failed = false;
      out.evaluatedShards = due;
      out.evaluated = [...results.keys()];
      out.fired = fired.length;
    } catch (e) {
      this.failed = true;
      // the period goes back to the shards, so that they are evaluated on the next run
      await leases.returnPeriod(this.replica, due, period);
      throw e;
    }
    this.o.logger.debug(
      `Replica ${this.replica} holds ${held.length} of ${shards.count} shards; evaluated ${out.evaluated.length} SLOs of ${due.length}`,
    );
    return out;
  }

  /** Stops evaluating and frees this replica's leases and heartbeat, so others take its shards at their next run. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.o.leases.release(this.replica, this.now());
    await this.o.leases.leave(this.replica);
  }
}

/** The evaluation period of a schedule: its frequency as a duration; a minute for a cron or manual schedule. */
export function periodOfSchedule(frequency: unknown): number {
  const units: Record<string, number> = {
    milliseconds: 1,
    seconds: 1_000,
    minutes: 60_000,
    hours: 3_600_000,
    days: 86_400_000,
  };
  if (!frequency || typeof frequency !== 'object') return 60_000;
  let ms = 0;
  for (const [k, v] of Object.entries(frequency as Record<string, unknown>)) {
    if (!(k in units) || typeof v !== 'number') return 60_000;
    ms += v * units[k];
  }
  return ms > 0 ? ms : 60_000;
}
