/*
 * Synthetic runner benchmark (issue #12).
 *
 * 1. Overhead per HTTP step: the same loopback GET of a small JSON document, done N times by a plain
 *    `http.request` (the baseline: a new connection each time, body read) and by the runner as a one-step journey
 *    (templates, allowlist, per-host limiter, deadline, status, a JSONPath assertion and an extraction, the redacted
 *    excerpt), interleaved. Printed: p50 and p95 of each and the p95 overhead (target <= 2 ms).
 * 2. Throughput with bounded memory: J journeys (default 1,000) of 3 HTTP steps every minute, on the real store
 *    (SQLite in memory, or PostgreSQL with --db pg), claimed and run by the real task every 5 s (as the scheduler
 *    would), recorded with their evidence, and pruned every minute; for M minutes (default 3). Printed: runs per
 *    minute against the target of J per minute, and the heap and RSS after each minute (bounded: no growth
 *    with the number of runs).
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/synthetics.bench.ts [--steps 2000] [--journeys 1000] [--minutes 3] [--db sqlite|pg]
 *   yarn bench:synthetics
 */
import http from 'http';
import { AddressInfo } from 'net';
import {
  percentile,
  syntheticJourneySchema,
} from '@reliability-suite/plugin-reliability-common';
import { openBenchDb } from './db';
import { arg, benchLogger } from './services';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/wiring/ReliabilityDatabase';
import { SyntheticRunner } from '../plugins/reliability-backend/src/synthetics/SyntheticRunner';
import { SyntheticTask } from '../plugins/reliability-backend/src/synthetics/SyntheticTask';

const STEPS = Number(arg('steps', '2000'));
const JOURNEYS = Number(arg('journeys', '1000'));
const MINUTES = Number(arg('minutes', '3'));
const DB = arg('db', 'sqlite');
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const MB = 1024 * 1024;

const BODY = JSON.stringify({
  status: 'ok',
  token: 'tok-123',
  items: [{ sku: 'socks-42', price: 12.5 }],
});

function plainGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { agent: false }, res => {
      const chunks: Buffer[] = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve(performance.now() - t0);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function overhead(base: string) {
  const runner = new SyntheticRunner({
    allowedHosts: ['127.0.0.1'],
    perHostConcurrency: 4,
  });
  const journey = syntheticJourneySchema.parse({
    name: 'bench',
    regions: ['ap-sg'],
    frequency: '1m',
    deadlineMs: 5_000,
    steps: [
      {
        type: 'http',
        name: 'Get',
        url: `${base}/item`,
        assert: [{ jsonPath: '$.status', equals: 'ok' }],
        extract: [{ name: 'sku', jsonPath: '$.items[0].sku' }],
      },
    ],
  });
  const plain: number[] = [];
  const synthetic: number[] = [];
  // warm up both paths (JIT, sockets)
  for (let i = 0; i < 200; i++) {
    await plainGet(`${base}/item`);
    await runner.run(journey);
  }
  for (let i = 0; i < STEPS; i++) {
    plain.push(await plainGet(`${base}/item`));
    const t0 = performance.now();
    const r = await runner.run(journey);
    synthetic.push(performance.now() - t0);
    if (!r.success) throw new Error(`the journey failed: ${r.error}`);
  }
  const p = (v: number[], q: number) => percentile(v, q)!;
  console.log(
    `\n1. one HTTP step over loopback, ${STEPS} times each, interleaved`,
  );
  console.log(
    `   plain http.request:  p50 ${p(plain, 50).toFixed(3)} ms, p95 ${p(
      plain,
      95,
    ).toFixed(3)} ms`,
  );
  console.log(
    `   synthetic runner:    p50 ${p(synthetic, 50).toFixed(3)} ms, p95 ${p(
      synthetic,
      95,
    ).toFixed(3)} ms`,
  );
  const over = p(synthetic, 95) - p(plain, 95);
  console.log(
    `   overhead per step:   p50 ${(p(synthetic, 50) - p(plain, 50)).toFixed(
      3,
    )} ms, p95 ${over.toFixed(3)} ms (target <= 2 ms: ${
      over <= 2 ? 'met' : 'MISSED'
    }); ratio p95 ${(p(synthetic, 95) / p(plain, 95)).toFixed(2)}x`,
  );
}

async function throughput(base: string) {
  const { knex, close } = await openBenchDb(DB, PG);
  try {
    const db = await ReliabilityDatabase.create(knex);
    const stores = db.stores();
    const runner = new SyntheticRunner({
      allowedHosts: ['127.0.0.1'],
      perHostConcurrency: 8,
    });
    const registry = { forEntity: async () => [] } as any;
    const task = new SyntheticTask({
      store: stores.synthetics,
      runner,
      registry,
      slos: stores.slos,
      logger: benchLogger,
      concurrency: 10,
      minuteRetentionMs: 7 * 3_600_000,
    });
    const steps = [
      {
        type: 'http',
        name: 'Home',
        url: `${base}/`,
        assert: [{ contains: 'ok' }],
      },
      {
        type: 'http',
        name: 'Item',
        url: `${base}/item`,
        extract: [{ name: 'sku', jsonPath: '$.items[0].sku' }],
      },
      {
        type: 'http',
        name: 'Cart',
        method: 'POST',
        url: `${base}/cart/{{sku}}`,
        body: { qty: 1 },
      },
    ];
    const t0 = Date.now();
    for (let i = 0; i < JOURNEYS; i++) {
      await stores.synthetics.put(
        `component:default/svc-${i % 100}`,
        syntheticJourneySchema.parse({
          name: `journey_${i}`,
          regions: ['ap-sg'],
          frequency: '1m',
          deadlineMs: 3_000,
          steps,
        }),
        'bench',
        t0,
      );
    }
    console.log(
      `\n2. ${JOURNEYS} journeys of 3 HTTP steps every minute, ${DB}, ticks every 5 s, ${MINUTES} minutes`,
    );
    let runs = 0;
    let failed = 0;
    let maxTick = 0;
    const start = Date.now();
    const minutes: string[] = [];
    for (let minute = 1; minute <= MINUTES; minute++) {
      const before = runs;
      while (Date.now() - start < minute * 60_000) {
        const tickStart = Date.now();
        const r = await task.run();
        runs += r.ran;
        failed += r.failed;
        maxTick = Math.max(maxTick, Date.now() - tickStart);
        await new Promise(res =>
          setTimeout(res, Math.max(0, 5_000 - (Date.now() - tickStart))),
        );
      }
      await stores.synthetics.prune(Date.now() - 30 * 86_400_000, 20);
      const mem = process.memoryUsage();
      minutes.push(
        `   minute ${minute}: ${runs - before} runs, heap ${(
          mem.heapUsed / MB
        ).toFixed(0)} MB, rss ${(mem.rss / MB).toFixed(0)} MB`,
      );
      console.log(minutes[minutes.length - 1]);
    }
    const perMinute = runs / MINUTES;
    console.log(
      `   ${runs} runs (${failed} failed) in ${MINUTES} min: ${perMinute.toFixed(
        0,
      )} per minute, ${(perMinute / JOURNEYS).toFixed(
        3,
      )}x the target of ${JOURNEYS}/min; slowest tick ${maxTick} ms`,
    );
  } finally {
    await close();
  }
}

async function main() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/')
        return void res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end('ok');
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(BODY);
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await overhead(base);
    await throughput(base);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
