import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { component, ingestSlo } from '../__testUtils__/entities';

jest.setTimeout(120_000);

const E = 'entityRef=component:default/checkout';

/**
 * Every route that reads query parameters, with the valid parameters it needs, and one of its parameters that the
 * test sends as an object (`p[toString]=1`, which Express's query parser makes `{ toString: '1' }`) and twice.
 */
const ROUTES: {
  method: 'get' | 'post' | 'delete';
  path: string;
  valid?: string;
  param: string;
}[] = [
  { method: 'get', path: '/slos', param: 'limit' },
  { method: 'get', path: '/slos', param: 'cursor' },
  {
    method: 'get',
    path: '/slos/default/checkout-success/history',
    param: 'points',
  },
  {
    method: 'get',
    path: '/slos/default/checkout-success/corrections',
    param: 'limit',
  },
  { method: 'get', path: '/gate', param: 'entityRef' },
  { method: 'get', path: '/alerts', param: 'limit' },
  { method: 'get', path: '/alertmanager/alerts', param: 'limit' },
  { method: 'get', path: '/webhooks/receipts', param: 'limit' },
  { method: 'get', path: '/remediation/owner-rules', param: 'limit' },
  { method: 'get', path: '/remediation/owner-rules', param: 'entityRef' },
  { method: 'get', path: '/secrets', param: 'cursor' },
  { method: 'get', path: '/webhooks/receipts', param: 'source' },
  { method: 'get', path: '/delivery', param: 'limit' },
  { method: 'get', path: '/delivery', param: 'state' },
  { method: 'get', path: '/delivery', param: 'entityRef' },
  { method: 'get', path: '/delivery/targets', param: 'cursor' },
  { method: 'get', path: '/remediations', param: 'limit' },
  { method: 'get', path: '/incidents', param: 'limit' },
  { method: 'get', path: '/commander/alerts', param: 'limit' },
  {
    method: 'get',
    path: '/runbooks/component/default/checkout/versions',
    param: 'limit',
  },
  { method: 'get', path: '/chaos', param: 'limit' },
  { method: 'get', path: '/chaos/files', param: 'entityRef' },
  { method: 'get', path: '/chaos/1/versions', param: 'limit' },
  { method: 'get', path: '/chaos/1/runs', param: 'limit' },
  { method: 'get', path: '/chaos/1/export', param: 'format' },
  { method: 'get', path: '/drills', valid: E, param: 'limit' },
  { method: 'get', path: '/drills/export', param: 'entityRef' },
  { method: 'get', path: '/capacity/runs', valid: E, param: 'limit' },
  { method: 'get', path: '/changes', valid: E, param: 'limit' },
  { method: 'get', path: '/synthetics', valid: E, param: 'limit' },
  { method: 'get', path: '/synthetics/runs', valid: E, param: 'limit' },
  {
    method: 'get',
    path: '/synthetics/series',
    valid: `${E}&journey=checkout`,
    param: 'range',
  },
  { method: 'get', path: '/synthetics/runs/1/har', param: 'entityRef' },
  { method: 'get', path: '/overview', param: 'limit' },
  { method: 'get', path: '/overview/export', param: 'owner' },
  { method: 'get', path: '/readiness', param: 'entityRef' },
  {
    method: 'delete',
    path: '/synthetics/journeys',
    valid: 'journey=checkout',
    param: 'entityRef',
  },
  { method: 'post', path: '/synthetics/import', param: 'entityRef' },
  { method: 'post', path: '/drills/import', param: 'entityRef' },
  { method: 'post', path: '/import/slos', param: 'dryRun' },
];

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('query parameters on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    const scheduler = manualScheduler();
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [component('checkout'), ingestSlo('checkout-success')],
        }),
        mockServices.database.factory({ knex }),
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
            },
          },
        }),
      ],
    });
    server = backend.server;
    await scheduler.evaluate();
  });

  const send = (method: 'get' | 'post' | 'delete', url: string) => {
    const r = request(server)
      [method](`/api/reliability${url}`)
      .set('Authorization', mockCredentials.user.header('user:default/alice'));
    return method === 'post'
      ? r.set('Content-Type', 'text/csv').send('a,b\n')
      : r;
  };
  const withQuery = (path: string, valid: string | undefined, extra: string) =>
    `${path}?${[valid, extra].filter(Boolean).join('&')}`;

  it.each(ROUTES)(
    '$method $path: $param given as an object is a 400 naming it',
    async ({ method, path, valid, param }) => {
      for (const key of ['toString', 'valueOf', 'length']) {
        const res = await send(
          method,
          withQuery(path, valid, `${param}[${key}]=1`),
        );
        expect({ key, status: res.status }).toEqual({ key, status: 400 });
        expect(res.body.error.message).toBe(
          `Invalid query: ${param}: must be a single value, not an object (${param}[...]=)`,
        );
      }
    },
  );

  it.each(ROUTES)(
    '$method $path: $param given twice is a 400 naming it',
    async ({ method, path, valid, param }) => {
      const res = await send(
        method,
        withQuery(path, valid, `${param}=1&${param}=2`),
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe(
        `Invalid query: ${param}: must be given once (a single value, not a list)`,
      );
    },
  );

  it('reads a list parameter written with brackets as the list it is, and refuses it where a scalar is expected', async () => {
    const res = await send('get', '/slos?limit[]=5');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'Invalid query: limit: must be given once (a single value, not a list)',
    );
  });

  it('still answers the same parameters given once as plain values', async () => {
    const list = await send('get', '/slos?limit=1');
    expect(list.status).toBe(200);
    const history = await send(
      'get',
      '/slos/default/checkout-success/history?points=10',
    );
    expect(history.status).toBe(200);
  });
});
