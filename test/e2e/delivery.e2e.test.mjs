// Pages reach people, end to end: one portal backend process (packages/backend, serving the built app) on its own
// PostgreSQL database, with loopback fakes of PagerDuty Events API v2, Slack incoming webhooks and the flag service
// the demo's rollback rule (checkout-multibuy-rollback) calls (test/e2e/lib/vendors.mjs).
// Routing as code for checkout's owner (group:default/payments-sre), SRE-201 as the demo's app-config.yaml writes
// it: pages go to on-call (PagerDuty) and ignore quiet hours; tickets go to the team's Slack channel at once; every
// alert also goes to the customer-facing status channel (Slack), which respects quiet hours. The quiet hours are a
// window around "now" in Asia/Kolkata, computed from the clock, so the test never depends on the hour. Checkout's
// burn-rate policy is test/e2e/fixtures/delivery-burn-rates.csv: one page rule and one ticket rule.
// Proves:
// 1. a burn on checkout triggers PagerDuty once, with the alert's dedup_key (sloAlertDedupKey, computed here from
//    the alert the API lists), sends the team's channel one message, and holds both alerts back from the status
//    channel during quiet hours (GET /delivery: queued, held for quiet hours until the window's end) while the page
//    went out; the rollback rule covers checkout's page, which fails to heal here, so the page leaves when the
//    self-healing grace ends;
// 2. a burn the rollback fixes within the self-healing grace pages nobody: PagerDuty gets no trigger for it,
//    GET /delivery?state=avoided lists it, /metrics counts selfheal_pages_avoided_total 1, and the commander page
//    in headless Chromium shows it under "Auto-remediated".
// Run: `yarn workspace app build` once, then `node --test test/e2e/delivery.e2e.test.mjs`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  root,
  startPortalBackend,
  stopPortalBackend,
  until,
  writeReplicaConfig,
} from './lib/portal.mjs';
import {
  startFlagService,
  startPagerDuty,
  startSlack,
} from './lib/vendors.mjs';

const require = createRequire(path.join(root, 'packages/backend/package.json'));
const { Client } = require('pg');
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DB = `reliability_delivery_e2e_${process.pid}`;
const PORT = 7087;
const BASE = `http://localhost:${PORT}`;
const SLO = 'default/checkout-success';
const ENTITY = 'component:default/checkout';
const FLAG = 'checkout-multibuy';
/** The self-healing grace: long enough for the rollback and the good data (about 2 s here), short for CI. */
const GRACE_S = 10;
const QUIET_ZONE = 'Asia/Kolkata';
/** PagerDuty's integration (routing) keys are 32 characters. */
const ROUTING_KEY = 'e2e0delivery'.padEnd(32, '0');
const MIN = 60_000;
const artifacts = path.join(root, 'test-results');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-delivery-'));
const started = Date.now();

let backend;
let token;
let pagerDuty;
let slack;
let flags;
let channelUrl;
let statusUrl;
/** What the flag service's PATCH should do next: nothing, or heal checkout (feed good data). */
let onRollback = async () => {};
let quietEnd;

/** The alert's identity outside the suite, as -common's sloAlertDedupKey defines it (FNV-1a 32 of slo NUL rule). */
function dedupKey(alert) {
  const text = `${alert.sloRef}\u0000${alert.rule}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `reliability-${alert.id}-${h.toString(16).padStart(8, '0')}`;
}

/** HH:MM of `ms` in `timeZone`. */
function clock(ms, timeZone) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = t => parts.find(p => p.type === t).value;
  return `${get('hour')}:${get('minute')}`;
}

const api = (method, p, body) =>
  fetch(`http://127.0.0.1:${PORT}/api/reliability${p}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const getJson = async p => {
  const res = await api('GET', p);
  assert.equal(res.status, 200, `GET ${p}: ${await res.clone().text()}`);
  return res.json();
};

/** Checkout's traffic this minute: `good` of `total` checkouts succeeded. */
async function ingest(good, total) {
  const res = await api('POST', '/sli-events', {
    events: [
      {
        slo: SLO,
        timestamp: new Date(Math.floor(Date.now() / MIN) * MIN).toISOString(),
        good,
        total,
      },
    ],
  });
  assert.equal(res.status, 202, await res.text());
}

const alerts = async state =>
  (
    await getJson(
      `/alerts?entityRef=${encodeURIComponent(ENTITY)}${
        state ? `&state=${state}` : ''
      }&limit=100`,
    )
  ).items.filter(a => a.sloRef === SLO);
const deliveries = async (state, rows = []) => {
  // every page of GET /delivery for checkout
  let cursor;
  for (let i = 0; i < 20; i++) {
    const page = await getJson(
      `/delivery?entityRef=${encodeURIComponent(ENTITY)}${
        state ? `&state=${state}` : ''
      }&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    rows.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return rows;
};
const triggers = key =>
  pagerDuty
    .accepted()
    .filter(e => e.event_action === 'trigger' && e.dedup_key === key);
const seconds = since => ((Date.now() - since) / 1000).toFixed(1);

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  [pagerDuty, slack] = await Promise.all([startPagerDuty(), startSlack()]);
  flags = await startFlagService([FLAG], () => onRollback());
  channelUrl = slack.hook();
  statusUrl = slack.hook();
  const admin = new Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();

  // quiet hours from an hour ago to two hours ahead, every day, in a zone a continent away: "now" is inside
  const now = Date.now();
  quietEnd = Math.floor((now + 120 * MIN) / MIN) * MIN;
  const quietHours = {
    timeZone: QUIET_ZONE,
    days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
    start: clock(now - 60 * MIN, QUIET_ZONE),
    end: clock(quietEnd, QUIET_ZONE),
  };
  const config = writeReplicaConfig(tmp, PORT, {
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
            frequency: { seconds: 2 },
            timeout: { minutes: 1 },
            initialDelay: { seconds: 1 },
          },
        },
        // checkout's burn-rate policy for this test (the demo's registry gives it two page rules and no ticket):
        // one page rule (6x over 5m) and one ticket rule (5x over 1h, 5m)
        alerting: {
          pendingFor: '1s',
          burnRateCsv: path.join(
            root,
            'test/e2e/fixtures/delivery-burn-rates.csv',
          ),
        },
        remediation: {
          dispatchIntervalSeconds: 1,
          selfHealing: { graceSeconds: GRACE_S },
          fastCheck: { intervalSeconds: 1, pendingSeconds: 0 },
          // the demo's rule (app-config.yaml), its flag service on loopback, no cooldown between the two tests
          rules: [
            {
              id: 'checkout-multibuy-rollback',
              entityRef: ENTITY,
              description:
                'Turn the checkout-multibuy flag off when checkout breaches its SLO',
              match: ['severity=~"error|page"', 'impact="slo_breach"'],
              triggers: ['alert', 'alertmanager', 'manual'],
              action: 'feature-flag',
              params: { shape: 'flagd', baseUrl: flags.base, flag: FLAG },
              lockKey: 'rollback:checkout-multibuy',
              cooldown: '1s',
              maxAttempts: 3,
              retries: 2,
              timeout: '5s',
            },
          ],
        },
        delivery: {
          intervalSeconds: 1,
          backoff: { base: '100ms', cap: '1s' },
          // SRE-201 as the demo writes it (app-config.yaml), on loopback fakes
          targets: {
            'payments-oncall': {
              type: 'pagerduty',
              routingKey: ROUTING_KEY,
              baseUrl: pagerDuty.base,
            },
            'payments-channel': { type: 'slack', url: channelUrl },
            'shop-status': { type: 'slack', url: statusUrl },
          },
          routing: {
            policies: [
              {
                name: 'payments-sre',
                match: { owner: 'group:default/payments-sre' },
                routes: [
                  // on-call: pages ignore quiet hours
                  { severity: 'page', targets: ['payments-oncall'] },
                  // the team's channel: tickets, at once
                  {
                    severity: 'ticket',
                    targets: ['payments-channel'],
                    respectQuietHours: false,
                  },
                  // customer-facing status: every alert, held back during quiet hours
                  {
                    severity: '*',
                    targets: ['shop-status'],
                    respectQuietHours: true,
                  },
                ],
                quietHours,
              },
            ],
          },
        },
      },
    },
  });
  backend = await startPortalBackend([config], BASE, 240_000);
  // the guest, once the catalog knows it is in payments-sre (checkout's owner)
  token = await until(
    'the guest signed in with its groups',
    async () => {
      const { backstageIdentity } = await (
        await fetch(`${BASE}/api/auth/guest/refresh?env=development`, {
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
        })
      ).json();
      return backstageIdentity.identity.ownershipEntityRefs.includes(
        'group:default/payments-sre',
      )
        ? backstageIdentity.token
        : null;
    },
    120_000,
    1000,
  );
  // the targets are configured (names and kinds only)
  const targets = await getJson('/delivery/targets');
  assert.deepEqual(targets.items.map(t => `${t.name}:${t.kind}`).sort(), [
    'payments-channel:slack',
    'payments-oncall:pagerduty',
    'shop-status:slack',
  ]);
  assert.doesNotMatch(JSON.stringify(targets), /services\/T|e2e0delivery/);
  // the evaluation tick has registered checkout's SLO from the catalog (ingest answers 404 until then)
  await until(
    'checkout-success registered',
    async () =>
      (
        await getJson(`/slos?entityRef=${encodeURIComponent(ENTITY)}`)
      ).items?.some(s => s.ref === SLO),
    60_000,
    250,
  );
  // healthy checkout traffic, counted at once (the fast check reads the minute in progress; the tick's stored status
  // would wait for the minute to end, up to 60 s, and nothing here needs it)
  await ingest(10_000, 10_000);
  console.log(`backend up and checkout registered in ${seconds(started)} s`);
});

after(async () => {
  await stopPortalBackend(backend);
  await Promise.all([pagerDuty?.close(), slack?.close(), flags?.close()]);
  rmSync(tmp, { recursive: true, force: true });
  const admin = new Client({ connectionString: PG });
  await admin.connect();
  await admin
    .query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
    .catch(() => {});
  await admin.end();
  console.log(`delivery e2e: ${seconds(started)} s in all`);
});

test('a burn on checkout: PagerDuty once with the alert key, Slack on-call one message, the ticket held for quiet hours', async () => {
  const t0 = Date.now();
  // half of 1,000 checkouts fail: with the 10,000 good ones just before, 9x the budget rate over 5m and 1h, above
  // the page (6x) and the ticket (5x) thresholds
  await ingest(500, 1_000);
  const [page, ticket] = await until(
    'the page and the ticket alerts to fire',
    async () => {
      const firing = await alerts('firing');
      const p = firing.find(a => a.severity === 'page');
      const t = firing.find(a => a.severity === 'ticket');
      return p && t ? [p, t] : null;
    },
    30_000,
    250,
  );
  const pageKey = dedupKey(page);
  const ticketKey = dedupKey(ticket);
  console.log(`test 1: page and ticket fired ${seconds(t0)} s after the burn`);

  // the ticket reaches the team's channel at once
  await until(
    "the team's channel to receive the ticket",
    () => slack.messages(channelUrl).length >= 1,
    15_000,
    250,
  );
  console.log(`test 1: ticket in Slack ${seconds(t0)} s after the burn`);
  // the page goes out: checkout's rollback rule covers it, so it waits the self-healing grace; the rollback runs
  // but checkout keeps burning, so the page is sent when the grace ends
  await until(
    'PagerDuty to receive the trigger',
    () => triggers(pageKey).length >= 1,
    (GRACE_S + 30) * 1000,
    250,
  );
  console.log(
    `test 1: PagerDuty triggered ${seconds(
      t0,
    )} s after the burn (grace ${GRACE_S} s)`,
  );
  // settled: a delivered row is never sent again, so what PagerDuty holds now is all it gets for this page
  await until(
    'the page delivery to settle',
    async () =>
      (
        await deliveries()
      ).some(
        r =>
          r.alertKey === pageKey &&
          r.target === 'payments-oncall' &&
          r.transition === 'fired' &&
          r.state === 'delivered',
      ),
    10_000,
    250,
  );

  const sent = triggers(pageKey);
  assert.equal(sent.length, 1, JSON.stringify(pagerDuty.accepted()));
  const [trigger] = sent;
  assert.equal(trigger.dedup_key, pageKey);
  assert.equal(trigger.routing_key, ROUTING_KEY);
  assert.equal(trigger.payload.severity, 'critical');
  assert.match(trigger.payload.summary, /checkout-success/);
  // nothing else reached PagerDuty: no ticket, no other alert
  assert.deepEqual(
    pagerDuty.accepted().map(e => `${e.event_action}:${e.dedup_key}`),
    [`trigger:${pageKey}`],
  );
  // one message in the team's channel, about the ticket
  const channel = slack.messages(channelUrl);
  assert.equal(channel.length, 1, JSON.stringify(channel));
  assert.match(JSON.stringify(channel[0]), /checkout-success/);
  assert.match(JSON.stringify(channel[0]), /ticket/i);
  // the customer-facing status channel hears nothing during quiet hours
  assert.equal(
    slack.calls.filter(c => `${slack.base}${c.path}` === statusUrl).length,
    0,
  );

  const rows = await deliveries();
  const of = (key, target) =>
    rows.filter(
      r =>
        r.alertKey === key && r.target === target && r.transition === 'fired',
    );
  const [pd] = of(pageKey, 'payments-oncall');
  assert.equal(pd?.state, 'delivered', JSON.stringify(rows));
  assert.equal(pd.lastStatus, 202);
  assert.equal(of(ticketKey, 'payments-channel')[0]?.state, 'delivered');
  assert.equal(of(pageKey, 'payments-channel').length, 0);
  assert.equal(of(ticketKey, 'payments-oncall').length, 0);
  // both alerts are held for the status channel until the quiet window ends (the minute computed above)
  for (const key of [pageKey, ticketKey]) {
    const held = of(key, 'shop-status');
    assert.equal(held.length, 1, JSON.stringify(rows));
    assert.equal(held[0].state, 'queued');
    assert.equal(held[0].held, 'quiet-hours');
    assert.ok(
      Math.abs(Date.parse(held[0].nextAttemptAt) - quietEnd) < MIN,
      `held until ${held[0].nextAttemptAt}, the window ends ${new Date(
        quietEnd,
      ).toISOString()}`,
    );
  }
  // the queued list shows them too
  const queued = await deliveries('queued');
  assert.ok(
    queued.some(r => r.alertKey === ticketKey && r.target === 'shop-status'),
  );
  assert.ok(queued.every(r => r.state === 'queued'));
  console.log(`test 1: ${seconds(t0)} s`);
});

test('a rollback within the grace period pages nobody: avoided, counted, and auto-remediated on the commander page', async () => {
  const t0 = Date.now();
  // checkout recovers from the first burn: plenty of good checkouts, every alert resolves
  await ingest(40_000, 40_000);
  await until(
    "checkout's alerts to resolve",
    async () => (await alerts('active')).length === 0,
    30_000,
    250,
  );
  const patchesBefore = flags.patches(FLAG).length;
  const alertsBefore = new Set((await alerts()).map(a => a.id));
  // the rollback heals checkout: when the flag service takes it, the good traffic comes back
  let rolledBackAt;
  onRollback = async () => {
    rolledBackAt ??= Date.now();
    // a million good checkouts: about 2% of the window's fail (3.8x of 0.5%), under both thresholds (6x and 5x)
    await ingest(1_000_000, 1_000_000);
  };
  // a new burn: 20,000 failed checkouts this minute (about 29% of the 5 minutes' checkouts fail: 58x)
  const burnAt = Date.now();
  await ingest(0, 20_000);
  const alert = await until(
    'the new page alert',
    async () =>
      (
        await alerts()
      ).find(
        a => a.severity === 'page' && !alertsBefore.has(a.id) && a.firedAt,
      ),
    30_000,
    250,
  );
  const key = dedupKey(alert);
  await until(
    'the flag service to receive the rollback',
    () => flags.patches(FLAG).length > patchesBefore,
    20_000,
    100,
  );
  assert.equal(flags.flag(FLAG).defaultVariant, 'off');
  console.log(
    `test 2: rollback called ${((rolledBackAt - burnAt) / 1000).toFixed(
      1,
    )} s after the burn was ingested`,
  );
  await until(
    'the alert to resolve',
    async () =>
      (await alerts()).find(a => a.id === alert.id)?.state === 'resolved',
    GRACE_S * 1000,
    250,
  );
  const avoided = await until(
    'the page to be avoided',
    async () =>
      (
        await deliveries('avoided')
      ).find(
        r =>
          r.alertKey === key &&
          r.target === 'payments-oncall' &&
          r.transition === 'fired',
      ),
    (GRACE_S + 15) * 1000,
    250,
  );
  assert.equal(avoided.state, 'avoided');
  assert.equal(avoided.lastStatus, null);
  assert.equal(avoided.deliveredAt, null);
  // every row of the alert, its resolution included, is avoided: a terminal state, nothing of it is ever sent
  const rowsOfKey = await until(
    "the alert's resolution to be avoided too",
    async () => {
      const mine = (await deliveries()).filter(r => r.alertKey === key);
      return mine.some(r => r.transition === 'resolved') &&
        mine.every(r => r.state === 'avoided')
        ? mine
        : null;
    },
    10_000,
    250,
  );
  assert.deepEqual(rowsOfKey.map(r => `${r.transition}:${r.target}`).sort(), [
    'fired:payments-oncall',
    'fired:shop-status',
    'resolved:payments-oncall',
    'resolved:shop-status',
  ]);
  assert.equal(
    pagerDuty.accepted().filter(e => e.dedup_key === key).length,
    0,
    JSON.stringify(pagerDuty.accepted()),
  );
  assert.equal(slack.calls.filter(c => c.body.includes(key)).length, 0);
  const metrics = await (
    await fetch(`http://127.0.0.1:${PORT}/api/reliability/metrics`)
  ).text();
  const counted =
    /^selfheal_pages_avoided_total\{[^}]*slo="default\/checkout-success"[^}]*\} (\d+)$/m.exec(
      metrics,
    );
  assert.equal(
    counted?.[1],
    '1',
    metrics
      .split('\n')
      .filter(l => l.includes('selfheal'))
      .join('\n'),
  );
  console.log(`test 2: page avoided ${seconds(t0)} s after the test began`);

  // the commander page, in headless Chromium
  const tb = Date.now();
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
  const page = await browser.newPage({
    viewport: { width: 1600, height: 1200 },
  });
  try {
    await page.goto(`${BASE}/reliability`);
    await page.waitForSelector(
      '[data-testid="commander-page"], button:has-text("Enter")',
      { timeout: 60_000 },
    );
    const enter = page.getByRole('button', { name: /enter/i });
    if (await enter.count()) await enter.first().click();
    await page.getByTestId('commander-page').waitFor({ timeout: 30_000 });
    const section = page.getByTestId('auto-remediated');
    await section.waitFor({ timeout: 30_000 });
    assert.match(await section.innerText(), /Auto-remediated/);
    // the alert, by its key, with the SLO and what fixed it
    const item = section
      .getByTestId('auto-remediated-alert')
      .filter({ hasText: key });
    await item.waitFor({ timeout: 30_000 });
    const text = await item.innerText();
    assert.match(text, /default\/checkout-success/);
    assert.match(text, new RegExp(`alert #${alert.id}\\b`));
    assert.match(text, /checkout-multibuy-rollback \(feature-flag\)/);
    await page.screenshot({
      path: path.join(artifacts, 'delivery-auto-remediated.png'),
      fullPage: true,
    });
  } catch (e) {
    await page
      .screenshot({
        path: path.join(artifacts, 'delivery-auto-remediated-failure.png'),
        fullPage: true,
      })
      .catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
  console.log(
    `test 2: commander page checked in ${seconds(tb)} s; ${seconds(
      t0,
    )} s in all`,
  );
});
