/*
 * Sharded evaluation with two replicas against one (issue 37), on the evaluation benchmark's loaded store.
 *
 * Each replica is a ShardRunner with an Evaluator of its own (its own index), holding leases in the same database, as
 * two backend processes do. Both live in this process and run one after the other each simulated minute, so that the
 * CPU time of each run is its own (`process.cpuUsage`, the Node process's user and system time; the database server's
 * is apart): on two machines they would run at the same time, and the tick's wall time would be the slower replica's.
 *
 * The baseline, measured in the same run on the same data: one replica holding every shard.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { Evaluator } from '../plugins/reliability-backend/src/slos/Evaluator';
import { ShardRunner } from '../plugins/reliability-backend/src/slos/ShardRunner';
import type { SloStores } from '../plugins/reliability-backend/src/slos/stores';
import { SliSourceRegistry } from '../plugins/reliability-backend/src/slos/counting';
import { IngestSliSource } from '../plugins/reliability-backend/src/slos/sources/IngestSliSource';
import { median } from './services';

const MIN = 60_000;

export interface ReplicaRun {
  cpuMs: number;
  wallMs: number;
  evaluated: number;
  held: number;
  /** The evaluator's phases of this run (wall ms), and the rows its index read. */
  phases: Record<string, number>;
  rowsRead: number;
}

/** A replica: its shard runner and the evaluator it ticks with. */
interface Replica {
  runner: ShardRunner;
  evaluator: Evaluator;
}

/** A replica as the plugin makes it: a shard runner over an evaluator of its own. */
function replica(
  name: string,
  o: {
    store: SloStores;
    defs: SloDefinition[];
    shards: number;
    logger: LoggerService;
    gate: { gateWindow?: string };
    now: () => number;
  },
) {
  const sources = new SliSourceRegistry();
  sources.add(new IngestSliSource(o.store));
  const evaluator = new Evaluator(o.store, sources, o.logger, o.gate);
  const runner = new ShardRunner({
    evaluator,
    alerts: { apply: async () => [] },
    pendingMs: 0,
    leases: o.store.leases!,
    // a lease far longer than a simulated minute: renewed every run, it never lapses between runs here
    shards: { count: o.shards, leaseSeconds: 3600 },
    slos: async () => o.defs,
    periodMs: MIN,
    logger: o.logger,
    replica: name,
    now: o.now,
  });
  return { runner, evaluator };
}

/** Runs one replica's part of a period, measuring its own CPU time (after a collection) and wall time. */
async function measured(
  { runner, evaluator }: Replica,
  collect: () => void,
): Promise<ReplicaRun> {
  // a full collection, then a pause for its background threads to finish sweeping: process.cpuUsage counts every
  // thread's time, so without it a run is billed for the garbage made before it
  collect();
  await new Promise(r => setTimeout(r, 200));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await runner.run();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sync = evaluator.lastIndexSync;
  return {
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs,
    evaluated: r.evaluated.length,
    held: r.held.length,
    phases: { ...evaluator.lastTickPhases },
    rowsRead: sync ? sync.changedRows + sync.crossedRows : 0,
  };
}

/** The median of each phase over the runs. */
function phaseMedians(runs: ReplicaRun[]): Record<string, number> {
  const names = Object.keys(runs[0]?.phases ?? {});
  return Object.fromEntries(
    names.map(n => [n, median(runs.map(r => r.phases[n] ?? 0))]),
  );
}

/**
 * One replica for `periods` minutes, then two (after two minutes to share the shards and read their indexes):
 * `nextMinute` moves the clock a minute and ingests that minute's traffic for every SLO, outside the measured runs.
 */
export async function measureReplicas(o: {
  store: SloStores;
  defs: SloDefinition[];
  shards: number;
  periods: number;
  logger: LoggerService;
  gate: { gateWindow?: string };
  nextMinute: () => Promise<number>;
  collect: () => void;
}) {
  let t = await o.nextMinute();
  const now = () => t;
  const one = replica('bench-one', { ...o, now });
  await measured(one, o.collect); // claims every shard and builds its index
  const alone: ReplicaRun[] = [];
  for (let m = 0; m < o.periods; m++) {
    t = await o.nextMinute();
    alone.push(await measured(one, o.collect));
  }
  await one.runner.stop();

  const a = replica('bench-a', { ...o, now });
  const b = replica('bench-b', { ...o, now });
  const runs: { a: ReplicaRun; b: ReplicaRun }[] = [];
  for (let m = 0; m < o.periods + 2; m++) {
    t = await o.nextMinute();
    // on two machines they run at once: here each goes first every other minute, so that neither is always the one
    // that meets the minute's fresh rows first
    let ra: ReplicaRun;
    let rb: ReplicaRun;
    if (m % 2 === 0) {
      ra = await measured(a, o.collect);
      rb = await measured(b, o.collect);
    } else {
      rb = await measured(b, o.collect);
      ra = await measured(a, o.collect);
    }
    // the first two minutes share the shards out (a takes all, then gives b its half) and read the indexes afresh
    if (m >= 2) runs.push({ a: ra, b: rb });
  }
  await a.runner.stop();
  await b.runner.stop();

  const notExactlyOnce = runs.filter(
    r => r.a.evaluated + r.b.evaluated !== o.defs.length,
  ).length;
  const oneCpu = median(alone.map(r => r.cpuMs));
  const aCpu = median(runs.map(r => r.a.cpuMs));
  const bCpu = median(runs.map(r => r.b.cpuMs));
  return {
    alone: {
      cpuMs: oneCpu,
      wallMs: median(alone.map(r => r.wallMs)),
      evaluated: alone[alone.length - 1]?.evaluated ?? 0,
      phases: phaseMedians(alone),
      rowsRead: median(alone.map(r => r.rowsRead)),
    },
    a: {
      cpuMs: aCpu,
      wallMs: median(runs.map(r => r.a.wallMs)),
      evaluated: runs[runs.length - 1]?.a.evaluated ?? 0,
      shards: runs[runs.length - 1]?.a.held ?? 0,
      phases: phaseMedians(runs.map(r => r.a)),
      rowsRead: median(runs.map(r => r.a.rowsRead)),
    },
    b: {
      cpuMs: bCpu,
      wallMs: median(runs.map(r => r.b.wallMs)),
      evaluated: runs[runs.length - 1]?.b.evaluated ?? 0,
      shards: runs[runs.length - 1]?.b.held ?? 0,
      phases: phaseMedians(runs.map(r => r.b)),
      rowsRead: median(runs.map(r => r.b.rowsRead)),
    },
    ratio: Math.max(aCpu, bCpu) / oneCpu,
    /** Minutes where the two replicas did not evaluate every SLO exactly once between them. */
    notExactlyOnce,
  };
}
