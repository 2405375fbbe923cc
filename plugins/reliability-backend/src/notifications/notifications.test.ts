import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import request from 'supertest';
import { readFileSync } from 'fs';
import { Entity } from '@backstage/catalog-model';
import { ANNOTATION_LATENCY_P95 } from '@reliability-suite/plugin-reliability-common';
import path from 'path';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

describe('notifications', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  it("tells the entity's owners once when an SLO starts burning at page level, with a topic to mute and a link; signals the commander view", async () => {
    const send = jest.fn(async () => undefined);
    const publish = jest.fn(async () => undefined);
    const scheduler = manualScheduler();
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [component('checkout'), ingestSlo('checkout-success')],
        }),
        mockServices.database.factory({
          knex: await databases.init('SQLITE_3'),
        }),
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({ send }),
        }),
        createServiceFactory({
          service: signalsServiceRef,
          deps: {},
          factory: () => ({ publish }),
        }),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              alerting: { pendingFor: '0' },
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
    await scheduler.evaluate();
    // half of the last ten minutes' requests failed: a fast burn against a 99% objective
    const events = Array.from({ length: 10 }, (_, i) => ({
      slo: 'default/checkout-success',
      timestamp: new Date(Date.now() - (i + 2) * 60_000).toISOString(),
      good: 50,
      total: 100,
    }));
    expect(
      (
        await request(server)
          .post('/api/reliability/sli-events')
          .set('Authorization', mockCredentials.service.header())
          .send({ events })
      ).status,
    ).toBe(202);
    await scheduler.evaluate();
    await scheduler.evaluate();
    const burns = (send.mock.calls as any[]).filter(
      ([o]) => o.payload.topic === 'slo-burn:component:default/checkout',
    );
    expect(burns.length).toBeGreaterThanOrEqual(1);
    // one per rule that started firing, none repeated on the next tick
    expect(new Set(burns.map(([o]) => o.payload.title)).size).toBe(
      burns.length,
    );
    expect(burns[0][0]).toMatchObject({
      recipients: { type: 'entity', entityRef: 'component:default/checkout' },
      payload: {
        title: expect.stringMatching(
          /^checkout-success is burning its error budget \(page /,
        ),
        link: '/catalog/default/component/checkout/reliability/slo/checkout-success',
        severity: 'high',
      },
    });
    expect(publish).toHaveBeenCalledWith({
      recipients: { type: 'broadcast' },
      channel: 'reliability:commander',
      message: {
        reason: 'alert-fired',
        entityRef: 'component:default/checkout',
      },
    });
  });
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('stale proofs on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  const summary = JSON.parse(
    readFileSync(
      path.join(
        __dirname,
        '../../../reliability-common/src/capacity/__fixtures__/k6-handle-summary.json',
      ),
      'utf8',
    ),
  );
  // the same summary with a p95 of 5 s: over a 1 s latency objective
  const slow = JSON.parse(JSON.stringify(summary));
  slow.metrics.http_req_duration.values['p(95)'] = 5_000;
  const latencyBound = (name: string): Entity => {
    const c = component(name);
    return {
      ...c,
      metadata: {
        ...c.metadata,
        annotations: { [ANNOTATION_LATENCY_P95]: '1000ms' },
      },
    };
  };
  const DAY = 86_400_000;
  const day = (ago: number) =>
    new Date(Date.now() - ago * DAY).toISOString().slice(0, 10);

  it('tells the owners once when a drill or a load test goes stale, and again when the next proof goes stale in turn', async () => {
    const send = jest.fn(async () => undefined);
    const scheduler = manualScheduler();
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          // a latency objective of 1 s: the fixture's p95 (612 ms) passes, and a run at 5 s fails
          entities: [latencyBound('checkout'), latencyBound('search')],
        }),
        mockServices.database.factory({
          knex: await databases.init(databaseId),
        }),
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({ send }),
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
    const post = (p: string, body: object) =>
      request(server)
        .post(`/api/reliability${p}`)
        .set('Authorization', mockCredentials.service.header())
        .send(body);
    const drill = (entity: string, ago: number, success = true) =>
      request(server)
        .post('/api/reliability/drills')
        .set('Authorization', mockCredentials.user.header())
        .send({
          entityRef: `component:default/${entity}`,
          drill: { date: day(ago), region: 'ap-sg', durationMin: 4, success },
        });
    // checkout: last successful drill 120 days ago (a failed one since does not count), last passing load test 40
    // days ago (a failing one since, as the readiness review, does not count either)
    expect((await drill('checkout', 120)).status).toBe(201);
    expect((await drill('checkout', 30, false)).status).toBe(201);
    expect(
      (
        await post('/capacity/runs', {
          entityRef: 'component:default/checkout',
          testType: 'stress',
          commit: 'abc',
          summary,
          startedAt: new Date(Date.now() - 40 * DAY).toISOString(),
        })
      ).body.verdict,
    ).toBe('pass');
    expect(
      (
        await post('/capacity/runs', {
          entityRef: 'component:default/checkout',
          testType: 'stress',
          commit: 'def',
          summary: slow,
          startedAt: new Date(Date.now() - 2 * DAY).toISOString(),
        })
      ).body.verdict,
    ).toBe('fail');
    // search: both fresh
    expect((await drill('search', 10)).status).toBe(201);
    expect(
      (
        await post('/capacity/runs', {
          entityRef: 'component:default/search',
          testType: 'stress',
          commit: 'abc',
          summary,
        })
      ).status,
    ).toBe(201);

    const stale = () =>
      (send.mock.calls as any[])
        .map(([o]) => o)
        .filter(o => o.payload.topic.startsWith('proof-stale:'));
    await scheduler.run('reliability-stale-proofs');
    expect(stale().map(o => [o.recipients.entityRef, o.payload.link])).toEqual([
      [
        'component:default/checkout',
        '/catalog/default/component/checkout/reliability/drills',
      ],
      [
        'component:default/checkout',
        '/catalog/default/component/checkout/reliability/capacity',
      ],
    ]);
    expect(stale()[0].payload).toMatchObject({
      title: 'The failover drill proof of component:default/checkout is stale',
      description: `The last successful failover or restore drill was 120 days ago (${day(
        120,
      )}); the readiness review asks for one within 92 days.`,
      topic: 'proof-stale:component:default/checkout',
      severity: 'normal',
    });
    expect(stale()[1].payload.description).toMatch(
      /^The last passing load test was 40 days ago \(.+\); the readiness review asks for one within 31 days\.$/,
    );

    // once per stale proof
    await scheduler.run('reliability-stale-proofs');
    expect(stale()).toHaveLength(2);
    // a newer drill, stale as well: a new proof gone stale is told again; a fresh one silences it
    expect((await drill('checkout', 100)).status).toBe(201);
    await scheduler.run('reliability-stale-proofs');
    expect(stale()).toHaveLength(3);
    expect(stale()[2].payload.description).toContain('100 days ago');
    expect((await drill('checkout', 1)).status).toBe(201);
    await scheduler.run('reliability-stale-proofs');
    expect(stale()).toHaveLength(3);
  });
});
