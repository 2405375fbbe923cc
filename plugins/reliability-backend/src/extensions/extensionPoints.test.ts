import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  ReliabilityEvaluationContext,
  reliabilityEvaluationHooksExtensionPoint,
  ReliabilityRecords,
  reliabilityRecordsExtensionPoint,
} from '@reliability-suite/plugin-reliability-node';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const MIN = 60_000;

describe('the evaluation hooks and records extension points', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it("a hook's counts count in the tick that ran it, a failing hook or provider is logged, and providers get the records at start", async () => {
    const seen: ReliabilityEvaluationContext[] = [];
    let records: ReliabilityRecords | undefined;
    const module = createBackendModule({
      pluginId: 'reliability',
      moduleId: 'test-writer',
      register(env) {
        env.registerInit({
          deps: {
            evaluation: reliabilityEvaluationHooksExtensionPoint,
            providers: reliabilityRecordsExtensionPoint,
          },
          async init({ evaluation, providers }) {
            evaluation.addHook({
              id: 'broken',
              beforeEvaluation: async () => {
                throw new Error('upstream down');
              },
            });
            evaluation.addHook({
              id: 'writer',
              async beforeEvaluation(context) {
                seen.push(context);
                const t = Math.floor(context.now / MIN) * MIN - MIN;
                await context.counts.addCounts(
                  [
                    {
                      sloRef: 'default/pulled',
                      timestamp: t,
                      good: 90,
                      total: 100,
                    },
                  ],
                  context.now,
                );
              },
            });
            providers.addProvider({
              id: 'broken',
              connect: async () => {
                throw new Error('no file');
              },
            });
            providers.addProvider({
              id: 'importer',
              connect: async r => void (records = r),
            });
          },
        });
      },
    });
    const logger = mockServices.logger.mock();
    const scheduler = manualScheduler();
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        module,
        scheduler.factory,
        logger.factory,
        catalogServiceMock.factory({
          entities: [component('checkout'), ingestSlo('pulled')],
        }),
        mockServices.database.factory({
          knex: await databases.init('SQLITE_3'),
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
    expect(logger.error).toHaveBeenCalledWith(
      'Records provider broken failed to connect: no file',
      undefined,
    );
    expect(records?.counts.minuteRetentionMs).toBe(7 * 3_600_000);
    expect(await records!.slos.forEntity('component:default/checkout')).toEqual(
      [],
    );

    await scheduler.evaluate();
    expect(seen.map(c => c.slos.map(s => s.ref))).toEqual([['default/pulled']]);
    expect(logger.warn).toHaveBeenCalledWith(
      'Evaluation hook broken failed: upstream down',
      undefined,
    );
    // the counts the hook wrote were evaluated by the same tick
    const [slo] = (
      await request(server)
        .get('/api/reliability/slos')
        .query({ entityRef: 'component:default/checkout' })
        .set('Authorization', mockCredentials.user.header())
    ).body.items;
    expect([slo.ref, slo.status.good, slo.status.total]).toEqual([
      'default/pulled',
      90,
      100,
    ]);
    expect(
      (await records!.slos.forEntity('component:default/checkout')).map(
        s => s.ref,
      ),
    ).toEqual(['default/pulled']);
    expect(await records!.counts.hasData('default/pulled')).toBe(true);
  });
});
