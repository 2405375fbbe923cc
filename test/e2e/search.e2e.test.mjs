// Search, end to end: starts the demo portal's backend (serving the built app; the search backend with the suite's
// collators, @reliability-suite/plugin-search-backend-module-reliability) on 127.0.0.1:7072, signs in as guest, and
// in Debian Chromium types "OTP latency" into the portal's search: the results hold the SLO (otp-verify-latency-p95,
// linking to its Reliability tab) and the "OTP latency" section of login-otp's runbook (linking to its anchor).
// An incident declared while the portal runs is found by its title once the collators run again (every 10 s here).
// Run through `scripts/test.sh` (which builds the app first) or `node --test test/e2e/search.e2e.test.mjs`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  root,
  startPortalBackend,
  stopPortalBackend,
  until,
} from './lib/portal.mjs';

const PORT = 7072;
const BASE = `http://localhost:${PORT}`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.join(root, 'test-results');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-search-'));
const SLO_PAGE = '/catalog/default/slo/otp-verify-latency-p95/reliability';
const RUNBOOK_SECTION =
  '/reliability/runbooks/component/default/login-otp#otp-latency';

let backend;
let token;

const query = async term => {
  const res = await fetch(
    `${BASE}/api/search/query?${new URLSearchParams({ term })}`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  if (!res.ok) throw new Error(`search: ${res.status} ${await res.text()}`);
  return (await res.json()).results;
};

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const config = path.join(tmp, 'app-config.search.json');
  writeFileSync(
    config,
    JSON.stringify({
      app: { baseUrl: BASE },
      backend: {
        baseUrl: BASE,
        listen: { port: PORT, host: '127.0.0.1' },
        cors: { origin: BASE },
      },
      search: {
        collators: {
          reliability: {
            schedule: {
              frequency: { seconds: 10 },
              timeout: { minutes: 2 },
              initialDelay: { seconds: 5 },
            },
          },
        },
      },
    }),
  );
  backend = await startPortalBackend(
    ['../../test/e2e/app-config.e2e.yaml', config],
    BASE,
    240_000,
  );
  ({
    backstageIdentity: { token },
  } = await (
    await fetch(`${BASE}/api/auth/guest/refresh?env=development`, {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    })
  ).json());
});

after(async () => {
  await stopPortalBackend(backend);
  rmSync(tmp, { recursive: true, force: true });
});

test('the search API finds "OTP latency": the SLO and the runbook section', async () => {
  const results = await until(
    'the SLO and the runbook section indexed',
    async () => {
      const r = await query('OTP latency');
      const locations = r.map(x => x.document.location);
      return locations.includes(SLO_PAGE) && locations.includes(RUNBOOK_SECTION)
        ? r
        : undefined;
    },
    180_000,
    2000,
  );
  const slo = results.find(r => r.document.location === SLO_PAGE);
  assert.equal(slo.type, 'reliability-slo');
  assert.equal(slo.document.title, 'OTP verify latency p95 <= 300 ms');
  assert.equal(slo.document.entityRef, 'slo:default/otp-verify-latency-p95');
  assert.match(slo.document.text, /Objective 99% over 7d rolling\./);
  assert.match(slo.document.text, /Error budget left: /);
  const section = results.find(r => r.document.location === RUNBOOK_SECTION);
  assert.equal(section.type, 'reliability-runbook');
  assert.equal(section.document.title, 'OTP latency (runbook of login-otp)');
  assert.match(section.document.text, /p95 of \/otp\/verify is over 300 ms/);
});

test('an incident declared while the portal runs is found by its title', async () => {
  const title = `Identity provider certificate rotation ${process.pid}`;
  const res = await fetch(`${BASE}/api/reliability/incidents`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({
      entityRef: 'component:default/login-otp',
      title,
      severity: 'SEV3',
    }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const { id } = await res.json();
  const found = await until(
    'the incident indexed',
    async () =>
      (
        await query(`certificate rotation ${process.pid}`)
      ).find(r => r.document.location === `/reliability/incidents/${id}`),
    120_000,
    2000,
  );
  assert.equal(found.type, 'reliability-incident');
  assert.equal(found.document.title, title);
  assert.equal(found.document.entityRef, 'component:default/login-otp');
  assert.equal(found.document.status, 'investigating');
});

test('typing "OTP latency" into the portal\'s search shows the SLO and the runbook section', async () => {
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
    await page.goto(`${BASE}/search`);
    // guest sign-in, when the app shows a sign-in page
    const enter = page.getByRole('button', { name: /enter/i });
    const box = page.getByRole('textbox').first();
    await Promise.race([
      enter.first().waitFor({ timeout: 90_000 }),
      box.waitFor({ timeout: 90_000 }),
    ]);
    if (await enter.count()) await enter.first().click();
    await box.waitFor({ timeout: 60_000 });
    await box.click();
    await box.pressSequentially('OTP latency', { delay: 30 });
    const slo = page.locator(`a[href$="${SLO_PAGE}"]`).first();
    const section = page.locator(`a[href$="${RUNBOOK_SECTION}"]`).first();
    await slo.waitFor({ timeout: 60_000 });
    await section.waitFor({ timeout: 60_000 });
    assert.match(await slo.innerText(), /OTP verify latency p95/);
    assert.match(
      await section.innerText(),
      /OTP latency \(runbook of login-otp\)/,
    );
    // the section's link opens the runbook page at the section
    await section.click();
    await page.waitForURL(
      /\/reliability\/runbooks\/component\/default\/login-otp#otp-latency$/,
      {
        timeout: 30_000,
      },
    );
    await page.getByText('OTP latency', { exact: true }).first().waitFor({
      timeout: 60_000,
    });
  } catch (e) {
    await page
      .screenshot({ path: path.join(artifacts, 'search-failure.png') })
      .catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
});
