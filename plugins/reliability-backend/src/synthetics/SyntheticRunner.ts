import http from 'http';
import https from 'https';
import tls from 'tls';
import net from 'net';
import dns from 'dns';
import { performance } from 'perf_hooks';
import { randomUUID } from 'crypto';
import { JSONPath } from 'jsonpath-plus';
import {
  hostAllowed,
  redactExcerpt,
  redactText,
  renderJourneyTemplate,
  SyntheticJourney,
  SyntheticStep,
  SyntheticStepResult,
} from '@reliability-suite/plugin-reliability-common';
import { HostLimiter } from './HostLimiter';
import {
  CANARY_HEADERS,
  canarySignature,
  canarySignatureMatches,
} from './canary';
import {
  databaseCheck,
  DeepCheckOutcome,
  queueCheck,
  stepSignal,
} from './deepChecks';
import { readStaple, StapleStatus } from './ocsp';

type HttpStep = Extract<SyntheticStep, { type: 'http' }>;
type TlsStep = Extract<SyntheticStep, { type: 'tls' }>;
type DnsStep = Extract<SyntheticStep, { type: 'dns' }>;
type BrowserStep = Extract<SyntheticStep, { type: 'browser' }>;
type WebhookStep = Extract<SyntheticStep, { type: 'webhook' }>;

/** Runs browser steps (playwright-core); absent unless `reliability.synthetics.browser.enabled`. */
export interface BrowserStepRunner {
  run(
    step: BrowserStep,
    ctx: {
      signal: AbortSignal;
      render: (t: string) => string;
      allowed: (host: string) => boolean;
    },
  ): Promise<{
    ok: boolean;
    error?: string;
    excerpt?: string;
    screenshot?: Buffer;
    har?: string;
    warning?: string;
  }>;
}

export interface SyntheticRunnerOptions {
  /** Hosts journeys may call (exact, or `*.example.com`); every other request is refused, redirects included. */
  allowedHosts: string[];
  /** `{{secrets.NAME}}` values, from config only. */
  secrets?: Record<string, string>;
  /** Secrets of the whole config, redacted from every excerpt and error as well. */
  redact?: (text: string) => string;
  /** DNS servers (`host` or `host:port`) to resolve with, instead of the system's resolver. */
  dnsServers?: string[];
  /** Requests in flight per host, across journeys (default 4). */
  perHostConcurrency?: number;
  /** Bytes of a response body read for assertions (default 1 MiB); excerpts keep the first 1,000 characters. */
  maxBodyBytes?: number;
  /** Redirects followed per step (default 5), each checked against the allowlist. */
  maxRedirects?: number;
  browser?: BrowserStepRunner;
}

/** The outcome of one journey run. */
export interface JourneyResult {
  startedAt: number;
  durationMs: number;
  success: boolean;
  error: string | null;
  warnings: string[];
  steps: SyntheticStepResult[];
  screenshot?: Buffer;
  har?: string;
}

class StepFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly excerpt?: string,
  ) {
    super(message);
  }
}

const DAY = 86_400_000;
/** OpenSSL's verification codes, in words. */
const TLS_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer unknown here',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'chain incomplete',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'issued for another name',
};
const errorCode = (e: unknown) => (e as { code?: string })?.code;

/** The OCSP part of a TLS step's excerpt. */
function ocspText(ocsp: StapleStatus | null | undefined): string {
  if (ocsp === undefined) return '';
  if (ocsp === null) return '; no OCSP staple';
  if (ocsp.problem) return `; OCSP staple not usable: ${ocsp.problem}`;
  return `; OCSP staple ${ocsp.certStatus}${
    ocsp.nextUpdate ? ` until ${ocsp.nextUpdate}` : ''
  }`;
}

/**
 * Runs synthetic journeys: HTTP steps (templates, redirects followed by hand and each hop checked against the
 * allowlist, status, JSONPath and text assertions, extraction into later steps), TLS and DNS deep checks, and browser
 * steps when enabled. The whole journey runs under one deadline: a hung step is cut there.
 */
export class SyntheticRunner {
  private readonly limiter: HostLimiter;
  private readonly resolver?: dns.promises.Resolver;
  private readonly secrets: Record<string, string>;

  constructor(private readonly o: SyntheticRunnerOptions) {
    this.limiter = new HostLimiter(o.perHostConcurrency ?? 4);
    this.secrets = o.secrets ?? {};
    if (o.dnsServers?.length) {
      this.resolver = new dns.promises.Resolver({ timeout: 2_000, tries: 1 });
      this.resolver.setServers(o.dnsServers);
    }
  }

  /** Config secrets and the journey's secrets, then URL credentials and queries, redacted. */
  private clean(text: string, extra: string[] = []): string {
    const t = redactText(
      text,
      [...Object.values(this.secrets), ...extra],
      2_000,
    );
    return this.o.redact ? this.o.redact(t) : t;
  }

  private allowed(host: string): boolean {
    return hostAllowed(host, this.o.allowedHosts);
  }

  /** Addresses of a name: the configured DNS servers, or the system's resolver. */
  private async addresses(
    hostname: string,
  ): Promise<{ address: string; family: number }[]> {
    if (net.isIP(hostname))
      return [{ address: hostname, family: net.isIP(hostname) }];
    // localhost is loopback (RFC 6761), whatever a configured DNS server would say
    const lower = hostname.toLocaleLowerCase('en-US');
    if (
      this.resolver &&
      (lower === 'localhost' || lower.endsWith('.localhost'))
    )
      return [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ];
    if (!this.resolver) return dns.promises.lookup(hostname, { all: true });
    const [v4, v6] = await Promise.allSettled([
      this.resolver.resolve4(hostname),
      this.resolver.resolve6(hostname),
    ]);
    const out = [
      ...(v4.status === 'fulfilled'
        ? v4.value.map(address => ({ address, family: 4 }))
        : []),
      ...(v6.status === 'fulfilled'
        ? v6.value.map(address => ({ address, family: 6 }))
        : []),
    ];
    if (!out.length)
      throw (
        (v4.status === 'rejected' ? v4.reason : undefined) ??
        Object.assign(new Error(`${hostname} has no addresses`), {
          code: 'ENODATA',
        })
      );
    return out;
  }

  /** A `lookup` for http/tls that uses {@link addresses}. */
  private readonly lookup: net.LookupFunction = (
    hostname,
    options,
    callback,
  ) => {
    this.addresses(hostname).then(
      list => {
        const family = typeof options === 'object' ? options.family : undefined;
        const matching = family ? list.filter(a => a.family === family) : list;
        if (!matching.length) {
          callback(
            Object.assign(
              new Error(`${hostname} has no IPv${family} address`),
              { code: 'ENOTFOUND' },
            ),
            '',
            0,
          );
        } else if (typeof options === 'object' && options.all) {
          (
            callback as unknown as (
              e: null,
              a: { address: string; family: number }[],
            ) => void
          )(null, matching);
        } else callback(null, matching[0].address, matching[0].family);
      },
      e => callback(e, '', 0),
    );
  };

  /** Runs one journey under its deadline. */
  async run(
    journey: SyntheticJourney,
    options?: { signal?: AbortSignal },
  ): Promise<JourneyResult> {
    const startedAt = Date.now();
    const t0 = performance.now();
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error('deadline')),
      journey.deadlineMs,
    );
    const outer = options?.signal;
    const onOuter = () => deadline.abort(outer?.reason);
    outer?.addEventListener('abort', onOuter);
    const vars: Record<string, string> = {};
    const steps: SyntheticStepResult[] = [];
    const warnings: string[] = [];
    let error: string | null = null;
    let screenshot: Buffer | undefined;
    let har: string | undefined;
    try {
      for (const step of journey.steps) {
        const start = performance.now();
        const result: SyntheticStepResult = {
          name: step.name,
          type: step.type,
          ok: false,
          startMs: Math.round(start - t0),
          durationMs: 0,
        };
        steps.push(result);
        const cutAt = () =>
          `deadline of ${journey.deadlineMs} ms passed during step '${step.name}'`;
        if (deadline.signal.aborted) {
          result.error = cutAt();
          error = result.error;
          break;
        }
        try {
          const out = await this.step(step, vars, deadline.signal);
          Object.assign(result, out.result);
          if (out.screenshot) screenshot = out.screenshot;
          if (out.har) har = out.har;
          result.ok = out.ok;
          if (!out.ok) error = `step '${step.name}': ${result.error}`;
        } catch (e) {
          result.error = deadline.signal.aborted
            ? cutAt()
            : this.clean(e instanceof Error ? e.message : String(e));
          if (e instanceof StepFailure) {
            result.status = e.status;
            if (e.excerpt !== undefined) result.excerpt = e.excerpt;
          }
          error = deadline.signal.aborted
            ? result.error
            : `step '${step.name}': ${result.error}`;
        }
        result.durationMs = Math.round((performance.now() - start) * 100) / 100;
        if (result.warning) warnings.push(`${step.name}: ${result.warning}`);
        if (error) break;
      }
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    }
    const durationMs = Math.round((performance.now() - t0) * 100) / 100;
    if (!error && durationMs > journey.deadlineMs)
      error = `took ${Math.round(durationMs)} ms, past the deadline of ${
        journey.deadlineMs
      } ms`;
    if (!error && journey.steps.length === 0)
      error = 'the journey has no steps';
    return {
      startedAt,
      durationMs,
      success: !error,
      error,
      warnings,
      steps,
      screenshot,
      har,
    };
  }

  private async step(
    step: SyntheticStep,
    vars: Record<string, string>,
    signal: AbortSignal,
  ): Promise<{
    ok: boolean;
    result: Partial<SyntheticStepResult>;
    screenshot?: Buffer;
    har?: string;
  }> {
    switch (step.type) {
      case 'http':
        return this.http(step, vars, signal);
      case 'tls':
        return this.tls(step, signal);
      case 'dns':
        return this.dns(step, signal);
      case 'database':
      case 'queue': {
        const host = step.host;
        if (!this.allowed(host))
          return {
            ok: false,
            result: {
              error: `refused: ${host} is not on reliability.synthetics.allowedHosts`,
            },
          };
        const password = this.secret(step.passwordSecret);
        const s = stepSignal(signal, step.timeoutMs);
        let out: DeepCheckOutcome;
        try {
          out =
            step.type === 'database'
              ? await databaseCheck(step, password, s)
              : await queueCheck(step, password, s);
        } catch (e) {
          if (signal.aborted) throw e;
          const message = e instanceof Error ? e.message : String(e);
          out = {
            ok: false,
            error: s.aborted
              ? `timed out after ${step.timeoutMs} ms`
              : `${step.engine} ${host}: ${
                  message || errorCode(e) || 'failed'
                }`,
          };
        }
        return {
          ok: out.ok,
          result: {
            error: out.error ? this.clean(out.error) : undefined,
            excerpt: out.excerpt ? this.clean(out.excerpt) : undefined,
          },
        };
      }
      case 'webhook':
        return this.webhook(step, vars, signal);
      case 'browser': {
        if (!this.o.browser)
          return {
            ok: false,
            result: {
              error:
                'browser steps are off here (reliability.synthetics.browser.enabled)',
            },
          };
        const render = (t: string) => {
          const r = renderJourneyTemplate(t, vars, this.secrets);
          if (!r.ok) throw new StepFailure(r.error);
          return r.value;
        };
        const out = await this.o.browser.run(step, {
          signal,
          render,
          allowed: h => this.allowed(h),
        });
        return {
          ok: out.ok,
          result: {
            error: out.error ? this.clean(out.error) : undefined,
            excerpt: out.excerpt
              ? redactExcerpt(out.excerpt, Object.values(this.secrets))
              : undefined,
            warning: out.warning,
          },
          screenshot: out.screenshot,
          har:
            out.har === undefined
              ? undefined
              : redactText(
                  out.har,
                  Object.values(this.secrets),
                  Number.MAX_SAFE_INTEGER,
                ),
        };
      }
      default:
        return { ok: false, result: { error: 'unknown step type' } };
    }
  }

  /** A `reliability.synthetics.secrets` value by name; an unknown name fails the step (the service checks first). */
  private secret(name: string | undefined): string | undefined {
    if (name === undefined) return undefined;
    if (!Object.prototype.hasOwnProperty.call(this.secrets, name))
      throw new StepFailure(
        `secret ${name} is not in reliability.synthetics.secrets`,
      );
    return this.secrets[name];
  }

  /**
   * A signed callback to the canary: POST `{nonce, sentAt}` signed with HMAC-SHA256 under the named secret; the
   * answer must be 200, carry the nonce back, and be signed under the same key. The step's duration is the round trip.
   */
  private async webhook(
    step: WebhookStep,
    vars: Record<string, string>,
    signal: AbortSignal,
  ): Promise<{ ok: boolean; result: Partial<SyntheticStepResult> }> {
    const key = this.secret(step.secret)!;
    let url: URL;
    try {
      url = new URL(this.render(step.url, vars, 'url', []));
    } catch (e) {
      if (e instanceof StepFailure) throw e;
      throw new StepFailure('url is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new StepFailure(`refused: ${url.protocol} is not http or https`);
    if (!this.allowed(url.hostname))
      throw new StepFailure(
        `refused: ${url.hostname} is not on reliability.synthetics.allowedHosts`,
      );
    const nonce = randomUUID();
    const body = JSON.stringify({ nonce, sentAt: new Date().toISOString() });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const s = stepSignal(signal, step.timeoutMs);
    let res;
    try {
      res = await this.limiter.run(url.host, () =>
        this.request(
          url,
          'POST',
          {
            'content-type': 'application/json',
            [CANARY_HEADERS.key]: step.secret,
            [CANARY_HEADERS.timestamp]: timestamp,
            [CANARY_HEADERS.signature]: canarySignature(key, timestamp, body),
          },
          body,
          s,
        ),
      );
    } catch (e) {
      if (signal.aborted) throw e;
      if (s.aborted)
        throw new StepFailure(`timed out after ${step.timeoutMs} ms`);
      throw e;
    }
    const result: Partial<SyntheticStepResult> = {
      status: res.status,
      ttfbMs: Math.round(res.ttfbMs * 100) / 100,
      url: this.clean(url.toString()),
      excerpt: redactExcerpt(res.body, [key, ...Object.values(this.secrets)]),
    };
    const fail = (error: string) => ({
      ok: false,
      result: { ...result, error: this.clean(error) },
    });
    if (res.status !== 200)
      return fail(`the canary answered ${res.status}, expected 200`);
    const sig = res.headers[CANARY_HEADERS.signature];
    const answerTs = res.headers[CANARY_HEADERS.timestamp];
    if (
      typeof answerTs !== 'string' ||
      !canarySignatureMatches(
        Array.isArray(sig) ? sig[0] : sig,
        key,
        answerTs,
        res.body,
      )
    )
      return fail('the canary answer is not signed under the same key');
    let echoed: unknown;
    try {
      echoed = (JSON.parse(res.body) as { nonce?: unknown }).nonce;
    } catch {
      echoed = undefined;
    }
    if (echoed !== nonce)
      return fail('the canary answer does not carry the nonce sent');
    return { ok: true, result };
  }

  private render(
    template: string,
    vars: Record<string, string>,
    what: string,
    used: string[],
  ): string {
    const r = renderJourneyTemplate(template, vars, this.secrets);
    if (!r.ok) throw new StepFailure(`${what} ${r.error}`);
    used.push(...r.usedSecrets);
    return r.value;
  }

  private async http(
    step: HttpStep,
    vars: Record<string, string>,
    signal: AbortSignal,
  ) {
    const used: string[] = [];
    let url: URL;
    try {
      url = new URL(this.render(step.url, vars, 'url', used));
    } catch (e) {
      if (e instanceof StepFailure) throw e;
      throw new StepFailure('url is not a valid URL');
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.headers))
      headers[k.toLowerCase()] = this.render(v, vars, `header ${k}`, used);
    let body: string | undefined;
    if (typeof step.body === 'string')
      body = this.render(step.body, vars, 'body', used);
    else if (step.body) {
      const fill = (v: unknown): unknown => {
        if (typeof v === 'string') return this.render(v, vars, 'body', used);
        if (Array.isArray(v)) return v.map(fill);
        if (v && typeof v === 'object')
          return Object.fromEntries(
            Object.entries(v).map(([k, x]) => [k, fill(x)]),
          );
        return v;
      };
      body = JSON.stringify(fill(step.body));
      headers['content-type'] ??= 'application/json';
    }
    let method: string = step.method;
    let expected: number[] | undefined;
    if (step.expectStatus !== undefined)
      expected = Array.isArray(step.expectStatus)
        ? step.expectStatus
        : [step.expectStatus];
    let res: {
      status: number;
      headers: http.IncomingHttpHeaders;
      body: string;
      ttfbMs: number;
    };
    for (let hop = 0; ; hop++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new StepFailure(`refused: ${url.protocol} is not http or https`);
      if (!this.allowed(url.hostname)) {
        throw new StepFailure(
          `refused: ${
            url.hostname
          } is not on reliability.synthetics.allowedHosts${
            hop ? ` (redirect ${hop})` : ''
          }`,
        );
      }
      const [target, m, b] = [url, method, body];
      res = await this.limiter.run(url.host, () =>
        this.request(target, m, headers, b, signal),
      );
      const location = res.headers.location;
      const redirect =
        res.status >= 300 &&
        res.status < 400 &&
        res.status !== 304 &&
        location &&
        !expected?.includes(res.status);
      if (!redirect) break;
      if (hop >= (this.o.maxRedirects ?? 5))
        throw new StepFailure(
          `more than ${this.o.maxRedirects ?? 5} redirects`,
          res.status,
        );
      const next = new URL(location, url);
      // 303, and 301/302 after a POST, continue as GET without the body (as browsers do)
      if (
        res.status === 303 ||
        ((res.status === 301 || res.status === 302) && method === 'POST')
      ) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      // credentials never follow a redirect to another origin
      if (next.origin !== url.origin) {
        delete headers.authorization;
        delete headers.cookie;
      }
      url = next;
    }
    const secrets = [...used, ...Object.values(this.secrets)];
    const excerpt = redactExcerpt(res.body, secrets);
    const result: Partial<SyntheticStepResult> = {
      status: res.status,
      ttfbMs: Math.round(res.ttfbMs * 100) / 100,
      excerpt,
      url: this.clean(url.toString(), used),
    };
    const fail = (message: string) => ({
      ok: false,
      result: { ...result, error: this.clean(message, used) },
    });
    const statusOk = expected
      ? expected.includes(res.status)
      : res.status >= 200 && res.status < 300;
    if (!statusOk)
      return fail(
        `status ${res.status}, expected ${
          expected ? expected.join(' or ') : '2xx'
        }`,
      );
    let json: unknown;
    let jsonError: string | undefined;
    const needsJson =
      step.assert.some(a => 'jsonPath' in a) ||
      step.extract.some(x => 'jsonPath' in x);
    if (needsJson) {
      try {
        json = JSON.parse(res.body);
      } catch {
        jsonError = 'the response is not JSON';
      }
    }
    const query = (path: string): unknown[] => {
      if (jsonError) throw new StepFailure(`${path}: ${jsonError}`);
      try {
        return JSONPath({
          path,
          json: json as object,
          eval: false,
          wrap: true,
        }) as unknown[];
      } catch (e) {
        throw new StepFailure(`${path}: ${(e as Error).message}`);
      }
    };
    try {
      for (const a of step.assert) {
        if ('jsonPath' in a) {
          const found = query(a.jsonPath);
          if (a.equals !== undefined) {
            if (!found.length)
              return fail(
                `assertion ${a.jsonPath} == ${JSON.stringify(
                  a.equals,
                )}: nothing at that path`,
              );
            if (found[0] !== a.equals)
              return fail(
                `assertion ${a.jsonPath} == ${JSON.stringify(
                  a.equals,
                )}: got ${JSON.stringify(found[0])?.slice(0, 100)}`,
              );
          } else if ((a.exists ?? true) !== found.length > 0) {
            return fail(
              `assertion ${a.jsonPath} ${
                a.exists === false ? 'absent' : 'exists'
              }: ${found.length ? 'found' : 'nothing at that path'}`,
            );
          }
        } else if ('contains' in a) {
          if (!res.body.includes(a.contains))
            return fail(
              `assertion: the response does not contain '${a.contains.slice(
                0,
                80,
              )}'`,
            );
        } else if (res.body.includes(a.notContains))
          return fail(
            `assertion: the response contains '${a.notContains.slice(0, 80)}'`,
          );
      }
      for (const x of step.extract) {
        if ('jsonPath' in x) {
          const found = query(x.jsonPath);
          if (
            !found.length ||
            found[0] === null ||
            typeof found[0] === 'object'
          )
            return fail(
              `extract ${x.name}: no text or number at ${x.jsonPath}`,
            );
          vars[x.name] = String(found[0]);
        } else {
          const v = res.headers[x.header.toLowerCase()];
          if (v === undefined)
            return fail(`extract ${x.name}: no header ${x.header}`);
          vars[x.name] = Array.isArray(v) ? v[0] : v;
        }
      }
    } catch (e) {
      if (e instanceof StepFailure) return fail(e.message);
      throw e;
    }
    return { ok: true, result };
  }

  private request(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
  ) {
    const max = this.o.maxBodyBytes ?? 1_048_576;
    return new Promise<{
      status: number;
      headers: http.IncomingHttpHeaders;
      body: string;
      ttfbMs: number;
    }>((resolve, reject) => {
      const t0 = performance.now();
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(
        url,
        {
          method,
          headers: {
            'user-agent': 'backstage-reliability-synthetics/1',
            ...headers,
            ...(body !== undefined
              ? { 'content-length': String(Buffer.byteLength(body)) }
              : {}),
          },
          signal,
          lookup: this.lookup,
          agent: false,
        },
        res => {
          const ttfbMs = performance.now() - t0;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size >= max) return;
            chunks.push(c);
            size += c.length;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).subarray(0, max).toString('utf8'),
              ttfbMs,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', e => {
        const code = errorCode(e);
        if (
          code === 'ENOTFOUND' ||
          code === 'ENODATA' ||
          code === 'EAI_AGAIN' ||
          code === 'ESERVFAIL'
        )
          reject(new StepFailure(`cannot resolve ${url.hostname} (${code})`));
        else if (code === 'ECONNREFUSED')
          reject(new StepFailure(`connection refused by ${url.host}`));
        else reject(e);
      });
      req.end(body);
    });
  }

  private tls(
    step: TlsStep,
    signal: AbortSignal,
  ): Promise<{ ok: boolean; result: Partial<SyntheticStepResult> }> {
    if (!this.allowed(step.host))
      return Promise.resolve({
        ok: false,
        result: {
          error: `refused: ${step.host} is not on reliability.synthetics.allowedHosts`,
        },
      });
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: step.host,
        port: step.port,
        servername: net.isIP(step.host) ? undefined : step.host,
        rejectUnauthorized: false,
        lookup: this.lookup,
        requestOCSP: step.ocsp !== 'off',
      });
      let staple: Buffer | undefined;
      // emitted before secureConnect when the server staples a response (an empty one when it has none)
      socket.on('OCSPResponse', (r: Buffer) => {
        if (r?.length) staple = r;
      });
      const onAbort = () => socket.destroy(new Error('deadline'));
      signal.addEventListener('abort', onAbort);
      const done = () => signal.removeEventListener('abort', onAbort);
      socket.once('secureConnect', () => {
        const cert = socket.getPeerCertificate(true);
        const authorized = socket.authorized;
        const code = socket.authorizationError
          ? String(
              (socket.authorizationError as Error).message ??
                socket.authorizationError,
            )
          : undefined;
        const reason = code
          ? `${TLS_REASONS[code] ?? 'not verified'} (${code})`
          : undefined;
        socket.end();
        done();
        let ocsp: StapleStatus | null | undefined;
        if (step.ocsp !== 'off')
          ocsp = staple
            ? readStaple(
                staple,
                cert,
                cert?.issuerCertificate && cert.issuerCertificate !== cert
                  ? cert.issuerCertificate.raw
                  : undefined,
              )
            : null;
        resolve(this.verdict(step, cert, authorized, reason, ocsp));
      });
      socket.once('error', e => {
        done();
        const code = errorCode(e);
        if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_AGAIN')
          reject(new StepFailure(`cannot resolve ${step.host} (${code})`));
        else reject(e);
      });
    });
  }

  /** Expiry (a warning within warnDays, a failure once past), and the chain unless untrusted ones are allowed. */
  private verdict(
    step: TlsStep,
    cert: tls.DetailedPeerCertificate,
    authorized: boolean,
    reason?: string,
    /** The staple's status; null: none stapled; undefined: not asked. */
    ocsp?: StapleStatus | null,
  ): { ok: boolean; result: Partial<SyntheticStepResult> } {
    if (!cert || !cert.valid_to)
      return { ok: false, result: { error: 'the server sent no certificate' } };
    const expires = Date.parse(cert.valid_to);
    const days = Math.floor((expires - Date.now()) / DAY);
    let chain = 0;
    for (
      let c: tls.DetailedPeerCertificate | undefined = cert;
      c && chain < 10;
      c = c.issuerCertificate === c ? undefined : c.issuerCertificate
    )
      chain++;
    const excerpt = `subject CN=${cert.subject?.CN ?? '?'}; issuer CN=${
      cert.issuer?.CN ?? '?'
    }; expires ${new Date(expires).toISOString()}; chain of ${chain}${
      authorized ? ', trusted' : `, not trusted (${reason})`
    }${ocspText(ocsp)}`;
    if (expires <= Date.now())
      return {
        ok: false,
        result: {
          excerpt,
          error: `the certificate expired on ${new Date(expires)
            .toISOString()
            .slice(0, 10)}`,
        },
      };
    if (!authorized && !step.allowUntrusted)
      return {
        ok: false,
        result: {
          excerpt,
          error: `the certificate chain is not trusted: ${reason}`,
        },
      };
    if (ocsp?.certStatus === 'revoked')
      return {
        ok: false,
        result: {
          excerpt,
          error: `the certificate is revoked (OCSP staple, revoked at ${ocsp.revokedAt})`,
        },
      };
    if (step.ocsp === 'require' && ocsp?.certStatus !== 'good')
      return {
        ok: false,
        result: {
          excerpt,
          error: ocsp
            ? `OCSP stapling is required: ${
                ocsp.problem ?? `the staple says ${ocsp.certStatus}`
              }`
            : 'OCSP stapling is required: the server stapled no response',
        },
      };
    const warning =
      days < step.warnDays
        ? `the certificate expires in ${days} days (${new Date(expires)
            .toISOString()
            .slice(0, 10)}), under ${step.warnDays}`
        : undefined;
    return { ok: true, result: { excerpt, warning } };
  }

  private async dns(
    step: DnsStep,
    signal: AbortSignal,
  ): Promise<{ ok: boolean; result: Partial<SyntheticStepResult> }> {
    if (!this.allowed(step.hostname))
      return {
        ok: false,
        result: {
          error: `refused: ${step.hostname} is not on reliability.synthetics.allowedHosts`,
        },
      };
    let list: { address: string }[];
    try {
      list = await new Promise((resolve, reject) => {
        const onAbort = () => reject(new Error('deadline'));
        signal.addEventListener('abort', onAbort, { once: true });
        this.addresses(step.hostname)
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onAbort));
      });
    } catch (e) {
      if (signal.aborted) throw e;
      return {
        ok: false,
        result: {
          error: `${step.hostname} does not resolve (${
            errorCode(e) ?? (e as Error).message
          })`,
        },
      };
    }
    const addresses = list.map(a => a.address);
    const excerpt = addresses.join(', ').slice(0, 1_000);
    if (step.expect?.length && !step.expect.some(e => addresses.includes(e))) {
      return {
        ok: false,
        result: {
          excerpt,
          error: `${
            step.hostname
          } resolves to ${excerpt}, none of ${step.expect.join(', ')}`,
        },
      };
    }
    return { ok: true, result: { excerpt } };
  }
}
