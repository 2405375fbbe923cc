import {
  SyntheticJourney,
  syntheticJourneySchema,
} from '@reliability-suite/plugin-reliability-common';
import { SyntheticRunner } from './SyntheticRunner';
import { HostLimiter } from './HostLimiter';
import { startDns, startShop, startTlsServer } from '../__testUtils__/shop';

jest.setTimeout(30_000);

const journey = (
  j: Partial<Omit<SyntheticJourney, 'steps'>> & { steps: unknown[] },
): SyntheticJourney =>
  syntheticJourneySchema.parse({
    name: 'checkout_full',
    regions: ['ap-sg'],
    frequency: '5m',
    deadlineMs: 3_000,
    ...j,
  });

describe('SyntheticRunner', () => {
  let shop: Awaited<ReturnType<typeof startShop>>;
  let other: Awaited<ReturnType<typeof startShop>>;
  let dns: Awaited<ReturnType<typeof startDns>>;
  let runner: SyntheticRunner;
  let base: string;

  beforeAll(async () => {
    other = await startShop();
    shop = await startShop({
      redirectTo: `http://elsewhere.test:${other.port}/`,
    });
    dns = await startDns({
      'shop.test': '127.0.0.1',
      'elsewhere.test': '127.0.0.1',
    });
    base = `http://shop.test:${shop.port}`;
    runner = new SyntheticRunner({
      allowedHosts: ['shop.test', 'localhost', '127.0.0.1'],
      secrets: { OTP: '424242' },
      dnsServers: [dns.server],
      perHostConcurrency: 2,
    });
  });
  afterAll(async () => {
    await Promise.all([shop.close(), other.close(), dns.close()]);
  });

  const seedJourney = (checkoutQuery = '') =>
    journey({
      steps: [
        {
          type: 'http',
          name: 'Home',
          url: `${base}/`,
          assert: [{ contains: 'Demo shop' }],
        },
        {
          type: 'http',
          name: 'Login OTP',
          method: 'POST',
          url: `${base}/login/otp`,
          body: { user: 'synthetic@example.com', otp: '{{secrets.OTP}}' },
          extract: [{ name: 'token', jsonPath: '$.token' }],
        },
        {
          type: 'http',
          name: 'Search',
          url: `${base}/search?q=socks`,
          headers: { Authorization: 'Bearer {{token}}' },
          assert: [{ jsonPath: '$.items[0].sku', exists: true }],
          extract: [{ name: 'sku', jsonPath: '$.items[0].sku' }],
        },
        {
          type: 'http',
          name: 'Add to cart',
          method: 'POST',
          url: `${base}/cart`,
          body: { sku: '{{sku}}' },
          expectStatus: 201,
          extract: [{ name: 'cartId', header: 'x-cart-id' }],
        },
        {
          type: 'http',
          name: 'Checkout',
          method: 'POST',
          url: `${base}/checkout/{{cartId}}${checkoutQuery}`,
          expectStatus: 201,
          assert: [{ jsonPath: '$.status', equals: 'paid' }],
        },
      ],
    });

  it("runs the seed's journey: values extracted in one step feed the next, a timed waterfall, redacted excerpts", async () => {
    const r = await runner.run(seedJourney());
    expect([r.success, r.error]).toEqual([true, null]);
    expect(r.steps.map(s => [s.name, s.ok, s.status])).toEqual([
      ['Home', true, 200],
      ['Login OTP', true, 200],
      ['Search', true, 200],
      ['Add to cart', true, 201],
      ['Checkout', true, 201],
    ]);
    // the waterfall: each step starts after the one before ends
    for (let i = 1; i < r.steps.length; i++)
      expect(r.steps[i].startMs).toBeGreaterThanOrEqual(
        r.steps[i - 1].startMs + r.steps[i - 1].durationMs - 1,
      );
    expect(r.durationMs).toBeLessThan(3_000);
    // the token never reaches the evidence; the cart made from the extracted sku was checked out
    expect(r.steps[1].excerpt).toBe(
      '{"user":"synthetic@example.com","token":"[redacted]"}',
    );
    expect(r.steps[4].excerpt).toBe('{"status":"paid","sku":"sku-9"}');
    expect(r.steps[4].url).toBe(`${base}/checkout/cart-1`);
  });

  it('fails on a wrong status, a failing assertion, a missing value, and names the step', async () => {
    const notFound = await runner.run(
      journey({
        steps: [{ type: 'http', name: 'Old page', url: `${base}/nope` }],
      }),
    );
    expect([notFound.success, notFound.error]).toEqual([
      false,
      "step 'Old page': status 404, expected 2xx",
    ]);
    const pending = await runner.run(seedJourney('?fail=1'));
    expect(pending.error).toBe(
      `step 'Checkout': assertion $.status == "paid": got "pending"`,
    );
    expect(pending.steps.map(s => s.ok)).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    const unknown = await runner.run(
      journey({
        steps: [{ type: 'http', name: 'Cart', url: `${base}/cart/{{cartId}}` }],
      }),
    );
    expect(unknown.error).toBe(
      "step 'Cart': url uses {{cartId}}, which no earlier step extracted",
    );
    const noSecret = await runner.run(
      journey({
        steps: [
          {
            type: 'http',
            name: 'Login',
            url: `${base}/`,
            headers: { 'X-Key': '{{secrets.NOPE}}' },
          },
        ],
      }),
    );
    expect(noSecret.error).toBe(
      "step 'Login': header X-Key uses {{secrets.NOPE}}, which is not in reliability.synthetics.secrets",
    );
    const notJson = await runner.run(
      journey({
        steps: [
          {
            type: 'http',
            name: 'Home',
            url: `${base}/`,
            assert: [{ jsonPath: '$.x', exists: true }],
          },
        ],
      }),
    );
    expect(notJson.error).toBe("step 'Home': $.x: the response is not JSON");
  });

  it('cuts a hung journey at its deadline', async () => {
    const r = await runner.run(
      journey({
        deadlineMs: 300,
        steps: [
          { type: 'http', name: 'Home', url: `${base}/` },
          { type: 'http', name: 'Hangs', url: `${base}/slow` },
          { type: 'http', name: 'Never', url: `${base}/` },
        ],
      }),
    );
    expect([r.success, r.error]).toEqual([
      false,
      "deadline of 300 ms passed during step 'Hangs'",
    ]);
    expect(r.steps.map(s => s.name)).toEqual(['Home', 'Hangs']);
    expect(r.durationMs).toBeGreaterThanOrEqual(295);
    expect(r.durationMs).toBeLessThan(1_500);
  });

  it('follows redirects on allowed hosts and refuses one to a host off the allowlist, which never gets the request', async () => {
    const moved = await runner.run(
      journey({
        steps: [
          {
            type: 'http',
            name: 'Moved',
            url: `${base}/moved`,
            assert: [{ contains: 'Demo shop' }],
          },
        ],
      }),
    );
    expect([moved.success, moved.steps[0].url]).toEqual([true, `${base}/`]);
    const before = other.hits.size;
    const away = await runner.run(
      journey({ steps: [{ type: 'http', name: 'Away', url: `${base}/away` }] }),
    );
    expect(away.error).toBe(
      "step 'Away': refused: elsewhere.test is not on reliability.synthetics.allowedHosts (redirect 1)",
    );
    expect(other.hits.size).toBe(before);
    const direct = await runner.run(
      journey({
        steps: [
          {
            type: 'http',
            name: 'Direct',
            url: `http://elsewhere.test:${other.port}/`,
          },
        ],
      }),
    );
    expect(direct.error).toBe(
      "step 'Direct': refused: elsewhere.test is not on reliability.synthetics.allowedHosts",
    );
    expect(other.hits.size).toBe(0);
  });

  it('checks TLS: a certificate expiring in 5 days is a warning; an untrusted chain fails unless allowed', async () => {
    const tls = await startTlsServer(5);
    try {
      const ok = await runner.run(
        journey({
          steps: [
            {
              type: 'tls',
              name: 'Certificate',
              host: 'localhost',
              port: tls.port,
              allowUntrusted: true,
            },
          ],
        }),
      );
      expect(ok.success).toBe(true);
      expect(ok.warnings).toEqual([
        expect.stringMatching(
          /^Certificate: the certificate expires in [45] days \(\d{4}-\d\d-\d\d\), under 14$/,
        ),
      ]);
      expect(ok.steps[0].excerpt).toMatch(
        /^subject CN=localhost; issuer CN=localhost; expires .*; chain of 1, not trusted \(self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)\); no OCSP staple$/,
      );
      const strict = await runner.run(
        journey({
          steps: [
            {
              type: 'tls',
              name: 'Certificate',
              host: 'localhost',
              port: tls.port,
            },
          ],
        }),
      );
      expect(strict.error).toBe(
        "step 'Certificate': the certificate chain is not trusted: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)",
      );
    } finally {
      await tls.close();
    }
    const longLived = await startTlsServer(200);
    try {
      const fine = await runner.run(
        journey({
          steps: [
            {
              type: 'tls',
              name: 'Certificate',
              host: '127.0.0.1',
              port: longLived.port,
              allowUntrusted: true,
            },
          ],
        }),
      );
      expect([fine.success, fine.warnings]).toEqual([true, []]);
    } finally {
      await longLived.close();
    }
  });

  it('reports a name that does not resolve, in DNS checks and HTTP steps alike', async () => {
    const wide = new SyntheticRunner({
      allowedHosts: ['*.test'],
      dnsServers: [dns.server],
    });
    const checked = await wide.run(
      journey({
        steps: [
          {
            type: 'dns',
            name: 'Resolves',
            hostname: 'shop.test',
            expect: ['127.0.0.1'],
          },
          { type: 'dns', name: 'Missing', hostname: 'nowhere.test' },
        ],
      }),
    );
    expect(checked.steps.map(s => [s.ok, s.excerpt])).toEqual([
      [true, '127.0.0.1'],
      [false, undefined],
    ]);
    expect(checked.error).toBe(
      "step 'Missing': nowhere.test does not resolve (ENOTFOUND)",
    );
    const http = await wide.run(
      journey({
        steps: [{ type: 'http', name: 'Home', url: 'http://nowhere.test/' }],
      }),
    );
    expect(http.error).toBe(
      "step 'Home': cannot resolve nowhere.test (ENOTFOUND)",
    );
    expect(dns.queries).toContain('A nowhere.test');
  });

  it('holds requests to one host to the per-host limit across journeys', async () => {
    const slowJourney = journey({
      steps: [
        {
          type: 'http',
          name: 'Delay',
          url: `http://localhost:${shop.port}/delay?ms=80`,
        },
      ],
    });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => runner.run(slowJourney)),
    );
    expect(results.every(r => r.success)).toBe(true);
    expect(shop.maxInFlight()).toBe(2);
  });
});

describe('HostLimiter', () => {
  it('never lets a newcomer overtake the queue, and forgets idle hosts', async () => {
    const limiter = new HostLimiter(1);
    let active = 0;
    let max = 0;
    const order: number[] = [];
    const task = (i: number) =>
      limiter.run('h', async () => {
        active++;
        max = Math.max(max, active);
        await new Promise(r => setTimeout(r, 5));
        order.push(i);
        active--;
      });
    const first = [task(1), task(2)];
    await first[0];
    await Promise.all([...first, task(3)]);
    expect([max, order]).toEqual([1, [1, 2, 3]]);
    expect(limiter.active('h')).toBe(0);
  });
});
