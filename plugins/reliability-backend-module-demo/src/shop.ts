import http from 'http';
import { AddressInfo } from 'net';
import { randomUUID } from 'crypto';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PaymentBreakerOptions, PaymentClient, PspStub } from './payments';

const ROUTES = ['home', 'login_otp', 'search', 'cart', 'checkout'] as const;
type Route = (typeof ROUTES)[number];

/**
 * The shop's storefront: a page a person (or the synthetic browser journey) uses, logging in with the one-time
 * password and searching, through the same API as the HTTP journeys. Results are written as text, never as HTML.
 */
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo shop</title></head><body>
<h1>Demo shop</h1><p>The reliability suite's demo: Home → Login OTP → Search → Add to cart → Checkout (payment through a PSP stub behind a circuit breaker; pay later when it is open).</p>
<form id="login"><label>One-time password <input id="otp" autocomplete="one-time-code" required></label> <button type="submit">Log in</button></form>
<form id="search" hidden><label>Search <input id="q" required></label> <button type="submit">Search</button></form>
<p id="status" role="status"></p><ul id="results"></ul>
<script>
(() => {
  let token = '';
  const $ = id => document.getElementById(id);
  const say = text => { $('status').textContent = text; };
  $('login').addEventListener('submit', async e => {
    e.preventDefault();
    const res = await fetch('/api/login/otp', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'shopper', otp: $('otp').value }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) return say('Login failed: ' + (body.error || res.status));
    token = body.token;
    $('login').hidden = true;
    $('search').hidden = false;
    say('Logged in');
  });
  $('search').addEventListener('submit', async e => {
    e.preventDefault();
    const res = await fetch('/api/search?q=' + encodeURIComponent($('q').value), {
      headers: { Authorization: 'Bearer ' + token },
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) return say('Search failed: ' + (body.error || res.status));
    $('results').replaceChildren(...body.items.map(i => {
      const li = document.createElement('li');
      li.textContent = i.name + ' (' + i.sku + '): ' + i.price;
      return li;
    }));
    say(body.items.length + ' results for ' + body.query);
  });
})();
</script>
</body></html>`;

export interface DemoShopOptions {
  /** The one-time password the demo's test account logs in with (the journey reads it from config secrets). */
  otp: string;
  /** Simulated shoppers per second besides the synthetic runs, so the metrics have traffic (default 5; 0: none). */
  shoppersPerSecond?: number;
  /** Share of simulated checkouts that fail (default 0.002) and that take over a second (default 0.004). */
  errorRate?: number;
  slowRate?: number;
  random?: () => number;
  /** Checkout's payment circuit breaker (the PSP stub listens on a loopback port of its own). */
  payments?: PaymentBreakerOptions;
}

/**
 * The demo's small shop on loopback: the seed's main journey as an API (home, OTP login, search, cart, checkout) for
 * the synthetic runner, and Prometheus metrics (`/metrics`: requests by route and code, and a latency histogram) for
 * the Prometheus-backed demo SLO. Simulated shoppers keep the metrics moving.
 *
 * Checkout pays through the demo's payment provider, a PSP stub on loopback, behind a circuit breaker (SRE-002): when
 * the PSP fails or is slow, or the breaker is open, checkout answers 200 with `status: pay_later` (the order is taken,
 * payment is collected later) instead of failing; a paid checkout answers 201 `status: paid`. The brownout experiment
 * makes the PSP slow and failing through `psp.inject` (the demo's chaos action, chaos.ts).
 */
export class DemoShop {
  private server?: http.Server;
  private timer?: NodeJS.Timeout;
  private readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'code'>;
  private readonly duration: Histogram<'route'>;
  private readonly sessions = new Set<string>();
  private readonly carts = new Map<string, string>();
  private readonly random: () => number;
  /** The demo's payment provider: the brownout experiment's target. */
  readonly psp: PspStub;
  readonly payments: PaymentClient;

  constructor(private readonly o: DemoShopOptions) {
    this.random = o.random ?? Math.random;
    this.psp = new PspStub(this.random);
    this.payments = new PaymentClient(
      () => `http://127.0.0.1:${this.psp.port}`,
      this.registry,
      o.payments,
    );
    const psp = this.psp;
    const faultActive = new Gauge({
      name: 'shop_psp_fault_active',
      help: 'A chaos fault is injected into the demo payment provider (1) or not (0)',
      registers: [this.registry],
      collect() {
        this.set(psp.currentFault() ? 1 : 0);
      },
    });
    faultActive.set(0);
    this.requests = new Counter({
      name: 'shop_http_requests_total',
      help: 'Requests to the demo shop by route and status code',
      labelNames: ['route', 'code'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'shop_http_request_duration_seconds',
      help: 'Latency of the demo shop by route',
      labelNames: ['route'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    // every series exists from the start: rate() over a fresh shop answers 0, not nothing
    for (const route of ROUTES) {
      this.requests.inc({ route, code: '200' }, 0);
      this.requests.inc({ route, code: '500' }, 0);
      if (route === 'checkout') this.requests.inc({ route, code: '201' }, 0);
      this.duration.observe({ route }, 0.01);
    }
  }

  private observe(route: Route, code: number, seconds: number) {
    this.requests.inc({ route, code: String(code) });
    this.duration.observe({ route }, seconds);
  }

  /**
   * `seconds` of simulated shoppers: every route, with the configured share of slow and failed checkouts. Their
   * checkouts pay through the breaker like real ones (a few at a time), so a brownout shows in the metrics.
   */
  async simulate(
    seconds = 1,
    perSecond = this.o.shoppersPerSecond ?? 5,
  ): Promise<void> {
    const n = Math.round(perSecond * seconds);
    const checkouts: Array<() => Promise<void>> = [];
    for (let i = 0; i < n; i++) {
      for (const route of ROUTES) {
        const slow =
          route === 'checkout' && this.random() < (this.o.slowRate ?? 0.004);
        const failed =
          route === 'checkout' && this.random() < (this.o.errorRate ?? 0.002);
        const think = slow ? 1.2 + this.random() : 0.02 + this.random() * 0.2;
        if (route !== 'checkout' || failed) {
          this.observe(route, failed ? 500 : 200, think);
          continue;
        }
        checkouts.push(async () => {
          const started = process.hrtime.bigint();
          const paid = await this.payments.pay(`sim-${i}`);
          const waited = Number(process.hrtime.bigint() - started) / 1e9;
          this.observe(
            route,
            paid.outcome === 'paid' ? 201 : 200,
            think + waited,
          );
        });
      }
    }
    // at most 10 charges in flight
    const next = async (): Promise<void> => {
      const job = checkouts.shift();
      if (!job) return;
      await job();
      await next();
    };
    await Promise.all(Array.from({ length: 10 }, next));
  }

  async start(port: number, host = '127.0.0.1'): Promise<number> {
    await this.psp.start(0, host);
    this.server = http.createServer((req, res) => {
      const started = process.hrtime.bigint();
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 64_000) chunks.push(c);
      });
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://shop.local');
        const answer = (
          route: Route | undefined,
          code: number,
          body: unknown,
          headers: Record<string, string> = {},
        ) => {
          const text = typeof body === 'string' ? body : JSON.stringify(body);
          res
            .writeHead(code, {
              'content-type':
                typeof body === 'string' ? 'text/html' : 'application/json',
              ...headers,
            })
            .end(text);
          if (route)
            this.observe(
              route,
              code,
              Number(process.hrtime.bigint() - started) / 1e9,
            );
        };
        let body: Record<string, unknown> = {};
        try {
          body = chunks.length
            ? JSON.parse(Buffer.concat(chunks).toString('utf8'))
            : {};
        } catch {
          return answer(undefined, 400, { error: 'body must be JSON' });
        }
        const session = (req.headers.authorization ?? '').replace(
          /^Bearer /,
          '',
        );
        const p = url.pathname;
        if (p === '/metrics') {
          return void this.registry
            .metrics()
            .then(m =>
              res
                .writeHead(200, { 'content-type': this.registry.contentType })
                .end(m),
            );
        }
        if (p === '/' && req.method === 'GET') return answer('home', 200, PAGE);
        if (p === '/api/login/otp' && req.method === 'POST') {
          if (body.otp !== this.o.otp)
            return answer('login_otp', 401, {
              error: 'wrong one-time password',
            });
          const token = randomUUID();
          this.sessions.add(token);
          if (this.sessions.size > 10_000)
            this.sessions.delete(this.sessions.values().next().value!);
          return answer('login_otp', 200, {
            user: String(body.user ?? 'guest').slice(0, 100),
            token,
          });
        }
        if (!this.sessions.has(session) && p.startsWith('/api/'))
          return answer(undefined, 401, { error: 'log in first' });
        if (p === '/api/search' && req.method === 'GET') {
          return answer('search', 200, {
            query: (url.searchParams.get('q') ?? '').slice(0, 100),
            items: [
              { sku: 'socks-42', name: 'Wool socks', price: 12.5 },
              { sku: 'scarf-7', name: 'Scarf', price: 30 },
            ],
          });
        }
        if (p === '/api/cart' && req.method === 'POST') {
          if (typeof body.sku !== 'string')
            return answer('cart', 400, { error: 'sku: is required' });
          const cartId = randomUUID().slice(0, 8);
          this.carts.set(cartId, body.sku);
          if (this.carts.size > 10_000)
            this.carts.delete(this.carts.keys().next().value!);
          return answer('cart', 201, { cartId, sku: body.sku });
        }
        if (p.startsWith('/api/checkout/') && req.method === 'POST') {
          const cartId = p.slice('/api/checkout/'.length);
          const sku = this.carts.get(cartId);
          if (!sku) return answer('checkout', 404, { error: 'no such cart' });
          this.carts.delete(cartId);
          return void this.payments.pay(sku).then(paid =>
            paid.outcome === 'paid'
              ? answer('checkout', 201, {
                  status: 'paid',
                  payment: 'psp',
                  orderId: cartId,
                  sku,
                })
              : // the brownout: the order is taken and paid later, not failed
                answer('checkout', 200, {
                  status: 'pay_later',
                  payment: 'deferred',
                  orderId: cartId,
                  sku,
                  reason: paid.reason,
                }),
          );
        }
        return answer(undefined, 404, { error: 'not found' });
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        this.server!.once('error', reject);
        this.server!.listen(port, host, () => resolve());
      });
    } catch (e) {
      this.server = undefined;
      await this.psp.stop();
      throw e;
    }
    if ((this.o.shoppersPerSecond ?? 5) > 0) {
      this.timer = setInterval(() => void this.simulate(1), 1_000);
      this.timer.unref();
    }
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.payments.shutdown();
    await this.psp.stop();
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise(r => s.close(r));
    }
  }
}
