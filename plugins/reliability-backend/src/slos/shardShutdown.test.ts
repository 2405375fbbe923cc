// The plugin's shutdown gives back this replica's evaluation shards: the backend's lifecycle hook calls the SLO
// feature's shutdown, which releases the leases and the heartbeat, so the other replicas claim them at their next run
// instead of waiting for the leases to expire.
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(120_000);

describe.each(TestDatabases.create({ ids: ['POSTGRES_15'] }).eachSupportedId())(
  'sharded evaluation on shutdown, %p',
  databaseId => {
    const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });

    it('releases the replica’s leases and heartbeat when the backend stops', async () => {
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
                evaluation: { shards: { count: 4, leaseSeconds: 30 } },
              },
            },
          }),
        ],
      });
      const held = async () =>
        (await knex('reliability_shard_leases').whereNotNull('holder')).length;
      await scheduler.evaluate();
      await scheduler.run('reliability-evaluate-shards');
      // one replica: it holds every shard, and its heartbeat is there
      expect(await held()).toBe(4);
      expect(await knex('reliability_shard_replicas')).toHaveLength(1);

      await backend.stop();
      expect(await held()).toBe(0);
      expect(await knex('reliability_shard_replicas')).toHaveLength(0);
    });
  },
);
