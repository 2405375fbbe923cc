// Reads against the catalog's own (issue 15): `GET /api/reliability/slos?entityRef=…` against
// `GET /api/catalog/entities/by-name/component/default/checkout` on one portal backend, in the same run.
//
// Starts the portal's backend with the demo data on 127.0.0.1:7079, waits until checkout is evaluated, then, for each
// URL in turn, keeps C requests in flight (default 50, one keep-alive connection each, undici) for D seconds (default
// 10) after a 2 s warm-up, and prints throughput, p50 and p99, and the reliability read's ratios to the catalog's
// (target: throughput >= 1.0x, p50 and p99 <= 1.0x).
//
//   node bench/reads.bench.mjs [--connections 50] [--seconds 10]
import { Agent, request } from 'undici';
import {
  startPortalBackend,
  stopPortalBackend,
  until,
} from '../test/e2e/lib/portal.mjs';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BASE = 'http://127.0.0.1:7079';
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CONNECTIONS = arg('connections', 50);
const SECONDS = arg('seconds', 10);

const dir = mkdtempSync(path.join(tmpdir(), 'reliability-reads-bench-'));
const config = path.join(dir, 'app-config.bench.yaml');
writeFileSync(
  config,
  `app:\n  baseUrl: ${BASE}\nbackend:\n  baseUrl: ${BASE}\n  listen:\n    port: 7079\n    host: 127.0.0.1\n  cors:\n    origin: ${BASE}\n`,
);

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

const backend = await startPortalBackend([config], BASE, 240_000);
try {
  const { backstageIdentity } = await (
    await fetch(`${BASE}/api/auth/guest/refresh?env=development`, {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    })
  ).json();
  const headers = { authorization: `Bearer ${backstageIdentity.token}` };
  const reliability = `${BASE}/api/reliability/slos?entityRef=component:default/checkout`;
  const catalog = `${BASE}/api/catalog/entities/by-name/component/default/checkout`;
  await until(
    'checkout evaluated',
    async () =>
      (
        await (await fetch(reliability, { headers })).json()
      ).items?.[0]?.status?.total > 0,
    120_000,
    1000,
  );
  const results = {};
  for (const [name, url] of [
    ['catalog', catalog],
    ['reliability', reliability],
  ]) {
    await load(url, headers, 2_000);
    results[name] = await load(url, headers, SECONDS * 1000);
    const r = results[name];
    console.log(
      `${name.padEnd(11)} ${url.replace(BASE, '')}: ${r.rps.toFixed(
        0,
      )} req/s, p50 ${percentile(r.latencies, 50).toFixed(
        1,
      )} ms, p99 ${percentile(r.latencies, 99).toFixed(1)} ms, ${
        r.errors
      } errors (${CONNECTIONS} in flight, ${SECONDS} s)`,
    );
  }
  const [c, r] = [results.catalog, results.reliability];
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
  console.log(
    `reliability / catalog: throughput ${ratios.throughput.toFixed(
      2,
    )}x, p50 ${ratios.p50.toFixed(2)}x, p99 ${ratios.p99.toFixed(
      2,
    )}x (target >= 1.0x, <= 1.0x, <= 1.0x: ${met ? 'met' : 'NOT met'})`,
  );
} finally {
  await stopPortalBackend(backend);
}
