// Who may call each mutating route of /api/reliability, against a backend booted with the production config
// (app-config.yaml + app-config.production.yaml + test/e2e/app-config.production-test.yaml on PostgreSQL): walks the
// whole table of test/access/mutating-routes.json with its six principals and fails on any allow it does not list.
//
// Two boots on one database (guest sign-in names one user per boot):
//   1. the owner boot (test/e2e/app-config.production-owner.yaml: guest = user:default/guest, of payments-sre, which
//      owns checkout): every route as anonymous, the SLI reporters' token, the importer's token and another service's
//      token (no access restrictions), then as the owner;
//   2. the stranger boot (test/e2e/app-config.production-stranger.yaml: guest = user:default/stranger, who owns
//      nothing): every route as the stranger, then the owner's rows that need someone else first (starting an
//      experiment the stranger approved), with the owner's token from the first boot (the signing keys live in the
//      auth database, so a user's token outlives a restart as in production).
// A principal the table does not allow must get 401 or 403; one it allows must get past authentication and
// permissions: a 2xx, or the rule refusal the row names (the author approving their own experiment).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startPortalBackend, stopPortalBackend, until } from './lib/portal.mjs';

// its own port (production.test.mjs has 7078), on the production test's database prefix
const PORT = 7079;
const BASE = `http://localhost:${PORT}`;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PG = new URL(
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
    'postgresql://postgres@127.0.0.1:5432',
);
const INGEST_TOKEN = 'prod-test-ingest-token-0123456789';
const IMPORT_TOKEN = 'prod-test-import-token-0123456789';
const OTHER_SERVICE_TOKEN = 'access-test-other-service-token-0123456789';
const ALERTMANAGER_SECRET = 'access-test-alertmanager-secret-0123456789';
const env = {
  NODE_ENV: 'production',
  POSTGRES_HOST: PG.hostname,
  POSTGRES_PORT: PG.port || '5432',
  POSTGRES_USER: decodeURIComponent(PG.username || 'postgres'),
  POSTGRES_PASSWORD: decodeURIComponent(PG.password || ''),
  RELIABILITY_INGEST_TOKEN: INGEST_TOKEN,
  RELIABILITY_IMPORT_TOKEN: IMPORT_TOKEN,
  // the Alertmanager receiver on, so its route answers for its secret rather than 503
  ALERTMANAGER_SHARED_SECRET: ALERTMANAGER_SECRET,
};

// A third static token without access restrictions. Config arrays replace rather than merge, so the test-only file
// holds production's own externalAccess entries (read from app-config.production.yaml, never copied by hand) plus it;
// and the port of this test.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-access-'));
const production = parse(
  readFileSync(path.join(ROOT, 'app-config.production.yaml'), 'utf8'),
);
const otherServiceConfig = path.join(tmp, 'app-config.other-service.yaml');
writeFileSync(
  otherServiceConfig,
  JSON.stringify({
    app: { baseUrl: BASE },
    backend: {
      baseUrl: BASE,
      listen: { port: PORT, host: '127.0.0.1' },
      cors: { origin: BASE },
      auth: {
        externalAccess: [
          ...production.backend.auth.externalAccess,
          {
            type: 'static',
            options: { token: OTHER_SERVICE_TOKEN, subject: 'other-service' },
          },
        ],
      },
    },
    // the webhook receivers on, so their routes answer for their signatures rather than 404
    reliability: {
      webhooks: {
        pagerduty: { secrets: ['access-test-pagerduty-webhook-secret'] },
        generic: {
          monitor: {
            secret: 'access-test-generic-webhook-secret',
            idPath: '/alert/id',
            labels: { severity: '/alert/severity' },
          },
        },
      },
    },
  }),
);
const configs = [
  '../../app-config.production.yaml',
  '../../test/e2e/app-config.production-test.yaml',
];
const ownerConfigs = [
  ...configs,
  '../../test/e2e/app-config.production-owner.yaml',
  otherServiceConfig,
];
const strangerConfigs = [
  ...configs,
  '../../test/e2e/app-config.production-stranger.yaml',
  otherServiceConfig,
];

const table = JSON.parse(
  readFileSync(path.join(ROOT, 'test/access/mutating-routes.json'), 'utf8'),
);
const PRINCIPALS = Object.keys(table.principals);
assert.deepEqual(PRINCIPALS, [
  'owner',
  'otherUser',
  'reporters',
  'importer',
  'otherService',
  'anonymous',
]);
/** Who goes first in the owner boot: everyone the table may refuse, the owner last. */
const SERVICES_FIRST = ['anonymous', 'reporters', 'importer', 'otherService'];

/** Bearer tokens per principal; the users' are set at sign-in, anonymous has none. */
const tokens = {
  reporters: INGEST_TOKEN,
  importer: IMPORT_TOKEN,
  otherService: OTHER_SERVICE_TOKEN,
};

const RUN = Date.now().toString(36);
const CHECKOUT = 'component:default/checkout';
const MIN = 60_000;
const minute = () => new Date(Math.floor(Date.now() / MIN) * MIN).toISOString();

async function call(who, { method, path: p, body, csv, bearer }) {
  const headers = {};
  const token = bearer ?? tokens[who];
  if (token) headers.Authorization = `Bearer ${token}`;
  if (csv !== undefined) headers['Content-Type'] = 'text/csv';
  else if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${BASE}/api/reliability${p}`, {
    method,
    headers,
    body: csv ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, text, json };
}

/** A setup call as `who` that must succeed: answers its JSON. */
async function must(who, req) {
  const res = await call(who, req);
  assert.ok(
    res.status >= 200 && res.status < 300,
    `setup ${req.method} ${req.path} as ${who}: ${res.status} ${res.text}`,
  );
  return res.json;
}

async function signIn(expectedRef, needsGroup) {
  const identity = await until(
    `${expectedRef} signed in`,
    async () => {
      const res = await fetch(`${BASE}/api/auth/guest/refresh?env=production`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      });
      if (!res.ok)
        throw new Error(
          `guest refresh answered ${res.status}: ${await res.text()}`,
        );
      const { backstageIdentity } = await res.json();
      // a fresh database: the catalog may still be reading the organisation
      if (
        needsGroup &&
        !backstageIdentity.identity.ownershipEntityRefs.includes(needsGroup)
      )
        return null;
      return backstageIdentity;
    },
    120_000,
    1000,
  );
  assert.equal(identity.identity.userEntityRef, expectedRef);
  return identity.token;
}

// ---- what each route is sent ----------------------------------------------------------------------------------

const experiment = name => ({
  name,
  hypothesis: 'Checkout latency stays under 1 s p95 if PaymentSvc slows 30%.',
  target: { namespace: 'payments', deployment: 'payment-svc' },
  blastRadius: { trafficPercent: 5, regions: ['us-east'], canaryOnly: true },
  steadyState: { slo: 'default/checkout-success', minBudgetRemaining: 0.5 },
  injection: { type: 'latency', ms: 300, jitterMs: 30 },
  duration: '10m',
  environment: 'staging',
  owner: 'group:default/payments-sre',
  abortConditions: [{ type: 'budget-spent', percent: 5, within: '90s' }],
});
const journey = {
  name: 'access_probe',
  regions: ['us-east'],
  frequency: '24h',
  deadlineMs: 3000,
  steps: [
    {
      type: 'http',
      name: 'Health',
      url: `http://127.0.0.1:${PORT}/api/reliability/health`,
    },
  ],
};
const capacityRun = (() => {
  const [seed] = JSON.parse(
    readFileSync(
      path.join(ROOT, 'catalog/loadtests/checkout-runs.json'),
      'utf8',
    ),
  );
  return {
    entityRef: CHECKOUT,
    testType: 'smoke',
    commit: `access-${RUN}`,
    summary: seed.summary,
    maxRps: 10,
  };
})();
const csvFile = f => readFileSync(path.join(ROOT, f), 'utf8');
// a drill of a region of its own per run (a drill of the same kind, region and date is a 409)
const drillDate = new Date(Date.now() - 10 * 86_400_000)
  .toISOString()
  .slice(0, 10);
const past = Date.now() - 10 * 86_400_000;
const correction = {
  reason: 'access test: planned maintenance',
  start: new Date(past).toISOString(),
  end: new Date(past + 3_600_000).toISOString(),
};
const alertmanagerPayload = () => ({
  version: '4',
  groupKey: `{}:{alertname="AccessTest${RUN}"}`,
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'reliability',
  groupLabels: { alertname: `AccessTest${RUN}` },
  commonLabels: { alertname: `AccessTest${RUN}` },
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: `AccessTest${RUN}` },
      annotations: {},
      startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example/graph',
      fingerprint: Buffer.from(RUN)
        .toString('hex')
        .padEnd(16, '0')
        .slice(0, 16),
    },
  ],
});

/** What the walk shares: the owner's setup (ids) and what each principal's own requests created. */
const ctx = { incidents: {}, experiments: {} };
/** The incident `who` works: the one it declared, or the owner's setup incident. */
const incidentOf = who => ctx.incidents[who] ?? ctx.incident;

/** A user refused a gate override is told which setting opens it (neither user is a gate overrider). */
const gateDenial = (who, res) =>
  !['owner', 'otherUser'].includes(who) ||
  /reliability\.permissions\.gateOverriders/.test(res.text);

/** A user refused an organisation-wide import is told which setting opens it (neither user is a platform group). */
const platformDenial = (who, res) =>
  !['owner', 'otherUser'].includes(who) ||
  /reliability\.permissions\.platformGroups/.test(res.text);

/**
 * Per route of the table: `send(who)` gives the request (may be async, to read a current version first);
 * `refusal(who, res)` accepts a documented rule refusal of an allowed principal; `denial(who, res)` checks what a
 * denied principal's 401/403 says (the setting that opens it); `ownerLater` defers the owner's
 * request to the stranger boot (it needs the stranger's approval first).
 */
const ROUTES = {
  'POST /slos/backtest': {
    send: () => ({
      method: 'POST',
      path: '/slos/backtest',
      body: {
        slo: {
          name: 'checkout-availability',
          component: CHECKOUT,
          sli: { type: 'availability' },
          objectivePercent: 99,
        },
        historyFrom: 'default/checkout-success',
        days: 3,
      },
    }),
  },
  'POST /sli-events': {
    send: () => ({
      method: 'POST',
      path: '/sli-events',
      body: {
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: minute(),
            good: 1000,
            total: 1000,
          },
        ],
      },
    }),
  },
  'POST /sli-values': {
    send: () => ({
      method: 'POST',
      path: '/sli-values',
      body: {
        values: [
          {
            slo: 'default/access-checkout-p95',
            timestamp: minute(),
            value: 120,
          },
        ],
      },
    }),
  },
  'POST /slos/:namespace/:name/corrections': {
    send: () => ({
      method: 'POST',
      path: '/slos/default/checkout-success/corrections',
      body: correction,
    }),
  },
  'POST /slos/:namespace/:name/corrections/:id/revert': {
    // the stranger (second boot) tries the one the owner leaves standing for it
    send: who => ({
      method: 'POST',
      path: `/slos/default/checkout-success/corrections/${
        who === 'otherUser' ? ctx.laterCorrection : ctx.correction
      }/revert`,
    }),
  },
  'POST /gate/overrides': {
    send: () => ({
      method: 'POST',
      path: '/gate/overrides',
      body: {
        entityRef: CHECKOUT,
        reason: 'access test release',
        until: new Date(Date.now() + 3_600_000).toISOString(),
      },
    }),
    denial: gateDenial,
  },
  'POST /gate/overrides/:id/revoke': {
    // nobody may override in either boot: refused before the (unknown) override is looked up
    send: () => ({
      method: 'POST',
      path: '/gate/overrides/00000000-0000-4000-8000-000000000001/revoke',
    }),
    denial: gateDenial,
  },
  'POST /alertmanager/webhook': {
    send: () => ({
      method: 'POST',
      path: '/alertmanager/webhook',
      body: alertmanagerPayload(),
    }),
  },
  // the webhook receivers authenticate by signature only: a Backstage token does not get in
  'POST /webhooks/pagerduty': {
    send: () => ({
      method: 'POST',
      path: '/webhooks/pagerduty',
      body: {
        event: {
          id: '01ACCESS',
          event_type: 'incident.triggered',
          occurred_at: '2026-12-05T10:00:00Z',
          data: { id: 'P1', type: 'incident' },
        },
      },
    }),
  },
  'POST /webhooks/generic/:name': {
    send: () => ({
      method: 'POST',
      path: '/webhooks/generic/monitor',
      body: { alert: { id: 'a-1', severity: 'error' } },
    }),
  },
  // the synthetic webhook canary authenticates by signature only: a Backstage token does not get in
  'POST /synthetics/canary': {
    send: () => ({
      method: 'POST',
      path: '/synthetics/canary',
      body: { nonce: 'access-nonce' },
    }),
  },
  'POST /remediations/run': {
    // the portal's rule (app-config.yaml): a dry run plans, calls nothing
    send: () => ({
      method: 'POST',
      path: '/remediations/run',
      body: { ruleId: 'checkout-multibuy-rollback', dryRun: true },
    }),
  },
  'PUT /runbooks/:kind/:namespace/:name': {
    send: async who => {
      const { version } = await must('owner', {
        method: 'GET',
        path: '/runbooks/component/default/checkout',
      });
      // checkout's runbook text lives in its repository (reliability.io/runbook): the portal keeps its failure modes
      const failureModes = [
        {
          mode: `access test ${RUN}`,
          detection: `saved as ${who}`,
          mitigation: 'none needed',
        },
      ];
      return {
        method: 'PUT',
        path: '/runbooks/component/default/checkout',
        body: { baseVersion: version, failureModes },
      };
    },
  },
  'POST /incidents': {
    send: () => ({
      method: 'POST',
      path: '/incidents',
      body: {
        entityRef: CHECKOUT,
        title: `access test ${RUN}`,
        severity: 'SEV3',
      },
    }),
    after: (who, res) => {
      if (res.status === 201) ctx.incidents[who] = res.json.id;
    },
  },
  'POST /incidents/:id/timeline': {
    send: who => ({
      method: 'POST',
      path: `/incidents/${incidentOf(who)}/timeline`,
      body: { text: `noted by ${who}` },
    }),
  },
  'POST /incidents/:id/status': {
    send: who => ({
      method: 'POST',
      path: `/incidents/${incidentOf(who)}/status`,
      body: { status: 'identified', text: `identified by ${who}` },
    }),
  },
  'PUT /incidents/:id/roles': {
    send: who => ({
      method: 'PUT',
      path: `/incidents/${incidentOf(who)}/roles`,
      // the stranger stays the commander of the incident they declared (else they could not work it further)
      body: {
        commander:
          who === 'otherUser' ? 'user:default/stranger' : 'user:default/guest',
        scribe: who,
      },
    }),
  },
  'PATCH /incidents/:id': {
    send: who => ({
      method: 'PATCH',
      path: `/incidents/${incidentOf(who)}`,
      body: { updateCadenceMinutes: 15 },
    }),
  },
  'POST /incidents/:id/links': {
    send: who => ({
      method: 'POST',
      path: `/incidents/${incidentOf(who)}/links`,
      body: {
        kind: 'dashboard',
        title: `checkout errors for ${who}`,
        url: `https://grafana.example.com/d/checkout?who=${who}`,
      },
    }),
  },
  'DELETE /incidents/:id/links/:position': {
    send: who => ({
      method: 'DELETE',
      path: `/incidents/${incidentOf(who)}/links/1`,
    }),
  },
  'POST /incidents/:id/close': {
    send: who => ({
      method: 'POST',
      path: `/incidents/${incidentOf(who)}/close`,
      body: {
        impact: 'none: an access test',
        rootCauses: ['the access test'],
        actionItems: [
          { title: 'nothing', owner: 'payments-sre', due: '2030-01-01' },
        ],
      },
    }),
  },
  'PATCH /incidents/:id/action-items/:position': {
    send: who => ({
      method: 'PATCH',
      path: `/incidents/${incidentOf(who)}/action-items/1`,
      body: { done: true },
    }),
  },
  'POST /chaos/lint': {
    send: () => ({
      method: 'POST',
      path: '/chaos/lint',
      body: {
        entityRef: CHECKOUT,
        experiment: experiment(`access-lint-${RUN}`),
      },
    }),
  },
  'POST /chaos': {
    send: who => ({
      method: 'POST',
      path: '/chaos',
      body: {
        entityRef: CHECKOUT,
        experiment: experiment(`access-${who.toLowerCase()}-${RUN}`),
      },
    }),
  },
  'PUT /chaos/:id': {
    send: async () => {
      const { version } = await must('owner', {
        method: 'GET',
        path: `/chaos/${ctx.experiments.a}`,
      });
      return {
        method: 'PUT',
        path: `/chaos/${ctx.experiments.a}`,
        body: {
          baseVersion: version,
          experiment: { ...experiment(`access-a-${RUN}`), duration: '5m' },
        },
      };
    },
  },
  'POST /chaos/:id/approve': {
    send: () => ({
      method: 'POST',
      path: `/chaos/${ctx.experiments.a}/approve`,
    }),
    // the owner is no chaos approver (and wrote the experiment): the policy refuses, naming the setting
    denial: (who, res) =>
      who !== 'owner' ||
      /reliability\.permissions\.chaosApprovers/.test(res.text),
  },
  'POST /chaos/:id/start': {
    send: () => ({ method: 'POST', path: `/chaos/${ctx.experiments.a}/start` }),
    ownerLater: true,
  },
  'POST /chaos/:id/started': {
    send: () => ({
      method: 'POST',
      path: `/chaos/${ctx.experiments.b}/started`,
    }),
    ownerLater: true,
  },
  'POST /chaos/:id/abort': {
    send: () => ({
      method: 'POST',
      path: `/chaos/${ctx.experiments.a}/abort`,
      body: { reason: 'access test' },
    }),
    ownerLater: true,
  },
  'POST /chaos/:id/complete': {
    send: () => ({
      method: 'POST',
      path: `/chaos/${ctx.experiments.b}/complete`,
      body: { hypothesisHeld: true, observations: 'access test' },
    }),
    ownerLater: true,
  },
  // past the checks, the owner's answer is 404 (no run 1 of this experiment) or 409 (the incident is still open)
  'POST /chaos/:id/runs/:runId/incident': {
    send: who => ({
      method: 'POST',
      path: `/chaos/${ctx.experiments.a}/runs/1/incident`,
      body: { incidentId: incidentOf(who) ?? 1 },
    }),
    refusal: (_who, res) =>
      (res.status === 404 && /has no run 1\b/.test(res.text)) ||
      res.status === 409,
  },
  'POST /changes': {
    send: who => ({
      method: 'POST',
      path: '/changes',
      body: {
        entityRef: CHECKOUT,
        kind: 'deploy',
        version: `access-${RUN}`,
        summary: `recorded by ${who}`,
      },
    }),
  },
  'POST /capacity/runs': {
    send: () => ({ method: 'POST', path: '/capacity/runs', body: capacityRun }),
  },
  'PUT /synthetics/journeys': {
    send: () => ({
      method: 'PUT',
      path: '/synthetics/journeys',
      body: { entityRef: CHECKOUT, journey },
    }),
  },
  'DELETE /synthetics/journeys': {
    send: () => ({
      method: 'DELETE',
      path: `/synthetics/journeys?entityRef=${CHECKOUT}&journey=access_probe`,
    }),
  },
  'POST /synthetics/import': {
    send: () => ({
      method: 'POST',
      path: `/synthetics/import?entityRef=${CHECKOUT}`,
      csv: 'journey,region,frequency,deadline_ms\naccess_probe,us-east,24h,3000\n',
    }),
  },
  'POST /drills': {
    send: () => ({
      method: 'POST',
      path: '/drills',
      body: {
        entityRef: CHECKOUT,
        drill: {
          date: drillDate,
          region: `access-${RUN}`,
          toRegion: 'ap-jp',
          durationMin: 4,
          success: true,
          rtoSeconds: 250,
          rpoSeconds: 40,
          steps: ['block egress in ap-sg', 'promote ap-jp'],
          notes: 'access test',
        },
      },
    }),
  },
  'POST /drills/import': {
    send: () => ({
      method: 'POST',
      path: `/drills/import?entityRef=${CHECKOUT}`,
      csv: csvFile('catalog/drills/checkout.csv'),
    }),
  },
  'POST /import/slos': {
    denial: platformDenial,
    send: () => ({
      method: 'POST',
      path: '/import/slos?dryRun=true',
      csv: csvFile('catalog/registries/slo-registry.csv'),
    }),
  },
  'POST /import/burn-rate-alerts': {
    denial: platformDenial,
    send: () => ({
      method: 'POST',
      path: '/import/burn-rate-alerts?dryRun=true',
      csv: csvFile('catalog/policies/burn-rate-alerts.csv'),
    }),
  },
  'POST /import/slo-documents': {
    denial: platformDenial,
    send: () => ({
      method: 'POST',
      path: '/import/slo-documents?dryRun=true',
      // SLO documents as JSON (a Pyrra SLO, converted to OpenSLO v1); a dry run writes nothing
      body: {
        apiVersion: 'pyrra.dev/v1alpha1',
        kind: 'ServiceLevelObjective',
        metadata: { name: 'access-probe-errors' },
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
      },
    }),
  },
};

// ---- the walk ------------------------------------------------------------------------------------------------

/** route -> principal -> { status, verdict } */
const results = new Map(table.routes.map(r => [r.route, {}]));
/** What disagreed with the table: each a line for the failure message. */
const problems = [];
let ownerBooted = false;

/** The running backend's output since it answered, for failure messages. */
let backendOutput = '';
function capture(backend) {
  backendOutput = '';
  const add = d => {
    backendOutput = (backendOutput + d).slice(-20_000);
  };
  backend.stdout.on('data', add);
  backend.stderr.on('data', add);
  return backend;
}

/** Stops the backend and waits until nothing answers on the port (a stopping backend answers 503 for a while). */
async function stop(backend) {
  await stopPortalBackend(backend);
  await until(
    `nothing on ${BASE}`,
    () =>
      fetch(`${BASE}/api/reliability/health`).then(
        () => false,
        () => true,
      ),
    60_000,
  );
}

async function walk(row, who) {
  const def = ROUTES[row.route];
  const req = await def.send(who);
  const res = await call(who, req).catch(e => {
    throw new Error(
      `${row.route} as ${who}: ${e.message} (${
        e.cause?.message ?? ''
      })\n--- backend output ---\n${backendOutput.slice(-6000)}`,
    );
  });
  await def.after?.(who, res);
  const allowed = row.allow.includes(who);
  const ok2xx = res.status >= 200 && res.status < 300;
  let verdict;
  if (allowed) {
    verdict = ok2xx || def.refusal?.(who, res) ? 'allow' : 'wrong';
    if (verdict === 'wrong')
      problems.push(
        `${row.route} as ${who}: the table allows it, the backend answered ${
          res.status
        } ${res.text.slice(0, 300)}`,
      );
  } else if (res.status === 401 || res.status === 403) {
    verdict = 'deny';
    if (def.denial && !def.denial(who, res)) {
      verdict = 'wrong';
      problems.push(
        `${
          row.route
        } as ${who}: refused without naming the setting that opens it: ${
          res.status
        } ${res.text.slice(0, 300)}`,
      );
    }
  } else {
    verdict = ok2xx ? 'unexpected-allow' : 'wrong';
    problems.push(
      `${row.route} as ${who}: the table denies it, the backend answered ${
        res.status
      } ${res.text.slice(0, 300)}${ok2xx ? ' (UNEXPECTED ALLOW)' : ''}`,
    );
  }
  assert.equal(
    results.get(row.route)[who],
    undefined,
    `${row.route} as ${who} twice`,
  );
  results.get(row.route)[who] = { status: res.status, verdict };
}

after(() => rmSync(tmp, { recursive: true, force: true }));

test('the table and the requests name the same routes', () => {
  const missing = table.routes.map(r => r.route).filter(r => !ROUTES[r]);
  assert.deepEqual(
    missing,
    [],
    `routes of test/access/mutating-routes.json without a request in access.test.mjs: ${missing.join(
      ', ',
    )}`,
  );
  const extra = Object.keys(ROUTES).filter(r => !results.has(r));
  assert.deepEqual(
    extra,
    [],
    `requests for routes the table does not list: ${extra.join(', ')}`,
  );
  for (const r of table.routes)
    for (const who of r.allow)
      assert.ok(
        PRINCIPALS.includes(who),
        `${r.route}: unknown principal ${who}`,
      );
});

test(
  'owner boot: every route as anonymous and each service token, then as the owner',
  { timeout: 420_000 },
  async () => {
    await until(
      `nothing on ${BASE}`,
      () =>
        fetch(`${BASE}/api/reliability/health`).then(
          () => false,
          () => true,
        ),
      60_000,
    );
    const backend = capture(
      await startPortalBackend(ownerConfigs, BASE, 240_000, env),
    );
    try {
      tokens.owner = await signIn(
        'user:default/guest',
        'group:default/payments-sre',
      );
      // the catalog and the evaluation tick know both SLOs: a reporter's ingest stops answering 404
      for (const [p, body] of [
        [
          '/sli-events',
          () => ({
            events: [
              {
                slo: 'default/checkout-success',
                timestamp: minute(),
                good: 100_000,
                total: 100_000,
              },
            ],
          }),
        ],
        [
          '/sli-values',
          () => ({
            values: [
              {
                slo: 'default/access-checkout-p95',
                timestamp: minute(),
                value: 100,
              },
            ],
          }),
        ],
      ]) {
        await until(
          `${p} knows its SLO`,
          async () =>
            (
              await call('reporters', { method: 'POST', path: p, body: body() })
            ).status === 202,
          150_000,
          1000,
        );
      }
      // the owner's setup: what the requests act on
      ctx.incident = (
        await must('owner', {
          method: 'POST',
          path: '/incidents',
          body: {
            entityRef: CHECKOUT,
            title: `access setup ${RUN}`,
            severity: 'SEV3',
          },
        })
      ).id;
      ctx.correction = (
        await must('owner', {
          method: 'POST',
          path: '/slos/default/checkout-success/corrections',
          body: correction,
        })
      ).id;
      ctx.laterCorrection = (
        await must('owner', {
          method: 'POST',
          path: '/slos/default/checkout-success/corrections',
          body: correction,
        })
      ).id;
      ctx.experiments.a = (
        await must('owner', {
          method: 'POST',
          path: '/chaos',
          body: {
            entityRef: CHECKOUT,
            experiment: experiment(`access-a-${RUN}`),
          },
        })
      ).id;
      ctx.experiments.b = (
        await must('owner', {
          method: 'POST',
          path: '/chaos',
          body: {
            entityRef: CHECKOUT,
            experiment: experiment(`access-b-${RUN}`),
          },
        })
      ).id;

      for (const row of table.routes) {
        for (const who of SERVICES_FIRST) await walk(row, who);
        if (!ROUTES[row.route].ownerLater) await walk(row, 'owner');
      }
      // the Alertmanager route is not refused for its body: its own secret gets in
      const am = await call('alertmanager', {
        method: 'POST',
        path: '/alertmanager/webhook',
        body: alertmanagerPayload(),
        bearer: ALERTMANAGER_SECRET,
      });
      assert.equal(am.status, 200, am.text);
      ownerBooted = true;
    } finally {
      await stop(backend);
    }
  },
);

test(
  'stranger boot: every route as a user who owns nothing; then the owner starts what the stranger approved',
  { timeout: 420_000 },
  async () => {
    // it works on what the owner boot set up
    assert.ok(
      ownerBooted,
      'the owner boot failed: nothing to walk as the stranger',
    );
    const backend = capture(
      await startPortalBackend(strangerConfigs, BASE, 240_000, env),
    );
    try {
      tokens.otherUser = await signIn('user:default/stranger');
      for (const row of table.routes) await walk(row, 'otherUser');
      // working an incident is for its entity's owners and its role holders: the stranger worked the one they
      // declared (its commander) in the walk, and is refused on the owner's, naming the permission
      for (const req of [
        {
          method: 'POST',
          path: `/incidents/${ctx.incident}/timeline`,
          body: { text: 'a stranger writes' },
        },
        {
          method: 'PUT',
          path: `/incidents/${ctx.incident}/roles`,
          body: { commander: 'user:default/stranger' },
        },
        {
          method: 'POST',
          path: `/incidents/${ctx.incident}/close`,
          body: { impact: 'none', rootCauses: ['a stranger'], actionItems: [] },
        },
      ]) {
        const res = await call('otherUser', req);
        assert.equal(
          res.status,
          403,
          `${req.method} ${req.path} as the stranger: ${res.text}`,
        );
        assert.match(
          res.text,
          /Missing permission reliability\.incident\.update on component:default\/checkout/,
        );
      }
      // the owner's token from the first boot still verifies (the auth database keeps the signing keys)
      const still = await call('owner', {
        method: 'GET',
        path: `/chaos/${ctx.experiments.a}`,
      });
      assert.equal(
        still.status,
        200,
        `the owner's token after a restart: ${still.status} ${still.text}`,
      );
      assert.equal(
        still.json.state,
        'approved',
        'the stranger approved experiment a',
      );
      // b approved by the stranger too (setup), so the engine may report it started
      await must('otherUser', {
        method: 'POST',
        path: `/chaos/${ctx.experiments.b}/approve`,
      });
      // checkout-success evaluated with its budget (the start guard): the tick after the boot
      await until(
        'checkout-success evaluated',
        async () =>
          (
            await call('owner', {
              method: 'GET',
              path: '/slos/default/checkout-success',
            })
          ).json?.status?.budgetRemaining > 0.5,
        60_000,
        1000,
      );
      for (const row of table.routes)
        if (ROUTES[row.route].ownerLater) await walk(row, 'owner');
      // the owner reverts the correction left for the stranger: nothing of the walk stays in force
      await must('owner', {
        method: 'POST',
        path: `/slos/default/checkout-success/corrections/${ctx.laterCorrection}/revert`,
      });
    } finally {
      await stop(backend);
    }
  },
);

test('every route was tried by all six principals, and nothing the table denies was allowed', () => {
  const perPrincipal = Object.fromEntries(PRINCIPALS.map(p => [p, 0]));
  let allows = 0;
  let denies = 0;
  let unexpected = 0;
  const untried = [];
  for (const [route, byWho] of results) {
    for (const who of PRINCIPALS) {
      const r = byWho[who];
      if (!r) {
        untried.push(`${route} as ${who}`);
        continue;
      }
      perPrincipal[who]++;
      if (r.verdict === 'allow') allows++;
      if (r.verdict === 'deny') denies++;
      if (r.verdict === 'unexpected-allow') unexpected++;
    }
  }
  const total = Object.values(perPrincipal).reduce((a, b) => a + b, 0);
  console.log(
    `access: ${table.routes.length} routes, ${total} requests (${PRINCIPALS.map(
      p => `${p} ${perPrincipal[p]}`,
    ).join(
      ', ',
    )}); ${allows} allowed, ${denies} denied, ${unexpected} unexpected allows, ${
      problems.length
    } disagreements`,
  );
  for (const p of problems) console.log(`access: ${p}`);
  assert.deepEqual(
    problems,
    [],
    `the backend disagrees with test/access/mutating-routes.json:\n${problems.join(
      '\n',
    )}`,
  );
  assert.deepEqual(untried, [], `not tried: ${untried.join('; ')}`);
  assert.equal(unexpected, 0);
});
