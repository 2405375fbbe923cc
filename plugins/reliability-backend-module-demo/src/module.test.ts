import path from 'path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  bootDemo,
  catalogDir,
  component,
  demoSlo,
} from './__testUtils__/backend';
import { importDemoDrillLogs } from './drills';
import { importDemoCapacityRuns } from './capacity';
import { importDemoChanges } from './changes';
import { DemoShop } from './shop';

jest.setTimeout(120_000);

const MIN = 60_000;
const CHECKOUT = 'component:default/checkout';

describe('the demo module', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it('does nothing unless reliability.demo.enabled is true', async () => {
    const demo = await bootDemo(
      databases,
      {
        demo: {
          drillLogs: [
            {
              entityRef: CHECKOUT,
              file: path.join(catalogDir, 'drills/checkout.csv'),
            },
          ],
          synthetics: [{ entityRef: CHECKOUT, registry: 'x', journeys: 'y' }],
        },
      },
      [
        component('checkout'),
        component('search'),
        demoSlo('checkout-success.yaml'),
      ],
    );
    await demo.run('reliability-evaluate');
    expect(demo.tasks).not.toContain('reliability-demo-synthetics');
    expect(
      (await demo.get('/drills', { entityRef: CHECKOUT })).body.items,
    ).toEqual([]);
    expect(
      (await demo.get('/changes', { entityRef: 'component:default/search' }))
        .body.items,
    ).toEqual([]);
    const [slo] = (await demo.get('/slos', { entityRef: CHECKOUT })).body.items;
    expect([slo.ref, slo.status.state]).toEqual([
      'default/checkout-success',
      'no_data',
    ]);
  });

  it("records checkout's drill log, load tests and the changes at start, once, and logs a file that is not there", async () => {
    const reliability = {
      demo: {
        enabled: true,
        drillLogs: [
          {
            entityRef: CHECKOUT,
            file: path.join(catalogDir, 'drills/checkout.csv'),
          },
          { entityRef: 'component:default/search', file: '/nonexistent.csv' },
        ],
        capacityRuns: [
          {
            entityRef: CHECKOUT,
            file: path.join(catalogDir, 'loadtests/checkout-runs.json'),
            latencyP95: '1s',
          },
        ],
      },
    };
    const demo = await bootDemo(databases, reliability, [
      component('checkout'),
      component('search'),
    ]);
    // the imports again, as a restart on the same database would run them: nothing doubles
    const logger = mockServices.logger.mock();
    const cfg = new ConfigReader(reliability);
    await importDemoDrillLogs(cfg, demo.records.drills, logger);
    await importDemoCapacityRuns(cfg, demo.records.capacity, logger);
    await importDemoChanges(demo.records.changes, logger);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^reliability\.demo\.drillLogs\[1\]: not imported: ENOENT/,
      ),
    );

    expect(
      (
        await demo.get('/drills', { entityRef: CHECKOUT, limit: 100 })
      ).body.items.map((d: any) => d.date),
    ).toEqual([
      '2026-06-10',
      '2026-05-20',
      '2026-03-11',
      '2025-12-09',
      '2025-09-10',
    ]);
    const runs = (
      await demo.get('/capacity/runs', { entityRef: CHECKOUT, limit: 100 })
    ).body.items;
    expect(runs.map((r: any) => [r.testType, r.verdict])).toEqual([
      ['smoke', 'pass'],
      ['stress', 'pass'],
      ['stress', 'pass'],
      ['stress', 'fail'],
      ['spike', 'pass'],
      ['stress', 'pass'],
      ['stress', 'pass'],
    ]);
    expect(runs[3].reason).toBe(
      'p95 1130.5 ms is above the latency SLO of 1000 ms',
    );
    // SRE-102 on search: the bad config push three minutes before its incident, then the rollback
    const search = (
      await demo.get('/changes', { entityRef: 'component:default/search' })
    ).body.items;
    expect(search.map((c: any) => [c.kind, c.summary])).toEqual([
      ['config', 'Rollback: DB pool size 5 -> 50'],
      ['config', 'SRE-102: DB pool size 50 -> 5'],
      ['deploy', 'ranking tweaks'],
    ]);
    const epoch = Math.floor(Date.now() / MIN) * MIN;
    expect(
      Math.abs(Date.parse(search[1].at) - (epoch - (2 * 1440 + 600 + 3) * MIN)),
    ).toBeLessThanOrEqual(2 * MIN);
    expect(
      (await demo.get('/changes', { entityRef: CHECKOUT })).body.items,
    ).toHaveLength(3);
  });

  it('writes 30 days of traffic for the demo SLOs, up to the current minute, before the first tick evaluates them', async () => {
    const demo = await bootDemo(
      databases,
      { demo: { enabled: true, days: 30 } },
      [
        component('checkout'),
        component('login-otp'),
        demoSlo('checkout-success.yaml'),
        demoSlo('otp-verify-latency.yaml'),
      ],
    );
    await demo.run('reliability-evaluate');
    const slos = (await demo.get('/slos', { entityRef: CHECKOUT })).body.items;
    const success = slos.find((s: any) => s.ref === 'default/checkout-success');
    expect(success.status.sli).toBeGreaterThan(0.99);
    expect(success.status.windowCoverage).toBeGreaterThan(0.99);
    // the time-slice SLO counts a slice a minute: its 7 days of them
    const [otp] = (
      await demo.get('/slos', { entityRef: 'component:default/login-otp' })
    ).body.items;
    expect([otp.ref, otp.status.total]).toEqual([
      'default/otp-verify-latency-p95',
      expect.any(Number),
    ]);
    expect(otp.status.total).toBeGreaterThanOrEqual(7 * 1440 - 1);
    expect(await demo.records.counts.hasData('default/checkout-success')).toBe(
      true,
    );
    const last = await demo.records.counts.lastDataAt(
      'default/checkout-success',
    );
    expect(last).toBeGreaterThan(Date.now() - 2 * MIN);
  });

  it("imports checkout's journeys with a past once its SLO is registered, and the journeys pass against the demo shop", async () => {
    const shop = new DemoShop({ otp: '424242', shoppersPerSecond: 0 });
    const port = await shop.start(0);
    // the journeys' file names 127.0.0.1:7090; the test's shop listens where the OS put it
    const dir = mkdtempSync(path.join(tmpdir(), 'demo-journeys-'));
    const journeys = path.join(dir, 'checkout.json');
    writeFileSync(
      journeys,
      readFileSync(path.join(catalogDir, 'synthetics/checkout.json'), 'utf8')
        .split('127.0.0.1:7090')
        .join(`127.0.0.1:${port}`),
    );
    try {
      const demo = await bootDemo(
        databases,
        {
          synthetics: {
            allowedHosts: ['127.0.0.1', 'localhost'],
            secrets: { DEMO_OTP: '424242' },
          },
          demo: {
            enabled: true,
            synthetics: [
              {
                entityRef: CHECKOUT,
                registry: path.join(catalogDir, 'synthetics/registry.csv'),
                journeys,
                historyHours: 2,
              },
            ],
          },
        },
        [component('checkout'), demoSlo('checkout-journey.yaml')],
      );
      // the SLO is not registered yet: the import waits
      await demo.run('reliability-demo-synthetics');
      expect(
        (await demo.get('/synthetics', { entityRef: CHECKOUT })).body.items,
      ).toEqual([]);
      await demo.run('reliability-evaluate');
      await demo.run('reliability-demo-synthetics');
      await demo.run('reliability-demo-synthetics');
      const listed = (await demo.get('/synthetics', { entityRef: CHECKOUT }))
        .body.items;
      expect(
        listed.map((j: any) => [
          j.name,
          j.regions,
          j.frequency,
          j.deadlineMs,
          j.steps.length,
        ]),
      ).toEqual([
        ['checkout_full', ['ap-sg', 'ap-jp', 'us-east'], '5m', 3000, 5],
        ['login_otp', ['us-east'], '5m', 1500, 1],
        ['search_basic', ['eu-west'], '5m', 2000, 3],
        ['storefront_browser', ['eu-west'], '5m', 20000, 1],
      ]);
      // two hours every 5 minutes in each region, recorded once, and counted for the journey's SLO
      await demo.run('reliability-evaluate');
      const [slo] = (await demo.get('/slos', { entityRef: CHECKOUT })).body
        .items;
      expect(slo.ref).toBe('default/checkout-journey');
      expect(slo.status.total).toBe(3 * 23);

      // the runner runs the journeys against the shop: each passes in each of its regions
      await demo.run('reliability-synthetics-run');
      const after = (await demo.get('/synthetics', { entityRef: CHECKOUT }))
        .body.items;
      const latest = after.flatMap((j: any) =>
        Object.entries(j.latest).map(([region, run]: [string, any]) => [
          j.name,
          region,
          run.success,
          run.error,
        ]),
      );
      expect(latest).toEqual(
        expect.arrayContaining([
          ['checkout_full', 'ap-sg', true, null],
          ['login_otp', 'us-east', true, null],
          ['search_basic', 'eu-west', true, null],
          // browser steps are off in this test's config: the storefront journey says so rather than pass
          [
            'storefront_browser',
            'eu-west',
            false,
            expect.stringContaining('browser steps are off here'),
          ],
        ]),
      );
      const metrics = await (
        await fetch(`http://127.0.0.1:${port}/metrics`)
      ).text();
      expect(metrics).toMatch(
        /shop_http_requests_total\{route="checkout",code="201"\} [1-9]/,
      );
    } finally {
      await shop.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('simulated shoppers move the metrics: every route, some slow and failed checkouts, paid through the PSP', async () => {
    let i = 0;
    const shop = new DemoShop({
      otp: 'x',
      shoppersPerSecond: 0,
      errorRate: 0.1,
      slowRate: 0.2,
      random: () => (i = (i * 9301 + 49297) % 233280) / 233280,
    });
    const port = await shop.start(0);
    try {
      await shop.simulate(10, 100);
      const text = await (
        await fetch(`http://127.0.0.1:${port}/metrics`)
      ).text();
      const value = (re: RegExp) => Number(text.match(re)?.[1]);
      expect(
        value(/shop_http_requests_total\{route="home",code="200"\} (\d+)/),
      ).toBe(1000);
      const failed = value(
        /shop_http_requests_total\{route="checkout",code="500"\} (\d+)/,
      );
      expect(failed).toBeGreaterThan(50);
      expect(failed).toBeLessThan(150);
      const under1s = value(
        /shop_http_request_duration_seconds_bucket\{le="1",route="checkout"\} (\d+)/,
      );
      expect(under1s).toBeLessThan(1001);
      expect(under1s).toBeGreaterThan(700);
      // the checkouts that did not fail paid through the breaker and the PSP stub
      const paid = value(
        /shop_http_requests_total\{route="checkout",code="201"\} (\d+)/,
      );
      expect(paid).toBe(1000 - failed);
      expect(value(/shop_psp_requests_total\{result="ok"\} (\d+)/)).toBe(paid);
      expect(value(/\nshop_payment_breaker_open (\S+)/)).toBe(0);
    } finally {
      await shop.stop();
    }
  });
});
