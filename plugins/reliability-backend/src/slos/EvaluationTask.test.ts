import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import type { FiredAlert } from '../events/ReliabilityEvents';
import { EvaluationTask } from './EvaluationTask';
import { ingestSlo } from '../__testUtils__/entities';
import { Evaluator } from './Evaluator';
import { SliSourceRegistry } from './counting';
import { IngestSliSource } from './sources/IngestSliSource';
import { SloRegistry } from './SloRegistry';

jest.setTimeout(60_000);

const MIN = 60_000;

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('EvaluationTask on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('syncs the registry, evaluates, fires burning SLOs once, hands them on, and compacts', async () => {
    const knex = await databases.init(databaseId);
    const { slos: store, alerts } = (
      await ReliabilityDatabase.create(knex)
    ).stores();
    const logger = mockServices.rootLogger({ level: 'error' });
    const registry = new SloRegistry(
      catalogServiceMock({
        entities: [ingestSlo('burning'), ingestSlo('fine')],
      }),
      mockServices.auth(),
      store.registry,
      logger,
    );
    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(store));
    let now = Date.parse('2026-11-23T12:00:00Z');
    const handed: [FiredAlert, SloDefinition][] = [];
    const task = new EvaluationTask({
      registry,
      evaluator: new Evaluator(store, sources, logger),
      store,
      alerts,
      logger,
      pendingMs: 0,
      minuteRetentionMs: 7 * 60 * MIN,
      onFired: async (alert, def) => {
        handed.push([alert, def]);
      },
      now: () => now,
    });

    // nothing registered yet: the tick registers both SLOs from the catalog
    expect(await task.run()).toMatchObject({ evaluated: 2, fired: 0 });
    expect((await store.registry.listSlos()).map(s => s.def.ref)).toEqual([
      'default/burning',
      'default/fine',
    ]);

    // an hour of traffic: 'burning' loses every request of the last 10 minutes (1h burn 16.7x, 5m burn 100x: the
    // 14.4x page rule), 'fine' loses none
    const events = [];
    for (let m = 60; m >= 1; m--) {
      events.push({
        sloRef: 'default/fine',
        timestamp: now - m * MIN,
        good: 100,
        total: 100,
      });
      events.push({
        sloRef: 'default/burning',
        timestamp: now - m * MIN,
        good: m <= 10 ? 0 : 100,
        total: 100,
      });
    }
    await store.counts.addCounts(events, now - 7 * 60 * MIN);
    const second = await task.run();
    expect(second.fired).toBeGreaterThan(0);
    expect(
      handed.every(
        ([a, def]) =>
          a.sloRef === 'default/burning' && def.ref === 'default/burning',
      ),
    ).toBe(true);
    expect(handed.some(([a]) => a.severity === 'page')).toBe(true);
    const statuses = await store.statuses.getStatuses([
      'default/burning',
      'default/fine',
    ]);
    // 1,000 bad of 6,000 is far over a 99% budget (60 events) for the data the window holds
    expect(statuses.get('default/burning')?.state).toBe('exhausted');
    expect(statuses.get('default/fine')?.state).toBe('healthy');

    // the next tick does not fire the same alerts again
    now += MIN;
    const before = handed.length;
    await task.run();
    expect(handed.length).toBe(before);

    // eight hours later the minute buckets are folded
    now += 8 * 60 * MIN;
    expect((await task.run()).compacted).toBeGreaterThan(0);
  });
});
