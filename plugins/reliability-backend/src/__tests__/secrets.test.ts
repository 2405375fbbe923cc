import {
  createServiceFactory,
  coreServices,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { JsonObject } from '@backstage/types';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { closedPort, eventually, startTarget } from '../__testUtils__/targets';

jest.setTimeout(120_000);

/** One distinct secret in every config field that can hold one. */
const SECRETS = {
  promUser: 'prom-user-7d1c',
  promPassword: 'prom-password-8e2d',
  promHeader: 'prom-header-token-9f3e',
  promQuery: 'prom-query-token-0a4f',
  hookUser: 'hook-user-1b5a',
  hookPassword: 'hook-password-2c6b',
  hookQuery: 'hook-query-token-3d7c',
  hookHeader: 'hook-header-key-4e8d',
  hmac: 'hmac-secret-5f9e-0123456789',
  flagUser: 'flag-user-9d3c',
  flagPassword: 'flag-password-0e4d',
  flagHeader: 'flag-api-key-6a0f',
  kubeUser: 'kube-user-1f5e',
  kubePassword: 'kube-password-2a6f',
  kubeToken: 'kube-sa-token-7b1a',
  kubeCaData: 'kube-ca-data-3b7a',
  downUser: 'down-user-4c8b',
  downPassword: 'down-password-5d9c',
  downToken: 'down-sa-token-6e0d',
  amSecret: 'am-shared-secret-8c2b',
  metricsToken: 'metrics-token-7f1e',
  journeySecret: 'journey-secret-8a2f',
};

const slo = (name: string, source: JsonObject): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default' },
  spec: {
    service: 'checkout',
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: { metricSource: source },
          total: { metricSource: source },
        },
      },
    },
    timeWindow: [{ duration: '7d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99 }],
  },
});
const promSlo = slo('checkout-prom', {
  type: 'Prometheus',
  spec: { query: 'sum(rate(x[{{.window}}]))' },
});

/** A logger that keeps every line, metadata included, so the test can search them. */
function capturingLogger(lines: string[]): LoggerService {
  const log = (level: string) => (message: string, meta?: unknown) => {
    lines.push(
      `${level} ${message} ${
        meta instanceof Error
          ? `${meta.name}: ${meta.message} ${meta.stack}`
          : JSON.stringify(meta ?? {})
      }`,
    );
  };
  const logger: LoggerService = {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    child: () => logger,
  };
  return logger;
}

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'no secret leaves the backend on %p',
  databaseId => {
    it('plants a secret in every field, makes every outbound call fail, and finds none of them anywhere', async () => {
      // a hostile target: fails every call and echoes what it was sent (URL, query, headers) in its error text
      const echo = await startTarget((call, res) => {
        const text = `denied ${call.method} ${
          call.url
        } headers=${JSON.stringify(call.headers)}`;
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'error', error: text, message: text }));
      });
      const down = await closedPort();
      const echoHost = echo.url.replace('http://', '');
      const lines: string[] = [];
      const knex = await databases.init(databaseId);
      const scheduler = manualScheduler();
      const backend = await startTestBackend({
        features: [
          reliabilityPlugin,
          scheduler.factory,
          catalogServiceMock.factory({
            entities: [
              promSlo,
              {
                apiVersion: 'backstage.io/v1alpha1',
                kind: 'Component',
                metadata: { name: 'checkout', namespace: 'default' },
                spec: { owner: 'sre' },
              },
            ],
          }),
          mockServices.database.factory({ knex }),
          createServiceFactory({
            service: coreServices.logger,
            deps: {},
            factory: () => capturingLogger(lines),
          }),
          mockServices.rootConfig.factory({
            data: {
              reliability: {
                evaluation: {
                  schedule: {
                    frequency: { hours: 24 },
                    timeout: { minutes: 1 },
                    initialDelay: { hours: 24 },
                  },
                },
                prometheus: {
                  instances: [
                    {
                      name: 'main',
                      url: `http://${SECRETS.promUser}:${SECRETS.promPassword}@${echoHost}/prom?access_token=${SECRETS.promQuery}`,
                      headers: { 'X-Scope-Token': SECRETS.promHeader },
                    },
                  ],
                },
                alertmanager: { sharedSecret: SECRETS.amSecret },
                metrics: { token: SECRETS.metricsToken },
                synthetics: { secrets: { password: SECRETS.journeySecret } },
                remediation: {
                  backoff: { base: '1ms', cap: '2ms' },
                  kubernetes: {
                    clusters: [
                      // the echoing target: its error text carries what the client sent
                      {
                        name: 'prod',
                        url: `http://${SECRETS.kubeUser}:${SECRETS.kubePassword}@${echoHost}`,
                        serviceAccountToken: SECRETS.kubeToken,
                        caData: SECRETS.kubeCaData,
                        skipTLSVerify: true,
                      },
                      {
                        name: 'down',
                        url: `http://${SECRETS.downUser}:${SECRETS.downPassword}@127.0.0.1:${down}`,
                        serviceAccountToken: SECRETS.downToken,
                        skipTLSVerify: true,
                      },
                    ],
                  },
                  rules: [
                    {
                      id: 'hook',
                      entityRef: 'component:default/checkout',
                      action: 'webhook',
                      params: {
                        url: `http://${SECRETS.hookUser}:${SECRETS.hookPassword}@${echoHost}/hook?token=${SECRETS.hookQuery}`,
                        headers: { 'X-Api-Key': SECRETS.hookHeader },
                        hmacSecret: SECRETS.hmac,
                      },
                      retries: 1,
                      timeout: '2s',
                    },
                    {
                      id: 'hook-query',
                      entityRef: 'component:default/checkout',
                      action: 'webhook',
                      params: {
                        url: `${echo.url}/hook2?token=${SECRETS.hookQuery}`,
                        headers: {
                          Authorization: `Bearer ${SECRETS.hookHeader}`,
                        },
                      },
                      retries: 0,
                      timeout: '2s',
                    },
                    {
                      id: 'flag',
                      entityRef: 'component:default/checkout',
                      action: 'feature-flag',
                      params: {
                        baseUrl: `http://${SECRETS.flagUser}:${SECRETS.flagPassword}@${echoHost}`,
                        flag: 'checkout-multibuy',
                        headers: {
                          Authorization: `Bearer ${SECRETS.flagHeader}`,
                        },
                      },
                      retries: 0,
                      timeout: '2s',
                    },
                    {
                      id: 'kube',
                      entityRef: 'component:default/checkout',
                      action: 'kubernetes',
                      params: {
                        cluster: 'prod',
                        operation: 'rollout-restart',
                        namespace: 'shop',
                        deployment: 'checkout',
                      },
                      retries: 0,
                      timeout: '2s',
                    },
                    {
                      id: 'kube-down',
                      entityRef: 'component:default/checkout',
                      action: 'kubernetes',
                      params: {
                        cluster: 'down',
                        operation: 'create-job',
                        namespace: 'shop',
                        namePrefix: 'flush',
                        image: 'busybox',
                      },
                      retries: 0,
                      timeout: '2s',
                    },
                  ],
                },
              },
            },
          }),
        ],
      });
      const server = backend.server;
      try {
        // the tick registers and evaluates the SLO: its Prometheus fails, and the failure is what the reads show
        await scheduler.evaluate();
        const answers: string[] = [];
        const keep = (res: request.Response) => {
          answers.push(
            `${res.status} ${res.text} ${JSON.stringify(res.headers)}`,
          );
          // 503 is the honest answer when the SLI source is down; anything else from the 5xx range is a bug
          expect(res.status < 500 || res.status === 503).toBe(true);
          return res;
        };
        // the SLO's Prometheus fails: its reason shows up in /slos, /gate, /alerts and /history
        const slos = keep(
          await request(server)
            .get('/api/reliability/slos')
            .query({ entityRef: 'slo:default/checkout-prom' }),
        );
        expect(slos.body.items[0].status.reason).toMatch(/Prometheus main/);
        keep(await request(server).get('/api/reliability/slos'));
        keep(
          await request(server).get(
            '/api/reliability/slos/default/checkout-prom',
          ),
        );
        keep(
          await request(server)
            .get('/api/reliability/gate')
            .query({ entityRef: 'slo:default/checkout-prom' }),
        );
        keep(await request(server).get('/api/reliability/alerts'));
        const history = keep(
          await request(server).get(
            '/api/reliability/slos/default/checkout-prom/history',
          ),
        );
        expect(history.status).toBe(503);
        // every remediation fails against the echoing or closed target
        const rules = ['hook', 'hook-query', 'flag', 'kube', 'kube-down'];
        for (const ruleId of rules) {
          for (const dryRun of [true, false]) {
            const run = keep(
              await request(server)
                .post('/api/reliability/remediations/run')
                .send({ ruleId, dryRun }),
            );
            expect(run.status).toBe(202);
          }
        }
        await eventually(async () => {
          const h = keep(
            await request(server).get('/api/reliability/remediations'),
          );
          return h.body.items.filter((i: any) => i.state === 'failed').length >=
            rules.length
            ? h
            : undefined;
        });
        // one execution of each rule is a dry run, and one was called: each shows its target
        const listed = keep(
          await request(server).get('/api/reliability/remediations'),
        );
        expect(listed.body.rules.map((r: any) => r.id).sort()).toEqual(
          [...rules].sort(),
        );
        expect(listed.body.items.filter((i: any) => i.dryRun)).toHaveLength(
          rules.length,
        );
        keep(
          await request(server)
            .get('/api/reliability/remediations')
            .query({ entityRef: 'component:default/checkout' }),
        );
        keep(await request(server).get('/api/reliability/commander/alerts'));
        keep(await request(server).get('/api/reliability/metrics'));
        const scraped = keep(
          await request(server)
            .get('/api/reliability/metrics')
            .set('Authorization', `Bearer ${SECRETS.metricsToken}`),
        );
        expect(scraped.status).toBe(200);
        // a wrong Alertmanager secret is refused without echoing either secret
        keep(
          await request(server)
            .post('/api/reliability/alertmanager/webhook')
            .set('Authorization', `Bearer ${SECRETS.amSecret}x`)
            .send({}),
        );

        const tables: string[] =
          knex.client.config.client === 'pg'
            ? (
                await knex('pg_tables')
                  .where('schemaname', knex.raw('current_schema()'))
                  .select('tablename')
              ).map((r: any) => r.tablename)
            : (
                await knex('sqlite_master')
                  .where('type', 'table')
                  .select('name')
              ).map((r: any) => r.name);
        const rows: string[] = [];
        for (const t of tables.filter(n => n.startsWith('reliability')))
          rows.push(JSON.stringify(await knex(t).select('*')));

        // the calls did happen (the Kubernetes client's included), and the echo did carry the secrets back
        expect(echo.calls.length).toBeGreaterThan(0);
        expect(echo.calls.map(c => JSON.stringify(c)).join('\n')).toContain(
          SECRETS.hookHeader,
        );
        expect(echo.calls.map(c => JSON.stringify(c)).join('\n')).toContain(
          SECRETS.kubeToken,
        );
        const haystacks = {
          answers: answers.join('\n'),
          database: rows.join('\n'),
          logs: lines.join('\n'),
        };
        expect(haystacks.logs.length).toBeGreaterThan(0);
        expect(haystacks.database).toMatch(/failed/);
        const found: string[] = [];
        for (const [field, secret] of Object.entries(SECRETS)) {
          for (const [where, text] of Object.entries(haystacks))
            if (text.includes(secret)) found.push(`${field} in ${where}`);
        }
        expect(found).toEqual([]);
        // and the hosts are not in the metrics
        expect(scraped.text).toContain('rule="kube"');
        expect(scraped.text).not.toContain('127.0.0.1');
      } finally {
        await backend.stop();
        await echo.close();
      }
    });
  },
);
