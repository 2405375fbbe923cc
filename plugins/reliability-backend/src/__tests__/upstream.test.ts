import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  createBackendModule,
  UrlReaderServiceReadTreeOptions,
} from '@backstage/backend-plugin-api';
import { reliabilitySliSourcesExtensionPoint } from '@reliability-suite/plugin-reliability-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { Knex } from 'knex';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { component } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';
import { closedPort, startTarget } from '../__testUtils__/targets';

jest.setTimeout(120_000);

/** Fake credentials in the Prometheus URL's userinfo: none of them may show up in an answer. */
const USER = 'prom-user-5b0e1c';
const PASSWORD = 'prom-password-6c1f2d';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const READER_TOKEN = 'reader-token-7d2a3e';

/** An SLO of the catalog read from Prometheus, measuring component:default/checkout. */
const promSlo: Entity = {
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name: 'checkout-prom', namespace: 'default' },
  spec: {
    service: 'checkout',
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              type: 'Prometheus',
              spec: {
                query:
                  'sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))',
              },
            },
          },
          total: {
            metricSource: {
              type: 'Prometheus',
              spec: { query: 'sum(rate(http_requests_total[{{.window}}]))' },
            },
          },
        },
      },
    },
    timeWindow: [{ duration: '7d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99 }],
  },
};

/** The scaffolder's "New SLO" form for a Prometheus SLI, as POST /slos/backtest takes it. */
const newSlo = {
  name: 'checkout-availability',
  component: 'component:default/checkout',
  source: { type: 'prometheus' },
  sli: {
    type: 'prometheus',
    goodQuery: 'http_requests_total{code!~"5.."}',
    totalQuery: 'http_requests_total',
  },
  objectivePercent: 99,
};

/**
 * Components whose experiments folder the UrlReader cannot read: not at all (gone), its listing fails (half), or a
 * file's content fails after the listing came back (torn).
 */
const withChaosFolder = (name: string, folder: string): Entity => ({
  ...component(name),
  metadata: {
    name,
    namespace: 'default',
    annotations: { 'reliability.io/chaos-experiments': folder },
  },
});
const UNREADABLE = `https://git.example/shop/gone/tree/main/chaos?token=${READER_TOKEN}`;
const BROKEN_FILES = `https://git.example/shop/half/tree/main/chaos?token=${READER_TOKEN}`;
const BROKEN_CONTENT = `https://git.example/shop/torn/tree/main/chaos?token=${READER_TOKEN}`;

/** The reader's failures carry the URL it was given, token included, as real readers' messages do. */
async function readTree(
  url: string,
  options?: UrlReaderServiceReadTreeOptions,
) {
  if (url === UNREADABLE)
    throw new Error(
      `request to ${url} failed, reason: connect ECONNREFUSED 10.0.0.7:443`,
    );
  const file = { path: 'latency.yaml', content: async () => Buffer.from('') };
  if (url === BROKEN_CONTENT)
    file.content = async () =>
      Promise.reject(new Error(`stream of ${url} ended early: socket hang up`));
  if (options?.filter && !options.filter(file.path, { size: 10 }))
    throw new Error('unexpected filter');
  return {
    files: async () => {
      if (url === BROKEN_FILES)
        throw new Error(`unexpected end of archive from ${url}`);
      return [file];
    },
    archive: async () => Promise.reject(new Error('unused')),
    dir: async () => Promise.reject(new Error('unused')),
    etag: 'e1',
  } as any;
}

/** A secret of the plugin's config (the metrics token), and one in the URL another plugin's SLI source calls. */
const CONFIG_SECRET = 'metrics-token-8e3b4f';
const SOURCE_PASSWORD = 'vendor-password-9f4c5a';

/** An SLO read from another plugin's SLI source (type Flaky) that throws instead of answering with an error. */
const flakySlo: Entity = {
  ...promSlo,
  metadata: { name: 'checkout-flaky', namespace: 'default' },
  spec: {
    ...promSlo.spec,
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: { metricSource: { type: 'Flaky', spec: { metric: 'ok' } } },
          total: { metricSource: { type: 'Flaky', spec: { metric: 'all' } } },
        },
      },
    },
  },
};
const failing = (): never => {
  throw new Error(
    `GET https://reader:${SOURCE_PASSWORD}@metrics.vendor.example/v1/query failed: 502 Bad Gateway (token ${CONFIG_SECRET})`,
  );
};
const flakySource = createBackendModule({
  pluginId: 'reliability',
  moduleId: 'flaky-source',
  register(env) {
    env.registerInit({
      deps: { sources: reliabilitySliSourcesExtensionPoint },
      async init({ sources }) {
        sources.addSource({
          types: ['flaky'],
          countWindows: async () => failing(),
          history: async () => failing(),
        });
      },
    });
  },
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'upstream failures answer 503 with the redacted reason on %p',
  databaseId => {
    async function boot(
      prometheusUrl: string,
      more: {
        features?: any[];
        reliability?: object;
        tick?: boolean;
        knex?: Knex;
      } = {},
    ) {
      const knex = more.knex ?? (await databases.init(databaseId));
      const scheduler = manualScheduler();
      const { server } = await startTestBackend({
        features: [
          reliabilityPlugin,
          scheduler.factory,
          catalogServiceMock.factory({
            entities: [
              component('checkout'),
              promSlo,
              flakySlo,
              withChaosFolder('gone', UNREADABLE),
              withChaosFolder('half', BROKEN_FILES),
              withChaosFolder('torn', BROKEN_CONTENT),
            ],
          }),
          ...(more.features ?? []),
          mockServices.database.factory({ knex }),
          mockServices.urlReader.mock({ readTree }).factory,
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
                  instances: [{ name: 'main', url: prometheusUrl }],
                },
                metrics: { token: CONFIG_SECRET },
                ...more.reliability,
              },
            },
          }),
        ],
      });
      // the tick registers the catalog's SLOs (its reads of Prometheus fail and are stored as the status's reason)
      if (more.tick !== false) await scheduler.evaluate();
      return Object.assign(server, { knex });
    }

    /** The message of a 503 from the one redaction step, which holds none of the credentials. */
    function unavailable(res: request.Response): string {
      expect([res.status, res.body.error?.name]).toEqual([
        503,
        'ServiceUnavailableError',
      ]);
      for (const secret of [
        USER,
        PASSWORD,
        BASIC,
        READER_TOKEN,
        CONFIG_SECRET,
        SOURCE_PASSWORD,
      ])
        expect(res.text).not.toContain(secret);
      return res.body.error.message;
    }

    const backtest = (server: any, body: object) =>
      request(server)
        .post('/api/reliability/slos/backtest')
        .set('Authorization', mockCredentials.user.header())
        .send(body);
    const history = (server: any) =>
      request(server)
        .get('/api/reliability/slos/default/checkout-prom/history')
        .set('Authorization', mockCredentials.user.header());

    it('a Prometheus nobody listens on: POST /slos/backtest answers 503, as /history does', async () => {
      const server = await boot(
        `http://${USER}:${PASSWORD}@127.0.0.1:${await closedPort()}`,
      );
      expect(
        unavailable(await backtest(server, { slo: newSlo, days: 2 })),
      ).toMatch(
        /^The backtest of default\/checkout-availability is unavailable: Prometheus main is unreachable: /,
      );
      expect(unavailable(await history(server))).toMatch(
        /^The history of default\/checkout-prom is unavailable: Prometheus main is unreachable: /,
      );
    });

    it('a Prometheus that answers 500 (and echoes its credentials): POST /slos/backtest answers 503, as /history does', async () => {
      // Prometheus's error body, carrying what it was sent: the Basic credentials and the decoded password
      const prometheus = await startTarget((call, res) => {
        const auth = String(call.headers.authorization ?? '');
        const decoded = Buffer.from(
          auth.replace(/^Basic /, ''),
          'base64',
        ).toString('utf8');
        const error = `internal: storage is on fire (request ${call.url}, authorization ${auth}, user ${decoded})`;
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ status: 'error', errorType: 'internal', error }),
          );
      });
      try {
        const server = await boot(
          `http://${USER}:${PASSWORD}@127.0.0.1:${prometheus.port}`,
        );
        expect(
          unavailable(await backtest(server, { slo: newSlo, days: 2 })),
        ).toMatch(
          /^The backtest of default\/checkout-availability is unavailable: Prometheus main answered 500: internal: storage is on fire/,
        );
        expect(unavailable(await history(server))).toMatch(
          /^The history of default\/checkout-prom is unavailable: Prometheus main answered 500: internal: storage is on fire/,
        );
        // the server did hear the credentials: the test would see them if they were echoed back
        expect(
          prometheus.calls.some(
            c => c.headers.authorization === `Basic ${BASIC}`,
          ),
        ).toBe(true);
      } finally {
        await prometheus.close();
      }
    });

    it("a backtest's own mistakes stay 400s: an instance that is not configured, a query that cannot be rendered or that Prometheus rejects", async () => {
      const prometheus = await startTarget((_call, res) => {
        res.writeHead(400, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'error',
            errorType: 'bad_data',
            error:
              'invalid parameter "query": 1:9: parse error: unexpected "}"',
          }),
        );
      });
      try {
        const server = await boot(
          `http://${USER}:${PASSWORD}@127.0.0.1:${prometheus.port}`,
        );
        const answer = async (slo: object) => {
          const res = await backtest(server, { slo, days: 2 });
          for (const secret of [USER, PASSWORD, BASIC])
            expect(res.text).not.toContain(secret);
          return [res.status, res.body.error?.message];
        };
        expect(
          await answer({
            ...newSlo,
            source: { type: 'prometheus', instance: 'elsewhere' },
          }),
        ).toEqual([
          400,
          'no Prometheus instance named elsewhere is configured (reliability.prometheus.instances)',
        ]);
        expect(
          await answer({
            ...newSlo,
            sli: { ...newSlo.sli, goodQuery: 'rate(http_requests_total[5m])' },
          }),
        ).toEqual([
          400,
          "query 'rate(http_requests_total[5m])' must be a counter selector or contain {{.window}}",
        ]);
        expect(await answer(newSlo)).toEqual([
          400,
          'Prometheus main rejected the query: invalid parameter "query": 1:9: parse error: unexpected "}"',
        ]);
      } finally {
        await prometheus.close();
      }
    });

    it('GET /chaos/files answers 503 when the folder, its listing or a file cannot be read', async () => {
      const server = await boot(
        `http://${USER}:${PASSWORD}@127.0.0.1:${await closedPort()}`,
      );
      const files = (entity: string) =>
        request(server)
          .get('/api/reliability/chaos/files')
          .query({ entityRef: `component:default/${entity}` })
          .set('Authorization', mockCredentials.user.header());
      expect(unavailable(await files('gone'))).toMatch(
        /^Cannot read https:\/\/git\.example\/shop\/gone\/tree\/main\/chaos: .*ECONNREFUSED/,
      );
      expect(unavailable(await files('half'))).toMatch(
        /^Cannot read https:\/\/git\.example\/shop\/half\/tree\/main\/chaos: unexpected end of archive/,
      );
      expect(unavailable(await files('torn'))).toMatch(
        /^Cannot read https:\/\/git\.example\/shop\/torn\/tree\/main\/chaos: stream of .* ended early: socket hang up/,
      );
    });

    it("another plugin's SLI source that throws: /history and the gate answer 503", async () => {
      const down = `http://${USER}:${PASSWORD}@127.0.0.1:${await closedPort()}`;
      const server = await boot(down, { features: [flakySource] });
      const flakyHistory = await request(server)
        .get('/api/reliability/slos/default/checkout-flaky/history')
        .set('Authorization', mockCredentials.user.header());
      expect(unavailable(flakyHistory)).toMatch(
        /^The history of default\/checkout-flaky is unavailable: GET https:\/\/metrics\.vendor\.example\/v1\/query failed: 502 Bad Gateway/,
      );
      const gate = (s: any) =>
        request(s)
          .get('/api/reliability/gate')
          .query({ entityRef: 'component:default/checkout' })
          .set('Authorization', mockCredentials.user.header());
      // the tick stored each SLO's 7d gate figure (none: its source failed), and the gate answers from it
      const stored = await gate(server);
      expect([stored.status, stored.body.allow]).toEqual([200, true]);
      // a backend whose gate window changed (the same database, no tick yet) counts the gate for the request
      const changed = await boot(down, {
        features: [flakySource],
        reliability: { gate: { window: '1d' } },
        tick: false,
        knex: server.knex,
      });
      expect(unavailable(await gate(changed))).toMatch(
        /^The gate of component:default\/checkout is unavailable: GET https:\/\/metrics\.vendor\.example\/v1\/query failed: 502 Bad Gateway/,
      );
    });
  },
);
