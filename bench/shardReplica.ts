/*
 * One replica of sharded evaluation, in a process of its own (bench/shards.ts forks it): a ShardRunner over an
 * Evaluator of its own, on the benchmark's PostgreSQL database, as a backend replica runs it. Its heap holds only its
 * own index and remembered snapshots, as a replica's does, and its CPU time is its own process's.
 *
 * The parent sends `{ run: { t, clockOffset } }` once per simulated minute and gets back a ReplicaRun; `{ stop: true }`
 * frees the replica's leases and ends the process.
 */
import knexFactory from 'knex';
import { readdirSync, readFileSync } from 'fs';
import { createSloStores } from '../plugins/reliability-backend/src/slos/stores';
import { Evaluator } from '../plugins/reliability-backend/src/slos/Evaluator';
import { ShardRunner } from '../plugins/reliability-backend/src/slos/ShardRunner';
import { SliSourceRegistry } from '../plugins/reliability-backend/src/slos/counting';
import { IngestSliSource } from '../plugins/reliability-backend/src/slos/sources/IngestSliSource';
import { benchLogger, benchSlo, cpuProfiler } from './services';

/** What the parent says, once, when it forks a replica. */
export interface ReplicaSetup {
  name: string;
  pgUrl: string;
  slos: number;
  shards: number;
  gate: { gateWindow?: string };
}

/** One run of a replica, as measured in its own process. */
export interface ReplicaRun {
  cpuMs: number;
  /**
   * Of cpuMs, the main thread's (JavaScript, and the garbage collector's share on it) and the other threads' (V8's
   * helper threads: parallel scavenges, concurrent marking and sweeping), from /proc (10 ms ticks; NaN elsewhere)
   */
  mainCpuMs: number;
  otherCpuMs: number;
  wallMs: number;
  evaluated: number;
  held: number;
  /** The evaluator's phases of this run (wall ms), and the rows its index read. */
  phases: Record<string, number>;
  rowsRead: number;
  /** The process's heap after the run, collected (MB). */
  heapMb: number;
}

const MIN = 60_000;

/** The process's CPU time so far by thread, the main one apart (Linux's /proc, in ms; NaN where there is none). */
function threadCpu(): { main: number; others: number } {
  let main = 0;
  let others = 0;
  try {
    for (const t of readdirSync('/proc/self/task')) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      } catch {
        continue; // the thread ended
      }
      // fields after the name in parentheses: utime and stime are the 14th and 15th, in clock ticks (100 a second)
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(f[11]) + Number(f[12])) * 10;
      if (Number(t) === process.pid) main += ms;
      else others += ms;
    }
  } catch {
    return { main: NaN, others: NaN };
  }
  return { main, others };
}

async function main(setup: ReplicaSetup) {
  const collect = (global as { gc?: () => void }).gc;
  if (!collect) throw new Error('the replica needs --expose-gc');
  const knex = knexFactory({
    client: 'pg',
    connection: setup.pgUrl,
    pool: { min: 1, max: 4 },
  });
  let clockOffset = 0;
  let t = 0;
  const store = createSloStores(knex, () => Date.now() + clockOffset);
  const defs = Array.from({ length: setup.slos }, (_, i) => benchSlo(i));
  const sources = new SliSourceRegistry();
  sources.add(new IngestSliSource(store));
  const evaluator = new Evaluator(store, sources, benchLogger, setup.gate);
  const runner = new ShardRunner({
    evaluator,
    alerts: { apply: async () => [] },
    pendingMs: 0,
    leases: store.leases!,
    // a lease far longer than a simulated minute: renewed every run, it never lapses between runs here
    shards: { count: setup.shards, leaseSeconds: 3600 },
    slos: async () => defs,
    periodMs: MIN,
    logger: benchLogger,
    replica: setup.name,
    now: () => t,
  });
  const profiler = await cpuProfiler(process.env.BENCH_PROFILE_REPLICAS);
  let profiles = 0;

  const run = async (): Promise<ReplicaRun> => {
    // a full collection, then a pause for its background threads to finish sweeping: process.cpuUsage counts every
    // thread's time, so without it a run is billed for the garbage made before it
    collect();
    await new Promise(r => setTimeout(r, 200));
    await profiler?.start();
    const th0 = threadCpu();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await runner.run();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const th1 = threadCpu();
    await profiler?.stop(`${setup.name}-${profiles++}`);
    const sync = evaluator.lastIndexSync;
    collect();
    return {
      cpuMs: (cpu.user + cpu.system) / 1000,
      mainCpuMs: th1.main - th0.main,
      otherCpuMs: th1.others - th0.others,
      wallMs,
      evaluated: r.evaluated.length,
      held: r.held.length,
      phases: { ...evaluator.lastTickPhases },
      rowsRead: sync ? sync.changedRows + sync.crossedRows : 0,
      heapMb: process.memoryUsage().heapUsed / 2 ** 20,
    };
  };

  process.on(
    'message',
    async (m: { run?: { t: number; clockOffset: number }; stop?: true }) => {
      try {
        if (m.run) {
          t = m.run.t;
          clockOffset = m.run.clockOffset;
          process.send!({ ran: await run() });
        } else if (m.stop) {
          await runner.stop();
          await knex.destroy();
          process.send!({ stopped: true }, () => process.exit(0));
        }
      } catch (e) {
        process.send!({ error: String((e as Error).stack ?? e) }, () =>
          process.exit(1),
        );
      }
    },
  );
  process.send!({ ready: true });
}

main(JSON.parse(process.env.BENCH_REPLICA!) as ReplicaSetup).catch(e => {
  console.error(e);
  process.exit(1);
});
