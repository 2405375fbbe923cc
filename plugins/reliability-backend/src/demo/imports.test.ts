import path from 'path';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ReliabilityDatabase } from '../database/ReliabilityDatabase';
import { importDemoDrillLogs } from './drills';
import { importDemoCapacityRuns } from './capacity';
import { importDemoChanges } from './changes';

const catalog = path.join(__dirname, '../../../../catalog');

describe('the demo imports', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it("record checkout's drill log and load tests from the demo catalog, once, and log a file that is not there", async () => {
    const stores = (await ReliabilityDatabase.create(await databases.init('SQLITE_3'))).stores();
    const logger = mockServices.logger.mock();
    const cfg = new ConfigReader({
      demo: {
        drillLogs: [{ entityRef: 'component:default/checkout', file: path.join(catalog, 'drills/checkout.csv') }, { entityRef: 'component:default/search', file: '/nonexistent.csv' }],
        capacityRuns: [{ entityRef: 'component:default/checkout', file: path.join(catalog, 'loadtests/checkout-runs.json'), latencyP95: '1s' }],
      },
    });
    const now = Date.parse('2026-11-23T12:00:00Z');
    for (let i = 0; i < 2; i++) {
      await importDemoDrillLogs(cfg, stores.drills, logger, now);
      await importDemoCapacityRuns(cfg, stores.capacity, logger, now);
      await importDemoChanges(stores.changes, logger, now);
    }
    expect((await stores.drills.list('component:default/checkout', 100, 0)).map(d => d.date)).toEqual(['2026-06-10', '2026-05-20', '2026-03-11', '2025-12-09', '2025-09-10']);
    const runs = await stores.capacity.list('component:default/checkout', 100, 0);
    expect(runs.map(r => [r.testType, r.verdict])).toEqual([['smoke', 'pass'], ['stress', 'pass'], ['stress', 'pass'], ['stress', 'fail'], ['spike', 'pass'], ['stress', 'pass'], ['stress', 'pass']]);
    expect(runs[3].reason).toBe('p95 1130.5 ms is above the latency SLO of 1000 ms');
    // SRE-102 on search: the bad config push three minutes before its incident, then the rollback
    const search = await stores.changes.list('component:default/search', {}, 10, 0);
    expect(search.map(c => [c.kind, c.summary])).toEqual([
      ['config', 'Rollback: DB pool size 5 -> 50'],
      ['config', 'SRE-102: DB pool size 50 -> 5'],
      ['deploy', 'ranking tweaks'],
    ]);
    expect(Date.parse(search[1].at)).toBe(now - (2 * 1440 + 600 + 3) * 60_000);
    expect(await stores.changes.list('component:default/checkout', {}, 10, 0)).toHaveLength(3);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/^reliability\.demo\.drillLogs\[1\]: not imported: ENOENT/));
  });
});
