import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { syntheticJourneySchema } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { readReliabilityConfig } from '../config/readReliabilityConfig';
import { startShop } from '../__testUtils__/shop';
import type { SloRegistry } from '../slos';
import { SyntheticRunner } from './SyntheticRunner';
import { SyntheticService } from './SyntheticService';
import { SyntheticStore, ALL_REGIONS } from './SyntheticStore';
import { SyntheticTask } from './SyntheticTask';
import { presenceStaleAfterMs, regionMonitoring } from './regions';

jest.setTimeout(60_000);

const CHECKOUT = 'component:default/checkout';
const T0 = Date.parse('2026-12-05T10:00:00Z');

describe('regionMonitoring', () => {
  it('a region is monitored by its own live runner or by one that serves every region; else it says why', () => {
    const stale = presenceStaleAfterMs(15);
    expect(stale).toBe(50_000);
    expect(presenceStaleAfterMs(1)).toBe(8_000);
    expect(
      regionMonitoring(
        ['ap-sg', 'us-east', 'eu-west'],
        [
          { region: 'ap-sg', seenAt: T0 - 10_000, staleAfterMs: stale },
          { region: 'us-east', seenAt: T0 - 61_000, staleAfterMs: stale },
        ],
        T0,
      ),
    ).toEqual({
      'ap-sg': { status: 'monitored' },
      'us-east': {
        status: 'unmonitored',
        reason:
          'no runner for us-east since 2026-12-05T09:58:59.000Z: the replica that ran it stopped reporting',
      },
      'eu-west': {
        status: 'unmonitored',
        reason:
          'no backend replica runs eu-west (set reliability.synthetics.region: eu-west on one)',
      },
    });
    expect(
      regionMonitoring(
        ['eu-west'],
        [{ region: ALL_REGIONS, seenAt: T0, staleAfterMs: stale }],
        T0,
      ),
    ).toEqual({ 'eu-west': { status: 'monitored' } });
  });

  it('reads reliability.synthetics.region: one region, refused beside regions or when it is no region', () => {
    const read = (synthetics: object) =>
      readReliabilityConfig(new ConfigReader({ reliability: { synthetics } }))
        .synthetics;
    expect(read({ region: 'ap-sg' })).toMatchObject({
      region: 'ap-sg',
      regions: ['ap-sg'],
    });
    expect(read({ regions: ['ap-sg', 'us-east'] }).regions).toEqual([
      'ap-sg',
      'us-east',
    ]);
    expect(read({}).regions).toBeUndefined();
    expect(() => read({ region: 'ap-sg', regions: ['us-east'] })).toThrow(
      'reliability.synthetics.region and reliability.synthetics.regions: set one, not both',
    );
    expect(() => read({ region: 'Mars Base' })).toThrow(
      "reliability.synthetics.region must be a region such as ap-sg or us-east, got 'Mars Base'",
    );
  });
});

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('regions on %p', databaseId => {
  let store: SyntheticStore;
  let shop: Awaited<ReturnType<typeof startShop>>;
  let now = T0;

  beforeAll(async () => {
    shop = await startShop();
  });
  afterAll(() => shop.close());

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    store = (await ReliabilityDatabase.create(knex)).stores().synthetics;
    now = T0;
  });

  /** A replica's runner: the regions it serves, over the shared store. */
  const runnerFor = (regions?: string[]) =>
    new SyntheticTask({
      store,
      runner: new SyntheticRunner({ allowedHosts: ['127.0.0.1'] }),
      registry: { forEntity: async () => [] } as unknown as SloRegistry,
      slos: {
        counts: { addCounts: async () => {} },
        slices: { addSliceTallies: async () => {} },
      } as any,
      logger: mockServices.logger.mock(),
      regions,
      minuteRetentionMs: 7 * 3_600_000,
      now: () => now,
    });
  const service = () =>
    new SyntheticService({
      store,
      entities: {
        annotations: async () => ({}),
        forWrite: async () => {},
      } as any,
      allowedHosts: ['127.0.0.1'],
      secretNames: [],
      browserEnabled: false,
      now: () => now,
    });

  it('each replica runs only its region; a region without a live runner is reported unmonitored', async () => {
    await store.put(
      CHECKOUT,
      syntheticJourneySchema.parse({
        name: 'checkout_full',
        regions: ['ap-sg', 'us-east', 'eu-west'],
        frequency: '5m',
        deadlineMs: 3_000,
        steps: [
          { type: 'http', name: 'Home', url: `http://127.0.0.1:${shop.port}/` },
        ],
      }),
      'user:default/mei',
      now,
    );
    const sg = runnerFor(['ap-sg']);
    const us = runnerFor(['us-east']);
    expect(await sg.run()).toEqual({ ran: 1, failed: 0 });
    expect(await us.run()).toEqual({ ran: 1, failed: 0 });
    // nothing else is due in their regions; eu-west has no runner and is never run
    expect(await sg.run()).toEqual({ ran: 0, failed: 0 });
    const runs = await store.runs({ entityRef: CHECKOUT }, 10, 0);
    expect(runs.map(r => r.region).sort()).toEqual(['ap-sg', 'us-east']);

    // the replicas report their regions; eu-west has none, and us-east's replica then stops reporting
    await store.reportRunner(['ap-sg'], now, 60_000);
    await store.reportRunner(['us-east'], now - 120_000, 60_000);
    const list = await service().list(
      { entityRef: CHECKOUT },
      mockCredentials.user(),
    );
    expect(list.items[0].monitoring).toEqual({
      'ap-sg': { status: 'monitored' },
      'us-east': {
        status: 'unmonitored',
        reason:
          'no runner for us-east since 2026-12-05T09:58:00.000Z: the replica that ran it stopped reporting',
      },
      'eu-west': {
        status: 'unmonitored',
        reason:
          'no backend replica runs eu-west (set reliability.synthetics.region: eu-west on one)',
      },
    });

    // a later report replaces the earlier one; a replica serving every region monitors eu-west too
    await store.reportRunner(['us-east'], now, 60_000);
    await store.reportRunner([ALL_REGIONS], now, 60_000);
    expect(await store.runners()).toHaveLength(3);
    const again = await service().list(
      { entityRef: CHECKOUT },
      mockCredentials.user(),
    );
    expect(Object.values(again.items[0].monitoring!)).toEqual([
      { status: 'monitored' },
      { status: 'monitored' },
      { status: 'monitored' },
    ]);

    // a runner for every region takes what is due anywhere, eu-west included
    now += 5 * 60_000;
    expect(await runnerFor(undefined).run()).toEqual({ ran: 3, failed: 0 });
  });
});
