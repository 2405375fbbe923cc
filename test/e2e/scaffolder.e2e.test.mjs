// End-to-end: the "New SLO" template in Chromium. The portal's backend (serving the built app) on 127.0.0.1:7077,
// guest sign-in; the template's form with the EntityPicker, the preview page with the YAML and the backtest, then
// Create: the file lands in catalog/generated, the SLO shows on checkout's Reliability tab, evaluated, and the
// readiness card ticks "User-journey SLOs defined".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  root,
  startPortalBackend,
  stopPortalBackend,
  until,
} from './lib/portal.mjs';

const BASE = 'http://localhost:7077';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.join(root, 'test-results');
const name = `e2e-slo-${Date.now().toString(36)}`;
const published = path.join(root, 'catalog/generated/slos', `${name}.yaml`);
let backend;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  backend = await startPortalBackend(
    ['../../test/e2e/app-config.e2e.yaml'],
    BASE,
    180_000,
  );
  // the backtest replays an existing SLO of checkout: wait until the registry knows them and they have counts
  const { backstageIdentity } = await (
    await fetch(`${BASE}/api/auth/guest/refresh?env=development`, {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    })
  ).json();
  await until(
    'checkout SLOs evaluated',
    async () => {
      const res = await fetch(
        `${BASE}/api/reliability/slos?entityRef=component:default/checkout`,
        { headers: { Authorization: `Bearer ${backstageIdentity.token}` } },
      );
      return (await res.json()).items?.some(i => i.status?.total > 0);
    },
    120_000,
    1000,
  );
});

after(async () => {
  await stopPortalBackend(backend);
  rmSync(published, { force: true });
});

test(
  'New SLO for checkout: the form, the preview and backtest, Create; the SLO is on the tab, evaluated, and readiness ticks',
  { timeout: 420_000 },
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
    const page = await browser.newPage({
      viewport: { width: 1600, height: 1200 },
    });
    // how long each part took, printed at the end (the slowest test of the end-to-end suite)
    const t0 = Date.now();
    const marks = [];
    const mark = what => marks.push(`${what} ${Date.now() - t0} ms`);
    try {
      await page.goto(`${BASE}/create/templates/default/new-slo`);
      const enter = page.getByRole('button', { name: /enter/i });
      await enter
        .or(page.getByText('What the SLO measures'))
        .first()
        .waitFor({ timeout: 90_000 });
      if (await enter.count()) await enter.first().click();
      mark('form shown');
      await page
        .getByText('What the SLO measures')
        .first()
        .waitFor({ timeout: 60_000 });
      // the component, from the EntityPicker
      const picker = page.getByLabel(/^Component/).first();
      await picker.click();
      await picker.fill('checkout');
      await page
        .getByRole('option', { name: /checkout/ })
        .first()
        .click();
      await page.getByLabel(/SLO name/).fill(name);
      await page.getByLabel(/^Title/).fill('Checkout availability (e2e)');
      // an availability SLI asks where its counts come from
      await page.screenshot({
        path: path.join(artifacts, 'new-slo-form.png'),
        fullPage: true,
      });
      await page.getByText('Counts from').first().waitFor({ timeout: 10_000 });
      await page.getByRole('button', { name: 'Next' }).click();
      // objective, window and alerts: the defaults (99.5%, 30d rolling, the workbook's table)
      await page
        .getByText('Objective, window and alerts')
        .first()
        .waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Next' }).click();
      // the preview: the YAML the template writes, and the backtest over an existing SLO's counts
      const preview = page.getByTestId('slo-preview');
      await preview.waitFor({ timeout: 30_000 });
      mark('preview shown');
      assert.match(
        await page.getByTestId('slo-preview-yaml').innerText(),
        new RegExp(`name: ${name}`),
      );
      await page
        .getByTestId('slo-preview-backtest')
        .getByText(
          /^Over the last 30 days this SLO would have (ended with -?\d+% of its budget left|overspent its budget by \d+%), and (never paged|paged \d+ times?)/,
        )
        .waitFor({ timeout: 60_000 });
      mark('backtest answered');
      await page.screenshot({
        path: path.join(artifacts, 'new-slo-preview.png'),
        fullPage: true,
      });
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: 'Create' }).click();
      // the task ran both steps: its output links to the component's tab
      await page
        .getByRole('link', { name: /reliability tab/i })
        .first()
        .waitFor({ timeout: 120_000 });
      assert.ok(existsSync(published), `${published} written`);
      mark('task done');

      // on checkout's tab within the evaluation tick (15 s in the e2e config), evaluated
      await page.goto(`${BASE}/catalog/default/component/checkout/reliability`);
      const row = page.getByTestId(`slo-row-${name}`);
      // the tab reads the registry once per load: wait for the row a while, then load the tab again (bounded)
      const deadline = Date.now() + 150_000;
      for (;;) {
        try {
          await row.waitFor({ timeout: 10_000 });
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await page.reload();
        }
      }
      mark('SLO on the tab');
      assert.match(await row.innerText(), /Checkout availability \(e2e\)/);
      assert.match(await row.innerText(), /99\.5%/);
      assert.match(await row.innerText(), /30d rolling/);
      const item = page.getByTestId('readiness-item-journey-slos');
      await item.waitFor({ timeout: 30_000 });
      assert.match(await item.innerText(), /^✓/);
      mark('readiness ticked');
      await page.screenshot({
        path: path.join(artifacts, 'new-slo-on-tab.png'),
        fullPage: true,
      });
    } catch (e) {
      await page
        .screenshot({
          path: path.join(artifacts, 'new-slo-failure.png'),
          fullPage: true,
        })
        .catch(() => {});
      throw e;
    } finally {
      // eslint-disable-next-line no-console
      console.log(`# scaffolder: ${marks.join(', ')}`);
      await browser.close();
    }
  },
);
