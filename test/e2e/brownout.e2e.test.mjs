// SRE-002 in the demo, end to end: the portal's backend (packages/backend) with the demo on, Mei's process (the
// guest, an owner of checkout) on :7095 running the demo shop on :7097, and Ana's (a guest signing in as
// user:default/ana, who approves chaos on checkout) on :7096, on one PostgreSQL database of their own, and a real
// Prometheus on :9097 scraping the shop every second, which the chaos guard reads the experiment's PromQL aborts from.
// No browser.
// Proves: the seed's brownout experiment (catalog/chaos/experiments/brownout_checkout.yaml), created by Mei, approved
// by Ana and started by Mei through the REST API, reaches the demo's chaos engine through the demo's rule: the shop's
// payment provider turns slow and failing, the payment breaker opens, checkout answers pay-later 200s and no 5xx (the
// shop's own metrics), the abort conditions do not fire; the kill switch clears the fault and checkout pays again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { recordOutput, root, signalGroup, until } from './lib/portal.mjs';

const require = createRequire(path.join(root, 'packages/backend/package.json'));
const { Client } = require('pg');
const { parse } = require('yaml');
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const DB = `reliability_brownout_e2e_${process.pid}`;
const MEI = 7095;
const ANA = 7096;
const SHOP = 7097;
const shop = `http://127.0.0.1:${SHOP}`;
const PROM = 9097;
const prom = `http://127.0.0.1:${PROM}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-brownout-'));
let prometheus;

/** An instant PromQL query on the test's Prometheus: the first value, or null. */
async function promql(query) {
  const r = await (
    await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(query)}`)
  ).json();
  const v = r.data?.result?.[0]?.value?.[1];
  return v === undefined ? null : Number(v);
}

const procs = new Map();
const tokens = {};

async function startBackend(port, user, runsShop) {
  const config = path.join(tmp, `backend-${port}.json`);
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
        // Mei's process runs the demo and its shop (two days of traffic: enough for checkout's budget); Ana's
        // only approves, and leaves the demo's engine calls to Mei's (the shop lives there)
        demo: runsShop
          ? {
              enabled: true,
              days: 2,
              shop: { port: SHOP, shoppersPerSecond: 5 },
              synthetics: [],
            }
          : { enabled: false },
        evaluation: {
          schedule: {
            frequency: { seconds: 2 },
            timeout: { minutes: 1 },
            initialDelay: { seconds: 1 },
          },
        },
        chaos: { guardIntervalSeconds: 2 },
        prometheus: { instances: [{ name: 'demo', url: prom }] },
        remediation: { dispatchIntervalSeconds: runsShop ? 1 : 3600 },
      },
    }),
  );
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

const metrics = async () => {
  const text = await (await fetch(`${shop}/metrics`)).text();
  return name => {
    const line = text.split('\n').find(l => l.startsWith(`${name} `));
    return line === undefined ? NaN : Number(line.slice(name.length + 1));
  };
};

/** One shopper's checkout through the shop's API: its status and body. */
async function checkout() {
  const { token } = await (
    await fetch(`${shop}/api/login/otp`, {
      method: 'POST',
      body: JSON.stringify({ user: 'e2e', otp: '424242' }),
    })
  ).json();
  const auth = { authorization: `Bearer ${token}` };
  const { cartId } = await (
    await fetch(`${shop}/api/cart`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ sku: 'socks-42' }),
    })
  ).json();
  const res = await fetch(`${shop}/api/checkout/${cartId}`, {
    method: 'POST',
    headers: auth,
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  // Prometheus (setup.sh --test installs it) scraping the demo shop every second
  writeFileSync(
    path.join(tmp, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: demo-shop\n    static_configs:\n      - targets: ['127.0.0.1:${SHOP}']\n`,
  );
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${path.join(tmp, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(tmp, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${PROM}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  prometheus.stderr.on('data', d => recordOutput(d));
  const admin = new Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  // Mei's first, so the migrations run once
  await startBackend(MEI, 'user:default/guest', true);
  await startBackend(ANA, 'user:default/ana', false);
  // checkout-success evaluated on the demo's traffic: the start guard can read its budget
  await until(
    'checkout-success evaluated',
    async () =>
      (
        await (
          await api(MEI, 'GET', '/slos?entityRef=component:default/checkout')
        ).json()
      ).items?.find(s => s.ref === 'default/checkout-success')?.status
        ?.budgetRemaining > 0.5,
    120_000,
    1000,
  );
});

after(async () => {
  for (const p of procs.values()) signalGroup(p, 'SIGTERM');
  await new Promise(r => setTimeout(r, 1500));
  for (const p of procs.values()) signalGroup(p, 'SIGKILL');
  prometheus?.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
  const admin = new Client({ connectionString: PG });
  await admin.connect();
  await admin
    .query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
    .catch(() => {});
  await admin.end();
});

test(
  'the brownout experiment started through the portal: the breaker opens, checkout pays later, no 5xx; the kill switch heals the PSP',
  { timeout: 60_000 },
  async () => {
    const t0 = Date.now();
    // before: checkout pays
    assert.deepEqual(
      [(await checkout()).status, (await checkout()).body.status],
      [201, 'paid'],
    );
    const experiment = parse(
      readFileSync(
        path.join(root, 'catalog/chaos/experiments/brownout_checkout.yaml'),
        'utf8',
      ),
    );
    const created = await api(MEI, 'POST', '/chaos', {
      entityRef: 'component:default/checkout',
      experiment,
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = await created.json();
    const approved = await api(ANA, 'POST', `/chaos/${id}/approve`);
    assert.equal(approved.status, 200, await approved.clone().text());
    const started = await api(MEI, 'POST', `/chaos/${id}/start`);
    assert.equal(started.status, 200, await started.clone().text());
    assert.deepEqual((await started.json()).engineCalls, [
      'demo-psp-brownout-inject',
    ]);
    const before5xx = (await metrics())(
      'shop_http_requests_total{route="checkout",code="500"}',
    );

    // the demo's engine made the PSP slow and failing; shoppers (ours and the simulated ones) open the breaker
    await until(
      'the fault on the PSP',
      async () => (await metrics())('shop_psp_fault_active') === 1,
      10_000,
      200,
    );
    const answers = [];
    await until(
      'the payment breaker to open',
      async () => {
        answers.push(...(await Promise.all([checkout(), checkout()])));
        return (await metrics())('shop_payment_breaker_open') === 1;
      },
      20_000,
      100,
    );
    for (let i = 0; i < 10; i++) answers.push(await checkout());
    // every answer during the brownout is a pay-later 200: no checkout failed
    assert.deepEqual(
      [...new Set(answers.map(a => `${a.status} ${a.body.status}`))],
      ['200 pay_later'],
    );
    const m = await metrics();
    assert.ok(m('shop_psp_requests_total{result="short_circuit"}') >= 10);
    assert.ok(m('shop_checkout_payments_total{outcome="pay_later"}') >= 10);
    // the shop's own background failures (0.2% of the simulated checkouts) are all the 5xx there are
    const new5xx =
      m('shop_http_requests_total{route="checkout",code="500"}') - before5xx;
    const total = m(
      'shop_http_request_duration_seconds_count{route="checkout"}',
    );
    assert.ok(new5xx <= 2, `${new5xx} checkouts failed during the brownout`);

    // Prometheus saw it: the breaker open, and checkout's 5xx ratio (the experiment's abort query) under its 5%
    await until(
      'Prometheus to scrape the open breaker',
      async () => (await promql('shop_payment_breaker_open')) === 1,
      10_000,
      500,
    );
    const errorRatio = await promql(
      experiment.abortConditions.find(c => c.query?.includes('code=~"5..'))
        .query,
    );
    assert.ok(
      errorRatio !== null && errorRatio < 0.05,
      `checkout's 5xx ratio in Prometheus: ${errorRatio}`,
    );
    const p95 = await promql(
      experiment.abortConditions.find(c =>
        c.query?.includes('histogram_quantile'),
      ).query,
    );
    assert.ok(p95 !== null && p95 < 2, `checkout's p95 in Prometheus: ${p95}`);

    // still running: the guard's abort conditions did not fire
    const running = await (await api(MEI, 'GET', `/chaos/${id}`)).json();
    assert.equal(running.state, 'running', running.abortReason);

    // the kill switch: the halt rule clears the fault; the breaker's next trial (after 5 s) pays again
    const aborted = await api(MEI, 'POST', `/chaos/${id}/abort`, {
      reason: 'e2e over',
    });
    assert.equal(aborted.status, 200, await aborted.clone().text());
    await until(
      'the fault cleared',
      async () => (await metrics())('shop_psp_fault_active') === 0,
      10_000,
      200,
    );
    await until(
      'checkout to pay again',
      async () => (await checkout()).body.status === 'paid',
      15_000,
      500,
    );
    await until(
      "both of the demo engine's calls recorded as succeeded",
      async () => {
        const { items } = await (
          await api(
            MEI,
            'GET',
            '/remediations?entityRef=component:default/checkout',
          )
        ).json();
        return (
          JSON.stringify(
            items
              .filter(x => x.ruleId.startsWith('demo-psp-'))
              .map(x => [x.ruleId, x.state])
              .sort(),
          ) ===
          JSON.stringify([
            ['demo-psp-brownout-clear', 'succeeded'],
            ['demo-psp-brownout-inject', 'succeeded'],
          ])
        );
      },
      10_000,
      500,
    );
    console.log(
      `brownout: ${
        answers.length
      } checkouts during the brownout, all pay later; ${new5xx} 5xx of ${total} checkouts; Prometheus: 5xx ratio ${errorRatio}, p95 ${p95} s; ${
        Date.now() - t0
      } ms`,
    );
  },
);
