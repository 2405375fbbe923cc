import path from 'path';
import { readFileSync } from 'fs';
import { parse } from 'yaml';
import { RemediationActionContext } from '@reliability-suite/plugin-reliability-node';
import { catalogDir } from './__testUtils__/backend';
import { demoPspFaultAction, faultOf } from './chaos';
import { DemoShop } from './shop';

jest.setTimeout(60_000);

/** The seed's brownout experiment as the ChaosExperimentStarted alert carries it (its `experiment` annotation). */
const brownout = parse(
  readFileSync(
    path.join(catalogDir, 'chaos/experiments/brownout_checkout.yaml'),
    'utf8',
  ),
);

const journeys = JSON.parse(
  readFileSync(path.join(catalogDir, 'synthetics/checkout.json'), 'utf8'),
);
/** The checkout step of the checkout_full journey: what the synthetic runner requires of checkout's answer. */
const checkoutStep = journeys.journeys
  .find((j: any) => j.name === 'checkout_full')
  .steps.find((s: any) => s.url.includes('/api/checkout/'));

function context(
  operation: string,
  annotations: Record<string, string> = {},
): RemediationActionContext {
  return {
    params: { operation },
    trigger: {
      kind: 'alert',
      id: `chaos:1:${operation}`,
      labels: { experiment: 'brownout-checkout' },
      annotations,
    },
    ruleId: `demo-psp-brownout-${operation}`,
    entityRef: 'component:default/checkout',
    executionId: 'e1',
    attempt: 1,
    signal: new AbortController().signal,
    templateValues: {},
  };
}

const metric = (text: string, name: string) => {
  const line = text.split('\n').find(l => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
};

describe('SRE-002: the PSP brownout in the demo shop', () => {
  let shop: DemoShop;
  let base: string;
  let token: string;

  beforeEach(async () => {
    // the demo's breaker, with a short reset so the recovery is quick to see
    shop = new DemoShop({
      otp: '424242',
      shoppersPerSecond: 0,
      payments: { resetTimeoutMs: 1_500 },
    });
    base = `http://127.0.0.1:${await shop.start(0)}`;
    token = (
      await (
        await fetch(`${base}/api/login/otp`, {
          method: 'POST',
          body: JSON.stringify({ user: 'sre', otp: '424242' }),
        })
      ).json()
    ).token;
  });
  afterEach(() => shop.stop());

  /** One checkout as the journey does it: add to cart, then check out; its answer and how long it took. */
  async function checkout() {
    const auth = { authorization: `Bearer ${token}` };
    const { cartId } = await (
      await fetch(`${base}/api/cart`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ sku: 'socks-42' }),
      })
    ).json();
    const started = Date.now();
    const res = await fetch(`${base}/api/checkout/${cartId}`, {
      method: 'POST',
      headers: auth,
    });
    const body = await res.json();
    return { status: res.status, body, ms: Date.now() - started };
  }

  /** `n` checkouts, `parallel` at a time. */
  async function checkouts(n: number, parallel: number) {
    const out: Awaited<ReturnType<typeof checkout>>[] = [];
    for (let i = 0; i < n; i += parallel)
      out.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(parallel, n - i) }, checkout),
        )),
      );
    return out;
  }

  /** The journey's checkout step passes on this answer (expectStatus and assertions, as the runner reads them). */
  const journeyPasses = (a: { status: number; body: any }) =>
    [checkoutStep.expectStatus].flat().includes(a.status) &&
    checkoutStep.assert.every(
      (x: any) => x.jsonPath === '$.orderId' && a.body.orderId !== undefined,
    );

  it('the brownout experiment makes the PSP slow and failing; the breaker opens, checkout answers pay later, and its error rate stays within budget', async () => {
    const action = demoPspFaultAction(() => shop);
    expect(action.validate({ operation: 'inject' })).toEqual([]);

    // before: checkout pays through the PSP
    const before = await checkouts(5, 5);
    expect(before.map(a => [a.status, a.body.status])).toEqual(
      Array(5).fill([201, 'paid']),
    );
    expect(before.every(journeyPasses)).toBe(true);

    // the portal starts the experiment: the demo's rule calls the action with the started experiment
    const injected = await action.execute(
      context('inject', { experiment: JSON.stringify(brownout) }),
    );
    expect(injected.detail).toMatch(
      /^demo PSP slow \(1500 ms\) and failing 20% of charges until /,
    );
    expect(shop.psp.currentFault()).toMatchObject({
      latencyMs: 1500,
      errorPercent: 20,
      source: 'brownout-checkout',
    });

    // shoppers keep checking out during the brownout
    const during = await checkouts(60, 6);
    const m1 = await (await fetch(`${base}/metrics`)).text();

    // the breaker opened and stays open while the PSP is sick
    expect(metric(m1, 'shop_payment_breaker_open')).toBe(1);
    expect(
      metric(m1, 'shop_payment_breaker_transitions_total{state="open"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(metric(m1, 'shop_psp_fault_active')).toBe(1);
    // the PSP was slow: the charges before the breaker opened timed out at its 800 ms deadline
    expect(
      metric(m1, 'shop_psp_requests_total{result="timeout"}'),
    ).toBeGreaterThanOrEqual(5);
    expect(metric(m1, 'shop_psp_requests_total{result="ok"}')).toBe(5);
    // then the open breaker answered at once
    const shortCircuited = metric(
      m1,
      'shop_psp_requests_total{result="short_circuit"}',
    );
    expect(shortCircuited).toBeGreaterThanOrEqual(40);

    // checkout browned out: every answer is a pay-later 200 that the journey accepts, none failed
    expect(during.filter(a => a.status >= 500)).toEqual([]);
    expect(
      during.every(a => a.status === 200 && a.body.status === 'pay_later'),
    ).toBe(true);
    expect(during.every(journeyPasses)).toBe(true);
    expect(new Set(during.map(a => a.body.reason))).toEqual(
      new Set([
        'the payment provider is too slow',
        'the payment breaker is open',
      ]),
    );
    // the route's error rate (the shop's own metric) is inside checkout's 0.5% budget: no 5xx at all
    const checkout5xx = metric(
      m1,
      'shop_http_requests_total{route="checkout",code="500"}',
    );
    const checkoutTotal =
      checkout5xx +
      metric(m1, 'shop_http_requests_total{route="checkout",code="200"}') +
      metric(m1, 'shop_http_requests_total{route="checkout",code="201"}');
    expect(checkoutTotal).toBe(65);
    expect(checkout5xx / checkoutTotal).toBeLessThanOrEqual(0.005);
    expect(
      metric(m1, 'shop_checkout_payments_total{outcome="pay_later"}'),
    ).toBe(60);
    // and fast enough: no answer near the journey's 3 s deadline, the p95 far below the experiment's 2 s abort
    const ms = during.map(a => a.ms).sort((a, b) => a - b);
    expect(ms[ms.length - 1]).toBeLessThan(1_500);
    expect(ms[Math.ceil(ms.length * 0.95) - 1]).toBeLessThan(1_000);
    expect(
      metric(
        m1,
        'shop_http_request_duration_seconds_bucket{le="1",route="checkout"}',
      ),
    ).toBe(
      metric(m1, 'shop_http_request_duration_seconds_count{route="checkout"}'),
    );

    // the halt clears the fault; after the breaker's reset a trial charge succeeds and checkout pays again
    expect((await action.execute(context('clear'))).detail).toBe(
      'demo PSP fault of brownout-checkout cleared',
    );
    expect(shop.psp.currentFault()).toBeNull();
    await new Promise(r => setTimeout(r, 1_700));
    const after = await checkouts(3, 1);
    expect(after.map(a => [a.status, a.body.status])).toEqual(
      Array(3).fill([201, 'paid']),
    );
    const m2 = await (await fetch(`${base}/metrics`)).text();
    expect(metric(m2, 'shop_payment_breaker_open')).toBe(0);
    expect(metric(m2, 'shop_psp_fault_active')).toBe(0);
  });

  it('without the breaker the same brownout fails checkouts (the breaker is what absorbs it)', async () => {
    // the demo shop's checkout has no way around its breaker; this shows what it saves: the PSP alone
    shop.psp.inject({
      latencyMs: 0,
      errorPercent: 100,
      until: Date.now() + 60_000,
      source: 'test',
    });
    const res = await fetch(`http://127.0.0.1:${shop.psp.port}/v1/charges`, {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(503);
    // while checkout browns out
    const [a] = await checkouts(1, 1);
    expect([a.status, a.body.status]).toEqual([200, 'pay_later']);
  });

  it('the fault ends by itself at the experiment duration, and the action refuses what it cannot do', async () => {
    const action = demoPspFaultAction(() => shop);
    // the fault lasts the experiment's duration
    expect(
      faultOf(
        context('inject', {
          experiment: JSON.stringify({ ...brownout, duration: '2m' }),
        }),
        1_000_000,
      ),
    ).toEqual({
      latencyMs: 1500,
      errorPercent: 20,
      until: 1_000_000 + 120_000,
      source: 'brownout-checkout',
    });
    // and then ends, with or without the halt
    shop.psp.inject({
      latencyMs: 1500,
      errorPercent: 20,
      until: Date.now() + 50,
      source: 'brownout-checkout',
    });
    expect(shop.psp.currentFault()).not.toBeNull();
    await new Promise(r => setTimeout(r, 80));
    expect(shop.psp.currentFault()).toBeNull();

    expect(action.validate({ operation: 'explode', extra: 1 })).toEqual([
      'params.operation: must be one of inject, clear',
      'params.extra: is not a parameter of demo-psp-fault',
    ]);
    await expect(action.execute(context('inject'))).rejects.toMatchObject({
      retryable: false,
      message: expect.stringMatching(/carries no chaos experiment/),
    });
    await expect(
      action.execute(
        context('inject', {
          experiment: JSON.stringify({
            name: 'kill',
            duration: '5m',
            injection: { type: 'pod-kill' },
          }),
        }),
      ),
    ).rejects.toThrow(/no latency or error-rate injection/);
    expect(shop.psp.currentFault()).toBeNull();
    await expect(
      demoPspFaultAction(() => undefined).execute(context('clear')),
    ).rejects.toThrow(/demo shop is not running/);
  });
});
