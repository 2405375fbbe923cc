// End-to-end: starts the portal's backend (serving the built app) on 127.0.0.1:7077, signs in as guest in
// Debian Chromium, opens checkout's Reliability tab and checks the SLO row and the rendered charts.
// Run through `scripts/test.sh` (which builds the app first) or `node --test test/e2e/`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BASE = 'http://localhost:7077';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.join(root, 'test-results');
let backend;
let output = '';

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}\n--- backend output ---\n${output.slice(-4000)}`);
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  backend = spawn('yarn', ['start', '--config', '../../app-config.yaml', '--config', '../../test/e2e/app-config.e2e.yaml'], {
    cwd: path.join(root, 'packages/backend'),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'development' },
  });
  backend.stdout.on('data', d => { output += d; });
  backend.stderr.on('data', d => { output += d; });
  await until('the backend', async () => (await fetch(`${BASE}/api/reliability/health`)).ok, 180_000);
  const { backstageIdentity } = await (await fetch(`${BASE}/api/auth/guest/refresh?env=development`, { headers: { 'X-Requested-With': 'XMLHttpRequest' } })).json();
  await until('checkout SLO evaluated', async () => {
    const res = await fetch(`${BASE}/api/reliability/slos?entityRef=component:default/checkout`, { headers: { Authorization: `Bearer ${backstageIdentity.token}` } });
    const body = await res.json();
    return body.items?.[0]?.status?.total > 0;
  }, 120_000);
});

after(async () => {
  if (backend?.pid) {
    try {
      process.kill(-backend.pid, 'SIGTERM');
    } catch {}
    await new Promise(r => setTimeout(r, 1500));
    try {
      process.kill(-backend.pid, 'SIGKILL');
    } catch {}
  }
});

test("checkout's Reliability tab shows its SLO and both charts", async () => {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  try {
    await page.goto(`${BASE}/catalog/default/component/checkout/reliability`);
    // guest sign-in, when the app shows a sign-in page
    const enter = page.getByRole('button', { name: /enter/i });
    await page.waitForSelector('[data-testid="slo-row-checkout-success"], button:has-text("Enter")', { timeout: 90_000 });
    if (await enter.count()) await enter.first().click();

    const row = page.getByTestId('slo-row-checkout-success');
    await row.waitFor({ timeout: 60_000 });
    const text = await row.innerText();
    assert.match(text, /Checkout success rate/);
    assert.match(text, /99\.5%/);
    assert.match(text, /30d rolling/);
    assert.match(text, /Healthy|Burning|Exhausted/);
    assert.match(text, /\d+(\.\d+)?%/);

    const burn = page.getByTestId('burn-chart');
    await burn.locator('.recharts-line path.recharts-curve').first().waitFor({ timeout: 60_000 });
    assert.ok((await burn.locator('.recharts-reference-line').count()) >= 4, 'the 14.4x/6x/3x/1x threshold lines are drawn');
    const budget = page.getByTestId('budget-chart');
    await budget.locator('.recharts-area path').first().waitFor({ timeout: 30_000 });
    assert.match(await burn.innerText(), /peak \d+(\.\d+)?x/);
    // choose another lookback and see the chart title follow
    await page.getByRole('button', { name: 'burn rate over 6h' }).click();
    await page.getByText('Burn rate over 6h').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(artifacts, 'checkout-reliability.png'), fullPage: true });
  } catch (e) {
    await page.screenshot({ path: path.join(artifacts, 'checkout-reliability-failure.png'), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
});
