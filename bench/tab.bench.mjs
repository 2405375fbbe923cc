// The Reliability tab against the catalog's own Overview tab, in headless Chromium (issue 15).
//
// Starts the portal's backend serving the production build (`yarn workspace app build` first) on 127.0.0.1:7078 with
// the demo data, opens checkout's entity page, then switches between Overview and Reliability five times. Each switch
// is timed from the click until the tab's content is drawn (Overview: the About card; Reliability: both charts of
// checkout-success) and the network is idle (the end of the last request of the switch: a single-page app's tab
// switch is no page load, so Playwright's own networkidle would not wait). Prints both medians and their ratio
// (target: Reliability <= 1.0x).
//
//   node bench/tab.bench.mjs [--switches 5]
// Diagnostics: TAB_PROFILE=/tmp/p writes a CPU profile of each Reliability switch (/tmp/p-<time>), TAB_TRACE=/tmp/t a
// Chromium trace of it, TAB_SECTIONS=1 prints each block of the tab with its element count and position.
import { chromium } from 'playwright-core';
import {
  startPortalBackend,
  stopPortalBackend,
  until,
} from '../test/e2e/lib/portal.mjs';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BASE = 'http://localhost:7078';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const i = process.argv.indexOf('--switches');
const SWITCHES = i >= 0 ? Number(process.argv[i + 1]) : 5;

const dir = mkdtempSync(path.join(tmpdir(), 'reliability-tab-bench-'));
const config = path.join(dir, 'app-config.bench.yaml');
writeFileSync(
  config,
  `app:\n  baseUrl: ${BASE}\nbackend:\n  baseUrl: ${BASE}\n  listen:\n    port: 7078\n    host: 127.0.0.1\n  cors:\n    origin: ${BASE}\n`,
);

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const backend = await startPortalBackend([config], BASE, 240_000);
try {
  const { backstageIdentity } = await (
    await fetch(`${BASE}/api/auth/guest/refresh?env=development`, {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    })
  ).json();
  await until(
    'checkout evaluated',
    async () => {
      const body = await (
        await fetch(
          `${BASE}/api/reliability/slos?entityRef=component:default/checkout`,
          { headers: { Authorization: `Bearer ${backstageIdentity.token}` } },
        )
      ).json();
      return body.items?.[0]?.status?.total > 0;
    },
    120_000,
    1000,
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({
    viewport: { width: 1600, height: 1200 },
  });
  await page.goto(`${BASE}/catalog/default/component/checkout`);
  const enter = page.getByRole('button', { name: /enter/i });
  await enter.or(page.getByText('About')).first().waitFor({ timeout: 90_000 });
  if (await enter.count()) await enter.first().click();
  await page.getByText('About').first().waitFor({ timeout: 60_000 });
  await page.waitForLoadState('networkidle');

  // the entity page's tabs are links in its navigation list
  const tab = name =>
    page
      .locator('nav li a')
      .filter({ hasText: new RegExp(`^${name}$`) })
      .first();
  const cdp = process.env.TAB_PROFILE
    ? await page.context().newCDPSession(page)
    : undefined;
  if (cdp) await cdp.send('Profiler.enable');
  const traceEvents = [];
  if (cdp) cdp.on('Tracing.dataCollected', e => traceEvents.push(...e.value));
  // network idle, for a single-page app: no request in flight for 300 ms; the time counted ends at the last one's end
  const inFlight = new Set();
  let lastDone = 0;
  const done = request => {
    if (inFlight.delete(request)) lastDone = performance.now();
  };
  // the app's server-sent and socket channels (signals) stay open: they are not requests of the switch
  page.on('request', request => {
    if (
      request.resourceType() !== 'eventsource' &&
      request.resourceType() !== 'websocket'
    )
      inFlight.add(request);
  });
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  // bounded: a request that never ends fails the run, naming it
  const networkIdle = async () => {
    const limit = performance.now() + 30_000;
    for (let quiet = 0; quiet < 300; ) {
      if (performance.now() > limit)
        throw new Error(
          `the network was not idle within 30 s: ${[...inFlight]
            .map(r => r.url())
            .join(', ')}`,
        );
      await new Promise(r => setTimeout(r, 25));
      quiet = inFlight.size === 0 ? quiet + 25 : 0;
    }
  };
  const drawnTimes = {};
  const domNodes = {};
  const timed = async (name, drawn) => {
    if (cdp && name === 'Reliability') await cdp.send('Profiler.start');
    if (cdp && name === 'Reliability' && process.env.TAB_TRACE) {
      traceEvents.length = 0;
      await cdp.send('Tracing.start', {
        categories: 'devtools.timeline,disabled-by-default-devtools.timeline',
        transferMode: 'ReportEvents',
      });
    }
    const t0 = performance.now();
    lastDone = 0;
    await tab(name).click();
    await drawn();
    const drawnAt = performance.now();
    await networkIdle();
    const ms = Math.max(drawnAt, lastDone) - t0;
    (drawnTimes[name] ??= []).push(drawnAt - t0);
    // the tab's size: what the browser styles and lays out
    domNodes[name] = await page.evaluate(
      () => document.querySelectorAll('*').length,
    );
    if (process.env.TAB_SECTIONS && name === 'Reliability')
      console.log(
        await page.evaluate(() =>
          [
            ...document.querySelectorAll(
              '[data-testid=reliability-content] > *',
            ),
          ]
            .map(
              e =>
                `${
                  e.getAttribute('data-testid') ?? e.textContent.slice(0, 30)
                }: ${e.querySelectorAll('*').length} (top ${Math.round(
                  e.getBoundingClientRect().top,
                )})`,
            )
            .join('\n'),
        ),
      );
    if (cdp && name === 'Reliability' && process.env.TAB_TRACE) {
      const ended = new Promise(r => cdp.once('Tracing.tracingComplete', r));
      await cdp.send('Tracing.end');
      await ended;
      writeFileSync(
        `${process.env.TAB_TRACE}-${Date.now()}`,
        JSON.stringify(traceEvents),
      );
    }
    if (cdp && name === 'Reliability')
      writeFileSync(
        `${process.env.TAB_PROFILE}-${Date.now()}`,
        JSON.stringify((await cdp.send('Profiler.stop')).profile),
      );
    return ms;
  };
  const overview = [];
  const reliability = [];
  const sloPage = [];
  const chartsDrawn = async () => {
    const charts = page.getByTestId('slo-charts-checkout-success');
    await charts
      .getByTestId('budget-chart')
      .locator('.recharts-area path')
      .first()
      .waitFor({ timeout: 60_000 });
    await charts
      .getByTestId('burn-chart')
      .locator('.recharts-line path.recharts-curve')
      .first()
      .waitFor({ timeout: 60_000 });
  };
  // one warm-up round: the chunks of both tabs are loaded once, as a user's second visit finds them
  for (let k = 0; k <= SWITCHES; k++) {
    // the tab's first screen (its overview sub-route): the status line and the SLO table
    const r = await timed('Reliability', async () => {
      await page.getByTestId('reliability-status').waitFor({ timeout: 60_000 });
      await page
        .getByTestId('slo-row-checkout-success')
        .waitFor({ timeout: 60_000 });
    });
    // the SLO's own screen (slo/checkout-success), opened from its row: both charts drawn
    const t0 = performance.now();
    lastDone = 0;
    await page.getByTestId('slo-link-checkout-success').click();
    await chartsDrawn();
    const drawnAt = performance.now();
    await networkIdle();
    const sp = Math.max(drawnAt, lastDone) - t0;
    const o = await timed('Overview', () =>
      page.getByText('About').first().waitFor({ timeout: 60_000 }),
    );
    if (k > 0) {
      reliability.push(r);
      sloPage.push(sp);
      overview.push(o);
    }
  }
  await browser.close();
  const [mo, mr, ms] = [median(overview), median(reliability), median(sloPage)];
  const runs = xs => xs.map(x => x.toFixed(0)).join(', ');
  console.log(
    `Overview tab (the catalog's own): median ${mo.toFixed(0)} ms (runs: ${runs(
      overview,
    )})`,
  );
  console.log(
    `Reliability tab, first screen (status and SLO table): median ${mr.toFixed(
      0,
    )} ms (runs: ${runs(reliability)})`,
  );
  console.log(
    `an SLO's screen, both charts drawn: median ${ms.toFixed(
      0,
    )} ms (runs: ${runs(sloPage)})`,
  );
  const drawnMedian = n => median(drawnTimes[n].slice(1)).toFixed(0);
  console.log(
    `drawn, before the network is idle: Overview ${drawnMedian(
      'Overview',
    )} ms, Reliability ${drawnMedian('Reliability')} ms`,
  );
  console.log(
    `page elements after the switch: Overview ${domNodes.Overview}, Reliability ${domNodes.Reliability}`,
  );
  for (const [what, m] of [
    ['Reliability (first screen)', mr],
    ['SLO screen', ms],
  ])
    console.log(
      `ratio ${what} / Overview: ${(m / mo).toFixed(2)}x (target <= 1.0x: ${
        m / mo <= 1 ? 'met' : 'NOT met'
      })`,
    );
} finally {
  await stopPortalBackend(backend);
}
