import fs from 'fs';
import path from 'path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
  LoggerService,
  SchedulerServiceTaskInvocationDefinition,
} from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { JsonObject } from '@backstage/types';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';

jest.setTimeout(120_000);

/**
 * An empty portal: the plugin alone (no `reliability:` config, no catalog or scaffolder module, no notifications
 * backend, no Prometheus or Alertmanager), and a catalog with one plain component and no SLOs. The backend starts,
 * says once what to configure, answers every read with an empty list or a 4xx that explains, and its scheduled tasks
 * run without an error.
 */

const E = 'component:default/checkout';

/** What a read of the empty portal answers. */
type Expect =
  | { status: 200; body?: unknown; items?: string; text?: RegExp }
  | { status: 400 | 404; message: RegExp };

const empty = (key = 'items'): Expect => ({ status: 200, items: key });
const notFound = (message: RegExp): Expect => ({ status: 404, message });

/** Every GET route of the API (the route as registered, a request to it, and what it answers). */
const GET_ROUTES: { route: string; url: string; expect: Expect }[] = [
  {
    route: '/health',
    url: '/health',
    expect: { status: 200, body: { status: 'ok' } },
  },
  {
    route: '/openapi.json',
    url: '/openapi.json',
    expect: {
      status: 200,
      body: expect.objectContaining({ openapi: '3.1.0' }),
    },
  },
  { route: '/slos', url: '/slos', expect: empty() },
  { route: '/slos', url: `/slos?entityRef=${E}`, expect: empty() },
  {
    route: '/slos/:namespace/:name',
    url: '/slos/default/checkout-success',
    expect: notFound(/No SLO named default\/checkout-success/),
  },
  {
    route: '/slos/:namespace/:name/history',
    url: '/slos/default/checkout-success/history',
    expect: notFound(/No SLO named default\/checkout-success/),
  },
  {
    route: '/slos/:namespace/:name/prometheus-rules',
    url: '/slos/default/checkout-success/prometheus-rules',
    expect: notFound(/No SLO named default\/checkout-success/),
  },
  {
    route: '/slos/:namespace/:name/export/:format',
    url: '/slos/default/checkout-success/export/openslo',
    expect: notFound(/No SLO named default\/checkout-success/),
  },
  {
    route: '/slos/:namespace/:name/corrections',
    url: '/slos/default/checkout-success/corrections',
    expect: notFound(/No SLO named default\/checkout-success/),
  },
  {
    route: '/gate',
    url: `/gate?entityRef=${E}`,
    expect: {
      status: 200,
      body: expect.objectContaining({
        allow: true,
        reason: 'no SLOs: nothing to protect',
        slos: [],
      }),
    },
  },
  { route: '/gate/overrides', url: '/gate/overrides', expect: empty() },
  { route: '/alerts', url: '/alerts', expect: empty() },
  {
    route: '/alertmanager/alerts',
    url: '/alertmanager/alerts',
    expect: empty(),
  },
  {
    route: '/webhooks/receipts',
    url: '/webhooks/receipts',
    expect: empty(),
  },
  {
    route: '/remediations',
    url: `/remediations?entityRef=${E}`,
    expect: {
      status: 200,
      body: expect.objectContaining({ rules: [], items: [], escalations: [] }),
    },
  },
  {
    route: '/remediations/prometheus-rules',
    url: '/remediations/prometheus-rules',
    expect: { status: 200, text: /name: reliability-selfheal/ },
  },
  {
    route: '/remediation/owner-rules',
    url: `/remediation/owner-rules?entityRef=${E}`,
    expect: { status: 200, body: { items: [] } },
  },
  { route: '/secrets', url: '/secrets', expect: empty() },
  {
    route: '/metrics',
    url: '/metrics',
    expect: { status: 200, text: /# TYPE selfheal_attempt_total counter/ },
  },
  {
    route: '/runbooks/:kind/:namespace/:name',
    url: '/runbooks/component/default/checkout',
    expect: notFound(/has no runbook yet: write one in the portal/),
  },
  {
    route: '/runbooks/:kind/:namespace/:name/versions',
    url: '/runbooks/component/default/checkout/versions',
    expect: empty(),
  },
  {
    route: '/runbooks/:kind/:namespace/:name/versions/:version',
    url: '/runbooks/component/default/checkout/versions/1',
    expect: notFound(/has no runbook version 1/),
  },
  { route: '/commander/alerts', url: '/commander/alerts', expect: empty() },
  { route: '/delivery', url: '/delivery', expect: empty() },
  { route: '/delivery', url: `/delivery?entityRef=${E}`, expect: empty() },
  { route: '/delivery/targets', url: '/delivery/targets', expect: empty() },
  { route: '/incidents', url: '/incidents', expect: empty() },
  { route: '/incidents', url: '/incidents?state=active', expect: empty() },
  {
    route: '/incidents/mttr',
    url: '/incidents/mttr?by=team',
    expect: {
      status: 200,
      body: expect.objectContaining({ by: 'team', days: 90, items: [] }),
    },
  },
  {
    route: '/incidents/:id',
    url: '/incidents/1',
    expect: notFound(/No incident 1/),
  },
  {
    route: '/incidents/:id/markdown',
    url: '/incidents/1/markdown',
    expect: notFound(/No incident 1/),
  },
  { route: '/chaos', url: `/chaos?entityRef=${E}`, expect: empty() },
  {
    route: '/chaos/files',
    url: `/chaos/files?entityRef=${E}`,
    expect: {
      status: 200,
      body: { entityRef: E, location: null, files: [], skipped: [] },
    },
  },
  {
    route: '/chaos/:id',
    url: '/chaos/1',
    expect: notFound(/No chaos experiment 1/),
  },
  {
    route: '/chaos/:id/versions',
    url: '/chaos/1/versions',
    expect: notFound(/No chaos experiment 1/),
  },
  {
    route: '/chaos/:id/runs',
    url: '/chaos/1/runs',
    expect: notFound(/No chaos experiment 1/),
  },
  {
    route: '/chaos/:id/export',
    url: '/chaos/1/export?format=litmus',
    expect: notFound(/No chaos experiment 1/),
  },
  { route: '/drills', url: `/drills?entityRef=${E}`, expect: empty() },
  {
    route: '/drills/export',
    url: `/drills/export?entityRef=${E}`,
    expect: { status: 200 },
  },
  {
    route: '/capacity/runs',
    url: `/capacity/runs?entityRef=${E}`,
    expect: empty(),
  },
  { route: '/changes', url: `/changes?entityRef=${E}`, expect: empty() },
  { route: '/synthetics', url: `/synthetics?entityRef=${E}`, expect: empty() },
  {
    route: '/synthetics/runs',
    url: `/synthetics/runs?entityRef=${E}`,
    expect: empty(),
  },
  {
    route: '/synthetics/series',
    url: `/synthetics/series?entityRef=${E}&journey=login`,
    expect: notFound(/has no journey login/),
  },
  {
    route: '/synthetics/runs/:id/:what',
    url: `/synthetics/runs/1/har?entityRef=${E}`,
    expect: notFound(/Run 1 of component:default\/checkout has no har/),
  },
  { route: '/overview', url: '/overview', expect: empty() },
  {
    route: '/overview/export',
    url: '/overview/export',
    expect: { status: 200, text: /^rank,slo,title,component/ },
  },
  {
    route: '/readiness',
    url: `/readiness?entityRef=${E}`,
    expect: {
      status: 200,
      body: expect.objectContaining({ entityRef: E, score: 0, passed: 0 }),
    },
  },
];

/** What to compare of an answer: the status and the error message, or the status, the body and the text. */
function wanted(want: Expect) {
  if ('message' in want)
    return {
      status: want.status,
      message: expect.stringMatching(want.message),
    };
  let body: unknown = expect.anything();
  if (want.body !== undefined) body = want.body;
  else if (want.items) body = expect.objectContaining({ [want.items]: [] });
  return {
    status: want.status,
    body,
    text: want.text ? expect.stringMatching(want.text) : expect.anything(),
  };
}
function observed(want: Expect, res: request.Response) {
  if ('message' in want)
    return { status: res.status, message: res.body?.error?.message };
  return { status: res.status, body: res.body, text: res.text };
}

/** The GET routes the plugin registers, read from its route files (a new read must join the table above). */
function registeredGetRoutes(): string[] {
  const src = path.resolve(__dirname, '..');
  const files = [path.join(src, 'http', 'router.ts')];
  // each feature's routes.ts, and any other routes file of its own (remediation's ownerRulesRoutes.ts)
  for (const dir of fs.readdirSync(src)) {
    const folder = path.join(src, dir);
    if (!fs.statSync(folder).isDirectory()) continue;
    for (const name of fs.readdirSync(folder))
      if (name.toLowerCase().endsWith('routes.ts'))
        files.push(path.join(folder, name));
  }
  const routes = new Set<string>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/router\.get\(\s*'([^']+)'/g))
      routes.add(m[1]);
  }
  return [...routes].sort();
}

interface LogLine {
  level: 'error' | 'warn' | 'info';
  message: string;
  meta: Record<string, unknown>;
}

/** The loggers of the backend's services, all writing to one list (debug lines are dropped). */
function recordingLogger(lines: LogLine[], meta: Record<string, unknown>) {
  const at = (level: LogLine['level']) => (message: string, extra?: unknown) =>
    lines.push({
      level,
      message,
      meta: { ...meta, ...(extra as Record<string, unknown>) },
    });
  const logger: LoggerService = {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: () => {},
    child: more => recordingLogger(lines, { ...meta, ...more }),
  };
  return logger;
}

async function startEmptyPortal(knex: unknown, config: JsonObject = {}) {
  const lines: LogLine[] = [];
  const tasks: SchedulerServiceTaskInvocationDefinition[] = [];
  const backend = await startTestBackend({
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
      mockServices.rootConfig.factory({ data: config }),
      createServiceFactory({
        service: coreServices.logger,
        deps: { plugin: coreServices.pluginMetadata },
        factory: ({ plugin }) =>
          recordingLogger(lines, { plugin: plugin.getId() }),
      }),
      mockServices.scheduler.mock({
        scheduleTask: async task => {
          tasks.push(task);
        },
      }).factory,
    ],
  });
  return { backend, lines, tasks };
}

const reliabilityLines = (lines: LogLine[]) =>
  lines.filter(l => l.meta.plugin === 'reliability');

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe('the GET routes this test walks', () => {
  it('are every GET route the plugin registers', () => {
    expect([...new Set(GET_ROUTES.map(r => r.route))].sort()).toEqual(
      registeredGetRoutes(),
    );
  });
});

describe.each(databases.eachSupportedId())(
  'an empty portal on %p',
  databaseId => {
    it('starts, says once what to configure, answers empty lists without a 5xx, and runs its tasks cleanly', async () => {
      const knex = await databases.init(databaseId);
      const { backend, lines, tasks } = await startEmptyPortal(knex);
      const server = backend.server;

      // one line at startup, naming what to configure; nothing else above debug from the plugin
      const started = reliabilityLines(lines);
      expect(started).toHaveLength(1);
      expect(started[0].level).toBe('info');
      expect(started[0].message).toContain('no SLOs yet');
      expect(started[0].message).toContain('kind: SLO');
      expect(started[0].message).toContain('"New SLO" template');
      expect(started[0].message).toContain('reliability.prometheus.instances');
      expect(lines.filter(l => l.level !== 'info')).toEqual([]);

      for (const { url, expect: want } of GET_ROUTES) {
        const res = await request(server)
          .get(`/api/reliability${url}`)
          .set('authorization', mockCredentials.user.header());
        expect({ url, ...observed(want, res) }).toEqual({
          url,
          ...wanted(want),
        });
      }

      // Alertmanager is optional: without its secret the receiver is not there, and says which key turns it on
      const webhook = await request(server)
        .post('/api/reliability/alertmanager/webhook')
        .set('authorization', 'Bearer anything')
        .send({ version: '4', alerts: [] });
      expect(webhook.status).toBe(404);
      expect(webhook.body.error.message).toContain(
        'reliability.alertmanager.sharedSecret',
      );
      // PagerDuty's receiver likewise, and no generic webhook is declared
      const pd = await request(server)
        .post('/api/reliability/webhooks/pagerduty')
        .set('x-pagerduty-signature', 'v1=00')
        .send({ event: {} });
      expect(pd.status).toBe(404);
      expect(pd.body.error.message).toContain(
        'reliability.webhooks.pagerduty.secrets',
      );
      const generic = await request(server)
        .post('/api/reliability/webhooks/generic/monitor')
        .send({});
      expect(generic.status).toBe(404);
      expect(generic.body.error.message).toContain(
        'reliability.webhooks.generic',
      );

      // every scheduled task runs once with nothing configured, without an error or a warning
      expect(tasks.map(t => t.id).sort()).toEqual([
        'reliability-chaos-guard',
        'reliability-chaos-schedule',
        'reliability-evaluate',
        'reliability-fast-check',
        'reliability-idempotency-cleanup',
        'reliability-incident-action-items',
        'reliability-incident-status-updates',
        'reliability-remediation-dispatch',
        'reliability-remediation-owner-rules',
        'reliability-secret-hygiene',
        'reliability-stale-proofs',
        'reliability-synthetics-presence',
        'reliability-synthetics-prune',
        'reliability-synthetics-run',
      ]);
      for (const task of tasks) await task.fn(new AbortController().signal);
      expect(lines.filter(l => l.level !== 'info')).toEqual([]);
      expect(reliabilityLines(lines)).toHaveLength(1);

      // and the lists are still empty after the tick
      const slos = await request(server)
        .get('/api/reliability/slos')
        .set('authorization', mockCredentials.user.header());
      expect(slos.status).toBe(200);
      expect(slos.body).toEqual({ items: [] });
      await backend.stop();
    });

    it('says nothing about setup once reliability is configured', async () => {
      const knex = await databases.init(databaseId);
      const { backend, lines } = await startEmptyPortal(knex, {
        reliability: {
          prometheus: {
            instances: [{ name: 'main', url: 'http://prometheus:9090' }],
          },
        },
      });
      expect(reliabilityLines(lines)).toEqual([]);
      await backend.stop();
    });
  },
);
