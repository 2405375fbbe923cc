/*
 * A fuzzer of our own: thousands of hostile requests against every route of the reliability backend, as the
 * owner, a non-owner, a service and anonymous, on PostgreSQL and SQLite. It plants hostile runbooks, alerts and
 * matchers first. Every answer must be a 2xx, 3xx or 4xx with a message; no configured secret may appear in any
 * answer; the event loop must never stall for 100 ms or more in our code (pauses of the garbage collector, which runs the client too, are reported apart); and at the end the backend is healthy and valid
 * reads still answer correctly. Deterministic: a seeded generator picks every request.
 */
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'perf_hooks';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import reliabilityPlugin from '@internal/plugin-reliability-backend';

jest.setTimeout(600_000);

const REQUESTS = Number(process.env.RELIABILITY_FUZZ_REQUESTS ?? 5_000);
const OWNER = 'user:default/owner';
const STRANGER = 'user:default/stranger';
const SECRETS = {
  am: 'fuzz-am-shared-secret-3f9a',
  metrics: 'fuzz-metrics-token-8b21',
  promPassword: 'fuzz-prom-password-77c0',
  promHeader: 'fuzz-prom-header-5d3e',
  hookQuery: 'fuzz-hook-query-9e4f',
  hmac: 'fuzz-hmac-secret-0123456789ab',
};

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] };
}

const component = (name: string): Entity => ({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name, namespace: 'default' }, spec: { owner: 'sre' } });
const slo = (name: string, service: string): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default' },
  spec: {
    service,
    indicator: { spec: { ratioMetric: { counter: true, good: { metricSource: { type: 'Ingest', spec: { endpoint: '/api/reliability/sli-events' } } }, total: { metricSource: { type: 'Ingest', spec: { endpoint: '/api/reliability/sli-events' } } } } } },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99 }],
  },
  relations: [{ type: 'measures', targetRef: `component:default/${service}` }],
});
const entities = [component('checkout'), component('search'), slo('checkout-success', 'checkout'), slo('search-latency', 'search')];

/** Hostile values of every kind, for fields, labels, paths and query parameters. */
const HOSTILE: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  'NaN',
  'Infinity',
  '-Infinity',
  '',
  ' ',
  '\u0000',
  '\ud800',
  '🔥'.repeat(1000),
  'ｃｈｅｃｋｏｕｔ',
  'a'.repeat(100_000),
  ' '.repeat(50_000),
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '<script>alert(1)</script>',
  "'; DROP TABLE reliability_slos; --",
  '{{constructor.constructor("return process")()}}',
  '__proto__',
  'component:default/checkout',
  'component:default/../../x',
  'slo:default/checkout-success',
  'default/checkout-success',
  `Bearer ${SECRETS.am}`,
  '(a+)+$',
  '2026-02-30T25:61:61Z',
  [],
  [1, 2, 3],
  {},
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
];

/** A JSON value nested `depth` levels deep. */
function deep(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** Valid bodies per route, which the fuzzer then breaks. */
const now = () => new Date().toISOString();
const validBodies: Record<string, () => Record<string, unknown>> = {
  'POST /sli-events': () => ({ events: [{ slo: 'default/checkout-success', timestamp: now(), good: 9, total: 10 }] }),
  'POST /sli-values': () => ({ values: [{ slo: 'default/checkout-success', timestamp: now(), histogram: { quantile: 0.95, buckets: [{ le: 100, count: 4 }, { le: '+Inf', count: 5 }] } }] }),
  'POST /slos/default/checkout-success/corrections': () => ({ reason: 'planned maintenance', start: now(), cron: '0 2 * * 0', duration: '2h', timeZone: 'Europe/Berlin' }),
  'POST /remediations/run': () => ({ ruleId: 'checkout-rollback', dryRun: true, labels: { env: 'prod' } }),
  'PUT /runbooks/component/default/checkout': () => ({ baseVersion: 1, markdown: '# Checkout\n## Symptoms\nAlerts: SLOBurnRate', failureModes: [] }),
  'POST /incidents': () => ({ entityRef: 'component:default/checkout', title: 'Checkout errors', severity: 'SEV2' }),
  'POST /incidents/1/timeline': () => ({ text: 'rolled back' }),
  'POST /incidents/1/status': () => ({ status: 'mitigated', text: 'ok' }),
  'PUT /incidents/1/roles': () => ({ commander: OWNER }),
  'POST /incidents/1/close': () => ({ impact: 'none', rootCauses: ['x'], actionItems: [] }),
  'POST /alertmanager/webhook': () => ({
    version: '4',
    groupKey: '{}:{}',
    status: 'firing',
    receiver: 'backstage',
    alerts: [{ status: 'firing', labels: { alertname: 'X', service: 'checkout' }, annotations: {}, startsAt: now(), fingerprint: 'abc123' }],
  }),
};

const GET_PATHS = [
  '/health',
  '/slos',
  '/slos/default/checkout-success',
  '/slos/default/checkout-success/history',
  '/slos/default/checkout-success/prometheus-rules',
  '/slos/default/checkout-success/corrections',
  '/alerts',
  '/alertmanager/alerts',
  '/remediations',
  '/remediations/prometheus-rules',
  '/metrics',
  '/runbooks/component/default/checkout',
  '/runbooks/component/default/checkout/versions',
  '/runbooks/component/default/checkout/versions/1',
  '/runbooks/component/default/checkout/versions/2',
  '/commander/alerts',
  '/incidents',
  '/incidents/1',
  '/incidents/1/markdown',
  '/gate',
];
const QUERY_KEYS = ['entityRef', 'state', 'limit', 'cursor', 'status', 'from', 'to', 'points', 'window', 'extra'];
const SEGMENTS = ['default', 'checkout', '..', '%2e%2e', '%00', 'a'.repeat(1_000), 'ｘ', '-', '_', '1', '0', '-1', '99999999999999999999', 'NaN', 'component', 'slo'];
const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

type Principal = 'owner' | 'stranger' | 'service' | 'anonymous' | 'garbage';
const PRINCIPALS: Principal[] = ['owner', 'stranger', 'service', 'anonymous', 'garbage'];
const authHeader = (p: Principal) =>
  ({
    owner: mockCredentials.user.header(OWNER),
    stranger: mockCredentials.user.header(STRANGER),
    service: mockCredentials.service.header(),
    anonymous: mockCredentials.none.header(),
    garbage: 'Bearer not-a-token',
  })[p];

/** One mutation of a valid body: a hostile value somewhere, a field missing or added, or the whole body replaced. */
function mutate(r: ReturnType<typeof rng>, body: Record<string, unknown>): unknown {
  const keys = Object.keys(body);
  switch (r.int(9)) {
    case 0:
      return body;
    case 1: {
      const copy = { ...body };
      delete copy[r.pick(keys)];
      return copy;
    }
    case 2:
      return { ...body, [r.pick(['extra', '__proto__', 'constructor', 'a'.repeat(1000)])]: r.pick(HOSTILE) };
    case 3:
      return { ...body, [r.pick(keys)]: r.pick(HOSTILE) };
    case 4:
      return r.pick(HOSTILE);
    case 5: {
      // a hostile value one level down (events[0].x, alerts[0].labels...)
      const copy = JSON.parse(JSON.stringify(body));
      for (const v of Object.values(copy)) {
        if (Array.isArray(v) && v[0] && typeof v[0] === 'object') {
          const inner = v[0] as Record<string, unknown>;
          inner[r.pick([...Object.keys(inner), 'labels', 'extra'])] = r.pick(HOSTILE);
        }
      }
      return copy;
    }
    case 6:
      return { ...body, labels: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`l${i}`, r.pick(['x', 'a'.repeat(2_000), '🔥'])])) };
    case 7:
      // many items
      return { ...body, events: Array.from({ length: r.pick([0, 1, 10_001]) }, () => ({ slo: 'default/checkout-success', timestamp: now(), good: 1, total: 1 })) };
    default:
      return { ...body, markdown: r.pick(['#'.repeat(600 * 1024), `# a${' '.repeat(400_000)}b`, '>'.repeat(300_000), '[' .repeat(200_000)]) };
  }
}

interface Outcome {
  status: number;
  text: string;
  route: string;
  ms?: number;
}

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('fuzzing the reliability backend on %p', databaseId => {
  it(`answers ${REQUESTS} hostile requests with 2xx-4xx and a message, leaks no secret, never stalls`, async () => {
    const knex = await databases.init(databaseId);
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        mockServices.database.factory({ knex }),
        createServiceFactory({ service: catalogServiceRef, deps: {}, factory: () => catalogServiceMock({ entities }) }),
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(q => {
              const p = credentials.principal as { type?: string; userEntityRef?: string };
              const resourceRef = 'resourceRef' in q ? q.resourceRef : undefined;
              const ok = !resourceRef || p.type === 'service' || p.userEntityRef === OWNER;
              return { result: ok ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
            }) as any,
          authorizeConditional: async (requests, { credentials }) =>
            requests.map(() => {
              const p = credentials.principal as { type?: string; userEntityRef?: string };
              return { result: p.type === 'service' || p.userEntityRef === OWNER ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
            }) as any,
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              // no initial delay: the test backend's scheduler runs the tick once at start-up, registering the SLOs
              evaluation: { schedule: { frequency: { hours: 24 }, timeout: { minutes: 1 } } },
              alertmanager: { sharedSecret: SECRETS.am },
              metrics: { token: SECRETS.metrics },
              prometheus: { instances: [{ name: 'main', url: `http://fuzz:${SECRETS.promPassword}@127.0.0.1:9/`, headers: { 'X-Token': SECRETS.promHeader } }] },
              remediation: {
                backoff: { base: '1ms', cap: '2ms' },
                rules: [
                  {
                    id: 'checkout-rollback',
                    entityRef: 'component:default/checkout',
                    // a matcher that would never finish on a backtracking engine
                    match: ['service=~"(a+)+$"'],
                    action: 'webhook',
                    params: { url: `http://127.0.0.1:9/hook?token=${SECRETS.hookQuery}`, hmacSecret: SECRETS.hmac },
                    lockKey: 'rollback:{{env}}',
                    retries: 0,
                    timeout: '500ms',
                  },
                ],
              },
            },
          },
        }),
      ],
    });
    const server = backend.server;
    const r = rng(databaseId === 'SQLITE_3' ? 1 : 2);
    const outcomes: Outcome[] = [];
    const byClass: Record<string, number> = {};
    const byPrincipal: Record<string, number> = {};
    // stall attribution: requests go one at a time, so a late timer names the request in flight. A pause of the
    // garbage collector (of this jest worker, which runs the client as well as the backend) is told apart: it is
    // reported, but only our code's stalls fail the test.
    let inFlight = 'start-up';
    let storming = false;
    const stalls: { lateMs: number; gcMs: number; during: string }[] = [];
    const gcPauses: { start: number; end: number }[] = [];
    const gcObserver = new PerformanceObserver(list => {
      for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, end: e.startTime + e.duration });
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    let lastTick = performance.now();
    const sampler = setInterval(() => {
      const now = performance.now();
      const late = now - lastTick - 10;
      if (storming && late >= 30) {
        // GC time inside this late interval
        const gcMs = gcPauses.reduce((acc, g) => acc + Math.max(0, Math.min(g.end, now) - Math.max(g.start, lastTick)), 0);
        stalls.push({ lateMs: late, gcMs, during: inFlight });
      }
      lastTick = now;
    }, 10);

    const send = async (method: (typeof METHODS)[number], path: string, principal: Principal, body?: unknown, contentType?: string, raw?: string) => {
      let req = request(server)[method](`/api/reliability${path}`).set('Authorization', authHeader(principal));
      if (contentType) req = req.set('Content-Type', contentType);
      // bodies go as JSON text: superagent cannot send a bare number or boolean
      if (body !== undefined && raw === undefined && !contentType) req = req.set('Content-Type', 'application/json');
      const text = raw ?? (body !== undefined ? JSON.stringify(body) ?? 'null' : undefined);
      const started = performance.now();
      inFlight = `${method.toUpperCase()} ${path.slice(0, 80)} as ${principal}`;
      const res = text !== undefined ? await req.send(text) : await req;
      outcomes.push({ status: res.status, text: res.text, route: `${method.toUpperCase()} ${path.slice(0, 80)} as ${principal}`, ms: performance.now() - started });
      byClass[`${Math.floor(res.status / 100)}xx`] = (byClass[`${Math.floor(res.status / 100)}xx`] ?? 0) + 1;
      byPrincipal[principal] = (byPrincipal[principal] ?? 0) + 1;
      return res;
    };
    const am = (body: unknown) =>
      request(server).post('/api/reliability/alertmanager/webhook').set('Authorization', `Bearer ${SECRETS.am}`).send(body as object);

    // ---- plant the hostile cases ----
    // the SLOs are registered by a read; a runbook whose heading is half a million spaces and whose Alerts: lines
    // and nesting are pathological
    expect((await send('get', '/slos?entityRef=component:default/checkout', 'owner')).status).toBe(200);
    expect((await send('get', '/slos?entityRef=component:default/search', 'owner')).status).toBe(200);
    const hostileRunbook = [
      `# Checkout${' '.repeat(150_000)}x`,
      `## Symptoms`,
      `Alerts: SLOBurnRate${' '.repeat(50_000)}{, {${'a="b",'.repeat(2_000)}`,
      '>'.repeat(50_000),
      '['.repeat(50_000),
      Array.from({ length: 300 }, (_, i) => `${' '.repeat(i * 2)}- x`).join('\n'),
    ].join('\n');
    expect(Buffer.byteLength(hostileRunbook)).toBeLessThan(512 * 1024);
    expect((await send('put', '/runbooks/component/default/checkout', 'owner', { baseVersion: 0, markdown: hostileRunbook, failureModes: [] })).status).toBe(200);
    const v2 = Array.from({ length: 8_000 }, (_, i) => `line ${i}`).join('\n');
    expect((await send('put', '/runbooks/component/default/checkout', 'owner', { baseVersion: 1, markdown: v2, failureModes: [] })).status).toBe(200);
    // alerts with a 200 kB label, a long groupKey and alertname, and a label the catastrophic matcher meets
    const bigAlert = {
      version: '4',
      groupKey: `{}:{alertname="${'g'.repeat(3_000)}"}`,
      status: 'firing',
      receiver: 'backstage',
      alerts: [
        { status: 'firing', labels: { alertname: 'A'.repeat(400), service: 'x'.repeat(200_000), entity: '::::' }, annotations: { summary: 's'.repeat(100_000) }, startsAt: now(), fingerprint: 'f00d01' },
        { status: 'firing', labels: { alertname: 'Redos', service: `${'a'.repeat(30_000)}!`, env: 'prod' }, annotations: {}, startsAt: now(), fingerprint: 'f00d02' },
      ],
    };
    expect((await am(bigAlert)).status).toBe(200);
    expect((await send('post', '/incidents', 'owner', { entityRef: 'component:default/checkout', title: 'Checkout errors', severity: 'SEV2' })).status).toBe(201);

    // ---- the storm ----
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    storming = true;
    const routes = [...GET_PATHS.map(p => `GET ${p}`), ...Object.keys(validBodies)];
    for (let i = 0; i < REQUESTS; i++) {
      const principal = r.pick(PRINCIPALS);
      const route = r.pick(routes);
      const [verb, basePath] = route.split(' ') as [string, string];
      let path = basePath;
      // damage the path: a hostile segment, or hostile query parameters
      if (r.next() < 0.3) {
        const parts = path.split('/');
        parts[1 + r.int(parts.length - 1)] = encodeURIComponent(r.pick(SEGMENTS));
        path = parts.join('/');
      }
      if (r.next() < 0.5) {
        const q = new URLSearchParams();
        // bounded so the request head stays under Node's 16 KiB limit (Node itself answers 431 without a body past it)
        for (let k = 0; k <= r.int(3); k++) q.append(r.pick(QUERY_KEYS), String(r.pick(HOSTILE)).slice(0, 1_000));
        path += `?${q.toString()}`;
      }
      const method = r.next() < 0.1 ? r.pick(METHODS) : (verb.toLowerCase() as (typeof METHODS)[number]);
      const valid = validBodies[route];
      const kind = r.int(10);
      if (method === 'get' || !valid) await send(method, path, principal);
      else if (kind === 0) await send(method, path, principal, undefined, 'application/json', r.pick(['{', '{"a":', deep(5_000), '[]', 'null', '"x"', '{"a":NaN}', '{"a":1e999}']));
      else if (kind === 1) await send(method, path, principal, undefined, r.pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data']), 'a=b&c=d');
      else if (kind === 2 && i % 50 === 0) await send(method, path, principal, undefined, 'application/json', JSON.stringify({ x: 'y'.repeat(6 * 1024 * 1024) }));
      else if (route === 'POST /alertmanager/webhook' && kind === 3) {
        const res = await request(server)
          .post('/api/reliability/alertmanager/webhook')
          .set('Authorization', `Bearer ${SECRETS.am}`)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(mutate(r, valid())) ?? 'null');
        outcomes.push({ status: res.status, text: res.text, route });
      } else await send(method, path, principal, mutate(r, valid()));
    }
    loop.disable();
    clearInterval(sampler);
    gcObserver.disconnect();

    // ---- the verdict ----
    const maxDelayMs = loop.max / 1e6;
    const bad = outcomes.filter(o => o.status >= 500 || o.status < 200);
    const noMessage = outcomes.filter(o => o.status >= 400 && !safeMessage(o.text));
    // Backstage's own error handler repeats a request's URL in `request.url`; for requests that it rejects before
    // the plugin (an invalid token), that URL is the caller's own text, secret or not. Everything else counts.
    const withoutOwnUrl = (o: Outcome) => {
      try {
        const body = JSON.parse(o.text);
        if (body?.request?.url !== undefined) body.request.url = '';
        return JSON.stringify(body);
      } catch {
        return o.text;
      }
    };
    const leaks = outcomes.filter(o => Object.values(SECRETS).some(s => withoutOwnUrl(o).includes(s)));
    const ownUrlEchoes = outcomes.filter(o => Object.values(SECRETS).some(s => o.text.includes(s))).length - leaks.length;
    // eslint-disable-next-line no-console
    console.log(
      `fuzz on ${databaseId}: ${outcomes.length} requests; ${JSON.stringify(byClass)}; by principal ${JSON.stringify(byPrincipal)}; ` +
        `event loop delay max ${maxDelayMs.toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms; 5xx ${bad.length}; 4xx without message ${noMessage.length}; leaks ${leaks.length} (caller's own URL echoed by Backstage's error handler before the plugin: ${ownUrlEchoes})`,
    );
    const slowest = [...outcomes].sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0)).slice(0, 5);
    // eslint-disable-next-line no-console
    console.log(`slowest: ${slowest.map(o => `${o.route} ${o.status} ${Math.round(o.ms ?? 0)} ms`).join('; ')}; stalls (30 ms or more): ${stalls.map(x => `${Math.round(x.lateMs)} ms late (garbage collector ${Math.round(x.gcMs)} ms) during ${x.during}`).join('; ') || 'none'}`);
    expect(outcomes.length).toBeGreaterThanOrEqual(REQUESTS);
    expect(bad.map(o => `${o.status} ${o.route} ${o.text.slice(0, 200)}`)).toEqual([]);
    expect(noMessage.map(o => `${o.status} ${o.route} ${o.text.slice(0, 200)}`)).toEqual([]);
    expect(leaks.map(o => `${o.route}: ${o.text.slice(0, 300)}`)).toEqual([]);
    // the event loop never stalls 100 ms in our code (a stall less its garbage-collector time)
    expect(stalls.filter(x => x.lateMs - x.gcMs >= 100).map(x => `${Math.round(x.lateMs)} ms during ${x.during}`)).toEqual([]);

    // healthy, and valid reads still answer correctly
    expect((await send('get', '/health', 'anonymous')).body).toEqual({ status: 'ok' });
    const slos = await send('get', '/slos?entityRef=component:default/checkout', 'owner');
    expect(slos.status).toBe(200);
    expect(slos.body.items.map((s: any) => s.ref)).toEqual(['default/checkout-success']);
    const runbook = await send('get', '/runbooks/component/default/checkout', 'owner');
    expect(runbook.status).toBe(200);
    expect(runbook.body.source.type).toBe('portal');
    const commander = await send('get', '/commander/alerts', 'owner');
    expect(commander.status).toBe(200);
    const diff = await send('get', '/runbooks/component/default/checkout/versions/2', 'owner');
    expect([200, 413]).toContain(diff.status);
    await backend.stop();
  });
});

/** A 4xx answer names its problem: Backstage's error body with a non-empty message. */
function safeMessage(text: string): boolean {
  try {
    const body = JSON.parse(text);
    return typeof body?.error?.message === 'string' && body.error.message.length > 0;
  } catch {
    return false;
  }
}
