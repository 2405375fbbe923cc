// The registry: an SLO that leaves the catalog takes its rows with it.
import { TestDatabases } from '@backstage/backend-test-utils';
import type { SloStores } from '.';
import { ReliabilityDatabase } from '../../wiring/ReliabilityDatabase';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-11-01T00:00:00Z');

const def = (name: string): SloDefinition => ({
  ref: `default/${name}`,
  namespace: 'default',
  name,
  title: name,
  componentRef: 'component:default/checkout',
  target: 0.99,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('SloRegistryStore on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let store: SloStores;
  let knex: Awaited<ReturnType<typeof databases.init>>;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = (await ReliabilityDatabase.create(knex)).stores().slos;
    await store.registry.syncSlos({
      upserts: [
        { def: def('a'), entityRef: 'slo:default/a', docHash: 'h-a' },
        { def: def('b'), entityRef: 'slo:default/b', docHash: 'h-b' },
      ],
      remove: [],
    });
  });

  it('keeps statuses and forgets SLOs that left the catalog', async () => {
    const status: any = {
      state: 'healthy',
      evaluatedAt: new Date(T0).toISOString(),
      burnRates: {},
    };
    await store.statuses.saveStatuses([
      { sloRef: 'default/a', status },
      { sloRef: 'default/b', status },
    ]);
    expect(
      (await store.statuses.getStatuses(['default/a', 'default/b'])).size,
    ).toBe(2);
    expect(await store.registry.registryHashes()).toEqual(
      new Map([
        ['default/a', 'h-a'],
        ['default/b', 'h-b'],
      ]),
    );
    await store.registry.syncSlos({ upserts: [], remove: ['default/b'] });
    expect((await store.registry.listSlos()).map(s => s.def.ref)).toEqual([
      'default/a',
    ]);
    expect([
      ...(await store.statuses.getStatuses(['default/a', 'default/b'])).keys(),
    ]).toEqual(['default/a']);
  });
});
