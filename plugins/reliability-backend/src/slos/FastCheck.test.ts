import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { ConfigReader } from '@backstage/config';
import { readReliabilityConfig } from '../config/readReliabilityConfig';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import type { FiredAlert } from '../events/ReliabilityEvents';
import { ingestSlo } from '../__testUtils__/entities';
import { EvaluationTask } from './EvaluationTask';
import { Evaluator } from './Evaluator';
import { SliSourceRegistry } from './counting';
import { IngestSliSource } from './sources/IngestSliSource';
import { SloRegistry } from './SloRegistry';
import { FastCheck, fastCheckedRefs, RemediationCoverage } from './FastCheck';

jest.setTimeout(60_000);

const MIN = 60_000;
const CHECKOUT = 'default/checkout-availability';
const SEARCH = 'default/search-availability';

describe('reliability.remediation.fastCheck', () => {
  const read = (reliability: object) =>
    readReliabilityConfig(new ConfigReader({ reliability })).remediation
      .fastCheck;
  it('defaults to every 10 s with no pending delay, and refuses a bad value naming the key', () => {
    expect(read({})).toEqual({
      intervalSeconds: 10,
      pendingMs: 0,
      maxSlos: 200,
    });
    expect(() =>
      read({ remediation: { fastCheck: { intervalSeconds: 600 } } }),
    ).toThrow(/reliability\.remediation\.fastCheck\.intervalSeconds/);
  });
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('FastCheck on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it("fires a covered SLO's page alert within one fast interval of the bad data, and leaves an uncovered SLO to the tick's pendingFor", async () => {
    const knex = await databases.init(databaseId);
    const { slos: store, alerts } = (
      await ReliabilityDatabase.create(knex)
    ).stores();
    const logger = mockServices.rootLogger({ level: 'error' });
    const registry = new SloRegistry(
      catalogServiceMock({
        entities: [
          ingestSlo('checkout-availability', 'checkout'),
          ingestSlo('search-availability', 'search'),
        ],
      }),
      mockServices.auth(),
      store.registry,
      logger,
    );
    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(store));
    const evaluator = new Evaluator(store, sources, logger);
    // remediation covers checkout's SLO only
    const coverage: RemediationCoverage = {
      coversSlo: (s: SloDefinition) =>
        s.componentRef === 'component:default/checkout',
      entityRefs: () => ['component:default/checkout'],
    };
    // 20 s into a minute
    let now = Date.parse('2026-12-05T12:00:20Z');
    const fired: FiredAlert[] = [];
    const onFired = async (a: FiredAlert) => {
      fired.push(a);
    };
    const tick = new EvaluationTask({
      registry,
      evaluator,
      store,
      alerts,
      logger,
      pendingMs: MIN,
      minuteRetentionMs: 7 * 60 * MIN,
      onFired,
      fastChecked: slos => fastCheckedRefs(slos, coverage, 200),
      now: () => now,
    });
    const fast = new FastCheck({
      registry,
      evaluator,
      alerts,
      coverage,
      config: { intervalSeconds: 10, pendingMs: 0, maxSlos: 200 },
      pendingMs: MIN,
      onFired,
      logger,
      now: () => now,
    });
    // an hour of good traffic, then the tick registers and evaluates both SLOs: nothing fires
    const minute = Math.floor(now / MIN) * MIN;
    const good = [];
    for (let m = 60; m >= 1; m--)
      for (const sloRef of [CHECKOUT, SEARCH])
        good.push({
          sloRef,
          timestamp: minute - m * MIN,
          good: 100,
          total: 100,
        });
    await store.counts.addCounts(good, now - 7 * 60 * MIN);
    await tick.run();
    expect(await fast.run()).toEqual({ evaluated: 1, fired: 0 });
    expect(fired).toEqual([]);

    // the first bad minute of data arrives now, mid-minute, for both SLOs (2,000 failed of 8,000 in the hour: 25x)
    await store.counts.addCounts(
      [CHECKOUT, SEARCH].map(sloRef => ({
        sloRef,
        timestamp: now,
        good: 0,
        total: 2_000,
      })),
      now - 7 * 60 * MIN,
    );
    // the next fast check, one interval later, fires checkout's page alert at once
    now += 10_000;
    const run = await fast.run();
    expect(run.fired).toBeGreaterThan(0);
    expect(fired.map(a => [a.sloRef, a.severity])).toContainEqual([
      CHECKOUT,
      'page',
    ]);
    expect(fired.every(a => a.sloRef === CHECKOUT)).toBe(true);
    const open = await alerts.list({ states: ['pending', 'firing'] });
    expect(open.filter(a => a.sloRef === SEARCH)).toEqual([]);

    // the full tick after the minute ends sees search's burn: pending for pendingFor, and checkout's alerts untouched
    const checkoutBefore = (await alerts.list({ sloRefs: [CHECKOUT] })).map(
      a => [a.id, a.state],
    );
    now = Math.ceil(now / MIN) * MIN + 5_000;
    await tick.run();
    const search = await alerts.list({ sloRefs: [SEARCH] });
    expect(search.length).toBeGreaterThan(0);
    expect(search.every(a => a.state === 'pending')).toBe(true);
    expect(
      (await alerts.list({ sloRefs: [CHECKOUT] })).map(a => [a.id, a.state]),
    ).toEqual(checkoutBefore);
    // a minute later search's page alert fires through the tick, as before
    now += MIN;
    await tick.run();
    expect(fired.map(a => [a.sloRef, a.severity])).toContainEqual([
      SEARCH,
      'page',
    ]);
  });
});
