/*
 * Sharded evaluation with two replicas against one (issue 37), on the evaluation benchmark's loaded store.
 *
 * Each replica is a process of its own (bench/shardReplica.ts), as a backend replica is: a ShardRunner with an
 * Evaluator of its own, holding leases in the same database, its heap holding only its own index and snapshots. The
 * replicas run one after the other each simulated minute, so that the CPU time of each run is its own
 * (`process.cpuUsage` in its process: the Node process's user and system time; the database server's is apart): on two
 * machines they would run at the same time, and the tick's wall time would be the slower replica's.
 *
 * The baseline, measured in the same run on the same data: one replica (its own process too) holding every shard.
 */
import { fork, ChildProcess } from 'child_process';
import path from 'path';
import type { ReplicaRun, ReplicaSetup } from './shardReplica';
import { median } from './services';

export type { ReplicaRun };

/** A replica's process, and how to ask it for a run. */
interface Replica {
  child: ChildProcess;
  run: (t: number, clockOffset: number) => Promise<ReplicaRun>;
  stop: () => Promise<void>;
}

/** Forks a replica and waits until it is ready. */
async function replica(setup: ReplicaSetup): Promise<Replica> {
  const child = fork(path.join(__dirname, 'shardReplica.ts'), [], {
    execArgv: [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      '--max-old-space-size=4096',
      '--expose-gc',
    ],
    env: { ...process.env, BENCH_REPLICA: JSON.stringify(setup) },
  });
  const next = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (m.error) {
          cleanup();
          reject(new Error(`replica ${setup.name}: ${m.error}`));
        } else if (key in m) {
          cleanup();
          resolve(m[key] as T);
        }
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`replica ${setup.name} exited with ${code}`));
      };
      const cleanup = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
  await next('ready');
  return {
    child,
    run: (t, clockOffset) => {
      const ran = next<ReplicaRun>('ran');
      child.send({ run: { t, clockOffset } });
      return ran;
    },
    stop: async () => {
      const stopped = next('stopped');
      child.send({ stop: true });
      await stopped;
    },
  };
}

/** The medians of the main thread's and the other threads' CPU time over the runs. */
function threads(runs: ReplicaRun[]) {
  return {
    mainCpuMs: median(runs.map(r => r.mainCpuMs)),
    otherCpuMs: median(runs.map(r => r.otherCpuMs)),
  };
}

/** The median of each phase over the runs. */
function phaseMedians(runs: ReplicaRun[]): Record<string, number> {
  const names = Object.keys(runs[0]?.phases ?? {});
  return Object.fromEntries(
    names.map(n => [n, median(runs.map(r => r.phases[n] ?? 0))]),
  );
}

/** What the printout says of a replica's runs. */
function summary(runs: ReplicaRun[]) {
  const last = runs[runs.length - 1];
  return {
    cpuMs: median(runs.map(r => r.cpuMs)),
    ...threads(runs),
    wallMs: median(runs.map(r => r.wallMs)),
    evaluated: last?.evaluated ?? 0,
    shards: last?.held ?? 0,
    phases: phaseMedians(runs),
    rowsRead: median(runs.map(r => r.rowsRead)),
    heapMb: Math.max(...runs.map(r => r.heapMb)),
  };
}

/**
 * One replica for `periods` minutes, then two (after three minutes to share the shards and read their indexes):
 * `nextMinute` moves the clock a minute and ingests that minute's traffic for every SLO, outside the measured runs,
 * and answers the new time and the offset of the clock that stamps written rows.
 */
export async function measureReplicas(o: {
  pgUrl: string;
  slos: number;
  shards: number;
  periods: number;
  gate: { gateWindow?: string };
  nextMinute: () => Promise<{ t: number; clockOffset: number }>;
}) {
  const setup = (name: string): ReplicaSetup => ({
    name,
    pgUrl: o.pgUrl,
    slos: o.slos,
    shards: o.shards,
    gate: o.gate,
  });
  let clock = await o.nextMinute();
  const one = await replica(setup('bench-one'));
  const alone: ReplicaRun[] = [];
  try {
    await one.run(clock.t, clock.clockOffset); // claims every shard and builds its index
    for (let m = 0; m < o.periods; m++) {
      clock = await o.nextMinute();
      alone.push(await one.run(clock.t, clock.clockOffset));
    }
  } finally {
    await one.stop();
  }

  const a = await replica(setup('bench-a'));
  const b = await replica(setup('bench-b'));
  const runs: { a: ReplicaRun; b: ReplicaRun }[] = [];
  try {
    for (let m = 0; m < o.periods + 3; m++) {
      clock = await o.nextMinute();
      // on two machines they run at once: here each goes first every other minute, so that neither is always the
      // one that meets the minute's fresh rows first
      let ra: ReplicaRun;
      let rb: ReplicaRun;
      if (m % 2 === 0) {
        ra = await a.run(clock.t, clock.clockOffset);
        rb = await b.run(clock.t, clock.clockOffset);
      } else {
        rb = await b.run(clock.t, clock.clockOffset);
        ra = await a.run(clock.t, clock.clockOffset);
      }
      // the first three minutes share the shards out and read the indexes afresh: a takes all, then gives half back,
      // then b takes that half (and reads its index): steady state from the fourth
      if (m >= 3) runs.push({ a: ra, b: rb });
    }
  } finally {
    await a.stop();
    await b.stop();
  }

  const notExactlyOnce = runs.filter(
    r => r.a.evaluated + r.b.evaluated !== o.slos,
  ).length;
  const oneCpu = median(alone.map(r => r.cpuMs));
  const aCpu = median(runs.map(r => r.a.cpuMs));
  const bCpu = median(runs.map(r => r.b.cpuMs));
  return {
    alone: summary(alone),
    a: summary(runs.map(r => r.a)),
    b: summary(runs.map(r => r.b)),
    ratio: Math.max(aCpu, bCpu) / oneCpu,
    /** The same, the main thread's time only (the JavaScript; V8's helper threads apart). */
    mainRatio:
      Math.max(
        median(runs.map(r => r.a.mainCpuMs)),
        median(runs.map(r => r.b.mainCpuMs)),
      ) / median(alone.map(r => r.mainCpuMs)),
    /** Minutes where the two replicas did not evaluate every SLO exactly once between them. */
    notExactlyOnce,
  };
}
