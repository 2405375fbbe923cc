// A chaos run ends at its duration whatever happens: two backend processes (packages/backend) on one PostgreSQL
// database, Mei's portal (the guest, an owner of checkout) on :7091 and Ana's (a guest signing in as
// user:default/ana) on :7092, each ticking the chaos schedule every second. A loopback target stands in for the chaos
// engine (a Gremlin-style attack webhook) and its halt.
// Proves: Mei starts an approved 10-second experiment through process A, A is killed with SIGKILL, and process B ends
// the run on time (completed, its run recorded as completed) and calls the engine's halt exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { recordOutput, root, signalGroup, until } from './lib/portal.mjs';

const require = createRequire(path.join(root, 'packages/backend/package.json'));
const { Client } = require('pg');
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const DB = `reliability_chaos_schedule_e2e_${process.pid}`;
const A = 7091;
const B = 7092;
const DURATION_S = 10;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-chaos-schedule-'));
const MIN = 60_000;

// the chaos engine's API: records attack (start) and halt calls
const calls = [];
const target = http.createServer((req, res) => {
  let body = '';
  req.on('data', c => {
    body += c;
  });
  req.on('end', () => {
    calls.push({
      url: req.url,
      body: JSON.parse(body || '{}'),
      at: Date.now(),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
const callsFor = (url, experiment) =>
  calls.filter(c => c.url === url && c.body.experiment === experiment);

const procs = new Map();
const tokens = {};

async function startBackend(port, user) {
  const config = path.join(tmp, `backend-${port}.json`);
  const engine = `http://127.0.0.1:${target.address().port}`;
  writeFileSync(
    config,
    JSON.stringify({
      app: { baseUrl: `http://localhost:${port}` },
      backend: {
        baseUrl: `http://localhost:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: {
          client: 'pg',
          connection: `${PG}/${DB}`,
          pluginDivisionMode: 'schema',
        },
      },
      auth: {
        providers: {
          guest: {
            dangerouslyAllowOutsideDevelopment: true,
            userEntityRef: user,
          },
        },
      },
      reliability: {
        demo: { enabled: false },
        evaluation: {
          schedule: {
            frequency: { seconds: 2 },
            timeout: { minutes: 1 },
            initialDelay: { seconds: 1 },
          },
        },
        // short runs for the test, and the schedule's tick every second on each replica
        chaos: { minDuration: '5s', schedule: { intervalSeconds: 1 } },
        remediation: {
          dispatchIntervalSeconds: 1,
          rules: [
            {
              id: 'checkout-chaos-start',
              entityRef: 'component:default/checkout',
              match: ['alertname="ChaosExperimentStarted"'],
              triggers: ['alert'],
              action: 'webhook',
              params: {
                url: `${engine}/attack`,
                body: { experiment: '{{experiment}}' },
              },
            },
            {
              id: 'checkout-chaos-halt',
              entityRef: 'component:default/checkout',
              match: ['alertname="ChaosExperimentAborted"'],
              triggers: ['alert'],
              action: 'webhook',
              params: {
                url: `${engine}/halt`,
                body: {
                  experiment: '{{experiment}}',
                  severity: '{{severity}}',
                  reason: '{{annotations.summary}}',
                },
              },
            },
          ],
        },
      },
    }),
  );
  const child = await startWithoutWatcher(config, port);
  child.on('exit', (code, signal) => {
    if (procs.get(port) === child)
      console.log(`backend :${port} exited (${code ?? signal})`);
  });
  procs.set(port, child);
  // signed in once the catalog knows the user (a fresh database: the catalog is still reading catalog/)
  const identity = await until(
    `${user} signed in with the catalog's groups`,
    async () => {
      const { backstageIdentity } = await (
        await fetch(
          `http://127.0.0.1:${port}/api/auth/guest/refresh?env=development`,
          { headers: { 'X-Requested-With': 'XMLHttpRequest' } },
        )
      ).json();
      return backstageIdentity.identity.ownershipEntityRefs.some(r =>
        r.startsWith('group:'),
      )
        ? backstageIdentity
        : null;
    },
    120_000,
    1000,
  );
  assert.equal(identity.identity.userEntityRef, user);
  tokens[port] = identity.token;
}

/**
 * packages/backend run as `backstage-cli package start` runs it (the same node loader), but without its file watcher:
 * a change to a source file while the test runs (another session editing the tree) would restart the surviving
 * replica in the middle of the run it must end.
 */
async function startWithoutWatcher(config, port) {
  const child = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
      'src/index',
      '--config',
      '../../app-config.yaml',
      '--config',
      config,
    ],
    {
      cwd: path.join(root, 'packages/backend'),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: 'development',
        ESBK_TSCONFIG_PATH: path.join(root, 'tsconfig.json'),
      },
    },
  );
  child.stdout.on('data', recordOutput);
  child.stderr.on('data', recordOutput);
  await until(
    `the backend at :${port}`,
    async () =>
      (
        await fetch(`http://127.0.0.1:${port}/api/reliability/health`)
      ).ok,
    240_000,
  );
  return child;
}

const api = (port, method, p, body) =>
  fetch(`http://127.0.0.1:${port}/api/reliability${p}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[port]}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

before(async () => {
  await new Promise(r => target.listen(0, '127.0.0.1', r));
  const admin = new Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  // one first, so the migrations run once
  await startBackend(A, 'user:default/guest');
  await startBackend(B, 'user:default/ana');
  // healthy checkout traffic, evaluated: the start guard sees a full budget
  await until(
    'checkout traffic ingested',
    async () =>
      (
        await api(A, 'POST', '/sli-events', {
          events: [
            {
              slo: 'default/checkout-success',
              timestamp: new Date(
                Math.floor(Date.now() / MIN) * MIN,
              ).toISOString(),
              good: 10_000,
              total: 10_000,
            },
          ],
        })
      ).status === 202,
    30_000,
    1000,
  );
  await until(
    'checkout-success evaluated',
    async () =>
      (
        await (
          await api(A, 'GET', '/slos?entityRef=component:default/checkout')
        ).json()
      ).items?.find(s => s.ref === 'default/checkout-success')?.status?.total >
      0,
    120_000,
    1000,
  );
});

after(async () => {
  for (const p of procs.values()) signalGroup(p, 'SIGTERM');
  await new Promise(r => setTimeout(r, 1500));
  for (const p of procs.values()) signalGroup(p, 'SIGKILL');
  target.closeAllConnections();
  target.close();
  rmSync(tmp, { recursive: true, force: true });
  const admin = new Client({ connectionString: PG });
  await admin.connect();
  await admin
    .query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
    .catch(() => {});
  await admin.end();
});

test(
  'a run started on process A, A killed with SIGKILL: process B ends it at its duration and halts the engine once',
  { timeout: 40_000 },
  async () => {
    const name = `e2e-end-${Date.now().toString(36)}`;
    const created = await api(A, 'POST', '/chaos', {
      entityRef: 'component:default/checkout',
      experiment: {
        name,
        hypothesis: 'Checkout keeps its budget while PaymentSvc is slow.',
        target: { namespace: 'payments', deployment: 'payment-svc' },
        blastRadius: { trafficPercent: 5 },
        steadyState: { slo: 'default/checkout-success' },
        injection: { type: 'latency', ms: 300 },
        duration: `${DURATION_S}s`,
        environment: 'staging',
        owner: 'group:default/payments-sre',
        abortConditions: [{ type: 'budget-spent', percent: 50, within: '90s' }],
      },
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = await created.json();
    assert.equal((await api(B, 'POST', `/chaos/${id}/approve`)).status, 200);
    const started = await api(A, 'POST', `/chaos/${id}/start`);
    assert.equal(started.status, 200, await started.clone().text());
    const run = await started.json();
    const startedAt = Date.parse(run.startedAt);
    const endsAt = startedAt + DURATION_S * 1000;
    await until(
      'the engine to be called',
      () => callsFor('/attack', name).length === 1,
      10_000,
      200,
    );

    // A dies mid-run: nothing of it can end the run now
    signalGroup(procs.get(A), 'SIGKILL');
    procs.delete(A);

    const ended = await until(
      'process B to end the run',
      async () => {
        const e = await (await api(B, 'GET', `/chaos/${id}`)).json();
        return e.state === 'completed' ? e : null;
      },
      DURATION_S * 1000 + 15_000,
      200,
    );
    const late = Date.parse(ended.finishedAt) - endsAt;
    // ended at its duration: not before, and within two ticks of the schedule (1 s each) after
    assert.ok(late >= 0, `ended ${-late} ms before its duration`);
    assert.ok(late <= 2_500, `ended ${late} ms after its duration`);
    const runs = await (await api(B, 'GET', `/chaos/${id}/runs`)).json();
    assert.equal(runs.items.length, 1);
    assert.equal(runs.items[0].trigger, 'manual');
    assert.equal(runs.items[0].state, 'completed');
    assert.equal(runs.items[0].reason, `its duration (${DURATION_S}s) is over`);
    assert.equal(runs.items[0].endsAt, new Date(endsAt).toISOString());
    assert.equal(runs.nextRunAt, null);

    // the halt, by B, once, without paging
    const halts = await until(
      'the halt to be called',
      () => (callsFor('/halt', name).length ? callsFor('/halt', name) : null),
      10_000,
      200,
    );
    await new Promise(r => setTimeout(r, 2_000)); // two more ticks of B's schedule
    assert.equal(callsFor('/halt', name).length, 1);
    assert.equal(halts[0].body.severity, 'info');
    assert.match(halts[0].body.reason, /ended: its duration \(10s\) is over/);
    console.log(
      `chaos end: finished ${late} ms after its duration on the surviving replica; halt ${
        halts[0].at - endsAt
      } ms after`,
    );
  },
);
