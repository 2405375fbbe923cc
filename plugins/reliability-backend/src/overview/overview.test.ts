import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { parseCsv } from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';
import { ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const component = (
  name: string,
  owner: string,
  system: string,
  lifecycle: string,
) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { owner, system, lifecycle, type: 'service' },
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('the organisation overview on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            component('checkout', 'payments-sre', 'shop', 'production'),
            component(
              'search',
              'group:default/search-team',
              'shop',
              'experimental',
            ),
            component('ledger', 'payments-sre', 'finance', 'production'),
            ingestSlo('checkout-success', 'checkout'),
            ingestSlo('search-latency', 'search'),
            ingestSlo('ledger-availability', 'ledger'),
          ],
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
    }));
    await scheduler.evaluate();
    // checkout spent most of its budget, search a little, ledger has no data yet
    const t = new Date(Date.now() - 10 * 60_000).toISOString();
    const events = [
      {
        slo: 'default/checkout-success',
        timestamp: t,
        good: 9_920,
        total: 10_000,
      },
      {
        slo: 'default/search-latency',
        timestamp: t,
        good: 9_990,
        total: 10_000,
      },
    ];
    const ingested = await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({ events });
    if (ingested.status !== 202)
      throw new Error(`ingest answered ${ingested.status}`);
    await scheduler.evaluate();
  });

  const get = (q: string) =>
    request(server)
      .get(`/api/reliability/overview${q}`)
      .set('Authorization', mockCredentials.user.header());

  it('ranks every SLO by budget left, with owner, system, lifecycle, the gate and a sparkline', async () => {
    const res = await get('');
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((r: any) => [
        r.ref,
        r.owner,
        r.system,
        r.lifecycle,
        r.frozen,
      ]),
    ).toEqual([
      [
        'default/checkout-success',
        'group:default/payments-sre',
        'system:default/shop',
        'production',
        true,
      ],
      [
        'default/search-latency',
        'group:default/search-team',
        'system:default/shop',
        'experimental',
        false,
      ],
      [
        'default/ledger-availability',
        'group:default/payments-sre',
        'system:default/finance',
        'production',
        false,
      ],
    ]);
    expect(res.body.items[0].budgetRemaining).toBeCloseTo(
      1 - 80 / 10_000 / 0.01,
      9,
    );
    expect(res.body.items[2].budgetRemaining).toBeNull();
    expect(res.body.items[0].sparkline).toEqual([
      {
        day: Math.floor(Date.now() / 86_400_000) * 86_400_000,
        budgetRemaining: expect.any(Number),
      },
    ]);
    expect(res.body.gateThreshold).toBe(0.25);
  });

  it('reuses a ranked page between reads, and shows the next evaluation at once', async () => {
    expect((await get('')).body.items[2].ref).toBe(
      'default/ledger-availability',
    );
    // ledger burns: its first counts, all bad; the page read before is not served again after the tick
    const t = new Date(Date.now() - 5 * 60_000).toISOString();
    await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            slo: 'default/ledger-availability',
            timestamp: t,
            good: 0,
            total: 10_000,
          },
        ],
      });
    expect((await get('')).body.items[2].ref).toBe(
      'default/ledger-availability',
    );
    await scheduler.evaluate();
    const after = (await get('')).body.items;
    expect(after[0].ref).toBe('default/ledger-availability');
    expect(after[0].state).not.toBe('no_data');
  });

  it('filters by owner, system and lifecycle, pages with a cursor, and exports CSV', async () => {
    expect(
      (await get('?owner=group:default/payments-sre')).body.items.map(
        (r: any) => r.ref,
      ),
    ).toEqual(['default/checkout-success', 'default/ledger-availability']);
    expect(
      (
        await get('?system=system:default/shop&lifecycle=experimental')
      ).body.items.map((r: any) => r.ref),
    ).toEqual(['default/search-latency']);
    const first = await get('?limit=2');
    expect([first.body.items.length, typeof first.body.nextCursor]).toEqual([
      2,
      'string',
    ]);
    const second = await get(
      `?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    expect([
      second.body.items.map((r: any) => r.ref),
      second.body.nextCursor,
    ]).toEqual([['default/ledger-availability'], undefined]);
    const bad = await get('?owner=payments%20sre');
    expect([bad.status, bad.body.error.message]).toEqual([
      400,
      'Invalid query: owner: must be an entity ref such as group:default/payments-sre',
    ]);
    const csv = await request(server)
      .get('/api/reliability/overview/export?system=system:default/shop')
      .set('Authorization', mockCredentials.user.header());
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const parsed = parseCsv(csv.text, { required: ['rank', 'slo'] });
    expect(
      parsed.ok &&
        parsed.rows.map(r => [r.cells.rank, r.cells.slo, r.cells.frozen]),
    ).toEqual([
      ['1', 'default/checkout-success', 'true'],
      ['2', 'default/search-latency', 'false'],
    ]);
  });
});
