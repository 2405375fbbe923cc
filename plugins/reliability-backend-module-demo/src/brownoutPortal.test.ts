import path from 'path';
import net from 'net';
import { readFileSync } from 'fs';
import { parse } from 'yaml';
import { TestDatabases } from '@backstage/backend-test-utils';
import {
  bootDemo,
  catalogDir,
  component,
  demoSlo,
} from './__testUtils__/backend';

jest.setTimeout(120_000);

const CHECKOUT = 'component:default/checkout';
const MEI = 'user:default/mei';
const ANA = 'user:default/ana';

/** The demo's own rules for the brownout experiment, as app-config.yaml declares them. */
const demoRules = parse(
  readFileSync(path.resolve(catalogDir, '../app-config.yaml'), 'utf8'),
).reliability.remediation.rules.filter((r: { id: string }) =>
  r.id.startsWith('demo-psp-'),
);

const brownout = parse(
  readFileSync(
    path.join(catalogDir, 'chaos/experiments/brownout_checkout.yaml'),
    'utf8',
  ),
);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise(r => s.close(r));
  return port;
}

const metric = (text: string, name: string) => {
  const line = text.split('\n').find(l => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
};

/** Polls the shop's metric until it has the value (the engine runs the rule's call in the background). */
async function metricBecomes(shop: string, name: string, value: number) {
  let last = NaN;
  for (let i = 0; i < 100; i++) {
    last = metric(await (await fetch(`${shop}/metrics`)).text(), name);
    if (last === value) return;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`${name} stayed ${last}, not ${value}`);
}

describe('SRE-002 through the portal: the brownout experiment drives the demo PSP', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it.each(databases.eachSupportedId())(
    'start from the portal injects the fault through the demo rule, the breaker opens, checkout pays later; the kill switch clears it, on %p',
    async databaseId => {
      expect(demoRules.map((r: { id: string }) => r.id)).toEqual([
        'demo-psp-brownout-inject',
        'demo-psp-brownout-clear',
      ]);
      const port = await freePort();
      const shop = `http://127.0.0.1:${port}`;
      const demo = await bootDemo(
        databases,
        {
          demo: {
            enabled: true,
            days: 2,
            shop: { port, shoppersPerSecond: 0 },
          },
          remediation: { rules: demoRules },
          // the experiment's PromQL aborts are accepted only with a Prometheus configured (the guard is not run here)
          prometheus: {
            instances: [{ name: 'demo', url: 'http://127.0.0.1:9' }],
          },
        },
        [component('checkout'), demoSlo('checkout-success.yaml')],
        databaseId,
      );
      // checkout's SLO evaluated on the demo's traffic: the start guard can read its budget; the synthetics
      // runner reports it watches every region (the experiment hits us-east)
      await demo.run('reliability-evaluate');
      await demo.run('reliability-synthetics-presence');

      const created = await demo.post(
        '/chaos',
        { entityRef: CHECKOUT, experiment: brownout },
        MEI,
      );
      expect(created.status).toBe(201);
      const id = created.body.id;
      expect((await demo.post(`/chaos/${id}/approve`, {}, ANA)).status).toBe(
        200,
      );
      const started = await demo.post(`/chaos/${id}/start`, {}, MEI);
      expect(started.status).toBe(200);
      // the portal's start went to the demo's engine rule
      expect(started.body.engineCalls).toEqual(['demo-psp-brownout-inject']);
      await demo.run('reliability-remediation-dispatch');
      await metricBecomes(shop, 'shop_psp_fault_active', 1);

      // shoppers check out: the slow, failing PSP opens the breaker; checkout answers pay later, never 5xx
      const token = (
        await (
          await fetch(`${shop}/api/login/otp`, {
            method: 'POST',
            body: JSON.stringify({ otp: '424242' }),
          })
        ).json()
      ).token;
      const auth = { authorization: `Bearer ${token}` };
      const answers: number[] = [];
      for (let round = 0; round < 4; round++) {
        answers.push(
          ...(await Promise.all(
            Array.from({ length: 5 }, async () => {
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
              expect((await res.json()).status).toBe('pay_later');
              return res.status;
            }),
          )),
        );
      }
      expect(answers).toEqual(Array(20).fill(200));
      const m = await (await fetch(`${shop}/metrics`)).text();
      expect(metric(m, 'shop_payment_breaker_open')).toBe(1);
      expect(
        metric(m, 'shop_http_requests_total{route="checkout",code="500"}'),
      ).toBe(0);

      // the kill switch: aborted, and the demo's halt rule clears the fault
      const aborted = await demo.post(
        `/chaos/${id}/abort`,
        { reason: 'demo over' },
        MEI,
      );
      expect(aborted.status).toBe(200);
      await demo.run('reliability-remediation-dispatch');
      await metricBecomes(shop, 'shop_psp_fault_active', 0);
      // the remediation history records both calls of the demo engine, succeeded
      let states: string[][] = [];
      for (let i = 0; i < 50; i++) {
        const history = await demo.get('/remediations', {
          entityRef: CHECKOUT,
        });
        expect(history.status).toBe(200);
        states = history.body.items.map((x: any) => [x.ruleId, x.state]).sort();
        if (states.every(([, state]) => state === 'succeeded')) break;
        await new Promise(r => setTimeout(r, 100));
      }
      expect(states).toEqual([
        ['demo-psp-brownout-clear', 'succeeded'],
        ['demo-psp-brownout-inject', 'succeeded'],
      ]);
    },
  );
});
