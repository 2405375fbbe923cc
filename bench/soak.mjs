// The soak (issue 37): the suite's backend under a mixed load for an hour (configurable), on PostgreSQL, printing its
// RSS and heap every minute; judged on the last half of the run.
//
// The backend is the suite's plugins alone (bench/soakBackend.ts: test/faults/lib/suiteBackend.ts plus a sampler),
// on a fresh database of the local PostgreSQL, with the demo organisation and 20 Ingest SLOs. The load, all on
// loopback, for the whole run:
//   - ingest: a batch of one event per Ingest SLO every 250 ms, each with its own Idempotency-Key (sent again with the
//     same key until acknowledged);
//   - reads: the SLO list, an entity's SLOs, the overview's first page, the deploy gate, the remediations and the
//     synthetic runs, one request every 100 ms in turn;
//   - ticks: the evaluation task every 5 s (the `ticks` column counts the minutes in which it moved a status);
//   - alerts: Alertmanager's signed webhook, a new alert every 10 s (resolved 3 s later), each remediated by a webhook
//     action to a loopback target;
//   - synthetic runs: 3 journeys of 2 regions every 30 s against a loopback site (the runner looks every 5 s).
// Every sample is taken after a full garbage collection. Printed each minute: RSS, heap, the live timers, handles and
// `process` listeners, and the load done. At the end, over the last half of the run: the growth of heap and RSS (a
// least-squares line through the samples, its rise over its start), and of timers, handles and listeners. It fails
// (exit 1) when heap or RSS grew more than --limit percent (default 5), when timers, handles or listeners grew, when
// Node warned of a listener leak, or when a request failed.
//
//   node bench/soak.mjs [--minutes 60] [--sample-seconds 60] [--limit 5]
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBackend, pg, root, until } from '../test/faults/lib/backend.mjs';
import { freePort } from '../test/faults/lib/postgres.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MINUTES = arg('minutes', 60);
const SAMPLE_MS = arg('sample-seconds', 60) * 1000;
const LIMIT = arg('limit', 5);
const SLOS = 20;
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const DB = `reliability_soak_${process.pid}`;
const TOKEN = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
// the journeys' writer: a service may write journeys only when its access restrictions name the permission
const JOURNEYS_TOKEN = randomBytes(16).toString('hex');
const ENTITY = 'component:default/checkout';
const dir = mkdtempSync(path.join(os.tmpdir(), 'reliability-soak-'));
const SAMPLES = path.join(dir, 'samples.jsonl');
const LOG = path.join(os.tmpdir(), `reliability-soak-${process.pid}.log`);
const sleep = ms => new Promise(r => setTimeout(r, ms));
const mb = n => `${(n / 1024 / 1024).toFixed(1)} MB`;

// the load's counters
const done = {
  events: 0,
  batches: 0,
  batchRetries: 0,
  reads: 0,
  alerts: 0,
  resolved: 0,
  fixes: 0,
  syntheticCalls: 0,
  ticks: 0,
};
const failures = {};
const fail = kind => {
  failures[kind] = (failures[kind] ?? 0) + 1;
};

// the loopback site the journeys call, and the remediation target
const site = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url === '/fix') {
      done.fixes++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    done.syntheticCalls++;
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>soak shop</body></html>');
  });
});

const seed = readFileSync(
  path.join(root, 'catalog/slos/checkout-success.yaml'),
  'utf8',
);
const slos = Array.from({ length: SLOS }, (_, i) => `soak-ingest-${i}`);
writeFileSync(
  path.join(dir, 'slos.yaml'),
  slos.map(name => seed.replaceAll('checkout-success', name)).join('\n---\n'),
);

let baseUrl;
const api = (p, init = {}) =>
  fetch(`${baseUrl}/api/reliability${p}`, {
    ...init,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      ...(init.headers ?? {}),
    },
    signal: AbortSignal.timeout(15_000),
  });

async function ingestLoop(stop) {
  for (let i = 0; !stop.now; i++) {
    const key = `soak-${process.pid}-${i}`;
    const at = new Date(Date.now() - 2_000).toISOString();
    const body = JSON.stringify({
      events: slos.map((name, n) => ({
        slo: `default/${name}`,
        timestamp: at,
        good: 9 + ((i + n) % 2),
        total: 10,
      })),
    });
    for (let attempt = 0; attempt < 40; attempt++) {
      if (attempt > 0) done.batchRetries++;
      try {
        const res = await api('/sli-events', {
          method: 'POST',
          headers: { 'idempotency-key': key },
          body,
        });
        await res.arrayBuffer();
        if (res.status === 202) {
          done.batches++;
          done.events += slos.length;
          break;
        }
        fail(`POST /sli-events ${res.status}`);
      } catch (e) {
        fail(`POST /sli-events ${e.cause?.code ?? e.name}`);
      }
      await sleep(500);
    }
    await sleep(250);
  }
}

async function readLoop(stop) {
  const paths = [
    '/slos?limit=20',
    `/slos?entityRef=${ENTITY}`,
    '/overview?limit=20',
    `/gate?entityRef=${ENTITY}`,
    `/remediations?entityRef=${ENTITY}&limit=20`,
    `/synthetics/runs?entityRef=${ENTITY}&limit=20`,
  ];
  for (let i = 0; !stop.now; i++) {
    const p = paths[i % paths.length];
    try {
      const res = await api(p);
      await res.arrayBuffer();
      if (res.ok) done.reads++;
      else fail(`GET ${p.split('?')[0]} ${res.status}`);
    } catch (e) {
      fail(`GET ${p.split('?')[0]} ${e.cause?.code ?? e.name}`);
    }
    await sleep(100);
  }
}

function alertBody(env, status, startsAt) {
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{env="${env}"}`,
    status,
    receiver: 'backstage',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1',
    alerts: [
      {
        status,
        labels: { alertname: 'SoakFix', severity: 'error', env },
        annotations: { summary: `soak ${env}` },
        startsAt,
        ...(status === 'resolved' ? { endsAt: new Date().toISOString() } : {}),
        fingerprint: createHash('sha256')
          .update(env)
          .digest('hex')
          .slice(0, 16),
      },
    ],
  });
}

async function alertLoop(stop) {
  for (let n = 0; !stop.now; n++) {
    const env = `soak${n}`;
    const startsAt = new Date().toISOString();
    for (const status of ['firing', 'resolved']) {
      try {
        const res = await fetch(
          `${baseUrl}/api/reliability/alertmanager/webhook`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${SECRET}`,
            },
            body: alertBody(env, status, startsAt),
            signal: AbortSignal.timeout(15_000),
          },
        );
        await res.arrayBuffer();
        if (res.ok) done[status === 'firing' ? 'alerts' : 'resolved']++;
        else fail(`POST /alertmanager/webhook ${res.status}`);
      } catch (e) {
        fail(`POST /alertmanager/webhook ${e.cause?.code ?? e.name}`);
      }
      await sleep(status === 'firing' ? 3_000 : 7_000);
      if (stop.now) return;
    }
  }
}

/**
 * Counts the minutes whose evaluation moved an Ingest SLO's status: its evaluatedAt changes once a minute (an Ingest
 * SLO is evaluated at its minute's end, and an unchanged status is not written again), so this shows the ticks go on,
 * not how many ran.
 */
async function tickWatch(stop) {
  let last;
  while (!stop.now) {
    try {
      const res = await api(`/slos/default/${slos[0]}`);
      if (res.ok) {
        const body = await res.json();
        const at = (body.item ?? body).status?.evaluatedAt;
        if (at && at !== last) {
          if (last) done.ticks++;
          last = at;
        }
      } else {
        await res.arrayBuffer();
      }
    } catch {
      // counted by the reads
    }
    await sleep(1_000);
  }
}

function samples() {
  if (!existsSync(SAMPLES)) return [];
  return readFileSync(SAMPLES, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l));
}

/** The least-squares line through (x, y): its value at the first and last x. */
function line(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const at = x => my + slope * (x - mx);
  return { start: at(points[0][0]), end: at(points[n - 1][0]) };
}

const timers = s => s.resources.Timeout ?? 0;
const handles = s =>
  Object.entries(s.resources)
    .filter(([k]) => k !== 'Timeout' && k !== 'Immediate')
    .reduce((n, [, v]) => n + v, 0);

async function main() {
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  await new Promise(r => site.listen(0, '127.0.0.1', r));
  const sitePort = site.address().port;
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const configFile = path.join(dir, 'backend.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backend: {
        baseUrl: `http://localhost:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: {
          client: 'pg',
          connection: `${PG}/${DB}`,
          pluginDivisionMode: 'schema',
        },
        auth: {
          externalAccess: [
            { type: 'static', options: { token: TOKEN, subject: 'soak' } },
            {
              type: 'static',
              options: { token: JOURNEYS_TOKEN, subject: 'soak-journeys' },
              accessRestrictions: [
                {
                  plugin: 'reliability',
                  permission: ['reliability.synthetics.update'],
                },
              ],
            },
          ],
        },
      },
      catalog: {
        locations: [
          { type: 'file', target: '../../catalog/all.yaml' },
          { type: 'file', target: path.join(dir, 'slos.yaml') },
        ],
      },
      permission: { enabled: false },
      reliability: {
        demo: { enabled: false },
        synthetics: {
          enabled: true,
          allowedHosts: ['127.0.0.1'],
          intervalSeconds: 5,
          browser: { enabled: false },
        },
        evaluation: {
          schedule: {
            frequency: { seconds: 5 },
            timeout: { seconds: 60 },
            initialDelay: { seconds: 2 },
          },
        },
        alertmanager: { sharedSecret: SECRET },
        remediation: {
          dispatchIntervalSeconds: 1,
          rules: [
            {
              id: 'soak-fix',
              entityRef: ENTITY,
              match: ['alertname="SoakFix"'],
              action: 'webhook',
              params: {
                url: `http://127.0.0.1:${sitePort}/fix`,
                body: { env: '{{env}}' },
              },
              lockKey: 'soak:{{env}}',
              retries: 0,
              timeout: '5s',
              maxAttempts: 1_000_000,
            },
          ],
        },
      },
    }),
  );
  process.env.RELIABILITY_SOAK_SAMPLES = SAMPLES;
  process.env.RELIABILITY_SOAK_SAMPLE_MS = String(SAMPLE_MS);
  const backend = await startBackend(configFile, baseUrl, LOG, 180_000, {
    entry: path.join(root, 'bench/soakBackend.ts'),
  });
  let exitCode = 1;
  try {
    await until(
      'the soak SLOs registered',
      async () => (await api(`/slos/default/${slos[SLOS - 1]}`)).status === 200,
      180_000,
      1000,
    );
    for (const [n, name] of [
      'soak_home',
      'soak_search',
      'soak_cart',
    ].entries()) {
      const res = await api('/synthetics/journeys', {
        method: 'PUT',
        headers: { authorization: `Bearer ${JOURNEYS_TOKEN}` },
        body: JSON.stringify({
          entityRef: ENTITY,
          journey: {
            name,
            regions: ['ap-sg', 'us-east'],
            frequency: '30s',
            deadlineMs: 3000,
            steps: [
              {
                type: 'http',
                name: `Step ${n}`,
                url: `http://127.0.0.1:${sitePort}/${name}`,
                assert: [{ contains: 'soak shop' }],
              },
            ],
          },
        }),
      });
      if (!res.ok)
        throw new Error(`journey ${name}: ${res.status} ${await res.text()}`);
    }
    console.log(
      `soak: ${MINUTES} min on PostgreSQL, a sample every ${
        SAMPLE_MS / 1000
      } s (after a full GC); the backend's output is in ${LOG}`,
    );
    console.log(
      'min   rss        heap       timers handles listeners | events   reads  ticks alerts fixes synthetic-calls failures',
    );
    const stop = { now: false };
    const loops = [
      ingestLoop(stop),
      readLoop(stop),
      alertLoop(stop),
      tickWatch(stop),
    ];
    const t0 = Date.now();
    let printed = 0;
    while (Date.now() - t0 < MINUTES * 60_000) {
      await sleep(1_000);
      if (backend.exited())
        throw new Error(
          `the backend exited: ${JSON.stringify(backend.exited())}`,
        );
      const all = samples();
      for (const s of all.slice(printed)) {
        const failed = Object.values(failures).reduce((a, b) => a + b, 0);
        console.log(
          [
            ((s.at - t0) / 60_000).toFixed(1).padStart(4),
            mb(s.rss).padStart(10),
            mb(s.heapUsed).padStart(10),
            String(timers(s)).padStart(6),
            String(handles(s)).padStart(7),
            String(s.processListeners).padStart(9),
            '|',
            String(done.events).padStart(7),
            String(done.reads).padStart(6),
            String(done.ticks).padStart(6),
            String(done.alerts).padStart(6),
            String(done.fixes).padStart(5),
            String(done.syntheticCalls).padStart(15),
            String(failed).padStart(8),
          ].join(' '),
        );
      }
      printed = all.length;
    }
    stop.now = true;
    await Promise.all(loops);

    const all = samples().filter(s => s.at >= t0);
    const half = all.filter(s => s.at >= t0 + (MINUTES * 60_000) / 2);
    if (half.length < 3)
      throw new Error(
        `too few samples in the last half (${half.length}): run longer or sample more often`,
      );
    const growth = pick => {
      const l = line(half.map(s => [s.at, pick(s)]));
      return { ...l, percent: ((l.end - l.start) / l.start) * 100 };
    };
    const heap = growth(s => s.heapUsed);
    const rss = growth(s => s.rss);
    const counts = {
      timers: growth(timers),
      handles: growth(handles),
      listeners: growth(s => s.processListeners),
    };
    const minutes = ((half.at(-1).at - half[0].at) / 60_000).toFixed(0);
    console.log(
      `\nload: ${done.events} events in ${done.batches} batches (${done.batchRetries} sent again), ${done.reads} reads, ${done.ticks} minutes whose tick moved a status, ${done.alerts} alerts fired and ${done.resolved} resolved, ${done.fixes} remediation calls, ${done.syntheticCalls} synthetic calls`,
    );
    console.log(`failed requests: ${JSON.stringify(failures)}`);
    console.log(
      `over the last ${minutes} min (${half.length} samples, a least-squares line):`,
    );
    console.log(
      `  heap ${mb(heap.start)} -> ${mb(heap.end)}: ${heap.percent.toFixed(
        2,
      )}% (limit ${LIMIT}%)`,
    );
    console.log(
      `  rss  ${mb(rss.start)} -> ${mb(rss.end)}: ${rss.percent.toFixed(
        2,
      )}% (limit ${LIMIT}%)`,
    );
    for (const [name, g] of Object.entries(counts))
      console.log(`  ${name} ${g.start.toFixed(1)} -> ${g.end.toFixed(1)}`);
    const warnings = all.at(-1).leakWarnings;
    console.log(`  listener-leak warnings: ${warnings}`);
    // a count "grew" when its line rose by more than 3 (connections come and go between samples) and more than 5%
    const grew = g => g.end - g.start > 3 && g.end > g.start * 1.05;
    const verdicts = [
      [`heap growth <= ${LIMIT}%`, heap.percent <= LIMIT],
      [`rss growth <= ${LIMIT}%`, rss.percent <= LIMIT],
      ['timers not growing', !grew(counts.timers)],
      ['handles not growing', !grew(counts.handles)],
      ['process listeners not growing', !grew(counts.listeners)],
      ['no listener-leak warning', warnings === 0],
      ['no failed request', Object.keys(failures).length === 0],
      ['ticks moved statuses', done.ticks > 0],
      ['remediation ran', done.fixes > 0],
      ['synthetic journeys ran', done.syntheticCalls > 0],
    ];
    for (const [what, ok] of verdicts)
      console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    exitCode = verdicts.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    await backend.stop();
    site.close();
    const admin = new pg.Client({ connectionString: PG });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
  return exitCode;
}

main().then(
  code => process.exit(code),
  e => {
    console.error(e);
    process.exit(1);
  },
);
