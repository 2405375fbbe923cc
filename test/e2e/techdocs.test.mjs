// End-to-end: the suite's reference renders as TechDocs under the suite's catalog entity. Starts the portal's
// backend (serving the built app) on 127.0.0.1:7077 with TechDocs publishing into a fresh folder, opens
// System reliability-suite's Docs tab in Debian Chromium (which makes the backend build docs/ with the local mkdocs
// and the techdocs-core stand-in of scripts/techdocs), and checks docs/index.md's heading and one linked page.
// Run through `scripts/test.sh` (which builds the app first) or `node --test test/e2e/techdocs.test.mjs`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
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
const ENTITY_DOCS = `${BASE}/catalog/default/system/reliability-suite/docs`;
let backend;
let tmp;
// TechDocs' generator rewrites the mkdocs.yml it builds, and MkDocs writes a site/ beside it by default: the portal
// builds from a copy (packages/backend/src/techdocsPreparer.ts), so the checkout stays as it was
const treeState = () =>
  JSON.stringify({
    mkdocsYml: readFileSync(path.join(root, 'mkdocs.yml'), 'utf8'),
    rootEntries: readdirSync(root).sort(),
  });
let treeBefore;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  try {
    execFileSync('mkdocs', ['--version'], { stdio: 'ignore' });
  } catch (e) {
    throw new Error(
      `TechDocs needs mkdocs on PATH (scripts/setup.sh installs Debian's mkdocs and mkdocs-material): ${e.message}`,
    );
  }
  treeBefore = treeState();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'techdocs-e2e-'));
  // a publish folder of this run's own, so a site published by an earlier run never answers for this one
  const config = path.join(tmp, 'techdocs.json');
  writeFileSync(
    config,
    JSON.stringify({
      techdocs: {
        publisher: { local: { publishDirectory: path.join(tmp, 'sites') } },
      },
    }),
  );
  const booting = Date.now();
  backend = await startPortalBackend(
    ['../../test/e2e/app-config.e2e.yaml', config],
    BASE,
    180_000,
    {
      // the techdocs-core stand-in that the mkdocs the generator runs loads (as scripts/start.sh sets it)
      PYTHONPATH: [path.join(root, 'scripts/techdocs'), process.env.PYTHONPATH]
        .filter(Boolean)
        .join(path.delimiter),
    },
  );
  // the catalog reads catalog-info.yaml (through catalog/all.yaml) shortly after the backend answers
  const { backstageIdentity } = await (
    await fetch(`${BASE}/api/auth/guest/refresh?env=development`, {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    })
  ).json();
  await until(
    'System reliability-suite in the catalog',
    async () =>
      (
        await fetch(
          `${BASE}/api/catalog/entities/by-name/system/default/reliability-suite`,
          { headers: { Authorization: `Bearer ${backstageIdentity.token}` } },
        )
      ).ok,
    60_000,
  );
  console.log(`# techdocs: portal ready in ${Date.now() - booting} ms`);
});

after(async () => {
  await stopPortalBackend(backend);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("System reliability-suite's Docs tab renders docs/index.md and a linked page", async () => {
  const started = Date.now();
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
    viewport: { width: 1400, height: 1000 },
  });
  // the reader's content, in its shadow root (Playwright's locators pierce it)
  const content = page.getByTestId('techdocs-native-shadowroot');
  // the reader keeps the page transparent until every stylesheet of the site has loaded (one that never loads, like
  // Google Fonts' offline, leaves the docs invisible although they are in the DOM)
  const revealed = () =>
    page.waitForFunction(
      () => {
        const html = document
          .querySelector('[data-testid="techdocs-native-shadowroot"]')
          ?.shadowRoot?.querySelector('html');
        return html && getComputedStyle(html).opacity === '1';
      },
      null,
      { timeout: 30_000 },
    );
  try {
    await page.goto(ENTITY_DOCS);
    // guest sign-in, when the app shows a sign-in page
    const enter = page.getByRole('button', { name: /enter/i });
    await content.or(enter).first().waitFor({ timeout: 60_000 });
    if (await enter.count()) await enter.first().click();
    // the entity page's Docs tab (a link of the header's navigation) is the page shown
    await page
      .locator(
        'a[aria-current="page"][href="/catalog/default/system/reliability-suite/docs"]',
        { hasText: 'Docs' },
      )
      .waitFor({ timeout: 30_000 });

    // the first view builds the site (mkdocs on the backend): docs/index.md's title and a sentence of it, or the
    // reader's error (a failed build, no page), which ends the wait at once
    const title = content.getByRole('heading', {
      level: 1,
      name: 'Reliability suite for Backstage',
    });
    const failed = page.getByText(
      /documentation failed|Page not found|Documentation not found/,
    );
    await title.or(failed).first().waitFor({ timeout: 60_000 });
    assert.ok(
      await title.isVisible(),
      `the reader shows an error: ${await failed.allInnerTexts()}`,
    );
    await content
      .getByText(/^Every catalog entity gets its reliability story/)
      .waitFor({ timeout: 10_000 });
    await revealed();
    // the site's name from techdocs_metadata.json (written by the techdocs-core stand-in) in the reader's header
    await page
      .getByText('Reliability suite', { exact: true })
      .first()
      .waitFor({ timeout: 10_000 });

    // a page linked from docs/index.md ([SLOs and OpenSLO](slos.md)) opens inside the entity's Docs tab
    await content
      .locator('.md-content')
      .getByRole('link', { name: 'SLOs and OpenSLO', exact: true })
      .click();
    await content
      .getByRole('heading', {
        level: 1,
        name: 'SLOs are catalog entities (OpenSLO v1)',
      })
      .waitFor({ timeout: 30_000 });
    assert.match(
      new URL(page.url()).pathname,
      /^\/catalog\/default\/system\/reliability-suite\/docs\/slos\/?$/,
    );
    await revealed();
    await page.screenshot({
      path: path.join(artifacts, 'techdocs-reliability-suite.png'),
    });
  } catch (e) {
    await page
      .screenshot({
        path: path.join(artifacts, 'techdocs-failure.png'),
        fullPage: true,
      })
      .catch(() => {});
    const shown = await page
      .locator('main')
      .first()
      .innerText({ timeout: 2000 })
      .catch(() => '(no main element)');
    e.message += `\n--- the page showed ---\n${shown.slice(0, 2000)}`;
    throw e;
  } finally {
    await browser.close();
  }
  assert.equal(
    treeState(),
    treeBefore,
    'building the docs changed mkdocs.yml or wrote into the checkout',
  );
  console.log(`# techdocs: rendered in ${Date.now() - started} ms`);
});
