import crypto from 'crypto';
import fs from 'fs';
import nodePath from 'path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { reliabilityRoutes } from '@reliability-suite/plugin-reliability-common';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { contractValidator } from '../__testUtils__/contract';
import { openApiPath } from './generate';

jest.setTimeout(180_000);

/**
 * Every route answers as the OpenAPI document says: the plugin on a small portal (one component, the Alertmanager,
 * PagerDuty and Flagger receivers configured), each route called once in an order that creates what the next ones
 * read (an incident, a change, a drill), and each answer's status, content type and body checked against the
 * committed document with Ajv2020, the 4xx answers included. Then, for each route that takes input, a request the
 * document rejects (a path parameter, a query parameter or a body that breaks its schema) is answered 400 with
 * Backstage's error body: the routes parse with the schemas the document is generated from.
 */

const E = 'component:default/checkout';
const SECRET = 'alertmanager-shared-secret-0123456789';
const PD_SECRET = 'pagerduty-signing-secret-0123456789';
const FLAGGER = 'flagger-token-0123456789abcdef';
const now = () => new Date().toISOString();

type Auth = 'user' | 'service' | 'none' | 'alertmanager' | 'pagerduty';

/** One call of a route: its concrete URL, its body (JSON, or text with its type) and who calls. */
interface Call {
  url: string;
  body?: unknown;
  text?: { type: string; value: string };
  auth?: Auth;
  /** The body the document rejects, where `[]` would not reach the body's check (a token inside the body). */
  badBody?: unknown;
}

const declare = {
  entityRef: E,
  title: 'Checkout errors',
  severity: 'SEV2',
};

/** A call of every route (the keys are the registry's `METHOD /path`), in the order they run. */
const CALLS: Record<string, Call> = {
  'GET /health': { url: '/health', auth: 'none' },
  'GET /openapi.json': { url: '/openapi.json', auth: 'none' },
  'GET /slos': { url: '/slos' },
  'POST /slos/backtest': {
    url: '/slos/backtest',
    body: {
      slo: {
        name: 'checkout-availability',
        component: E,
        sli: { type: 'availability' },
        objectivePercent: 99,
      },
      historyFrom: 'default/checkout-success',
      days: 3,
    },
  },
  'GET /slos/:namespace/:name': { url: '/slos/default/checkout-success' },
  'GET /slos/:namespace/:name/history': {
    url: '/slos/default/checkout-success/history',
  },
  'GET /slos/:namespace/:name/prometheus-rules': {
    url: '/slos/default/checkout-success/prometheus-rules',
  },
  'GET /slos/:namespace/:name/export/:format': {
    url: '/slos/default/checkout-success/export/openslo',
  },
  'POST /sli-events': {
    url: '/sli-events',
    body: {
      events: [
        {
          slo: 'default/checkout-success',
          timestamp: now(),
          good: 9,
          total: 10,
        },
      ],
    },
  },
  'POST /sli-values': {
    url: '/sli-values',
    body: {
      values: [
        { slo: 'default/checkout-success', timestamp: now(), value: 120 },
      ],
    },
  },
  'GET /slos/:namespace/:name/corrections': {
    url: '/slos/default/checkout-success/corrections',
  },
  'POST /slos/:namespace/:name/corrections': {
    url: '/slos/default/checkout-success/corrections',
    body: {
      reason: 'planned maintenance',
      start: now(),
      cron: '0 2 * * 0',
      duration: '2h',
      timeZone: 'Europe/Berlin',
    },
  },
  'POST /slos/:namespace/:name/corrections/:id/revert': {
    url: '/slos/default/checkout-success/corrections/00000000-0000-4000-8000-000000000000/revert',
  },
  'GET /gate': { url: `/gate?entityRef=${E}` },
  'POST /gate/flagger': {
    url: '/gate/flagger',
    auth: 'none',
    body: {
      name: 'checkout',
      namespace: 'payments',
      phase: 'Progressing',
      metadata: { token: FLAGGER, entityRef: E },
    },
    badBody: { metadata: { token: FLAGGER, entityRef: 'checkout' } },
  },
  'GET /gate/overrides': { url: `/gate/overrides?entityRef=${E}` },
  'POST /gate/overrides': {
    url: '/gate/overrides',
    body: {
      entityRef: E,
      reason: 'the hotfix for the outage',
      until: new Date(Date.now() + 3_600_000).toISOString(),
    },
  },
  'POST /gate/overrides/:id/revoke': {
    url: '/gate/overrides/00000000-0000-4000-8000-000000000000/revoke',
  },
  'GET /alerts': { url: '/alerts' },
  'POST /alertmanager/webhook': {
    url: '/alertmanager/webhook',
    auth: 'alertmanager',
    body: {
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
    },
  },
  'GET /alertmanager/alerts': { url: '/alertmanager/alerts' },
  'GET /delivery': { url: '/delivery' },
  'POST /delivery/alerts/:alertKey/acknowledge': {
    url: '/delivery/alerts/reliability-1-00000000/acknowledge',
  },
  'GET /delivery/targets': { url: '/delivery/targets' },
  'GET /remediations': { url: `/remediations?entityRef=${E}` },
  'POST /remediations/run': {
    url: '/remediations/run',
    body: { ruleId: 'checkout-rollback', dryRun: true },
  },
  'GET /remediations/prometheus-rules': {
    url: '/remediations/prometheus-rules',
  },
  'GET /remediation/owner-rules': {
    url: `/remediation/owner-rules?entityRef=${E}`,
  },
  'GET /metrics': { url: '/metrics', auth: 'none' },
  'GET /secrets': { url: '/secrets' },
  'GET /runbooks/:kind/:namespace/:name': {
    url: '/runbooks/component/default/checkout',
  },
  'PUT /runbooks/:kind/:namespace/:name': {
    url: '/runbooks/component/default/checkout',
    body: { markdown: '# Checkout\n## Symptoms\nAlerts: SLOBurnRate' },
  },
  'GET /runbooks/:kind/:namespace/:name/versions': {
    url: '/runbooks/component/default/checkout/versions',
  },
  'GET /runbooks/:kind/:namespace/:name/versions/:version': {
    url: '/runbooks/component/default/checkout/versions/1',
  },
  'GET /commander/alerts': { url: '/commander/alerts' },
  'POST /incidents': { url: '/incidents', body: declare },
  'GET /incidents': { url: '/incidents' },
  'GET /incidents/mttr': { url: '/incidents/mttr?by=team' },
  'GET /incidents/:id': { url: '/incidents/1' },
  'GET /incidents/:id/markdown': { url: '/incidents/1/markdown' },
  'POST /incidents/:id/timeline': {
    url: '/incidents/1/timeline',
    body: { text: 'rolled back' },
  },
  'POST /incidents/:id/status': {
    url: '/incidents/1/status',
    body: { status: 'mitigated', text: 'ok' },
  },
  'PUT /incidents/:id/roles': {
    url: '/incidents/1/roles',
    body: { commander: 'user:default/mock' },
  },
  'PATCH /incidents/:id': {
    url: '/incidents/1',
    body: { updateCadenceMinutes: 15 },
  },
  'POST /incidents/:id/links': {
    url: '/incidents/1/links',
    body: {
      kind: 'dashboard',
      title: 'Checkout errors',
      url: 'https://grafana.example.com/d/checkout',
    },
  },
  'DELETE /incidents/:id/links/:position': { url: '/incidents/1/links/1' },
  'POST /incidents/:id/close': {
    url: '/incidents/1/close',
    body: { impact: 'none', rootCauses: ['x'], actionItems: [] },
  },
  'PATCH /incidents/:id/action-items/:position': {
    url: '/incidents/1/action-items/1',
    body: { done: true },
  },
  'POST /chaos/lint': {
    url: '/chaos/lint',
    body: { entityRef: E, experiment: {} },
  },
  'GET /chaos': { url: `/chaos?entityRef=${E}` },
  'POST /chaos': { url: '/chaos', body: { entityRef: E, experiment: {} } },
  'GET /chaos/files': { url: `/chaos/files?entityRef=${E}` },
  'GET /chaos/:id': { url: '/chaos/1' },
  'PUT /chaos/:id': {
    url: '/chaos/1',
    body: { baseVersion: 1, experiment: {} },
  },
  'GET /chaos/:id/versions': { url: '/chaos/1/versions' },
  'GET /chaos/:id/runs': { url: '/chaos/1/runs' },
  'POST /chaos/:id/runs/:runId/incident': {
    url: '/chaos/1/runs/1/incident',
    body: { incidentId: 1 },
  },
  'GET /chaos/:id/export': { url: '/chaos/1/export?format=litmus' },
  'POST /chaos/:id/approve': { url: '/chaos/1/approve' },
  'POST /chaos/:id/start': { url: '/chaos/1/start' },
  'POST /chaos/:id/started': { url: '/chaos/1/started', auth: 'service' },
  'POST /chaos/:id/abort': { url: '/chaos/1/abort', body: { reason: 'x' } },
  'POST /chaos/:id/complete': {
    url: '/chaos/1/complete',
    auth: 'service',
    body: {},
  },
  'POST /drills': {
    url: '/drills',
    body: {
      entityRef: E,
      date: '2026-01-10',
      region: 'ap-sg',
      durationMin: 18,
      success: true,
    },
  },
  'GET /drills': { url: `/drills?entityRef=${E}` },
  'POST /drills/import': {
    url: `/drills/import?entityRef=${E}`,
    text: {
      type: 'text/csv',
      value:
        'date,region,duration_min,success,notes\n2025-09-10,ap-sg,18,true,"promotion"\n',
    },
  },
  'GET /drills/export': { url: `/drills/export?entityRef=${E}` },
  'GET /capacity/runs': { url: `/capacity/runs?entityRef=${E}` },
  'POST /capacity/runs': {
    url: '/capacity/runs',
    auth: 'service',
    body: { entityRef: E, testType: 'stress', summary: {} },
  },
  'POST /changes': {
    url: '/changes',
    auth: 'service',
    body: { entityRef: E, kind: 'deploy', version: 'v2.14.0', at: now() },
  },
  'GET /changes': { url: `/changes?entityRef=${E}` },
  'GET /synthetics': { url: `/synthetics?entityRef=${E}` },
  'PUT /synthetics/journeys': {
    url: '/synthetics/journeys',
    body: {
      entityRef: E,
      journey: {
        name: 'login',
        regions: ['ap-sg'],
        frequency: '5m',
        deadlineMs: 3000,
        steps: [
          {
            type: 'http',
            name: 'Home',
            method: 'GET',
            url: 'https://shop.example.com/',
          },
        ],
      },
    },
  },
  'GET /synthetics/runs': { url: `/synthetics/runs?entityRef=${E}` },
  'GET /synthetics/series': {
    url: `/synthetics/series?entityRef=${E}&journey=login`,
  },
  'GET /synthetics/runs/:id/:what': {
    url: `/synthetics/runs/1/har?entityRef=${E}`,
  },
  'DELETE /synthetics/journeys': {
    url: `/synthetics/journeys?entityRef=${E}&journey=login`,
  },
  'POST /synthetics/import': {
    url: `/synthetics/import?entityRef=${E}`,
    text: {
      type: 'text/csv',
      value:
        'journey,region,frequency,deadline_ms\ncheckout_full,ap-sg,5m,3000\n',
    },
  },
  'POST /synthetics/canary': {
    url: '/synthetics/canary',
    auth: 'none',
    text: { type: 'application/json', value: '{}' },
  },
  'GET /readiness': { url: `/readiness?entityRef=${E}` },
  'GET /overview': { url: '/overview' },
  'GET /overview/export': { url: '/overview/export' },
  'POST /import/:registry': {
    url: `/import/drills?entityRef=${E}&dryRun=true`,
    text: {
      type: 'text/csv',
      value:
        'date,region,duration_min,success,notes\n2025-09-10,ap-sg,18,true,"promotion"\n',
    },
  },
  'POST /webhooks/pagerduty': {
    url: '/webhooks/pagerduty',
    auth: 'pagerduty',
    body: {
      event: {
        id: '01CONTRACT',
        event_type: 'incident.triggered',
        resource_type: 'incident',
        occurred_at: now(),
        data: { id: 'P1', type: 'incident', urgency: 'high' },
      },
    },
  },
  'POST /webhooks/generic/:name': {
    url: '/webhooks/generic/monitor',
    auth: 'none',
    body: { alert: { id: 'a-1' } },
  },
  'GET /webhooks/receipts': { url: '/webhooks/receipts' },
};

const key = (r: { method: string; path: string }) =>
  `${r.method.toUpperCase()} ${r.path}`;
const document = JSON.parse(
  fs.readFileSync(nodePath.join(__dirname, 'openapi.json'), 'utf8'),
) as Record<string, unknown>;
const contract = contractValidator(document);

async function startPortal(knex: unknown) {
  return startTestBackend({
    features: [
      reliabilityPlugin,
      catalogServiceMock.factory({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: { name: 'checkout', namespace: 'default' },
            spec: { owner: 'group:default/team' },
          },
        ],
      }),
      mockServices.database.factory({ knex: knex as any }),
      mockServices.rootConfig.factory({
        data: {
          reliability: {
            alertmanager: { sharedSecret: SECRET },
            webhooks: { pagerduty: { secrets: [PD_SECRET] } },
            gate: { flaggerToken: FLAGGER },
          },
        },
      }),
    ],
  });
}

/** Sends one call: its method, URL, body and the credentials its `auth` names. */
function send(
  server: Parameters<typeof request>[0],
  method: string,
  call: Call,
): request.Test {
  let req = (request(server) as any)[method](
    `/api/reliability${call.url}`,
  ) as request.Test;
  const auth = call.auth ?? 'user';
  const raw =
    call.text?.value ??
    (call.body === undefined ? undefined : JSON.stringify(call.body));
  if (auth === 'user')
    req = req.set('authorization', mockCredentials.user.header());
  if (auth === 'service')
    req = req.set('authorization', mockCredentials.service.header());
  if (auth === 'alertmanager')
    req = req.set('authorization', `Bearer ${SECRET}`);
  if (auth === 'pagerduty' && raw !== undefined)
    req = req.set(
      'x-pagerduty-signature',
      `v1=${crypto.createHmac('sha256', PD_SECRET).update(raw).digest('hex')}`,
    );
  if (raw !== undefined)
    req = req
      .set('content-type', call.text?.type ?? 'application/json')
      .send(raw);
  return req;
}

/** What the document finds wrong with an answer (empty when it conforms). */
function problems(method: string, route: string, res: request.Response) {
  const type = res.headers['content-type'] as string | undefined;
  const json = (type ?? '').startsWith('application/json');
  return contract.response(
    method,
    openApiPath(route),
    res.status,
    type,
    json || res.status === 204 ? res.body : res.text,
  );
}

/** A value for a parameter the document rejects, or undefined when every candidate conforms. */
function rejectedValue(
  method: string,
  route: string,
  where: 'path' | 'query',
  name: string,
) {
  for (const candidate of ['0', '-1', 'not-a-value', 'x'.repeat(300)])
    if (
      contract.parameter(method, openApiPath(route), where, name, candidate)
        .length > 0
    )
      return candidate;
  return undefined;
}

/**
 * A request the document rejects, built from the call of the route: a path parameter, else a query parameter,
 * else the JSON body (`[]` where an object is documented), that breaks its schema; undefined for a route with
 * no input the document constrains.
 */
function rejectedCall(
  route: (typeof reliabilityRoutes)[number],
  call: Call,
): { call: Call; broke: string } | undefined {
  const m = route.method;
  const segments = route.path.split('/');
  const urlPath = call.url.split('?')[0].split('/');
  for (let i = 0; i < segments.length; i++) {
    if (!segments[i].startsWith(':')) continue;
    const name = segments[i].slice(1);
    const bad = rejectedValue(m, route.path, 'path', name);
    if (bad === undefined) continue;
    const parts = [...urlPath];
    parts[i] = bad;
    const query = call.url.includes('?') ? `?${call.url.split('?')[1]}` : '';
    return {
      call: { ...call, url: parts.join('/') + query },
      broke: `path ${name}`,
    };
  }
  const query = new URLSearchParams(call.url.split('?')[1] ?? '');
  const op = contract.operation(m, openApiPath(route.path));
  for (const p of (op?.parameters ?? []) as { in: string; name: string }[]) {
    if (p.in !== 'query') continue;
    const bad = rejectedValue(m, route.path, 'query', p.name);
    if (bad === undefined) continue;
    const q = new URLSearchParams(query);
    q.set(p.name, bad);
    return {
      call: { ...call, url: `${call.url.split('?')[0]}?${q}` },
      broke: `query ${p.name}`,
    };
  }
  const badBody = call.badBody ?? [];
  if (
    call.body !== undefined &&
    contract.body(m, openApiPath(route.path), badBody).length > 0
  )
    return { call: { ...call, body: badBody }, broke: 'body' };
  return undefined;
}

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe('the calls this test makes', () => {
  it('are one for every route of the registry', () => {
    expect(Object.keys(CALLS).sort()).toEqual(
      reliabilityRoutes.map(key).sort(),
    );
  });
});

describe.each(databases.eachSupportedId())(
  'every route against the OpenAPI document, on %p',
  databaseId => {
    it('answers each call with a status, a type and a body the document gives', async () => {
      const knex = await databases.init(databaseId);
      const backend = await startPortal(knex);
      const seen: { route: string; status: number; problems: string[] }[] = [];
      for (const [name, call] of Object.entries(CALLS)) {
        const route = reliabilityRoutes.find(r => key(r) === name)!;
        const res = await send(backend.server, route.method, call);
        seen.push({
          route: name,
          status: res.status,
          problems: problems(route.method, route.path, res),
        });
      }
      if (process.env.CONTRACT_DEBUG)
        console.log(seen.map(x => `${x.status} ${x.route}`).join('\n'));
      // no route answers outside the document (a 5xx is never documented)
      expect(seen.filter(s => s.problems.length > 0)).toEqual([]);
      // and the walk is not all errors: most routes answer 2xx, some 4xx (both checked above)
      const ok = seen.filter(s => s.status < 300).length;
      expect(ok).toBeGreaterThan(seen.length / 2);
      expect(seen.some(s => s.status >= 400)).toBe(true);
      await backend.stop();
    });

    it('answers 400 with the error body to each request the document rejects', async () => {
      const knex = await databases.init(databaseId);
      const backend = await startPortal(knex);
      const seen: { route: string; broke: string; status: number }[] = [];
      let rejected = 0;
      for (const route of reliabilityRoutes) {
        // a generic webhook is declared in config, and none is here: its receiver answers 404 to any request
        if (key(route) === 'POST /webhooks/generic/:name') continue;
        const bad = rejectedCall(route, CALLS[key(route)]);
        if (!bad) continue;
        rejected++;
        const res = await send(backend.server, route.method, bad.call);
        seen.push({ route: key(route), broke: bad.broke, status: res.status });
        expect({
          route: key(route),
          problems: problems(route.method, route.path, res),
        }).toEqual({ route: key(route), problems: [] });
      }
      expect(seen.filter(s => s.status !== 400)).toEqual([]);
      // every route with a path parameter, a query or a body the document constrains
      expect(rejected).toBeGreaterThan(60);
      await backend.stop();
    });
  },
);
