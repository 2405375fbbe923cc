import http from 'http';
import { AddressInfo } from 'net';
import { randomUUID } from 'crypto';
import CircuitBreaker from 'opossum';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What a chaos run does to the PSP stub: every charge waits `latencyMs`, and `errorPercent` of them answer 503. */
export interface PspFault {
  latencyMs: number;
  errorPercent: number;
  /** The fault ends by itself then (ms since the epoch), even when the halt never comes. */
  until: number;
  /** Who injected it (the experiment's name), for the logs and the fault endpoint. */
  source: string;
}

/**
 * The demo's payment service provider: a loopback HTTP stub (`POST /v1/charges`) that answers 201 at once, unless a
 * fault is injected (the demo's brownout experiment), when it is slow and answers 503 for a share of charges.
 */
export class PspStub {
  private server?: http.Server;
  private fault: PspFault | null = null;
  port = 0;

  constructor(
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** The fault in force now, or null (an expired fault is cleared). */
  currentFault(): PspFault | null {
    if (this.fault && this.now() >= this.fault.until) this.fault = null;
    return this.fault;
  }

  inject(fault: PspFault): void {
    this.fault = fault;
  }

  clear(): void {
    this.fault = null;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/charges') {
          res.writeHead(404).end();
          return;
        }
        const fault = this.currentFault();
        const reply = () => {
          if (res.destroyed) return;
          if (fault && this.random() * 100 < fault.errorPercent) {
            res
              .writeHead(503, { 'content-type': 'application/json' })
              .end('{"error":"psp unavailable"}');
            return;
          }
          res
            .writeHead(201, { 'content-type': 'application/json' })
            .end(JSON.stringify({ chargeId: randomUUID() }));
        };
        if (fault?.latencyMs) setTimeout(reply, fault.latencyMs).unref();
        else reply();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise(r => s.close(r));
    }
  }
}

/** The breaker's settings (the demo's defaults suit a 3 s checkout deadline). */
export interface PaymentBreakerOptions {
  /** The PSP call's own deadline: a charge slower than this counts as a failure (default 800 ms). */
  timeoutMs?: number;
  /** Failures in the rolling window (10 s) that open the breaker, in percent (default 50). */
  errorThresholdPercentage?: number;
  /** Calls in the rolling window before the breaker may open (default 5). */
  volumeThreshold?: number;
  /** How long the breaker stays open before one trial call (half-open; default 5 s). */
  resetTimeoutMs?: number;
}

export type PaymentOutcome =
  | { outcome: 'paid'; chargeId: string }
  | { outcome: 'pay_later'; reason: string };

/**
 * Checkout's payment client: charges through the PSP stub behind an opossum circuit breaker. A failed or slow charge,
 * or any charge while the breaker is open, browns out to "pay later" (the order is taken, payment is collected
 * later) instead of failing the checkout. Metrics: the breaker's state, the PSP calls by result and their latency.
 */
export class PaymentClient {
  readonly breaker: CircuitBreaker<[string], { chargeId: string }>;
  private readonly calls: Counter<'result'>;
  private readonly latency: Histogram;
  private readonly outcomes: Counter<'outcome'>;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 50 });

  constructor(
    private readonly pspUrl: () => string,
    registry: Registry,
    o: PaymentBreakerOptions = {},
  ) {
    const timeout = o.timeoutMs ?? 800;
    this.breaker = new CircuitBreaker(
      (sku: string) => this.charge(sku, timeout),
      {
        timeout,
        errorThresholdPercentage: o.errorThresholdPercentage ?? 50,
        volumeThreshold: o.volumeThreshold ?? 5,
        resetTimeout: o.resetTimeoutMs ?? 5_000,
        rollingCountTimeout: 10_000,
        rollingCountBuckets: 10,
      },
    );
    const breaker = this.breaker;
    const open = new Gauge({
      name: 'shop_payment_breaker_open',
      help: "Checkout's payment circuit breaker: 1 open (checkouts brown out to pay later), 0.5 half-open, 0 closed",
      registers: [registry],
      collect() {
        let state = 0;
        if (breaker.opened) state = 1;
        else if (breaker.halfOpen) state = 0.5;
        this.set(state);
      },
    });
    open.set(0);
    const transitions = new Counter({
      name: 'shop_payment_breaker_transitions_total',
      help: "Changes of the payment circuit breaker's state, by the state it moved to",
      labelNames: ['state'],
      registers: [registry],
    });
    for (const state of ['open', 'half_open', 'closed']) {
      transitions.inc({ state }, 0);
    }
    breaker.on('open', () => transitions.inc({ state: 'open' }));
    breaker.on('halfOpen', () => transitions.inc({ state: 'half_open' }));
    breaker.on('close', () => transitions.inc({ state: 'closed' }));
    this.calls = new Counter({
      name: 'shop_psp_requests_total',
      help: 'Charges checkout sent to the payment provider, by result (ok, error, timeout) and those the open breaker short-circuited',
      labelNames: ['result'],
      registers: [registry],
    });
    for (const result of ['ok', 'error', 'timeout', 'short_circuit']) {
      this.calls.inc({ result }, 0);
    }
    breaker.on('success', () => this.calls.inc({ result: 'ok' }));
    // a timeout is also a failure to opossum: counted once, as a timeout
    breaker.on('failure', (err: Error & { code?: string }) => {
      if (err?.code !== 'ETIMEDOUT') this.calls.inc({ result: 'error' });
    });
    breaker.on('timeout', () => this.calls.inc({ result: 'timeout' }));
    breaker.on('reject', () => this.calls.inc({ result: 'short_circuit' }));
    this.latency = new Histogram({
      name: 'shop_psp_request_duration_seconds',
      help: "Latency of the payment provider's answers as checkout sees them (a charge past the breaker's deadline is abandoned 200 ms later)",
      buckets: [0.05, 0.1, 0.25, 0.5, 0.8, 1, 2.5, 5],
      registers: [registry],
    });
    this.outcomes = new Counter({
      name: 'shop_checkout_payments_total',
      help: 'Checkouts by payment outcome: paid, or pay_later (the brownout)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.outcomes.inc({ outcome: 'paid' }, 0);
    this.outcomes.inc({ outcome: 'pay_later' }, 0);
  }

  private charge(
    sku: string,
    timeoutMs: number,
  ): Promise<{ chargeId: string }> {
    const end = this.latency.startTimer();
    const url = new URL('/v1/charges', this.pspUrl());
    return new Promise<{ chargeId: string }>((resolve, reject) => {
      const req = http.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json' },
          // the breaker's timeout decides; this only frees the socket soon after
          timeout: timeoutMs + 200,
        },
        res => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', c => {
            if (text.length < 10_000) text += c;
          });
          res.on('end', () => {
            let chargeId: unknown;
            try {
              chargeId = JSON.parse(text).chargeId;
            } catch {
              // not JSON: no charge
            }
            if (res.statusCode !== 201 || typeof chargeId !== 'string')
              reject(new Error(`the PSP answered ${res.statusCode}`));
            else resolve({ chargeId });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('the PSP did not answer')));
      req.on('error', reject);
      req.end(JSON.stringify({ sku, idempotencyKey: randomUUID() }));
    }).finally(() => end());
  }

  /** Charges for one checkout: paid, or pay later when the PSP fails, is too slow or the breaker is open. */
  async pay(sku: string): Promise<PaymentOutcome> {
    try {
      const { chargeId } = await this.breaker.fire(sku);
      this.outcomes.inc({ outcome: 'paid' });
      return { outcome: 'paid', chargeId };
    } catch (e) {
      this.outcomes.inc({ outcome: 'pay_later' });
      const err = e as Error & { code?: string };
      let reason = `payment failed: ${err.message}`;
      if (err.code === 'EOPENBREAKER') reason = 'the payment breaker is open';
      else if (err.code === 'ETIMEDOUT')
        reason = 'the payment provider is too slow';
      return { outcome: 'pay_later', reason };
    }
  }

  shutdown(): void {
    this.breaker.shutdown();
    this.agent.destroy();
  }
}
