import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { ingestSlo } from '../__testUtils__/entities';

jest.setTimeout(90_000);

const OWNER = 'user:default/checkout-owner';
const STRANGER = 'user:default/stranger';

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('SLI ingest on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let catalogCalls: number;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    const catalog = catalogServiceMock({
      entities: [
        ingestSlo('checkout-success', 'checkout'),
        ingestSlo('search-success', 'search'),
      ],
    });
    catalogCalls = 0;
    const counting = new Proxy(catalog, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          catalogCalls++;
          return v.apply(target, args);
        };
      },
    });
    const scheduler = manualScheduler();
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        mockServices.database.factory({ knex }),
        // a stand-in for the portal policy: services may ingest anywhere, the owner only for checkout
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(r => {
              const p = credentials.principal as {
                type?: string;
                userEntityRef?: string;
              };
              const ref = 'resourceRef' in r ? r.resourceRef : undefined;
              const allowed =
                p.type === 'service' ||
                (p.userEntityRef === OWNER &&
                  ref === 'component:default/checkout');
              return {
                result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
              };
            }) as any,
          authorizeConditional: async (requests, { credentials }) =>
            requests.map(() => {
              const p = credentials.principal as {
                type?: string;
                userEntityRef?: string;
              };
              return {
                result:
                  p.type === 'service' || p.userEntityRef === OWNER
                    ? AuthorizeResult.ALLOW
                    : AuthorizeResult.DENY,
              };
            }) as any,
        }).factory,
        createServiceFactory({
          service: catalogServiceRef,
          deps: {},
          factory: () => counting,
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
            },
          },
        }),
      ],
    });
    server = backend.server;
    await scheduler.evaluate();
  });

  const event = (sloRef: string) => ({
    slo: sloRef,
    timestamp: new Date().toISOString(),
    good: 9,
    total: 10,
  });
  const post = (who: string, events: object[]) =>
    request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', who)
      .send({ events });

  it('lets services and the owners of the measured entity ingest, and no one else, before revealing whether an SLO exists', async () => {
    expect(
      (
        await post(mockCredentials.service.header(), [
          event('default/search-success'),
        ])
      ).status,
    ).toBe(202);
    expect(
      (
        await post(mockCredentials.user.header(OWNER), [
          event('default/checkout-success'),
        ])
      ).status,
    ).toBe(202);
    const other = await post(mockCredentials.user.header(OWNER), [
      event('default/checkout-success'),
      event('default/search-success'),
    ]);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toMatch(
      /events\.1\.slo: missing permission reliability\.events\.ingest on component:default\/search/,
    );
    // a user with no ingest right anywhere gets 403 for a real SLO and for a made-up one alike
    expect(
      (
        await post(mockCredentials.user.header(STRANGER), [
          event('default/checkout-success'),
        ])
      ).status,
    ).toBe(403);
    expect(
      (
        await post(mockCredentials.user.header(STRANGER), [
          event('default/made-up'),
        ])
      ).status,
    ).toBe(403);
    expect(
      (
        await post(mockCredentials.none.header(), [
          event('default/checkout-success'),
        ])
      ).status,
    ).toBe(401);
  });

  it('resolves 10,000 distinct unknown SLO refs from the registry, without calling the catalog', async () => {
    const events = Array.from({ length: 10_000 }, (_, i) =>
      event(`default/unknown-${i}`),
    );
    catalogCalls = 0;
    const res = await post(mockCredentials.service.header(), events);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(
      /events\.0\.slo: no SLO named default\/unknown-0/,
    );
    // one registry query per 500 refs; the catalog is read by the scheduled sync only
    expect(catalogCalls).toBe(0);
  });
});
