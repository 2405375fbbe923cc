/*
 * A fuzzer of our own: thousands of hostile requests against every route of the reliability backend, as each
 * principal of test/access/mutating-routes.json (the owner, another user, the SLI reporters' token, the registry
 * importer's token, another service, anonymous) and a garbage token, on PostgreSQL and SQLite. It plants hostile
 * runbooks, alerts and matchers first, walks the principal table, sends object-valued and repeated query parameters
 * to every route, then storms. Every upstream the backend may call (Prometheus, the remediation actions' webhook,
 * flag service and Kubernetes cluster, synthetic journeys) is a loopback server that echoes back what it receives,
 * and a distinct secret is planted in every URL (userinfo and query), header and token field of the config.
 * Every answer must be a 2xx, 3xx or 4xx with a message; no planted secret may appear in any answer's body or
 * headers; no principal outside a mutating route's `allow` list may get a 2xx from it; the event loop must never
 * stall for 100 ms or more in our code (pauses of the garbage collector, which runs the client too, are reported
 * apart); and at the end the backend is healthy and valid reads still answer correctly. Deterministic: a seeded
 * generator picks every request.
 *
 * Permissions: the portal's real user policy (ReliabilityPortalPolicy, packages/backend) is asked for users, its
 * conditional isEntityOwner decision evaluated with the catalog's own rule against the entity's ownedBy relations;
 * for service principals the mock does what Backstage's permissions service does (allow whatever the token's access
 * restrictions do not exclude, without asking the policy); the plugin puts the suite's ServicePrincipalPermissions
 * in front of it itself (plugin.ts). Credentials are built with mockCredentials, and a small httpAuth maps each
 * principal's bearer token to them (mock tokens cannot carry access restrictions).
 */
import http from 'http';
import os from 'os';
import fs from 'fs';
import path from 'path';
import { AddressInfo } from 'net';
import { parse as parseYaml } from 'yaml';
import {
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
} from 'perf_hooks';
import {
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  HttpAuthService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { Entity } from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  PermissionCriteria,
  PermissionCondition,
} from '@backstage/plugin-permission-common';
import { permissionRules } from '@backstage/plugin-catalog-backend/alpha';
import request from 'supertest';
import reliabilityPlugin from '@reliability-suite/plugin-reliability-backend';
// the portal's real policy for users
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { ReliabilityPortalPolicy } from '../../../packages/backend/src/permissionPolicy';

jest.setTimeout(600_000);

const REQUESTS = Number(process.env.RELIABILITY_FUZZ_REQUESTS ?? 5_000);
const OWNER = 'user:default/guest';
const OWNER_GROUP = 'group:default/payments-sre';
const STRANGER = 'user:default/stranger';
const REPO = path.resolve(__dirname, '../../..');
const accessTable = JSON.parse(
  fs.readFileSync(path.join(REPO, 'test/access/mutating-routes.json'), 'utf8'),
);
/** A distinct secret in every URL (userinfo and query), header and token field of the config. */
const SECRETS = {
  am: 'fuzz-am-shared-secret-3f9a',
  pdWebhook: 'fuzz-pd-webhook-secret-71c4',
  genericWebhook: 'fuzz-generic-webhook-secret-93d0',
  metrics: 'fuzz-metrics-token-8b21',
  promPassword: 'fuzz-prom-password-77c0',
  promQuery: 'fuzz-prom-query-1a2b',
  promHeader: 'fuzz-prom-header-5d3e',
  promBearer: 'fuzz-prom-bearer-6c7d',
  hookPassword: 'fuzz-hook-password-2e3f',
  hookQuery: 'fuzz-hook-query-9e4f',
  hookHeader: 'fuzz-hook-header-4a5b',
  hmac: 'fuzz-hmac-secret-0123456789ab',
  flagPassword: 'fuzz-flag-password-8c9d',
  flagQuery: 'fuzz-flag-query-0e1f',
  flagHeader: 'fuzz-flag-header-2a3b',
  kubePassword: 'fuzz-kube-password-4c5d',
  kubeQuery: 'fuzz-kube-query-6e7f',
  kubeToken: 'fuzz-kube-sa-token-8a9b',
  kubeCa: 'fuzz-kube-ca-data-0c1d',
  synthOtp: 'fuzz-synthetic-otp-2e3f',
  flagger: 'fuzz-flagger-token-5f6a7b8c',
};
const SECRET_VALUES = Object.values(SECRETS);

/** The principals of test/access/mutating-routes.json, and a token that is not one. */
const TABLE_PRINCIPALS = [
  'owner',
  'otherUser',
  'reporters',
  'importer',
  'otherService',
  'anonymous',
] as const;
type Principal = (typeof TABLE_PRINCIPALS)[number] | 'garbage';
const PRINCIPALS: Principal[] = [...TABLE_PRINCIPALS, 'garbage'];
const CREDENTIALS: Record<
  Exclude<Principal, 'anonymous' | 'garbage'>,
  BackstageCredentials
> = {
  owner: mockCredentials.user(OWNER),
  otherUser: mockCredentials.user(STRANGER),
  reporters: mockCredentials.service('external:sli-reporters', {
    permissionNames: [
      'reliability.events.ingest',
      'reliability.capacity.record',
      'reliability.changes.record',
    ],
  }),
  importer: mockCredentials.service('external:registry-importer', {
    permissionNames: ['reliability.registry.import'],
  }),
  otherService: mockCredentials.service(),
};
/** The users' ownership refs, as the sign-in resolver would give them (the owner is a member of payments-sre). */
const OWNERSHIP: Record<string, string[]> = {
  [OWNER]: [OWNER, OWNER_GROUP],
  [STRANGER]: [STRANGER],
};
const authHeader = (p: Principal) =>
  p === 'anonymous'
    ? mockCredentials.none.header()
    : p === 'garbage'
    ? 'Bearer not-a-token'
    : `Bearer fuzz-principal-${p}`;

/** httpAuth: each principal's token to its mockCredentials; everything else as the mock httpAuth does it. */
const principalHttpAuth = createServiceFactory({
  service: coreServices.httpAuth,
  deps: { plugin: coreServices.pluginMetadata },
  factory: ({ plugin }): HttpAuthService => {
    const inner = mockServices.httpAuth({
      pluginId: plugin.getId(),
      defaultCredentials: mockCredentials.none(),
    });
    return {
      async credentials(
        req: any,
        options?: { allow?: string[]; allowLimitedAccess?: boolean },
      ) {
        const token = /^Bearer[ ]+fuzz-principal-(\w+)$/i.exec(
          String(req.headers.authorization ?? ''),
        )?.[1];
        const credentials = token
          ? CREDENTIALS[token as keyof typeof CREDENTIALS]
          : undefined;
        if (!credentials) return inner.credentials(req, options as any);
        const type = (credentials.principal as { type: string }).type;
        if (options?.allow && !options.allow.includes(type))
          throw new NotAllowedError(
            `This endpoint does not allow '${type}' credentials`,
          );
        return credentials as any;
      },
      issueUserCookie: (res: any, options?: any) =>
        inner.issueUserCookie(res, options),
    } as HttpAuthService;
  },
});

const component = (name: string, owner: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { owner },
  relations: [{ type: 'ownedBy', targetRef: `group:default/${owner}` }],
});
const ingest = {
  metricSource: {
    type: 'Ingest',
    spec: { endpoint: '/api/reliability/sli-events' },
  },
};
const prom = (query: string) => ({
  metricSource: {
    type: 'Prometheus',
    metricSourceRef: 'main',
    spec: { query },
  },
});
const slo = (
  name: string,
  service: string,
  good: object = ingest,
  total: object = ingest,
): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default' },
  spec: {
    service,
    indicator: { spec: { ratioMetric: { counter: true, good, total } } },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99 }],
  },
  relations: [{ type: 'measures', targetRef: `component:default/${service}` }],
});
const entities = [
  component('checkout', 'payments-sre'),
  component('search', 'search-sre'),
  slo('checkout-success', 'checkout'),
  slo('search-latency', 'search'),
  // read from the echoing "Prometheus": its answers are not Prometheus's, and carry the planted secrets back
  slo(
    'checkout-prom',
    'checkout',
    prom('sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))'),
    prom('sum(rate(http_requests_total[{{.window}}]))'),
  ),
];
const byRef = new Map(
  entities.map(e => [`${e.kind.toLowerCase()}:default/${e.metadata.name}`, e]),
);

/** The portal's policy for users, its conditions evaluated with the catalog's own rules against our entities. */
const policy = new ReliabilityPortalPolicy();
const catalogRules = Object.values(permissionRules) as unknown as {
  name: string;
  apply: (e: Entity, params: any) => boolean;
}[];
const misuses: string[] = [];
function evaluate(
  criteria: PermissionCriteria<PermissionCondition>,
  entity: Entity,
): boolean {
  if ('allOf' in criteria)
    return criteria.allOf.every(c => evaluate(c, entity));
  if ('anyOf' in criteria) return criteria.anyOf.some(c => evaluate(c, entity));
  if ('not' in criteria) return !evaluate(criteria.not, entity);
  const rule = catalogRules.find(r => r.name === criteria.rule);
  if (!rule) throw new Error(`fuzz: no catalog rule ${criteria.rule}`);
  return rule.apply(entity, criteria.params ?? {});
}
async function decide(
  q: { permission: any; resourceRef?: string },
  credentials: BackstageCredentials,
  conditional: boolean,
): Promise<any> {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    accessRestrictions?: { permissionNames?: string[] };
  };
  if (principal.type === 'service') {
    // Backstage: a service gets every permission its access restrictions do not exclude; the policy is not asked
    const names = principal.accessRestrictions?.permissionNames;
    return {
      result:
        names && !names.includes(q.permission.name)
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
    };
  }
  const ref = principal.type === 'user' ? principal.userEntityRef! : undefined;
  const ownershipEntityRefs = ref ? OWNERSHIP[ref] ?? [ref] : [];
  const user = ref
    ? ({
        identity: { type: 'user', userEntityRef: ref, ownershipEntityRefs },
        token: '',
        credentials,
        info: { userEntityRef: ref, ownershipEntityRefs },
      } as any)
    : undefined;
  const d = await policy.handle({ permission: q.permission }, user);
  if (d.result !== AuthorizeResult.CONDITIONAL) return { result: d.result };
  if (conditional) return d;
  if (!q.resourceRef) {
    misuses.push(
      `authorize(${q.permission.name}) without a resourceRef: a conditional decision`,
    );
    return { result: AuthorizeResult.DENY };
  }
  const entity = byRef.get(q.resourceRef);
  return {
    result:
      entity && evaluate(d.conditions, entity)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  };
}

/** A loopback server that answers every request with its method, path, headers and body. */
async function startEcho() {
  const received: number[] = [0];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      received[0]++;
      const echo = JSON.stringify({
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-echo-authorization': String(req.headers.authorization ?? ''),
      });
      res.end(echo);
    });
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

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
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}

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

const now = () => new Date().toISOString();
const chaosSeed = (name: string) =>
  parseYaml(
    fs.readFileSync(path.join(REPO, 'catalog/chaos/experiments', name), 'utf8'),
  );
const k6Summary = () =>
  JSON.parse(
    fs.readFileSync(
      path.join(
        REPO,
        'plugins/reliability-common/src/capacity/__fixtures__/k6-handle-summary.json',
      ),
      'utf8',
    ),
  );
const CHECKOUT = 'component:default/checkout';
const DRILLS_CSV =
  'date,region,duration_min,success,notes\n2025-09-10,ap-sg,18,true,"rds promotion 3m; cache warm 5m"\n';
const SYNTHETICS_CSV =
  'journey,region,frequency,deadline_ms\ncheckout_full,ap-sg,5m,3000\n';
const SLOS_CSV =
  'slo_id,description,objective,window,owner\ncheckout_success,Checkout success rate,>=99.5%,30d,Payments SRE\n';
const BURN_CSV =
  'slo_id,window,threshold_x,severity\ncheckout_success,1h,14.4,page\n';

/**
 * Every route of the API (68) and the invoke route of each of the suite's actions (11), each with a concrete path (`{chaos}` and `{correction}` filled in at run time) and,
 * for a mutating route, a valid body (or a CSV) that the fuzzer then breaks.
 */
interface RouteSpec {
  path: string;
  body?: (echo: string) => unknown;
  csv?: string;
  /** Takes an `Idempotency-Key` header: the storm sends half its requests with one of IDEMPOTENCY_KEYS. */
  idempotent?: true;
}
/** Keys the storm reuses (so repeats, replays and other bodies under one key happen) and hostile ones. */
const IDEMPOTENCY_KEYS = [
  'retry-1',
  'retry-2',
  '',
  ' ',
  'a b',
  'x'.repeat(300),
  '\u00e9t\u00e9',
  "'; DROP TABLE reliability_idempotency_keys;--",
  '%00',
  '../../etc/passwd',
];
/** The invoke route of each of the suite's actions (`reliability:<name>`), with its valid input. */
function actionRoutes(
  inputs: Record<string, () => unknown>,
): Record<string, RouteSpec> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, body]) => {
      const path = `/.backstage/actions/v1/actions/reliability:${name}/invoke`;
      return [`POST ${path}`, { path, body }];
    }),
  );
}
const ROUTES: Record<string, RouteSpec> = {
  'GET /health': { path: '/health' },
  'GET /openapi.json': { path: '/openapi.json' },
  'GET /slos': { path: '/slos' },
  'GET /slos/:namespace/:name': { path: '/slos/default/checkout-success' },
  'GET /slos/:namespace/:name/history': {
    path: '/slos/default/checkout-prom/history',
  },
  'GET /slos/:namespace/:name/prometheus-rules': {
    path: '/slos/default/checkout-success/prometheus-rules',
  },
  'GET /slos/:namespace/:name/corrections': {
    path: '/slos/default/checkout-success/corrections',
  },
  'GET /alerts': { path: '/alerts' },
  'GET /alertmanager/alerts': { path: '/alertmanager/alerts' },
  'GET /webhooks/receipts': { path: '/webhooks/receipts' },
  'GET /delivery': { path: '/delivery' },
  'GET /delivery/targets': { path: '/delivery/targets' },
  'POST /delivery/alerts/:alertKey/acknowledge': {
    path: '/delivery/alerts/reliability-1-00000000/acknowledge',
    body: () => ({}),
  },
  'GET /remediations': { path: '/remediations' },
  'GET /remediation/owner-rules': { path: '/remediation/owner-rules' },
  'GET /secrets': { path: '/secrets' },
  'GET /remediations/prometheus-rules': {
    path: '/remediations/prometheus-rules',
  },
  'GET /metrics': { path: '/metrics' },
  'GET /runbooks/:kind/:namespace/:name': {
    path: '/runbooks/component/default/checkout',
  },
  'GET /runbooks/:kind/:namespace/:name/versions': {
    path: '/runbooks/component/default/checkout/versions',
  },
  'GET /runbooks/:kind/:namespace/:name/versions/:version': {
    path: '/runbooks/component/default/checkout/versions/2',
  },
  'GET /commander/alerts': { path: '/commander/alerts' },
  'GET /incidents': { path: '/incidents' },
  'GET /incidents/:id': { path: '/incidents/1' },
  'GET /incidents/:id/markdown': { path: '/incidents/1/markdown' },
  'GET /incidents/mttr': { path: '/incidents/mttr?by=team&days=30' },
  'GET /gate': { path: `/gate?entityRef=${CHECKOUT}&format=status` },
  'GET /gate/overrides': { path: `/gate/overrides?entityRef=${CHECKOUT}` },
  'GET /chaos': { path: '/chaos' },
  'GET /chaos/files': { path: '/chaos/files' },
  'GET /chaos/:id': { path: '/chaos/{chaos}' },
  'GET /chaos/:id/export': { path: '/chaos/{chaos}/export?format=istio' },
  'GET /chaos/:id/versions': { path: '/chaos/{chaos}/versions' },
  'GET /chaos/:id/runs': { path: '/chaos/{chaos}/runs' },
  'GET /drills': { path: `/drills?entityRef=${CHECKOUT}` },
  'GET /drills/export': { path: `/drills/export?entityRef=${CHECKOUT}` },
  'GET /capacity/runs': { path: `/capacity/runs?entityRef=${CHECKOUT}` },
  'GET /changes': { path: `/changes?entityRef=${CHECKOUT}` },
  'GET /synthetics': { path: `/synthetics?entityRef=${CHECKOUT}` },
  'GET /synthetics/runs': { path: `/synthetics/runs?entityRef=${CHECKOUT}` },
  'GET /synthetics/runs/:id/:what': { path: '/synthetics/runs/1/har' },
  'GET /synthetics/series': {
    path: `/synthetics/series?entityRef=${CHECKOUT}`,
  },
  'GET /overview': { path: '/overview' },
  'GET /overview/export': { path: '/overview/export' },
  'GET /readiness': { path: `/readiness?entityRef=${CHECKOUT}` },
  'POST /slos/backtest': {
    path: '/slos/backtest',
    body: () => ({
      slo: {
        name: 'checkout-availability',
        component: CHECKOUT,
        sli: { type: 'availability' },
        objectivePercent: 99,
      },
      historyFrom: 'default/checkout-success',
      days: 3,
    }),
  },
  'POST /sli-events': {
    path: '/sli-events',
    idempotent: true,
    body: () => ({
      events: [
        {
          slo: 'default/checkout-success',
          timestamp: now(),
          good: 9,
          total: 10,
        },
      ],
    }),
  },
  'POST /sli-values': {
    path: '/sli-values',
    idempotent: true,
    body: () => ({
      values: [
        {
          slo: 'default/checkout-success',
          timestamp: now(),
          histogram: {
            quantile: 0.95,
            buckets: [
              { le: 100, count: 4 },
              { le: '+Inf', count: 5 },
            ],
          },
        },
      ],
    }),
  },
  'POST /slos/:namespace/:name/corrections': {
    path: '/slos/default/checkout-success/corrections',
    body: () => ({
      reason: 'planned maintenance',
      start: now(),
      cron: '0 2 * * 0',
      duration: '2h',
      timeZone: 'Europe/Berlin',
    }),
  },
  'POST /slos/:namespace/:name/corrections/:id/revert': {
    path: '/slos/default/checkout-success/corrections/{correction}/revert',
    body: () => ({}),
  },
  // the deploy gate: Flagger's webhook authenticates by the planted token in its body (never to be echoed); nobody
  // may override the gate under the portal's policy without reliability.permissions.gateOverriders
  'POST /gate/flagger': {
    path: '/gate/flagger',
    body: () => ({
      name: 'checkout',
      namespace: 'payments',
      phase: 'Progressing',
      metadata: { entityRef: CHECKOUT, token: SECRETS.flagger },
    }),
  },
  'POST /gate/overrides': {
    path: '/gate/overrides',
    body: () => ({
      entityRef: CHECKOUT,
      reason: 'fuzz release',
      until: new Date(Date.now() + 3_600_000).toISOString(),
    }),
  },
  'POST /gate/overrides/:id/revoke': {
    path: '/gate/overrides/00000000-0000-4000-8000-000000000001/revoke',
    body: () => ({}),
  },
  // the webhook receivers authenticate by signature: the fuzzer's requests are unsigned and must all be refused
  'POST /webhooks/pagerduty': {
    path: '/webhooks/pagerduty',
    body: () => ({
      event: {
        id: '01FUZZ',
        event_type: 'incident.triggered',
        resource_type: 'incident',
        occurred_at: now(),
        data: {
          id: 'P1',
          type: 'incident',
          incident_key: 'k',
          urgency: 'high',
        },
      },
    }),
  },
  'POST /webhooks/generic/:name': {
    path: '/webhooks/generic/monitor',
    body: () => ({ alert: { id: 'a-1', severity: 'error' } }),
  },
  'POST /alertmanager/webhook': {
    path: '/alertmanager/webhook',
    body: () => ({
      version: '4',
      groupKey: '{}:{}',
      status: 'firing',
      receiver: 'backstage',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'X', service: 'checkout' },
          annotations: {},
          startsAt: now(),
          fingerprint: 'abc123',
        },
      ],
    }),
  },
  'POST /remediations/run': {
    path: '/remediations/run',
    body: () => ({
      ruleId: 'checkout-rollback',
      dryRun: true,
      labels: { env: 'prod' },
    }),
  },
  'PUT /runbooks/:kind/:namespace/:name': {
    path: '/runbooks/component/default/checkout',
    body: () => ({
      baseVersion: 2,
      markdown: '# Checkout\n## Symptoms\nAlerts: SLOBurnRate',
      failureModes: [],
    }),
  },
  'POST /incidents': {
    path: '/incidents',
    body: () => ({
      entityRef: CHECKOUT,
      title: 'Checkout errors',
      severity: 'SEV2',
    }),
  },
  'POST /incidents/:id/timeline': {
    path: '/incidents/1/timeline',
    body: () => ({ text: 'rolled back' }),
  },
  'POST /incidents/:id/status': {
    path: '/incidents/1/status',
    body: () => ({ status: 'mitigated', text: 'ok' }),
  },
  'PUT /incidents/:id/roles': {
    path: '/incidents/1/roles',
    body: () => ({ commander: OWNER }),
  },
  'PATCH /incidents/:id': {
    path: '/incidents/1',
    body: () => ({ updateCadenceMinutes: 15 }),
  },
  'POST /incidents/:id/links': {
    path: '/incidents/1/links',
    body: () => ({
      kind: 'dashboard',
      title: 'Checkout errors',
      url: 'https://grafana.example.com/d/checkout',
    }),
  },
  'DELETE /incidents/:id/links/:position': {
    path: '/incidents/1/links/1',
  },
  'POST /incidents/:id/close': {
    path: '/incidents/1/close',
    body: () => ({ impact: 'none', rootCauses: ['x'], actionItems: [] }),
  },
  'PATCH /incidents/:id/action-items/:position': {
    path: '/incidents/1/action-items/1',
    body: () => ({ done: true }),
  },
  'POST /chaos/lint': {
    path: '/chaos/lint',
    // every field of the experiment file: several injections, both shares, canary labels, namespaces per region
    body: () => ({
      entityRef: CHECKOUT,
      experiment: {
        ...chaosSeed('brownout_checkout.yaml'),
        target: {
          namespace: 'payments',
          labels: { app: 'payment-svc' },
          service: 'payment-svc',
          canaryLabels: { track: 'canary' },
          regionNamespaces: { 'us-east': 'payments-use' },
        },
      },
    }),
  },
  'POST /chaos': {
    path: '/chaos',
    body: () => ({
      entityRef: CHECKOUT,
      experiment: chaosSeed('brownout_checkout.yaml'),
    }),
  },
  'PUT /chaos/:id': {
    path: '/chaos/{chaos}',
    body: () => ({
      baseVersion: 1,
      experiment: { ...chaosSeed('latency_checkout.yaml'), duration: '15m' },
    }),
  },
  'POST /chaos/:id/approve': {
    path: '/chaos/{chaos}/approve',
    body: () => ({}),
  },
  'POST /chaos/:id/start': { path: '/chaos/{chaos}/start', body: () => ({}) },
  'POST /chaos/:id/started': {
    path: '/chaos/{chaos}/started',
    body: () => ({}),
  },
  'POST /chaos/:id/abort': {
    path: '/chaos/{chaos}/abort',
    body: () => ({ reason: 'fuzz' }),
  },
  'POST /chaos/:id/complete': {
    path: '/chaos/{chaos}/complete',
    body: () => ({}),
  },
  'POST /chaos/:id/runs/:runId/incident': {
    path: '/chaos/{chaos}/runs/1/incident',
    body: () => ({ incidentId: 1 }),
  },
  // the actions for AI agents (actions/), invoked as Backstage's actions service invokes them: the registry's route
  // under the plugin, the input as the body (the destructive ones mostly as proposals and dry runs)
  ...actionRoutes({
    'get-slo-status': () => ({ slo: 'default/checkout-success' }),
    'list-burning': () => ({ owner: OWNER_GROUP, limit: 5 }),
    'explain-burn': () => ({ slo: 'default/checkout-success' }),
    'get-runbook-section': () => ({
      entityRef: CHECKOUT,
      alertname: 'SLOBurnRate',
      labels: { slo: 'default/checkout-success' },
    }),
    'get-deploy-gate': () => ({ entityRef: CHECKOUT }),
    'get-readiness': () => ({ entityRef: CHECKOUT }),
    'declare-incident': () => ({
      entityRef: CHECKOUT,
      title: 'Checkout errors',
      severity: 'SEV3',
    }),
    'add-incident-timeline-entry': () => ({ incidentId: 1, text: 'fuzz' }),
    'run-remediation': () => ({ ruleId: 'checkout-rollback', dryRun: true }),
    'abort-chaos-run': () => ({ experimentId: 1, reason: 'fuzz' }),
    'record-change': () => ({ entityRef: CHECKOUT, kind: 'deploy' }),
  }),
  'POST /changes': {
    path: '/changes',
    idempotent: true,
    body: () => ({
      entityRef: CHECKOUT,
      kind: 'deploy',
      version: 'v2.14.0',
      author: 'ci',
      link: 'https://ci.example/runs/1',
      at: now(),
    }),
  },
  'POST /capacity/runs': {
    path: '/capacity/runs',
    idempotent: true,
    body: () => ({
      entityRef: CHECKOUT,
      testType: 'stress',
      commit: 'abc',
      summary: k6Summary(),
    }),
  },
  'PUT /synthetics/journeys': {
    path: '/synthetics/journeys',
    // a journey that calls the echo with the planted synthetic secret, so its run evidence holds what came back
    body: echo => ({
      entityRef: CHECKOUT,
      journey: {
        name: 'checkout_full',
        regions: ['ap-sg'],
        frequency: '5m',
        deadlineMs: 3000,
        steps: [
          {
            type: 'http',
            name: 'Home',
            method: 'POST',
            url: `${echo}/journey?otp={{secrets.OTP}}`,
            headers: { 'X-Otp': '{{secrets.OTP}}' },
            body: { otp: '{{secrets.OTP}}' },
          },
          // the deep checks (issue 34) against the echo: each speaks its own protocol to an HTTP server that answers
          // garbage, with the planted secret as its password or HMAC key; the evidence must not carry it
          {
            type: 'database',
            name: 'Database',
            engine: 'postgres',
            host: '127.0.0.1',
            port: Number(new URL(echo).port),
            user: 'fuzz',
            passwordSecret: 'OTP',
            query: 'SELECT 1',
            timeoutMs: 1000,
          },
          {
            type: 'queue',
            name: 'Queue',
            engine: 'redis',
            host: '127.0.0.1',
            port: Number(new URL(echo).port),
            passwordSecret: 'OTP',
            timeoutMs: 1000,
          },
          {
            type: 'webhook',
            name: 'Webhook',
            url: `${echo}/canary`,
            secret: 'OTP',
            timeoutMs: 1000,
          },
        ],
      },
    }),
  },
  // the webhook canary authenticates by signature: the fuzzer's requests are unsigned and must all be refused
  'POST /synthetics/canary': {
    path: '/synthetics/canary',
    body: () => ({ nonce: 'fuzz-nonce' }),
  },
  'DELETE /synthetics/journeys': {
    path: `/synthetics/journeys?entityRef=${CHECKOUT}&journey=checkout_full`,
  },
  'POST /synthetics/import': {
    path: `/synthetics/import?entityRef=${CHECKOUT}`,
    csv: SYNTHETICS_CSV,
  },
  'POST /drills': {
    path: '/drills',
    body: () => ({
      entityRef: CHECKOUT,
      drill: {
        date: '2026-01-10',
        region: 'ap-sg',
        toRegion: 'ap-jp',
        durationMin: 4,
        success: true,
        rtoSeconds: 250,
        rpoSeconds: 40,
        steps: ['a'],
        notes: 'SRE-101',
      },
    }),
  },
  'POST /drills/import': {
    path: `/drills/import?entityRef=${CHECKOUT}`,
    csv: DRILLS_CSV,
  },
  'POST /import/slos': { path: '/import/slos?dryRun=true', csv: SLOS_CSV },
  'POST /import/burn-rate-alerts': {
    path: '/import/burn-rate-alerts?dryRun=true',
    csv: BURN_CSV,
  },
  // SLO documents as JSON: a Pyrra SLO, checked and converted to OpenSLO, nothing written (a dry run)
  'POST /import/slo-documents': {
    path: '/import/slo-documents?dryRun=true',
    body: () => ({
      apiVersion: 'pyrra.dev/v1alpha1',
      kind: 'ServiceLevelObjective',
      metadata: { name: 'fuzz-checkout-errors' },
      spec: {
        target: '99.5',
        window: '4w',
        indicator: {
          ratio: {
            errors: {
              metric: 'http_requests_total{job="checkout",code=~"5.."}',
            },
            total: { metric: 'http_requests_total{job="checkout"}' },
          },
        },
      },
    }),
  },
};
const ROUTE_KEYS = Object.keys(ROUTES);

/** The mutating routes of the principal table, as patterns a request's method and path are matched against. */
const TABLE = (
  accessTable as { routes: { route: string; allow: string[] }[] }
).routes.map(r => {
  const [method, pattern] = r.route.split(' ');
  const re = new RegExp(`^${pattern.replace(/:[a-zA-Z]+/g, '[^/]+')}/?$`);
  return { route: r.route, method, re, allow: new Set(r.allow) };
});
function tableRoute(method: string, fullPath: string) {
  const p = fullPath.split('?')[0];
  return TABLE.find(t => t.method === method.toUpperCase() && t.re.test(p));
}

const QUERY_KEYS = [
  'entityRef',
  'state',
  'limit',
  'cursor',
  'status',
  'from',
  'to',
  'points',
  'window',
  'extra',
  'journey',
  'dryRun',
];
/** Query parameters a schema must refuse: objects (`a[b]=`) and repeated scalars. */
const QUERY_ATTACKS = [
  'limit[toString]=1',
  'limit[valueOf]=1',
  'entityRef[valueOf]=x',
  'cursor[toString]=1',
  'points[toString]=1',
  'limit=1&limit=2',
  'entityRef=component:default/checkout&entityRef=component:default/search',
  'points=10&points=20',
  'from[]=1',
  'state[__proto__]=x',
];
/** Paginated routes (issue 29) and the history read: an object-valued limit (points) must get a 400. */
const MUST_REFUSE: Record<string, string[]> = {
  'limit[toString]=1': [
    'GET /slos',
    'GET /alerts',
    'GET /alertmanager/alerts',
    'GET /webhooks/receipts',
    'GET /delivery',
    'GET /delivery/targets',
    'GET /remediations',
    'GET /incidents',
    'GET /incidents/mttr',
    'GET /commander/alerts',
    'GET /runbooks/:kind/:namespace/:name/versions',
    'GET /chaos',
    'GET /drills',
    'GET /capacity/runs',
    'GET /changes',
    'GET /synthetics',
    'GET /synthetics/runs',
    'GET /overview',
    'GET /slos/:namespace/:name/corrections',
    'GET /gate/overrides',
  ],
  'points[toString]=1': ['GET /slos/:namespace/:name/history'],
};
const SEGMENTS = [
  'default',
  'checkout',
  '..',
  '%2e%2e',
  '%00',
  'a'.repeat(1_000),
  'ｘ',
  '-',
  '_',
  '1',
  '0',
  '-1',
  '99999999999999999999',
  'NaN',
  'component',
  'slo',
];
const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

/** One mutation of a valid body: a hostile value somewhere, a field missing or added, or the whole body replaced. */
function mutate(
  r: ReturnType<typeof rng>,
  body: Record<string, unknown>,
): unknown {
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
      return {
        ...body,
        [r.pick(['extra', '__proto__', 'constructor', 'a'.repeat(1000)])]:
          r.pick(HOSTILE),
      };
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
          inner[r.pick([...Object.keys(inner), 'labels', 'extra'])] =
            r.pick(HOSTILE);
        }
      }
      return copy;
    }
    case 6:
      return {
        ...body,
        labels: Object.fromEntries(
          Array.from({ length: 50 }, (_, i) => [
            `l${i}`,
            r.pick(['x', 'a'.repeat(2_000), '🔥']),
          ]),
        ),
      };
    case 7:
      // many items
      return {
        ...body,
        events: Array.from({ length: r.pick([0, 1, 10_001]) }, () => ({
          slo: 'default/checkout-success',
          timestamp: now(),
          good: 1,
          total: 1,
        })),
      };
    default:
      return {
        ...body,
        markdown: r.pick([
          '#'.repeat(600 * 1024),
          `# a${' '.repeat(400_000)}b`,
          '>'.repeat(300_000),
          '['.repeat(200_000),
        ]),
      };
  }
}

interface Outcome {
  status: number;
  text: string;
  headers: string;
  route: string;
  principal?: Principal;
  method: string;
  path: string;
  ms?: number;
  /** The request's body as sent. */
  sent?: string;
}

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'fuzzing the reliability backend on %p',
  databaseId => {
    it(`answers ${REQUESTS} hostile requests with 2xx-4xx and a message, echoes no secret, allows nothing outside the principal table, never stalls`, async () => {
      const began = performance.now();
      const knex = await databases.init(databaseId);
      const echo = await startEcho();
      const E = `127.0.0.1:${echo.port}`;
      const echoUrl = `http://${E}`;
      const publishDir = fs.mkdtempSync(
        path.join(os.tmpdir(), 'reliability-fuzz-'),
      );
      const backend = await startTestBackend({
        features: [
          reliabilityPlugin,
          mockServices.database.factory({ knex }),
          createServiceFactory({
            service: catalogServiceRef,
            deps: {},
            factory: () => catalogServiceMock({ entities }),
          }),
          principalHttpAuth,
          mockServices.permissions.mock({
            authorize: async (requests, { credentials }) =>
              Promise.all(
                requests.map(q => decide(q as any, credentials, false)),
              ),
            authorizeConditional: async (requests, { credentials }) =>
              Promise.all(
                requests.map(q => decide(q as any, credentials, true)),
              ),
          }).factory,
          mockServices.rootConfig.factory({
            data: {
              reliability: {
                // no initial delay: the test backend's scheduler runs the tick once at start-up, registering the SLOs
                evaluation: {
                  schedule: {
                    frequency: { hours: 24 },
                    timeout: { minutes: 1 },
                  },
                },
                alertmanager: { sharedSecret: SECRETS.am },
                gate: { flaggerToken: SECRETS.flagger },
                webhooks: {
                  pagerduty: { secrets: [SECRETS.pdWebhook] },
                  generic: {
                    monitor: {
                      secret: SECRETS.genericWebhook,
                      timestampHeader: 'X-Timestamp',
                      idPath: '/alert/id',
                      labels: { severity: '/alert/severity' },
                    },
                  },
                },
                metrics: { token: SECRETS.metrics },
                prometheus: {
                  instances: [
                    {
                      name: 'main',
                      url: `http://promuser:${SECRETS.promPassword}@${E}/?token=${SECRETS.promQuery}`,
                      headers: {
                        'X-Token': SECRETS.promHeader,
                        Authorization: `Bearer ${SECRETS.promBearer}`,
                      },
                    },
                  ],
                },
                scaffolder: { publishDir },
                synthetics: {
                  allowedHosts: ['127.0.0.1'],
                  secrets: { OTP: SECRETS.synthOtp },
                  intervalSeconds: 2,
                },
                remediation: {
                  backoff: { base: '1ms', cap: '2ms' },
                  kubernetes: {
                    clusters: [
                      {
                        name: 'fuzz',
                        url: `http://kubeuser:${SECRETS.kubePassword}@${E}/?token=${SECRETS.kubeQuery}`,
                        serviceAccountToken: SECRETS.kubeToken,
                        caData: SECRETS.kubeCa,
                        skipTLSVerify: true,
                      },
                    ],
                  },
                  rules: [
                    {
                      id: 'checkout-rollback',
                      entityRef: CHECKOUT,
                      // a matcher that would never finish on a backtracking engine
                      match: ['service=~"(a+)+$"'],
                      action: 'webhook',
                      params: {
                        url: `http://hookuser:${SECRETS.hookPassword}@${E}/hook?token=${SECRETS.hookQuery}`,
                        hmacSecret: SECRETS.hmac,
                        headers: { 'X-Api-Key': SECRETS.hookHeader },
                      },
                      lockKey: 'rollback:{{env}}',
                      retries: 0,
                      timeout: '500ms',
                    },
                    {
                      id: 'checkout-flag',
                      entityRef: CHECKOUT,
                      action: 'feature-flag',
                      params: {
                        baseUrl: `http://flaguser:${SECRETS.flagPassword}@${E}/flags-api?key=${SECRETS.flagQuery}`,
                        flag: 'new-checkout',
                        headers: {
                          Authorization: `Bearer ${SECRETS.flagHeader}`,
                        },
                      },
                      retries: 0,
                      timeout: '500ms',
                    },
                    {
                      id: 'checkout-restart',
                      entityRef: CHECKOUT,
                      action: 'kubernetes',
                      params: {
                        cluster: 'fuzz',
                        operation: 'rollout-restart',
                        namespace: 'shop',
                        deployment: 'checkout',
                      },
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
      const byRoute: Record<string, number> = Object.fromEntries(
        ROUTE_KEYS.map(k => [k, 0]),
      );
      const ids = {
        chaos: '1',
        correction: '00000000-0000-4000-8000-000000000000',
      };
      const fill = (p: string) =>
        p.replace('{chaos}', ids.chaos).replace('{correction}', ids.correction);
      // stall attribution: requests go one at a time, so a late timer names the request in flight. A pause of the
      // garbage collector (of this jest worker, which runs the client as well as the backend) is told apart: it is
      // reported, but only our code's stalls fail the test.
      let inFlight = 'start-up';
      let storming = false;
      const stalls: { lateMs: number; gcMs: number; during: string }[] = [];
      const gcPauses: { start: number; end: number }[] = [];
      const gcObserver = new PerformanceObserver(list => {
        for (const e of list.getEntries())
          gcPauses.push({ start: e.startTime, end: e.startTime + e.duration });
      });
      gcObserver.observe({ entryTypes: ['gc'] });
      let lastTick = performance.now();
      const sampler = setInterval(() => {
        const t = performance.now();
        const late = t - lastTick - 10;
        if (storming && late >= 30) {
          // GC time inside this late interval
          const gcMs = gcPauses.reduce(
            (acc, g) =>
              acc +
              Math.max(0, Math.min(g.end, t) - Math.max(g.start, lastTick)),
            0,
          );
          stalls.push({ lateMs: late, gcMs, during: inFlight });
        }
        lastTick = t;
      }, 10);

      const record = (
        res: request.Response,
        o: Omit<Outcome, 'status' | 'text' | 'headers'>,
      ) => {
        outcomes.push({
          ...o,
          status: res.status,
          text: res.text ?? '',
          headers: JSON.stringify(res.headers ?? {}),
        });
        byClass[`${Math.floor(res.status / 100)}xx`] =
          (byClass[`${Math.floor(res.status / 100)}xx`] ?? 0) + 1;
        if (o.principal)
          byPrincipal[o.principal] = (byPrincipal[o.principal] ?? 0) + 1;
        byRoute[o.route] = (byRoute[o.route] ?? 0) + 1;
      };
      /** One request aimed at `route` (a key of ROUTES). */
      const send = async (
        route: string,
        method: (typeof METHODS)[number],
        p: string,
        principal: Principal,
        body?: unknown,
        contentType?: string,
        raw?: string,
      ) => {
        let req = request(server)
          [method](`/api/reliability${p}`)
          .set('Authorization', authHeader(principal));
        if (storming && ROUTES[route]?.idempotent && r.next() < 0.5)
          req = req.set('Idempotency-Key', r.pick(IDEMPOTENCY_KEYS));
        if (contentType) req = req.set('Content-Type', contentType);
        // bodies go as JSON text: superagent cannot send a bare number or boolean
        if (body !== undefined && raw === undefined && !contentType)
          req = req.set('Content-Type', 'application/json');
        const text =
          raw ??
          (body !== undefined ? JSON.stringify(body) ?? 'null' : undefined);
        const started = performance.now();
        inFlight = `${method.toUpperCase()} ${p.slice(0, 80)} as ${principal}`;
        const res = text !== undefined ? await req.send(text) : await req;
        record(res, {
          route,
          principal,
          method: method.toUpperCase(),
          path: p,
          ms: performance.now() - started,
          sent: text,
        });
        return res;
      };
      /** The route's valid request, as `principal`. */
      const valid = (
        route: string,
        principal: Principal,
        p = fill(ROUTES[route].path),
      ) => {
        const spec = ROUTES[route];
        const method = route
          .split(' ')[0]
          .toLowerCase() as (typeof METHODS)[number];
        if (spec.csv !== undefined)
          return send(
            route,
            method,
            p,
            principal,
            undefined,
            'text/csv',
            spec.csv,
          );
        return send(route, method, p, principal, spec.body?.(echoUrl));
      };
      const am = async (body: unknown) => {
        const res = await request(server)
          .post('/api/reliability/alertmanager/webhook')
          .set('Authorization', `Bearer ${SECRETS.am}`)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(body) ?? 'null');
        record(res, {
          route: 'POST /alertmanager/webhook',
          method: 'POST',
          path: '/alertmanager/webhook',
        });
        return res;
      };

      // ---- plant the hostile cases ----
      // the SLOs are registered by a read; a runbook whose heading is half a million spaces and whose Alerts: lines
      // and nesting are pathological
      expect(
        (await send('GET /slos', 'get', `/slos?entityRef=${CHECKOUT}`, 'owner'))
          .status,
      ).toBe(200);
      expect(
        (
          await send(
            'GET /slos',
            'get',
            '/slos?entityRef=component:default/search',
            'owner',
          )
        ).status,
      ).toBe(200);
      const hostileRunbook = [
        `# Checkout${' '.repeat(150_000)}x`,
        `## Symptoms`,
        `Alerts: SLOBurnRate${' '.repeat(50_000)}{, {${'a="b",'.repeat(2_000)}`,
        '>'.repeat(50_000),
        '['.repeat(50_000),
        Array.from({ length: 300 }, (_, i) => `${' '.repeat(i * 2)}- x`).join(
          '\n',
        ),
      ].join('\n');
      expect(Buffer.byteLength(hostileRunbook)).toBeLessThan(512 * 1024);
      const runbooks = 'PUT /runbooks/:kind/:namespace/:name';
      expect(
        (
          await send(
            runbooks,
            'put',
            '/runbooks/component/default/checkout',
            'owner',
            { baseVersion: 0, markdown: hostileRunbook, failureModes: [] },
          )
        ).status,
      ).toBe(200);
      const v2 = Array.from({ length: 8_000 }, (_, i) => `line ${i}`).join(
        '\n',
      );
      expect(
        (
          await send(
            runbooks,
            'put',
            '/runbooks/component/default/checkout',
            'owner',
            { baseVersion: 1, markdown: v2, failureModes: [] },
          )
        ).status,
      ).toBe(200);
      // alerts with a 200 kB label, a long groupKey and alertname, and a label the catastrophic matcher meets
      const bigAlert = {
        version: '4',
        groupKey: `{}:{alertname="${'g'.repeat(3_000)}"}`,
        status: 'firing',
        receiver: 'backstage',
        alerts: [
          {
            status: 'firing',
            labels: {
              alertname: 'A'.repeat(400),
              service: 'x'.repeat(200_000),
              entity: '::::',
            },
            annotations: { summary: 's'.repeat(100_000) },
            startsAt: now(),
            fingerprint: 'f00d01',
          },
          {
            status: 'firing',
            labels: {
              alertname: 'Redos',
              service: `${'a'.repeat(30_000)}!`,
              env: 'prod',
            },
            annotations: {},
            startsAt: now(),
            fingerprint: 'f00d02',
          },
        ],
      };
      expect((await am(bigAlert)).status).toBe(200);
      expect(
        (
          await send('POST /incidents', 'post', '/incidents', 'owner', {
            entityRef: CHECKOUT,
            title: 'Checkout errors',
            severity: 'SEV2',
          })
        ).status,
      ).toBe(201);
      // a chaos experiment and a budget correction for the routes that take their ids
      const chaos = await send('POST /chaos', 'post', '/chaos', 'owner', {
        entityRef: CHECKOUT,
        experiment: chaosSeed('latency_checkout.yaml'),
      });
      if (chaos.body?.id !== undefined) ids.chaos = String(chaos.body.id);
      const correction = await valid(
        'POST /slos/:namespace/:name/corrections',
        'owner',
      );
      if (correction.body?.id !== undefined)
        ids.correction = String(correction.body.id);
      // every action calls the echo for real (no dry run), and a Prometheus-backed SLO reads from it
      const realRuns: string[] = [];
      for (const ruleId of [
        'checkout-rollback',
        'checkout-flag',
        'checkout-restart',
      ]) {
        const run = await send(
          'POST /remediations/run',
          'post',
          '/remediations/run',
          'owner',
          { ruleId, labels: { env: 'prod' } },
        );
        realRuns.push(`${ruleId} ${run.status}`);
      }
      await send(
        'GET /slos/:namespace/:name/history',
        'get',
        '/slos/default/checkout-prom/history',
        'owner',
      );
      await send('POST /slos/backtest', 'post', '/slos/backtest', 'owner', {
        slo: {
          name: 'p',
          component: CHECKOUT,
          sli: { type: 'availability' },
          objectivePercent: 99,
        },
        historyFrom: 'default/checkout-prom',
        days: 3,
      });

      // ---- the principal table: every mutating route's valid request as every principal (the owner last, so the
      // others meet the state the owner's request would change) ----
      const walk: Record<string, string[]> = {};
      for (const t of TABLE) {
        const key =
          t.route === 'POST /import/slos' ||
          t.route === 'POST /import/burn-rate-alerts'
            ? t.route
            : t.route;
        if (!ROUTES[key])
          throw new Error(`fuzz: no request for the table's route ${t.route}`);
        const order: Principal[] = [
          'garbage',
          'anonymous',
          'otherService',
          'importer',
          'reporters',
          'otherUser',
          'owner',
        ];
        walk[t.route] = [];
        for (const principal of order) {
          const res =
            key === 'POST /alertmanager/webhook'
              ? await send(
                  key,
                  'post',
                  '/alertmanager/webhook',
                  principal,
                  ROUTES[key].body!(echoUrl),
                )
              : await valid(key, principal);
          walk[t.route].push(`${principal} ${res.status}`);
        }
      }
      // the journey again, for the synthetic runner to call the echo with its secret
      await valid('PUT /synthetics/journeys', 'owner');

      // ---- object-valued and repeated query parameters on every route ----
      const queryOutcomes: { route: string; attack: string; status: number }[] =
        [];
      for (const route of ROUTE_KEYS) {
        for (const attack of QUERY_ATTACKS) {
          const base = fill(ROUTES[route].path);
          const p = `${base}${base.includes('?') ? '&' : '?'}${attack}`;
          const res = await valid(route, 'owner', p);
          queryOutcomes.push({ route, attack, status: res.status });
        }
      }

      // ---- the storm ----
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      storming = true;
      for (let i = 0; i < REQUESTS; i++) {
        const principal = r.pick(PRINCIPALS);
        const route = r.pick(ROUTE_KEYS);
        const [verb] = route.split(' ') as [string, string];
        const spec = ROUTES[route];
        let p = fill(spec.path);
        // damage the path: a hostile segment, or hostile query parameters, or object-valued and repeated ones
        if (r.next() < 0.3) {
          const [pathname, query] = p.split('?');
          const parts = pathname.split('/');
          parts[1 + r.int(parts.length - 1)] = encodeURIComponent(
            r.pick(SEGMENTS),
          );
          p = parts.join('/') + (query ? `?${query}` : '');
        }
        const q = r.next();
        if (q < 0.4) {
          const params = new URLSearchParams();
          // bounded so the request head stays under Node's 16 KiB limit (Node itself answers 431 without a body past it)
          for (let k = 0; k <= r.int(3); k++)
            params.append(
              r.pick(QUERY_KEYS),
              String(r.pick(HOSTILE)).slice(0, 1_000),
            );
          p += `${p.includes('?') ? '&' : '?'}${params.toString()}`;
        } else if (q < 0.55) {
          p += `${p.includes('?') ? '&' : '?'}${r.pick(QUERY_ATTACKS)}`;
        }
        const method =
          r.next() < 0.1
            ? r.pick(METHODS)
            : (verb.toLowerCase() as (typeof METHODS)[number]);
        const kind = r.int(10);
        const validBody = spec.body;
        if (method === 'get' || (!validBody && spec.csv === undefined))
          await send(route, method, p, principal);
        else if (kind === 0)
          await send(
            route,
            method,
            p,
            principal,
            undefined,
            'application/json',
            r.pick([
              '{',
              '{"a":',
              deep(5_000),
              '[]',
              'null',
              '"x"',
              '{"a":NaN}',
              '{"a":1e999}',
            ]),
          );
        else if (kind === 1)
          await send(
            route,
            method,
            p,
            principal,
            undefined,
            r.pick([
              'text/plain',
              'application/xml',
              'application/x-www-form-urlencoded',
              'multipart/form-data',
              'text/csv',
            ]),
            r.pick([
              'a=b&c=d',
              spec.csv ?? 'x,y\n1,2',
              `${'a,'.repeat(5_000)}\n`,
            ]),
          );
        else if (kind === 2 && i % 50 === 0)
          await send(
            route,
            method,
            p,
            principal,
            undefined,
            'application/json',
            JSON.stringify({ x: 'y'.repeat(6 * 1024 * 1024) }),
          );
        else if (route === 'POST /alertmanager/webhook' && kind === 3)
          await am(mutate(r, validBody!(echoUrl) as Record<string, unknown>));
        else if (spec.csv !== undefined)
          await send(
            route,
            method,
            p,
            principal,
            undefined,
            'text/csv',
            kind < 6
              ? spec.csv
              : `${spec.csv}${r.pick(
                  HOSTILE.filter(h => typeof h === 'string') as string[],
                )}`,
          );
        else
          await send(
            route,
            method,
            p,
            principal,
            mutate(r, validBody!(echoUrl) as Record<string, unknown>),
          );
      }
      loop.disable();
      clearInterval(sampler);
      gcObserver.disconnect();
      storming = false;

      // the remediation history and the synthetic runs, read after the runner had its turns, as every principal
      for (const principal of PRINCIPALS) {
        await send('GET /remediations', 'get', '/remediations', principal);
        await send(
          'GET /synthetics/runs',
          'get',
          `/synthetics/runs?entityRef=${CHECKOUT}`,
          principal,
        );
      }
      const runs = await send(
        'GET /synthetics/runs',
        'get',
        `/synthetics/runs?entityRef=${CHECKOUT}`,
        'owner',
      );
      for (const run of (runs.body?.items ?? []).slice(0, 5)) {
        for (const what of ['har', 'steps', 'screenshot', 'evidence'])
          await send(
            'GET /synthetics/runs/:id/:what',
            'get',
            `/synthetics/runs/${encodeURIComponent(String(run.id))}/${what}`,
            'owner',
          );
      }

      // ---- the verdict ----
      const maxDelayMs = loop.max / 1e6;
      // an upstream that fails (the echo is no Prometheus) is a 503 naming it (issue 29: upstream failures are 503
      // everywhere, listed in the README); every other 5xx, a 500 included, is a hole
      const upstream503 = (o: Outcome) => {
        try {
          const body = JSON.parse(o.text);
          return (
            o.status === 503 &&
            body?.error?.name === 'ServiceUnavailableError' &&
            typeof body.error.message === 'string'
          );
        } catch {
          return false;
        }
      };
      const bad = outcomes.filter(
        o => (o.status >= 500 && !upstream503(o)) || o.status < 200,
      );
      const unavailable = outcomes.filter(upstream503);
      const noMessage = outcomes.filter(
        o => o.status >= 400 && !safeMessage(o.text),
      );
      // Backstage's own error handler repeats a request's URL in `request.url`; for requests that it rejects before
      // the plugin (an invalid token), that URL is the caller's own text, secret or not. Everything else counts,
      // headers included.
      const withoutOwnUrl = (o: Outcome) => {
        try {
          const body = JSON.parse(o.text);
          if (body?.request?.url !== undefined) body.request.url = '';
          return JSON.stringify(body);
        } catch {
          return o.text;
        }
      };
      const secretsIn = (s: string) => SECRET_VALUES.filter(x => s.includes(x));
      // Likewise the actions registry's own router (Backstage's, mounted before the plugin's routes) answers a body
      // its JSON parser refuses with the parser's message, which quotes the caller's own body: a secret the caller
      // sent itself, and nothing the plugin read. Only such 400s of the actions' invoke routes are set apart, and
      // only when every secret in the answer was in the request's own body.
      const ownBodyEcho = (o: Outcome) =>
        o.status === 400 &&
        o.path.startsWith('/.backstage/actions/') &&
        secretsIn(o.headers).length === 0 &&
        secretsIn(withoutOwnUrl(o)).every(x => (o.sent ?? '').includes(x));
      const echoes = outcomes.filter(
        o =>
          (secretsIn(withoutOwnUrl(o)).length > 0 && !ownBodyEcho(o)) ||
          secretsIn(o.headers).length > 0,
      );
      const ownBodyEchoes = outcomes.filter(
        o => secretsIn(withoutOwnUrl(o)).length > 0 && ownBodyEcho(o),
      ).length;
      const ownUrlEchoes =
        outcomes.filter(o => secretsIn(o.text).length > 0).length -
        outcomes.filter(o => secretsIn(withoutOwnUrl(o)).length > 0).length;
      const outside = outcomes.filter(o => {
        if (o.status < 200 || o.status >= 300 || !o.principal) return false;
        const t = tableRoute(o.method, o.path);
        return t !== undefined && !t.allow.has(o.principal);
      });
      const refusals = Object.entries(MUST_REFUSE).flatMap(([attack, routes]) =>
        routes
          .map(
            route =>
              queryOutcomes.find(
                q => q.route === route && q.attack === attack,
              )!,
          )
          .filter(q => q.status !== 400),
      );
      const queryByStatus: Record<string, number> = {};
      for (const q of queryOutcomes)
        queryByStatus[q.status] = (queryByStatus[q.status] ?? 0) + 1;
      const queryAccepted = [
        ...new Set(queryOutcomes.filter(q => q.status < 300).map(q => q.route)),
      ];
      const runtimeS = (performance.now() - began) / 1000;
      const line = (k: string, v: unknown) =>
        `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`;
      // eslint-disable-next-line no-console
      console.log(
        [
          `fuzz counts on ${databaseId} (${Math.round(
            runtimeS,
          )} s, ${REQUESTS} storm requests, seed ${
            databaseId === 'SQLITE_3' ? 1 : 2
          }):`,
          line('requests', outcomes.length),
          line(
            'routes',
            `${ROUTE_KEYS.length}, every one > 0: ${ROUTE_KEYS.every(
              k => byRoute[k] > 0,
            )} (fewest ${Math.min(...ROUTE_KEYS.map(k => byRoute[k]))})`,
          ),
          line(
            '5xx',
            `${bad.length} (besides ${unavailable.length} upstream 503s, on ${
              [...new Set(unavailable.map(o => o.route))].join(', ') ||
              'no route'
            })`,
          ),
          line('4xx without message', noMessage.length),
          line(
            'secret echoes',
            `${echoes.length} (caller's own URL echoed by Backstage's error handler before the plugin, not counted: ${ownUrlEchoes}; caller's own body quoted by the actions registry's JSON parser, not counted: ${ownBodyEchoes}; echo server requests received: ${echo.received[0]})`,
          ),
          line('allows outside the table', outside.length),
          line(
            'object/repeated query answers',
            `${JSON.stringify(queryByStatus)} (${
              queryOutcomes.length
            } requests; required 400s missing: ${
              refusals.length
            }; routes that ignore them: ${queryAccepted.join(', ') || 'none'})`,
          ),
          line('by class', byClass),
          line('by principal', byPrincipal),
          line(
            'event loop delay',
            `max ${maxDelayMs.toFixed(1)} ms, p99 ${(
              loop.percentile(99) / 1e6
            ).toFixed(1)} ms`,
          ),
          line(
            'conditional decisions asked without a resource',
            misuses.length,
          ),
          line('real remediation runs', realRuns.join(', ')),
          '  requests per route:',
          ...ROUTE_KEYS.map(k => `    ${k}: ${byRoute[k]}`),
          '  principal table walk (valid request; status per principal):',
          ...Object.entries(walk).map(([k, v]) => `    ${k}: ${v.join(', ')}`),
        ].join('\n'),
      );
      const slowest = [...outcomes]
        .sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0))
        .slice(0, 5);
      // eslint-disable-next-line no-console
      console.log(
        `slowest: ${slowest
          .map(
            o =>
              `${o.method} ${o.path.slice(0, 80)} ${o.status} ${Math.round(
                o.ms ?? 0,
              )} ms`,
          )
          .join('; ')}; stalls (30 ms or more): ${
          stalls
            .map(
              x =>
                `${Math.round(
                  x.lateMs,
                )} ms late (garbage collector ${Math.round(
                  x.gcMs,
                )} ms) during ${x.during}`,
            )
            .join('; ') || 'none'
        }`,
      );
      const show = (o: Outcome) =>
        `${o.status} ${o.method} ${o.path.slice(0, 100)} as ${
          o.principal ?? 'alertmanager'
        }`;
      expect(outcomes.length).toBeGreaterThanOrEqual(REQUESTS);
      expect(ROUTE_KEYS.filter(k => !(byRoute[k] > 0))).toEqual([]);
      expect(bad.map(o => `${show(o)} ${o.text.slice(0, 200)}`)).toEqual([]);
      expect(noMessage.map(o => `${show(o)} ${o.text.slice(0, 200)}`)).toEqual(
        [],
      );
      expect(
        echoes.map(
          o =>
            `${show(o)}: ${secretsIn(withoutOwnUrl(o) + o.headers).join(
              ', ',
            )}: ${o.text.slice(0, 300)}`,
        ),
      ).toEqual([]);
      expect(
        outside.map(
          o =>
            `${show(o)} (${tableRoute(o.method, o.path)!.route} allows ${
              [...tableRoute(o.method, o.path)!.allow].join(', ') ||
              'no principal'
            })`,
        ),
      ).toEqual([]);
      expect(refusals.map(q => `${q.status} ${q.route} ?${q.attack}`)).toEqual(
        [],
      );
      expect(misuses).toEqual([]);
      // the event loop never stalls 100 ms in our code (a stall less its garbage-collector time)
      expect(
        stalls
          .filter(x => x.lateMs - x.gcMs >= 100)
          .map(x => `${Math.round(x.lateMs)} ms during ${x.during}`),
      ).toEqual([]);

      // healthy, and valid reads still answer correctly
      expect(
        (await send('GET /health', 'get', '/health', 'anonymous')).body,
      ).toEqual({ status: 'ok' });
      const slos = await send(
        'GET /slos',
        'get',
        `/slos?entityRef=${CHECKOUT}`,
        'owner',
      );
      expect(slos.status).toBe(200);
      expect(slos.body.items.map((s: any) => s.ref).sort()).toEqual([
        'default/checkout-prom',
        'default/checkout-success',
      ]);
      const runbook = await send(
        'GET /runbooks/:kind/:namespace/:name',
        'get',
        '/runbooks/component/default/checkout',
        'owner',
      );
      expect(runbook.status).toBe(200);
      expect(runbook.body.source.type).toBe('portal');
      const commander = await send(
        'GET /commander/alerts',
        'get',
        '/commander/alerts',
        'owner',
      );
      expect(commander.status).toBe(200);
      const diff = await send(
        'GET /runbooks/:kind/:namespace/:name/versions/:version',
        'get',
        '/runbooks/component/default/checkout/versions/2',
        'owner',
      );
      expect([200, 413]).toContain(diff.status);
      await backend.stop();
      await echo.close();
      fs.rmSync(publishDir, { recursive: true, force: true });
    });
  },
);

/** A 4xx answer names its problem: Backstage's error body with a non-empty message. */
function safeMessage(text: string): boolean {
  try {
    const body = JSON.parse(text);
    return (
      typeof body?.error?.message === 'string' && body.error.message.length > 0
    );
  } catch {
    return false;
  }
}
