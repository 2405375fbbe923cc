// Ingest across replicas (issue 15): `POST /api/reliability/sli-events` throughput with one portal backend, then
// with two backend processes on one PostgreSQL database, in the same run.
//
// Each backend is packages/backend (`yarn start`) with the demo organisation plus N generated Ingest SLOs (default
// 200, for service `checkout`), on a fresh PostgreSQL database (plugin schemas), a static token for the reporters,
// and no demo traffic. The load: C loops (default 8) each posting the next batch of B events (default 1,000: one
// event per SLO and second of the last minute, spread over the SLOs) when the last was answered, for D seconds
// (default 15) after a 3 s warm-up; with two replicas, the loops alternate between them. Printed: events/s, batch
// p50/p99, the two-replica throughput over the one-replica throughput, the two replicas' events per minute (target
// >= 1,000,000), and whether every SLO's stored counts are exactly the events the backends acknowledged.
//
//   node bench/replicas.bench.mjs [--slos 200] [--loops 8] [--batch 1000] [--seconds 15]
import { Agent, request } from 'undici';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  root,
  startPortalBackend,
  stopPortalBackend,
  until,
  writeReplicaConfig,
} from '../test/e2e/lib/portal.mjs';

const require = createRequire(path.join(root, 'packages/backend/package.json'));
const { Client } = require('pg');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SLOS = arg('slos', 200);
const LOOPS = arg('loops', 8);
const BATCH = arg('batch', 1000);
const SECONDS = arg('seconds', 15);
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const DB = `reliability_replicas_bench_${process.pid}`;
const PORTS = [7083, 7084];
const TOKEN = randomBytes(16).toString('hex');
const dir = mkdtempSync(path.join(tmpdir(), 'reliability-replicas-bench-'));

// the generated SLOs: copies of the demo's checkout-success (Ingest good/total) under other names
const seed = readFileSync(
  path.join(root, 'catalog/slos/checkout-success.yaml'),
  'utf8',
);
const slos = Array.from({ length: SLOS }, (_, i) => `bench-ingest-${i}`);
writeFileSync(
  path.join(dir, 'slos.yaml'),
  slos.map(name => seed.replaceAll('checkout-success', name)).join('\n---\n'),
);

const configFor = port =>
  writeReplicaConfig(dir, port, {
    pgUrl: PG,
    db: DB,
    token: TOKEN,
    subject: 'replicas-bench',
    extra: {
      catalog: {
        locations: [
          { type: 'file', target: '../../catalog/all.yaml' },
          { type: 'file', target: path.join(dir, 'slos.yaml') },
        ],
      },
      reliability: { demo: { enabled: false } },
    },
  });

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

let batchNo = 0;
/** Events acknowledged per SLO (each is good 99 of total 100), to check the stored counts against. */
const acknowledged = new Map();
const acknowledge = counts => {
  for (const [slo, n] of counts)
    acknowledged.set(slo, (acknowledged.get(slo) ?? 0) + n);
};
/** The next batch: BATCH events over the SLOs, each at one second of the last minute; and its events per SLO. */
function nextBatch() {
  const now = Date.now();
  const events = [];
  const counts = new Map();
  for (let k = 0; k < BATCH; k++) {
    const n = batchNo * BATCH + k;
    const slo = `default/${slos[n % SLOS]}`;
    events.push({
      slo,
      timestamp: new Date(now - 5_000 - (n % 60) * 1000).toISOString(),
      good: 99,
      total: 100,
    });
    counts.set(slo, (counts.get(slo) ?? 0) + 1);
  }
  batchNo++;
  return { body: JSON.stringify({ events }), counts };
}

/**
 * The stored counts of every generated SLO, as the evaluation reads them: the latest bucket's cumulative counts plus
 * the late counts (events before the latest bucket), from the plugin's schema. Answers the SLOs whose good or total
 * differ from what was acknowledged, and the totals.
 */
async function checkCounts(client) {
  const { rows } = await client.query(
    `SELECT s.ref,
       COALESCE((SELECT b.cum_good FROM reliability.reliability_buckets b WHERE b.slo_ref = s.ref ORDER BY b.bucket_end DESC LIMIT 1), 0)
         + COALESCE((SELECT SUM(l.good) FROM reliability.reliability_late_counts l WHERE l.slo_ref = s.ref), 0) AS good,
       COALESCE((SELECT b.cum_total FROM reliability.reliability_buckets b WHERE b.slo_ref = s.ref ORDER BY b.bucket_end DESC LIMIT 1), 0)
         + COALESCE((SELECT SUM(l.total) FROM reliability.reliability_late_counts l WHERE l.slo_ref = s.ref), 0) AS total
     FROM unnest($1::text[]) AS s(ref)`,
    [slos.map(n => `default/${n}`)],
  );
  const wrong = [];
  let total = 0;
  for (const r of rows) {
    const n = acknowledged.get(r.ref) ?? 0;
    total += Number(r.total);
    if (Number(r.good) !== 99 * n || Number(r.total) !== 100 * n)
      wrong.push(
        `${r.ref}: stored ${r.good}/${r.total}, acknowledged ${99 * n}/${
          100 * n
        }`,
      );
  }
  return { wrong, events: total / 100 };
}

/** LOOPS loops posting batches to `ports` in turn for `ms`; answers events/s and batch latencies. */
async function load(ports, ms) {
  const agent = new Agent({ connections: LOOPS, pipelining: 1 });
  const latencies = [];
  let events = 0;
  let errors = 0;
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: LOOPS }, async (_, loop) => {
      const port = ports[loop % ports.length];
      while (performance.now() < end) {
        const t0 = performance.now();
        const batch = nextBatch();
        try {
          const res = await request(
            `http://127.0.0.1:${port}/api/reliability/sli-events`,
            {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${TOKEN}`,
              },
              body: batch.body,
              dispatcher: agent,
            },
          );
          const text = await res.body.text();
          if (res.statusCode === 202) acknowledge(batch.counts);
          if (res.statusCode !== 202) {
            errors++;
            if (errors <= 3)
              console.error(`  ${res.statusCode}: ${text.slice(0, 300)}`);
          } else {
            events += BATCH;
            latencies.push(performance.now() - t0);
          }
        } catch (e) {
          errors++;
          if (errors <= 3) console.error(`  ${e.message}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return {
    rate: events / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    batches: latencies.length,
    errors,
  };
}

/** Waits until a backend accepts events for the last generated SLO (the catalog has read them all). */
const ready = port =>
  until(
    `the generated SLOs on port ${port}`,
    async () => {
      const res = await fetch(
        `http://127.0.0.1:${port}/api/reliability/sli-events`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${TOKEN}`,
          },
          body: JSON.stringify({
            events: [
              {
                slo: `default/${slos.at(-1)}`,
                timestamp: new Date().toISOString(),
                good: 99,
                total: 100,
              },
            ],
          }),
        },
      );
      if (res.status === 202)
        acknowledge(new Map([[`default/${slos.at(-1)}`, 1]]));
      return res.status === 202;
    },
    300_000,
    2000,
  );

const fmt = r =>
  `${Math.round(r.rate).toLocaleString('en-US')} events/s (${
    r.batches
  } batches of ${BATCH}, p50 ${r.p50?.toFixed(0)} ms, p99 ${r.p99?.toFixed(
    0,
  )} ms, ${r.errors} errors)`;

const admin = new Client({ connectionString: PG });
await admin.connect();
await admin.query(`CREATE DATABASE ${DB}`);
// the bench's database itself, to read the stored counts at the end
const admin2 = new Client({ connectionString: `${PG}/${DB}` });
await admin2.connect();
const procs = [];
try {
  procs.push(
    await startPortalBackend(
      [configFor(PORTS[0])],
      `http://127.0.0.1:${PORTS[0]}`,
    ),
  );
  await ready(PORTS[0]);
  await load([PORTS[0]], 3000);
  const one = await load([PORTS[0]], SECONDS * 1000);
  procs.push(
    await startPortalBackend(
      [configFor(PORTS[1])],
      `http://127.0.0.1:${PORTS[1]}`,
    ),
  );
  await ready(PORTS[1]);
  await load(PORTS, 3000);
  const two = await load(PORTS, SECONDS * 1000);
  console.log(
    `ingest across replicas: ${SLOS} Ingest SLOs, ${LOOPS} loops, ${SECONDS} s each, PostgreSQL, 2 cores shared by everything`,
  );
  console.log(`  one replica:  ${fmt(one)}`);
  console.log(`  two replicas: ${fmt(two)}`);
  console.log(`  ratio two / one: ${(two.rate / one.rate).toFixed(2)}x`);
  console.log(
    `  two replicas, events per minute: ${Math.round(
      two.rate * 60,
    ).toLocaleString('en-US')} (target >= 1,000,000: ${
      two.rate * 60 >= 1_000_000 ? 'met' : 'NOT met'
    })`,
  );
  // every acknowledged event counted once: the stored counts of every SLO against what the backends acknowledged
  const counted = await checkCounts(admin2);
  const sent = [...acknowledged.values()].reduce((a, b) => a + b, 0);
  console.log(
    `  counts: ${sent.toLocaleString(
      'en-US',
    )} events acknowledged in the whole run, ${counted.events.toLocaleString(
      'en-US',
    )} stored; SLOs whose good or total differ: ${
      counted.wrong.length
    } of ${SLOS}${
      one.errors || two.errors
        ? ' (some requests failed: their events may or may not be stored)'
        : ''
    }`,
  );
  for (const w of counted.wrong.slice(0, 5)) console.log(`    ${w}`);
  if (one.errors || two.errors || counted.wrong.length) process.exitCode = 1;
} finally {
  for (const p of procs) await stopPortalBackend(p);
  await admin2.end();
  await new Promise(r => setTimeout(r, 1000));
  await admin
    .query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
    .catch(e => console.error(e.message));
  await admin.end();
}
