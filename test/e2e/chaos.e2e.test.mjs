// Chaos experiments across two people and two processes: Mei's portal (the guest, an owner of checkout) on :7083 and
// Ana's portal (a guest provider signing in as user:default/ana) on :7084, two backend processes (packages/backend,
// serving the built app) on one PostgreSQL database, with a 1 s chaos guard. A loopback target stands in for the
// chaos engine (a Gremlin-style attack webhook) and its halt.
// Proves, in headless Chromium: a 50% blast radius is refused beside its field and 5% is saved; the author cannot
// approve; Ana approves; Mei starts it (the engine is called once) and presses the kill switch (the halt is called
// once); the run's burn chart marks the abort. Then, through the API: a run whose SLO starts burning is aborted by
// whichever replica's guard sees it first, with exactly one halt call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { root, signalGroup, startPortalBackend, until } from './lib/portal.mjs';

const require = createRequire(path.join(root, 'packages/backend/package.json'));
const { Client } = require('pg');
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DB = `reliability_chaos_e2e_${process.pid}`;
const MEI = 7083;
const ANA = 7084;
const artifacts = path.join(root, 'test-results');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-chaos-'));
const MIN = 60_000;

// the chaos engine's API: records attack (start) and halt calls
const calls = [];
const target = http.createServer((req, res) => {
  let body = '';
  req.on('data', c => {
    body += c;
  });
  req.on('end', () => {
    calls.push({ url: req.url, body: JSON.parse(body || '{}') });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
const callsFor = (url, experiment) =>
  calls.filter(c => c.url === url && c.body.experiment === experiment);

const procs = [];
const tokens = {};

async function startBackend(port, user) {
  const config = path.join(tmp, `backend-${port}.yaml`);
  const engine = `http://127.0.0.1:${target.address().port}`;
  writeFileSync(
    config,
    JSON.stringify({
      app: { baseUrl: `http://localhost:${port}` },
      backend: {
        baseUrl: `http://localhost:${port}`,
        listen: { port, host: '127.0.0.1' },
        cors: { origin: `http://localhost:${port}` },
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
        chaos: { guardIntervalSeconds: 1 },
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
                body: {
                  experiment: '{{experiment}}',
                  namespace: '{{namespace}}',
                  injection: '{{injection}}',
                },
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
                  reason: '{{annotations.summary}}',
                },
              },
            },
          ],
        },
      },
    }),
  );
  procs.push(
    await startPortalBackend([config], `http://127.0.0.1:${port}`, 240_000),
  );
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

const api = (port, method, p, body) =>
  fetch(`http://127.0.0.1:${port}/api/reliability${p}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[port]}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** Checkout's traffic this minute: `good` of 10,000 checkouts succeeded. */
const ingest = (good, total = 10_000) =>
  api(MEI, 'POST', '/sli-events', {
    events: [
      {
        slo: 'default/checkout-success',
        timestamp: new Date(Math.floor(Date.now() / MIN) * MIN).toISOString(),
        good,
        total,
      },
    ],
  });

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  await new Promise(r => target.listen(0, '127.0.0.1', r));
  const admin = new Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  // one first, so the migrations run once
  await startBackend(MEI, 'user:default/guest');
  await startBackend(ANA, 'user:default/ana');
  // healthy checkout traffic, evaluated: the start guard sees a full budget
  const res = await ingest(10_000);
  assert.equal(res.status, 202, await res.text());
  await until(
    'checkout-success evaluated',
    async () =>
      (
        await (
          await api(MEI, 'GET', '/slos?entityRef=component:default/checkout')
        ).json()
      ).items?.find(s => s.ref === 'default/checkout-success')?.status?.total >
      0,
    120_000,
    1000,
  );
});

after(async () => {
  for (const p of procs) signalGroup(p, 'SIGTERM');
  await new Promise(r => setTimeout(r, 1500));
  for (const p of procs) signalGroup(p, 'SIGKILL');
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

/** A signed-in page on checkout's Reliability tab of one person's portal. */
async function reliabilityTab(browser, port) {
  const page = await browser.newPage({
    viewport: { width: 1600, height: 1400 },
  });
  await page.goto(
    `http://localhost:${port}/catalog/default/component/checkout/reliability/chaos`,
  );
  await page.waitForSelector(
    '[data-testid="chaos-panel"], button:has-text("Enter")',
    { timeout: 90_000 },
  );
  const enter = page.getByRole('button', { name: /enter/i });
  if (await enter.count()) await enter.first().click();
  await page.getByTestId('chaos-panel').waitFor({ timeout: 60_000 });
  return page;
}

test(
  'Mei designs an experiment, Ana approves it, Mei starts it and presses the kill switch: aborted, one start and one halt',
  { timeout: 300_000 },
  async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const name = `e2e-latency-${Date.now().toString(36)}`;
    let page;
    try {
      page = await reliabilityTab(browser, MEI);
      const form = page.getByTestId('chaos-form');
      await form.getByTestId('chaos-field-name').fill(name);
      // checkout has two SLOs (the synthetic journey's is listed first): the steady state is checkout-success
      await form.getByRole('combobox', { name: 'Steady-state SLO' }).click();
      await page
        .getByRole('option', { name: 'default/checkout-success' })
        .click();
      await form
        .getByTestId('chaos-field-hypothesis')
        .fill('Checkout latency stays under 1 s p95 if PaymentSvc slows 30%.');
      await form.getByTestId('chaos-field-namespace').fill('payments');
      await form.getByTestId('chaos-field-deployment').fill('payment-svc');
      await form
        .getByTestId('chaos-field-owner')
        .fill('group:default/payments-sre');
      await form.getByTestId('chaos-field-trafficPercent').fill('50');
      // the linter answers beside the field, and the server refuses the draft
      await page
        .locator('#chaos-error-trafficPercent', {
          hasText:
            'must be at most 10% of requests in staging (max_traffic), got 50%',
        })
        .waitFor({ timeout: 30_000 });
      await form.getByRole('button', { name: 'Save draft' }).click();
      await page
        .getByTestId('chaos-save-error')
        .getByText(/blastRadius\.trafficPercent: must be at most 10%/)
        .waitFor({ timeout: 30_000 });
      await page.screenshot({
        path: path.join(artifacts, 'chaos-refused.png'),
        fullPage: true,
      });
      // within the limit: saved as a draft
      await form.getByTestId('chaos-field-trafficPercent').fill('5');
      await page
        .locator('#chaos-error-trafficPercent')
        .waitFor({ state: 'detached', timeout: 30_000 });
      await form.getByRole('button', { name: 'Save draft' }).click();
      const row = page.getByTestId(`chaos-row-${name}`);
      await row
        .getByText('draft', { exact: true })
        .waitFor({ timeout: 30_000 });
      // the draft as a Litmus ChaosEngine, downloaded from its row's Export menu under the backend's file name
      await row.getByRole('button', { name: `Export ${name}` }).click();
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 30_000 }),
        page
          .getByRole('menuitem', { name: 'Litmus ChaosEngine (pods)' })
          .click(),
      ]);
      assert.equal(download.suggestedFilename(), `${name}.chaosengine.yaml`);
      const engine = readFileSync(await download.path(), 'utf8');
      assert.match(engine, /kind: ChaosEngine/);
      assert.match(engine, /payment-svc/);
      // checkout is in production: Mei (payments-sre) is not one of reliability.permissions.chaosApprovers
      // (platform-sre), so her approval is refused and the message says who approves
      await row.getByRole('button', { name: 'Approve' }).click();
      await page
        .getByTestId('chaos-action-error')
        .getByText(
          /is for the groups in reliability\.permissions\.chaosApprovers/,
        )
        .waitFor({ timeout: 30_000 });

      // Ana, in her own browser and portal, approves it
      const ana = await reliabilityTab(browser, ANA);
      const anaRow = ana.getByTestId(`chaos-row-${name}`);
      await anaRow.getByRole('button', { name: 'Approve' }).click();
      await anaRow
        .getByText('approved', { exact: true })
        .waitFor({ timeout: 30_000 });
      await ana.screenshot({
        path: path.join(artifacts, 'chaos-approved-by-ana.png'),
        fullPage: true,
      });

      // Mei starts it: the start guard passes, and the engine is called through the remediation rule
      await page.reload();
      await row.getByRole('button', { name: 'Start' }).click();
      await page
        .getByTestId('chaos-notice')
        .getByText(
          /is running; the engine is being called by checkout-chaos-start/,
        )
        .waitFor({ timeout: 30_000 });
      await row
        .getByText('running', { exact: true })
        .waitFor({ timeout: 30_000 });
      await until(
        'the engine to be called',
        () => callsFor('/attack', name).length === 1,
        30_000,
      );
      // the kill switch
      await row.getByRole('button', { name: 'Kill switch' }).click();
      await row
        .getByText('aborted', { exact: true })
        .waitFor({ timeout: 30_000 });
      await row.getByText('Aborted: kill switch').waitFor({ timeout: 30_000 });
      await until(
        'the halt to be called',
        () => callsFor('/halt', name).length === 1,
        30_000,
      );
      // the run's burn chart, with the abort marked
      await row.getByRole('button', { name: 'Burn chart' }).click();
      const chart = page.getByTestId(`chaos-run-chart-${name}`);
      await chart
        .locator('.recharts-reference-area')
        .waitFor({ timeout: 30_000 });
      await chart
        .locator('.recharts-reference-line text', { hasText: 'aborted' })
        .waitFor({ timeout: 30_000 });
      await page.screenshot({
        path: path.join(artifacts, 'chaos-aborted.png'),
        fullPage: true,
      });

      // both portals agree, and nothing was called twice
      const stored = (
        await (
          await api(ANA, 'GET', '/chaos?entityRef=component:default/checkout')
        ).json()
      ).items.find(e => e.name === name);
      assert.equal(stored.state, 'aborted');
      assert.equal(stored.approvedBy, 'user:default/ana');
      assert.equal(stored.author, 'user:default/guest');
      await new Promise(r => setTimeout(r, 2000));
      assert.deepEqual(
        [callsFor('/attack', name).length, callsFor('/halt', name).length],
        [1, 1],
      );
    } catch (e) {
      await page
        ?.screenshot({
          path: path.join(artifacts, 'chaos-failure.png'),
          fullPage: true,
        })
        .catch(() => {});
      throw e;
    } finally {
      await browser.close();
    }
  },
);

test(
  'two backend processes: the guard aborts a run whose SLO burns, once, and the halt is called once',
  { timeout: 120_000 },
  async () => {
    const name = `e2e-guard-${Date.now().toString(36)}`;
    const experiment = {
      name,
      hypothesis:
        'Checkout keeps its budget while PaymentSvc answers 20% errors.',
      target: { namespace: 'payments', deployment: 'payment-svc' },
      blastRadius: { trafficPercent: 5, canaryOnly: true },
      steadyState: { slo: 'default/checkout-success' },
      injection: { type: 'error-rate', percent: 20 },
      duration: '10m',
      environment: 'staging',
      owner: 'group:default/payments-sre',
      abortConditions: [{ type: 'budget-spent', percent: 5, within: '90s' }],
    };
    const created = await api(MEI, 'POST', '/chaos', {
      entityRef: 'component:default/checkout',
      experiment,
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { id } = await created.json();
    assert.equal((await api(ANA, 'POST', `/chaos/${id}/approve`)).status, 200);
    const started = await api(MEI, 'POST', `/chaos/${id}/start`);
    assert.equal(started.status, 200, await started.clone().text());
    const t0 = Date.now();
    // checkout burns: 20 failed of 40 this minute, a fifth of the whole 30-day budget (0.5% of 10,040)
    assert.equal((await ingest(20, 40)).status, 202);
    const aborted = await until(
      'the guard to abort the run',
      async () => {
        const e = await (await api(ANA, 'GET', `/chaos/${id}`)).json();
        return e.state === 'aborted' ? e : null;
      },
      30_000,
      200,
    );
    const seconds = (Date.now() - t0) / 1000;
    assert.match(
      aborted.abortReason,
      /^guard: abort condition 1 \(>= 5% of the budget within 90s\): \d+\.\d% of the error budget spent within 90s$/,
    );
    await until(
      'the halt to be called',
      () => callsFor('/halt', name).length >= 1,
      30_000,
      200,
    );
    await new Promise(r => setTimeout(r, 3000)); // both guards run three more times
    assert.equal(callsFor('/halt', name).length, 1);
    console.log(
      `guard: aborted ${seconds.toFixed(
        1,
      )} s after the breach was ingested (guard interval 1 s, two replicas)`,
    );
  },
);
