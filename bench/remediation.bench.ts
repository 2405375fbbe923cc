/*
 * Remediation latency benchmark (issue #4).
 *
 * The receiver route (createRouter, real express over loopback HTTP) with the remediation engine on a real database
 * (SQLite in memory, or PostgreSQL with --db pg) and one webhook rule whose target is a loopback HTTP server.
 * Alertmanager (the sender) and the target run in a peer process (bench/remediation-peer.mjs), as they do in
 * production, so the backend under test has its event loop to itself. Measured in the same run:
 *   - latency from "webhook received" (the receiver's clock when the request arrives) to "action delivered" (the
 *     target's clock when the call arrives; one machine, one wall clock), p50/p95/p99 over N distinct alerts
 *     (default 1,000) sent --concurrency at a time (default 20);
 *   - the baseline: the same loopback POST from this process straight to the target, p50/p95/p99;
 *   - the database statements per alert;
 *   - alerts/s accepted with dedup: --repeats deliveries (default 10) of each of N alerts, 20 in flight.
 * It prints p95 / baseline p95 and checks the target p95 <= 100 ms.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/remediation.bench.ts [--alerts 1000] [--db sqlite|pg] [--concurrency 20] [--pool 10] [--repeats 10]
 */
import express from 'express';
import path from 'path';
import { fork } from 'child_process';
import { openBenchDb } from './db';
import { percentile } from '@reliability-suite/plugin-reliability-common';
import { arg } from './services';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/wiring/ReliabilityDatabase';
import {
  alertmanagerBody,
  alertmanagerReceiver,
  benchRemediationEngine,
  listen,
} from './alertmanager';

const N = Number(arg('alerts', '1000'));
const WIDTH = Number(arg('concurrency', '20'));
const DB = arg('db', 'sqlite');
const REPEATS = Number(arg('repeats', '10'));
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const SECRET = 'bench-shared-secret';

async function pool<T>(
  items: T[],
  width: number,
  fn: (item: T) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

const fmt = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);

/** The peer process (Alertmanager and the target): one request at a time over IPC. */
function startPeer(): Promise<{
  url: string;
  ask: (msg: object, answer: string) => Promise<any>;
  stop: () => void;
}> {
  const child = fork(path.join(__dirname, 'remediation-peer.mjs'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = (msg: object, answer: string) =>
    new Promise<any>((resolve, reject) => {
      const on = (m: any) => {
        if (m.cmd !== answer && m.cmd !== 'error') return;
        child.off('message', on);
        if (m.cmd === 'error') reject(new Error(m.message));
        else resolve(m);
      };
      child.on('message', on);
      child.send(msg);
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (m: any) =>
      resolve({ url: m.url, ask, stop: () => child.send({ cmd: 'stop' }) }),
    );
  });
}

async function main() {
  const { knex, close } = await openBenchDb(DB, PG, {
    poolMax: Number(arg('pool', '10')),
  });
  const peer = await startPeer();
  try {
    // migrations: every table of the suite, as the plugin creates them
    await ReliabilityDatabase.create(knex);
    const engine = benchRemediationEngine(knex, [
      {
        id: 'bench-rollback',
        entityRef: 'component:default/checkout',
        match: ['severity="error"'],
        action: 'webhook',
        params: { url: `${peer.url}/off`, body: { id: '{{id}}' } },
        lockKey: 'rollback:{{id}}',
        maxAttempts: 1_000_000,
      },
    ]);
    const received = new Map<string, number>();
    const app = express();
    // the receiver's clock when the request arrives
    app.use('/api/reliability/alertmanager/webhook', (req, _res, next) => {
      const id = req.headers['x-bench-id'] as string | undefined;
      if (id && !received.has(id))
        received.set(id, performance.timeOrigin + performance.now());
      next();
    });
    const receiverRouter = alertmanagerReceiver(knex, engine, SECRET);
    app.use('/api/reliability', receiverRouter);
    const receiver = await listen(app);
    const webhook = `${receiver.url}/api/reliability/alertmanager/webhook`;
    const send = (ids: string[], width: number) =>
      peer.ask(
        {
          cmd: 'send',
          url: webhook,
          secret: SECRET,
          // the bodies Alertmanager would post, built here; the peer only sends them
          alerts: ids.map(id => [
            id,
            alertmanagerBody(id, 'Bench', '2026-11-22T10:00:00Z'),
          ]),
          width,
        },
        'sent',
      ) as Promise<{ seconds: number }>;
    const deliveredNow = async () =>
      new Map<string, number>(
        (await peer.ask({ cmd: 'delivered' }, 'delivered')).entries,
      );

    // warm-up (JIT, connection pools), not measured
    await send(
      Array.from({ length: 50 }, (_, i) => `warm-${i}`),
      10,
    );
    await engine.idle();

    // baseline: the same loopback POST from this process straight to the target
    const baseline: number[] = [];
    await pool(
      Array.from({ length: N }, (_, i) => `base-${i}`),
      WIDTH,
      async () => {
        const t = performance.now();
        await fetch(`${peer.url}/off`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        }).then(r => r.text());
        baseline.push(performance.now() - t);
      },
    );

    // webhook received -> action delivered, N distinct alerts, WIDTH in flight
    const ids = Array.from({ length: N }, (_, i) => `alert-${i}`);
    let queries = 0;
    knex.on('query', () => {
      queries++;
    });
    const tRun = performance.now();
    await send(ids, WIDTH);
    await engine.idle();
    const runSeconds = (performance.now() - tRun) / 1000;
    const runQueries = queries;
    const delivered = await deliveredNow();
    const latencies = ids.map(
      id => (delivered.get(id) ?? NaN) - (received.get(id) ?? NaN),
    );
    const missing = latencies.filter(Number.isNaN).length;
    if (missing)
      throw new Error(`${missing} alerts were not delivered to the target`);
    const calls = [...delivered.keys()].filter(k =>
      k.startsWith('alert-'),
    ).length;

    // accepted with dedup: every alert REPEATS times, 20 in flight
    const repeats = ids.flatMap(id => Array(REPEATS).fill(id) as string[]);
    const { seconds } = await send(repeats, 20);
    await engine.idle();
    const callsAfter = [...(await deliveredNow()).keys()].filter(k =>
      k.startsWith('alert-'),
    ).length;

    const p = (xs: number[], q: number) => percentile(xs, q);
    const p95 = p(latencies, 95)!;
    const b95 = p(baseline, 95)!;
    console.log(
      `remediation bench: ${N} alerts, ${DB}, ${WIDTH} in flight, pool ${arg(
        'pool',
        '10',
      )} (Alertmanager and the target in a peer process)`,
    );
    console.log(
      `  webhook received -> action delivered: p50 ${fmt(
        p(latencies, 50),
      )}, p95 ${fmt(p95)}, p99 ${fmt(p(latencies, 99))}`,
    );
    console.log(
      `  baseline loopback POST:               p50 ${fmt(
        p(baseline, 50),
      )}, p95 ${fmt(b95)}, p99 ${fmt(p(baseline, 99))}`,
    );
    console.log(
      `  ${N} alerts in ${runSeconds.toFixed(2)} s (${Math.round(
        N / runSeconds,
      )} alerts/s), ${(runQueries / N).toFixed(
        1,
      )} database statements per alert`,
    );
    console.log(`  ratio p95 / baseline p95: ${(p95 / b95).toFixed(1)}x`);
    if (REPEATS)
      console.log(
        `  deliveries accepted with dedup: ${
          repeats.length
        } in ${seconds.toFixed(2)} s = ${Math.round(
          repeats.length / seconds,
        )} alerts/s; target calls ${calls} -> ${callsAfter} (no new calls)`,
      );
    console.log(`  target p95 <= 100 ms: ${p95 <= 100 ? 'met' : 'NOT met'}`);
    receiver.server.closeAllConnections();
    receiver.server.close();
    if (callsAfter !== calls || calls !== N) process.exitCode = 1;
  } finally {
    peer.stop();
    await close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
