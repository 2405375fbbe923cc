import path from 'path';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { parseOpenSlo } from '@internal/plugin-reliability-common';
import { readFileSync } from 'fs';
import { parse } from 'yaml';
import { ReliabilityDatabase } from '../database/ReliabilityDatabase';
import { SyntheticRunner } from '../synthetics/SyntheticRunner';
import { SyntheticTask } from '../synthetics/SyntheticTask';
import { SloRegistry } from '../slos/SloRegistry';
import { DemoShop } from './shop';
import { importDemoSynthetics } from './synthetics';

jest.setTimeout(60_000);

const catalog = path.join(__dirname, '../../../../catalog');

describe('the demo synthetics', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it("import the seed's registry with checkout's steps, record a day of history once, and pass live against the demo shop", async () => {
    const shop = new DemoShop({ otp: '424242', shoppersPerSecond: 0 });
    const port = await shop.start(0);
    try {
      const stores = (await ReliabilityDatabase.create(await databases.init('SQLITE_3'))).stores();
      const logger = mockServices.logger.mock();
      const slo = parseOpenSlo(parse(readFileSync(path.join(catalog, 'slos/checkout-journey.yaml'), 'utf8')));
      if (!slo.ok) throw new Error(slo.error);
      await stores.slos.syncSlos({ upserts: [{ def: slo.value, entityRef: 'slo:default/checkout-journey', docHash: 'x' }], remove: [] });
      const registry = new SloRegistry({} as any, {} as any, stores.slos, logger, new Map());
      // the journeys' file names 127.0.0.1:7090; the test's shop listens where the OS put it
      const runner = new SyntheticRunner({ allowedHosts: ['127.0.0.1', 'localhost'], secrets: { DEMO_OTP: '424242' } });
      const task = new SyntheticTask({ store: stores.synthetics, runner, registry, slos: stores.slos, logger, minuteRetentionMs: 7 * 3_600_000 });
      const cfg = new ConfigReader({
        demo: { synthetics: [{ entityRef: 'component:default/checkout', registry: path.join(catalog, 'synthetics/registry.csv'), journeys: path.join(catalog, 'synthetics/checkout.json'), historyHours: 2 }] },
      });
      const now = Date.now();
      expect(await importDemoSynthetics(cfg, { store: stores.synthetics, task, registry, logger }, { now, waitForSlos: true })).toBe('done');
      expect(await importDemoSynthetics(cfg, { store: stores.synthetics, task, registry, logger }, { now })).toBe('done');
      const journeys = await stores.synthetics.list('component:default/checkout', 10, 0);
      expect(journeys.map(j => [j.name, j.regions, j.frequency, j.deadlineMs, j.steps.length])).toEqual([
        ['checkout_full', ['ap-sg', 'ap-jp', 'us-east'], '5m', 3000, 5],
        ['login_otp', ['us-east'], '5m', 1500, 1],
        ['search_basic', ['eu-west'], '5m', 2000, 3],
      ]);
      // two hours every 5 minutes in each region, recorded once (the second import found runs)
      const outcomes = await stores.synthetics.outcomes('component:default/checkout', 'checkout_full', now - 3 * 3_600_000, 10_000);
      expect(logger.warn).not.toHaveBeenCalled();
      expect(outcomes.length).toBe(3 * 23);
      // and counted for the Synthetic SLO (late counts included: the regions are recorded one after another)
      const cum = await stores.slos.cumulativeAt([{ sloRef: 'default/checkout-journey', t: now }]);
      expect(cum.get('default/checkout-journey')?.get(now)?.total).toBe(3 * 23);

      // the journey as the runner runs it, against this shop
      const live = journeys[0];
      const moved = JSON.parse(JSON.stringify(live).split('127.0.0.1:7090').join(`127.0.0.1:${port}`));
      const r = await runner.run(moved);
      expect([r.success, r.error, r.steps.map(s => s.status)]).toEqual([true, null, [200, 200, 200, 201, 201]]);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('shop_http_requests_total{route="checkout",code="201"} 1');
      expect(metrics).toMatch(/shop_http_request_duration_seconds_count\{route="checkout"\} 2/);
      const search = await runner.run(JSON.parse(JSON.stringify(journeys[2]).split('127.0.0.1:7090').join(`127.0.0.1:${port}`)));
      expect([search.success, search.steps[2].excerpt]).toEqual([true, expect.stringContaining('127.0.0.1')]);
    } finally {
      await shop.stop();
    }
  });

  it('simulated shoppers move the metrics: every route, some slow and failed checkouts', async () => {
    let i = 0;
    const shop = new DemoShop({ otp: 'x', shoppersPerSecond: 100, errorRate: 0.1, slowRate: 0.2, random: () => ((i = (i * 9301 + 49297) % 233280) / 233280) });
    const port = await shop.start(0);
    try {
      shop.simulate(10);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const value = (re: RegExp) => Number(text.match(re)?.[1]);
      expect(value(/shop_http_requests_total\{route="home",code="200"\} (\d+)/)).toBe(1000);
      const failed = value(/shop_http_requests_total\{route="checkout",code="500"\} (\d+)/);
      expect(failed).toBeGreaterThan(50);
      expect(failed).toBeLessThan(150);
      const under1s = value(/shop_http_request_duration_seconds_bucket\{le="1",route="checkout"\} (\d+)/);
      expect(under1s).toBeLessThan(1001);
      expect(under1s).toBeGreaterThan(700);
    } finally {
      await shop.stop();
    }
  });
});
