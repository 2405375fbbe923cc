// Regions that are real: two backend processes (packages/backend) on one PostgreSQL database, process A in region
// ap-sg (reliability.synthetics.region) on :7093 and process B in us-east on :7094, each looking for due journeys
// and reporting its region every second. One journey runs in ap-sg, us-east and eu-west against a loopback shop.
// Proves: each region is run by its own replica (A never takes over us-east, not even once B is gone), eu-west, which
// no replica runs, is reported unmonitored from the start and never run, and us-east becomes unmonitored once B dies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  recordOutput,
  root,
  signalGroup,
  until,
  writeReplicaConfig,
} from './lib/portal.mjs';

const require = createRequire(path.join(root, 'packages/backend/package.json'));
const { Client } = require('pg');
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const DB = `reliability_synthetics_regions_e2e_${process.pid}`;
const A = 7093;
const B = 7094;
/** Mei's token (the guest, an owner of checkout), per process. */
const tokens = {};
const CHECKOUT = 'component:default/checkout';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-regions-'));

// the shop the journey calls
let shopCalls = 0;
const shop = http.createServer((_req, res) => {
  shopCalls++;
  res.writeHead(200, { 'content-type': 'text/plain' }).end('Demo shop');
});

const procs = new Map();

/**
 * packages/backend run as `backstage-cli package start` runs it (the same node loader), without its file watcher:
 * another session editing the tree must not restart a replica mid-test.
 */
async function startBackend(port, region) {
  const config = writeReplicaConfig(tmp, port, {
    pgUrl: PG,
    db: DB,
    extra: {
      auth: {
        providers: {
          guest: {
            dangerouslyAllowOutsideDevelopment: true,
            userEntityRef: 'user:default/guest',
          },
        },
      },
      reliability: {
        demo: { enabled: false },
        evaluation: {
          schedule: {
            frequency: { minutes: 10 },
            timeout: { minutes: 1 },
            initialDelay: { minutes: 10 },
          },
        },
        synthetics: {
          region,
          allowedHosts: ['127.0.0.1'],
          intervalSeconds: 1,
        },
      },
    },
  });
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
  procs.set(port, child);
  await until(
    `the backend at :${port}`,
    async () =>
      (
        await fetch(`http://127.0.0.1:${port}/api/reliability/health`)
      ).ok,
    240_000,
  );
  // signed in once the catalog knows the user's groups (a fresh database: the catalog is still reading catalog/)
  const identity = await until(
    "the guest signed in with the catalog's groups",
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
  tokens[port] = identity.token;
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
const runsIn = async (port, region) =>
  (
    await (
      await api(
        port,
        'GET',
        `/synthetics/runs?entityRef=${CHECKOUT}&journey=regions_e2e&region=${region}&limit=100`,
      )
    ).json()
  ).items;
const monitoring = async port =>
  (
    await (
      await api(
        port,
        'GET',
        `/synthetics?entityRef=${CHECKOUT}&journey=regions_e2e`,
      )
    ).json()
  ).items?.[0]?.monitoring;

before(async () => {
  await new Promise(r => shop.listen(0, '127.0.0.1', r));
  const admin = new Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  // one first, so the migrations run once
  await startBackend(A, 'ap-sg');
  await startBackend(B, 'us-east');
  // the catalog knows checkout (a fresh database: it is still reading catalog/)
  await until(
    'checkout in the catalog',
    async () =>
      (await api(A, 'GET', `/synthetics?entityRef=${CHECKOUT}`)).status === 200,
    120_000,
    1000,
  );
});

after(async () => {
  for (const p of procs.values()) signalGroup(p, 'SIGTERM');
  await new Promise(r => setTimeout(r, 1500));
  for (const p of procs.values()) signalGroup(p, 'SIGKILL');
  shop.closeAllConnections();
  shop.close();
  rmSync(tmp, { recursive: true, force: true });
  const admin = new Client({ connectionString: PG });
  await admin.connect();
  await admin
    .query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
    .catch(() => {});
  await admin.end();
});

test(
  'each region is run by its own replica; a region without a runner, or whose runner died, is unmonitored',
  { timeout: 30_000 },
  async () => {
    const t0 = Date.now();
    const put = await api(A, 'PUT', '/synthetics/journeys', {
      entityRef: CHECKOUT,
      journey: {
        name: 'regions_e2e',
        regions: ['ap-sg', 'us-east', 'eu-west'],
        frequency: '30s',
        deadlineMs: 3000,
        steps: [
          {
            type: 'http',
            name: 'Home',
            url: `http://127.0.0.1:${shop.address().port}/`,
            assert: [{ contains: 'Demo shop' }],
          },
        ],
      },
    });
    assert.equal(put.status, 201, await put.clone().text());

    // each replica runs its own region at once (new regions are due now); nobody runs eu-west
    await until(
      'a run in ap-sg and one in us-east',
      async () =>
        (await runsIn(B, 'ap-sg')).length >= 1 &&
        (await runsIn(A, 'us-east')).length >= 1,
      10_000,
      250,
    );
    assert.deepEqual(await monitoring(A), {
      'ap-sg': { status: 'monitored' },
      'us-east': { status: 'monitored' },
      'eu-west': {
        status: 'unmonitored',
        reason:
          'no backend replica runs eu-west (set reliability.synthetics.region: eu-west on one)',
      },
    });
    const [sg] = await runsIn(A, 'ap-sg');
    assert.equal(sg.success, true, JSON.stringify(sg));

    // B dies: A does not take us-east over, and us-east is unmonitored once B's report is stale (3 s + 5 s)
    const usRuns = (await runsIn(A, 'us-east')).length;
    signalGroup(procs.get(B), 'SIGKILL');
    procs.delete(B);
    const status = await until(
      'us-east to be reported unmonitored',
      async () => {
        const m = await monitoring(A);
        return m?.['us-east']?.status === 'unmonitored' ? m : null;
      },
      15_000,
      500,
    );
    assert.match(
      status['us-east'].reason,
      /^no runner for us-east since \d{4}-\d\d-\d\dT[\d:.]+Z: the replica that ran it stopped reporting$/,
    );
    assert.deepEqual(status['ap-sg'], { status: 'monitored' });
    assert.equal((await runsIn(A, 'us-east')).length, usRuns);
    assert.equal((await runsIn(A, 'eu-west')).length, 0);
    assert.ok(shopCalls >= 2, `the shop was called ${shopCalls} times`);
    console.log(
      `synthetics regions: both regions run and us-east unmonitored after its replica died, in ${
        Date.now() - t0
      } ms`,
    );
  },
);
