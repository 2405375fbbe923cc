import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { ingestSlo } from '../__testUtils__/entities';
import { SloRegistry } from './SloRegistry';

jest.setTimeout(60_000);

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('SloRegistry on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  async function setup(
    initial: Entity[],
    logger = mockServices.rootLogger({ level: 'error' }),
  ) {
    const knex = await databases.init(databaseId);
    const { slos: store } = (await ReliabilityDatabase.create(knex)).stores();
    // the catalog as it is now: tests change `current` between syncs
    const state = { current: initial };
    const catalog = catalogServiceMock.mock({
      queryEntities: async (request, options) =>
        catalogServiceMock({ entities: state.current }).queryEntities(
          request,
          options,
        ),
      getEntitiesByRefs: async (request, options) =>
        catalogServiceMock({ entities: state.current }).getEntitiesByRefs(
          request,
          options,
        ),
    });
    const registry = new SloRegistry(
      catalog,
      mockServices.auth(),
      store.registry,
      logger,
    );
    return { state, registry, store, catalog };
  }

  it('parses a document once per change and removes what the catalog no longer holds', async () => {
    const { state, registry } = await setup([
      ingestSlo('a'),
      ingestSlo('b', 'search'),
    ]);
    expect(await registry.sync()).toMatchObject({ parsed: 2, removed: 0 });
    expect((await registry.all()).map(s => s.def.ref)).toEqual([
      'default/a',
      'default/b',
    ]);

    // nothing changed: nothing is parsed again
    expect(await registry.sync()).toMatchObject({ parsed: 0, removed: 0 });

    // one document changes, one disappears, one appears
    const a = ingestSlo('a');
    (a.spec as any).objectives = [{ targetPercent: 99.9 }];
    state.current = [a, ingestSlo('c')];
    const third = await registry.sync();
    expect(third).toMatchObject({ parsed: 2, removed: 1 });
    expect(third.slos.map(s => [s.ref, s.target])).toEqual([
      ['default/a', 0.999],
      ['default/c', 0.99],
    ]);
  });

  it('registers each objective of an SLO on its own (its own ref, budget and alerts), and keeps and drops them together', async () => {
    const two = ingestSlo('checkout-latency');
    (two.spec as any).objectives = [
      { displayName: 'Internal', targetPercent: 99.5 },
      { displayName: 'Contract (SLA)', targetPercent: 99 },
    ];
    const { state, registry } = await setup([two, ingestSlo('b', 'search')]);
    expect(await registry.sync()).toMatchObject({ parsed: 3, removed: 0 });
    const all = await registry.all();
    expect(
      all.map(s => [s.def.ref, s.def.title, s.def.target, s.entityRef]),
    ).toEqual([
      ['default/b', 'b', 0.99, 'slo:default/b'],
      [
        'default/checkout-latency',
        'checkout-latency: Internal',
        0.995,
        'slo:default/checkout-latency',
      ],
      [
        'default/checkout-latency.contract-sla',
        'checkout-latency: Contract (SLA)',
        0.99,
        'slo:default/checkout-latency',
      ],
    ]);
    expect(
      (await registry.forEntity('slo:default/checkout-latency')).map(
        s => s.def.ref,
      ),
    ).toEqual([
      'default/checkout-latency',
      'default/checkout-latency.contract-sla',
    ]);
    expect(
      (await registry.forEntity('component:default/checkout')).length,
    ).toBe(2);
    // unchanged: both objectives stay without parsing
    expect(await registry.sync()).toMatchObject({ parsed: 0, removed: 0 });
    expect((await registry.all()).length).toBe(3);
    // one objective less: its ref goes; the SLO gone: all of them go
    (two.spec as any).objectives = [
      { displayName: 'Internal', targetPercent: 99.5 },
    ];
    two.metadata.annotations = { changed: 'yes' };
    expect(await registry.sync()).toMatchObject({ parsed: 1, removed: 1 });
    state.current = [ingestSlo('b', 'search')];
    expect(await registry.sync()).toMatchObject({ parsed: 0, removed: 1 });
    expect((await registry.all()).map(s => s.def.ref)).toEqual(['default/b']);
  });

  it('parses everything again after a restart (a new parser or burn-rate CSV may read the same document differently)', async () => {
    const { registry, store, catalog } = await setup([ingestSlo('a')]);
    await registry.sync();
    const restarted = new SloRegistry(
      catalog,
      mockServices.auth(),
      store.registry,
      mockServices.rootLogger({ level: 'error' }),
    );
    expect(await restarted.sync()).toMatchObject({ parsed: 1 });
    expect(await restarted.sync()).toMatchObject({ parsed: 0 });
  });

  it('skips an invalid document, without parsing it again until it changes', async () => {
    const bad = ingestSlo('bad');
    (bad.spec as any).objectives = [{ targetPercent: 140 }];
    const logger = mockServices.logger.mock();
    const { state, registry } = await setup([ingestSlo('a'), bad], logger);
    expect(await registry.sync()).toMatchObject({ parsed: 1 });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toContain(
      'Skipping SLO slo:default/bad: spec.objectives.0.targetPercent',
    );
    await registry.sync();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect((await registry.all()).map(s => s.def.ref)).toEqual(['default/a']);

    // fixed: registered on the next sync
    state.current = [ingestSlo('a'), ingestSlo('bad')];
    expect(await registry.sync()).toMatchObject({ parsed: 1 });
    expect((await registry.all()).map(s => s.def.ref)).toEqual([
      'default/a',
      'default/bad',
    ]);
  });

  it('answers reads from the registry without writing it', async () => {
    const { registry } = await setup([
      ingestSlo('a', 'checkout'),
      ingestSlo('b', 'search'),
    ]);
    // before any sync the registry is empty, and reading it does not fill it
    expect(await registry.forEntity('component:default/checkout')).toEqual([]);
    expect(await registry.byRef('default/a')).toBeUndefined();
    expect((await registry.byRefs(['default/a', 'default/b'])).size).toBe(0);
    expect(await registry.all()).toEqual([]);

    await registry.sync();
    expect(
      (await registry.forEntity('component:default/checkout')).map(
        s => s.def.ref,
      ),
    ).toEqual(['default/a']);
    expect(
      (await registry.forEntity('slo:default/b')).map(s => s.entityRef),
    ).toEqual(['slo:default/b']);
    expect((await registry.forEntity('component:default/none')).length).toBe(0);
    expect([
      ...(await registry.byRefs(['default/b', 'default/x'])).keys(),
    ]).toEqual(['default/b']);
  });
});
