import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';

jest.setTimeout(60_000);

const TOKEN = 'metrics-scrape-token-1234';

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('GET /metrics on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  async function server(metrics?: object) {
    const knex = await databases.init(databaseId);
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        catalogServiceMock.factory({ entities: [] }),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              metrics,
              evaluation: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 24 },
                },
              },
            },
          },
        }),
      ],
    });
    return backend.server;
  }

  it('is open to scrapers without a token configured', async () => {
    const res = await request(await server()).get('/api/reliability/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toContain('selfheal_attempt_total');
  });

  it('needs the bearer token once one is configured, and never echoes it', async () => {
    const s = await server({ token: TOKEN });
    const none = await request(s).get('/api/reliability/metrics');
    expect(none.status).toBe(401);
    const wrong = await request(s)
      .get('/api/reliability/metrics')
      .set('Authorization', `Bearer ${TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain(TOKEN);
    const ok = await request(s)
      .get('/api/reliability/metrics')
      .set('Authorization', `Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('selfheal_circuit_open');
  });
});
