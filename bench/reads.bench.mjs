// Reads against the catalog's own (issues 15 and 37): `GET /api/reliability/slos?entityRef=…`, the overview's first
// page (`GET /api/reliability/overview?limit=50`) and the deploy gate (`GET /api/reliability/gate?entityRef=…`), each
// against `GET /api/catalog/entities/by-name/component/default/checkout` on the same backend, in the same run.
//
// Starts the portal's backend with the demo data on 127.0.0.1:7079, waits until checkout is evaluated, then, for each
// URL in turn, keeps C requests in flight (default 50, one keep-alive connection each, undici) for D seconds (default
// 10) after a 2 s warm-up, and prints throughput, p50 and p99, and each reliability read's ratios to the catalog's
// (target: throughput >= 1.0x, p50 and p99 <= 1.0x).
//
// --slos N: the same on PostgreSQL (a fresh database, plugin schemas) with N generated Ingest SLOs besides the demo's,
// spread over N / 50 generated components, registered through the catalog like any SLO. The reads start once the
// registry holds them all and every one has been evaluated; how long the catalog and the registry took is printed.
//
//   node bench/reads.bench.mjs [--connections 50] [--seconds 10] [--slos 100000]
import { Agent, request } from 'undici';
import {
  root,
  startPortalBackend,
  stopPortalBackend,
  until,
  writeReplicaConfig,
} from '../test/e2e/lib/portal.mjs';
import { createRequire } from 'node:module';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(path.join(root, 'packages/backend/package.json'));
const PORT = 7079;
const BASE = `http://127.0.0.1:${PORT}`;
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CONNECTIONS = arg('connections', 50);
const SECONDS = arg('seconds', 10);
const SLOS = arg('slos', 0);
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const DB = `reliability_reads_bench_${process.pid}`;

const dir = mkdtempSync(path.join(tmpdir(), 'reliability-reads-bench-'));
let config = path.join(dir, 'app-config.bench.yaml');
if (!SLOS)
  writeFileSync(
    config,
    `app:\n  baseUrl: ${BASE}\nbackend:\n  baseUrl: ${BASE}\n  listen:\n    port: ${PORT}\n    host: 127.0.0.1\n  cors:\n    origin: ${BASE}\n`,
  );
else {
  // the generated SLOs: copies of the demo's checkout-success (Ingest good/total) on generated components
  const seed = readFileSync(
    path.join(root, 'catalog/slos/checkout-success.yaml'),
    'utf8',
  );
  const components = Math.max(1, Math.ceil(SLOS / 50));
  const docs = [];
  for (let c = 0; c < components; c++)
    docs.push(
      `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bench-svc-${c}\nspec:\n  type: service\n  lifecycle: production\n  owner: payments-sre\n  system: shop\n`,
    );
  for (let i = 0; i < SLOS; i++)
    docs.push(
      seed
        .replaceAll('checkout-success', `bench-slo-${i}`)
        .replace('service: checkout', `service: bench-svc-${i % components}`),
    );
  // files of 1,000 entities, each a location: the catalog processes them as it would a large organisation's repos
  const files = [];
  for (let k = 0; k < docs.length; k += 1_000) {
    const file = path.join(dir, `generated-${files.length}.yaml`);
    writeFileSync(file, docs.slice(k, k + 1_000).join('\n---\n'));
    files.push(file);
  }
  config = writeReplicaConfig(dir, PORT, {
    pgUrl: PG,
    db: DB,
    extra: {
      catalog: {
        locations: [
          { type: 'file', target: '../../catalog/all.yaml' },
          ...files.map(target => ({ type: 'file', target })),
        ],
      },
    },
  });
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** C loops, each sending the next request when the last answered, for `ms`; latencies of those that ended in time. */
async function load(url, headers, ms) {
  const agent = new Agent({ connections: CONNECTIONS, pipelining: 1 });
  const latencies = [];
  let errors = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const res = await request(url, { headers, dispatcher: agent });
          await res.body.arrayBuffer();
          if (res.statusCode !== 200) errors++;
          else latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  await agent.close();
  return { latencies, errors, rps: latencies.length / (ms / 1000) };
}

/** Runs `sql` on database `db` of the benchmark's PostgreSQL server, on a connection of its own. */
async function pgQuery(db, sql) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: `${PG}/${db}` });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The plugin's tables (PostgreSQL, --slos): SLOs registered and SLOs with a stored status. */
async function registered() {
  try {
    const [row] = await pgQuery(
      DB,
      `SELECT (SELECT count(*) FROM reliability.reliability_slos)::int AS slos,
              (SELECT count(*) FROM reliability.reliability_status)::int AS statuses`,
    );
    return row;
  } catch {
    return { slos: 0, statuses: 0 }; // the schema is not made yet
  }
}

if (SLOS) await pgQuery('postgres', `CREATE DATABASE ${DB}`);
const started = performance.now();
const backend = await startPortalBackend([config], BASE, 240_000);
try {
  // (a backend restarting as it starts, on a large catalog, refuses a moment: asked again until it answers)
  let backstageIdentity;
  await until(
    'a guest token',
    async () => {
      ({ backstageIdentity } = await (
        await fetch(`${BASE}/api/auth/guest/refresh?env=development`, {
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
        })
      ).json());
      return backstageIdentity?.token;
    },
    120_000,
    1000,
  );
  const headers = { authorization: `Bearer ${backstageIdentity.token}` };
  const reliability = `${BASE}/api/reliability/slos?entityRef=component:default/checkout`;
  const catalog = `${BASE}/api/catalog/entities/by-name/component/default/checkout`;
  if (SLOS) {
    // the catalog reads the generated file, the registry syncs the SLOs, the tick evaluates them
    let last = { slos: 0, statuses: 0 };
    await until(
      `${SLOS} generated SLOs registered and evaluated`,
      async () => {
        last = await registered();
        return last.slos >= SLOS && last.statuses >= SLOS;
      },
      3_600_000,
      10_000,
    );
    console.log(
      `${last.slos} SLOs registered, ${last.statuses} evaluated, ${(
        (performance.now() - started) /
        1000
      ).toFixed(
        0,
      )} s after the backend started (catalog, registry, first ticks)`,
    );
  }
  await until(
    'checkout evaluated',
    async () =>
      (
        await (await fetch(reliability, { headers })).json()
      ).items?.[0]?.status?.total > 0,
    120_000,
    1000,
  );
  const reads = [
    ['catalog', catalog],
    ['slos', reliability],
    ['overview', `${BASE}/api/reliability/overview?limit=50`],
    [
      'gate',
      `${BASE}/api/reliability/gate?entityRef=component:default/checkout`,
    ],
  ];
  const results = {};
  for (const [name, url] of reads) {
    await load(url, headers, 2_000);
    results[name] = await load(url, headers, SECONDS * 1000);
    const r = results[name];
    console.log(
      `${name.padEnd(9)} ${url.replace(BASE, '')}: ${r.rps.toFixed(
        0,
      )} req/s, p50 ${percentile(r.latencies, 50).toFixed(
        1,
      )} ms, p99 ${percentile(r.latencies, 99).toFixed(1)} ms, ${
        r.errors
      } errors (${CONNECTIONS} in flight, ${SECONDS} s)`,
    );
  }
  const c = results.catalog;
  let allMet = true;
  for (const [name] of reads.slice(1)) {
    const r = results[name];
    const ratios = {
      throughput: r.rps / c.rps,
      p50: percentile(r.latencies, 50) / percentile(c.latencies, 50),
      p99: percentile(r.latencies, 99) / percentile(c.latencies, 99),
    };
    const met =
      ratios.throughput >= 1 &&
      ratios.p50 <= 1 &&
      ratios.p99 <= 1 &&
      r.errors === 0;
    allMet &&= met;
    console.log(
      `${name} / catalog${
        SLOS ? ` (${SLOS} generated SLOs besides the demo's)` : ''
      }: throughput ${ratios.throughput.toFixed(2)}x, p50 ${ratios.p50.toFixed(
        2,
      )}x, p99 ${ratios.p99.toFixed(2)}x (target >= 1.0x, <= 1.0x, <= 1.0x: ${
        met ? 'met' : 'NOT met'
      })`,
    );
  }
  console.log(`reads: ${allMet ? 'every target met' : 'NOT every target met'}`);
} finally {
  await stopPortalBackend(backend);
  if (SLOS)
    await pgQuery(
      'postgres',
      `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`,
    ).catch(() => undefined);
}
