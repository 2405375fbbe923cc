import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { ownersAndServices } from '../__testUtils__/permissions';
import { component } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const OWNER = 'user:default/mei';
const CHECKOUT = 'component:default/checkout';
const AMQP_PASSWORD = 'guest';
const CANARY_KEY = 'deep-journey-canary-key-40d2';

/**
 * A journey of deep checks through the whole plugin, on both databases: defined by PUT, run by the scheduled task
 * against the machine's PostgreSQL, MariaDB, Redis, RabbitMQ and NATS and the plugin's own canary, recorded with its
 * evidence; its region is monitored once this replica reports it.
 */
describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('a deep-check journey on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let scheduler: ReturnType<typeof manualScheduler>;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({ entities: [component('checkout')] }),
        mockServices.database.factory({ knex }),
        ownersAndServices(OWNER, 'reliability.synthetics.update'),
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
              synthetics: {
                region: 'ap-sg',
                allowedHosts: ['127.0.0.1'],
                secrets: { amqp: AMQP_PASSWORD, canary: CANARY_KEY },
              },
            },
          },
        }),
      ],
    }));
  });
  afterEach(() => server.stop());

  it('runs on the region replica, records every step with its evidence, and reports the region monitored', async () => {
    const auth = mockCredentials.user.header(OWNER);
    const put = await request(server)
      .put('/api/reliability/synthetics/journeys')
      .set('Authorization', auth)
      .send({
        entityRef: CHECKOUT,
        journey: {
          name: 'deep',
          regions: ['ap-sg', 'us-east'],
          frequency: '5m',
          deadlineMs: 20_000,
          steps: [
            {
              type: 'database',
              name: 'Postgres',
              engine: 'postgres',
              host: '127.0.0.1',
              user: 'postgres',
              query: 'SELECT 1 AS one',
            },
            {
              type: 'database',
              name: 'MariaDB',
              engine: 'mysql',
              host: '127.0.0.1',
              user: 'root',
              query: 'SHOW DATABASES',
            },
            {
              type: 'queue',
              name: 'Redis',
              engine: 'redis',
              host: '127.0.0.1',
            },
            {
              type: 'queue',
              name: 'RabbitMQ',
              engine: 'amqp',
              host: '127.0.0.1',
              user: 'guest',
              passwordSecret: 'amqp',
            },
            { type: 'queue', name: 'NATS', engine: 'nats', host: '127.0.0.1' },
            {
              type: 'webhook',
              name: 'Canary',
              url: `http://127.0.0.1:${server.port()}/api/reliability/synthetics/canary`,
              secret: 'canary',
            },
          ],
        },
      });
    expect(put.status).toBe(201);
    // no replica has reported yet: both regions are unmonitored, each saying why
    expect(put.body.monitoring).toEqual({
      'ap-sg': {
        status: 'unmonitored',
        reason:
          'no backend replica runs ap-sg (set reliability.synthetics.region: ap-sg on one)',
      },
      'us-east': {
        status: 'unmonitored',
        reason:
          'no backend replica runs us-east (set reliability.synthetics.region: us-east on one)',
      },
    });

    await scheduler.run('reliability-synthetics-run-ap-sg');
    await scheduler.run('reliability-synthetics-presence');

    const runs = await request(server)
      .get(`/api/reliability/synthetics/runs?entityRef=${CHECKOUT}`)
      .set('Authorization', auth);
    expect(runs.status).toBe(200);
    // this replica is in ap-sg: us-east is not run here
    expect(runs.body.items).toHaveLength(1);
    const [run] = runs.body.items;
    expect(run).toMatchObject({ region: 'ap-sg', success: true, error: null });
    expect(
      run.steps.map((s: { name: string; ok: boolean }) => [s.name, s.ok]),
    ).toEqual([
      ['Postgres', true],
      ['MariaDB', true],
      ['Redis', true],
      ['RabbitMQ', true],
      ['NATS', true],
      ['Canary', true],
    ]);
    expect(run.steps[1].excerpt).toMatch(
      /^mysql 127\.0\.0\.1: connected in [\d.]+ ms; SELECT 1 ok; query answered \d+ row\(s\)/,
    );
    expect(run.steps[5].status).toBe(200);
    expect(JSON.stringify(runs.body)).not.toContain(CANARY_KEY);

    const list = await request(server)
      .get(`/api/reliability/synthetics?entityRef=${CHECKOUT}`)
      .set('Authorization', auth);
    expect(list.body.items[0].monitoring).toEqual({
      'ap-sg': { status: 'monitored' },
      'us-east': {
        status: 'unmonitored',
        reason:
          'no backend replica runs us-east (set reliability.synthetics.region: us-east on one)',
      },
    });
  });
});
