import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { readFileSync } from 'fs';
import path from 'path';
import { Knex } from 'knex';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(90_000);

const MIN = 60_000;
const summary = JSON.parse(
  readFileSync(
    path.join(
      __dirname,
      '../../../reliability-common/src/capacity/__fixtures__/k6-handle-summary.json',
    ),
    'utf8',
  ),
);

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('idempotent ingest on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let knex: Knex;
  let scheduler: ReturnType<typeof manualScheduler>;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [component('checkout'), ingestSlo('checkout-success')],
        }),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({ data: {} }),
      ],
    }));
    await scheduler.evaluate();
  });

  const post = (
    p: string,
    body: unknown,
    key?: string,
    auth = mockCredentials.service.header(),
  ) => {
    const r = request(server)
      .post(`/api/reliability${p}`)
      .set('Authorization', auth);
    return (key === undefined ? r : r.set('Idempotency-Key', key)).send(
      body as object,
    );
  };
  const get = (p: string) =>
    request(server)
      .get(`/api/reliability${p}`)
      .set('Authorization', mockCredentials.user.header());
  const minute = () =>
    new Date(Math.floor(Date.now() / MIN) * MIN - 30_000).toISOString();
  const budget = async () => {
    await scheduler.evaluate();
    return (await get('/slos/default/checkout-success')).body.status
      .budgetRemaining as number;
  };

  it('counts SLI events once however often, and however concurrently, a retry repeats them', async () => {
    const timestamp = minute();
    // 10 bad of 10,000 without a key, then 10 bad of 10 sent ten times at once and five times more with one key
    expect(
      (
        await post('/sli-events', {
          events: [
            {
              slo: 'default/checkout-success',
              timestamp,
              good: 9_990,
              total: 10_000,
            },
          ],
        })
      ).status,
    ).toBe(202);
    const retried = {
      events: [
        { slo: 'default/checkout-success', timestamp, good: 0, total: 10 },
      ],
    };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        post('/sli-events', retried, 'batch-0001'),
      ),
    );
    for (let i = 0; i < 5; i++)
      answers.push(await post('/sli-events', retried, 'batch-0001'));
    expect(answers.map(a => [a.status, a.body])).toEqual(
      answers.map(() => [202, { accepted: 1 }]),
    );
    // exactly one ran; every other one is the first answer replayed
    expect(
      answers.filter(a => a.headers['idempotent-replayed'] === 'true').length,
    ).toBe(14);
    // 20 bad of 10,010 against a 1% budget: 80% left (counted ten times: 110 bad, no budget left)
    expect(await budget()).toBeCloseTo(1 - 20 / 10_010 / 0.01, 6);

    // the same key with another body: 422 naming the header, nothing counted
    const other = await post(
      '/sli-events',
      {
        events: [
          { slo: 'default/checkout-success', timestamp, good: 0, total: 1000 },
        ],
      },
      'batch-0001',
    );
    expect([other.status, other.body.error.message]).toEqual([
      422,
      expect.stringMatching(
        /^Idempotency-Key: 'batch-0001' was sent with another body on POST \/sli-events within 24 hours/,
      ),
    ]);
    // the key is the caller's own: another service's batch-0001 runs (and counts)
    const mine = await post(
      '/sli-events',
      retried,
      'batch-0001',
      mockCredentials.service.header({
        onBehalfOf: mockCredentials.service('plugin:ci'),
        targetPluginId: 'reliability',
      }),
    );
    expect([mine.status, mine.headers['idempotent-replayed']]).toEqual([
      202,
      undefined,
    ]);
    expect(await budget()).toBeCloseTo(1 - 30 / 10_020 / 0.01, 6);
  });

  it('answers a repeated load test and change with the first record, and records each once', async () => {
    const run = {
      entityRef: 'component:default/checkout',
      testType: 'stress',
      commit: 'abc',
      summary,
    };
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => post('/capacity/runs', run, 'ci-77')),
    );
    expect(new Set(runs.map(r => r.status))).toEqual(new Set([201]));
    expect(new Set(runs.map(r => JSON.stringify(r.body))).size).toBe(1);
    const listed = await get(
      '/capacity/runs?entityRef=component:default/checkout',
    );
    expect(listed.body.items.map((i: any) => i.id)).toEqual([runs[0].body.id]);

    const change = {
      entityRef: 'component:default/checkout',
      kind: 'deploy',
      version: 'v2',
      at: new Date().toISOString(),
    };
    const changes = await Promise.all(
      Array.from({ length: 10 }, () => post('/changes', change, 'argo-9')),
    );
    expect(new Set(changes.map(c => c.status))).toEqual(new Set([201]));
    expect(new Set(changes.map(c => JSON.stringify(c.body))).size).toBe(1);
    const recorded = await get('/changes?entityRef=component:default/checkout');
    expect(recorded.body.items).toHaveLength(1);
  });

  it('frees the key of a request that failed, refuses a malformed key, and forgets keys after 24 hours', async () => {
    const run = {
      entityRef: 'component:default/checkout',
      testType: 'stress',
      commit: 'abc',
      summary,
    };
    // a 400 counted nothing: the corrected retry with the same key runs
    const bad = await post(
      '/capacity/runs',
      { ...run, testType: 'nope' },
      'ci-1',
    );
    expect(bad.status).toBe(400);
    const first = await post('/capacity/runs', run, 'ci-1');
    expect([first.status, first.headers['idempotent-replayed']]).toEqual([
      201,
      undefined,
    ]);
    const again = await post('/capacity/runs', run, 'ci-1');
    expect([again.status, again.body.id]).toEqual([201, first.body.id]);

    for (const key of ['', 'a b', 'x'.repeat(256), 'é']) {
      const r = await post('/capacity/runs', run, key);
      expect([key, r.status, r.body.error?.message]).toEqual([
        key,
        400,
        'Idempotency-Key: must be 1 to 255 visible ASCII characters',
      ]);
    }

    // a day later the key is forgotten: the cleanup task deletes it, and the same request runs again
    await knex('reliability_idempotency_keys').update({
      created_at: Date.now() - 24 * 3_600_000 - 1,
    });
    await scheduler.run('reliability-idempotency-cleanup');
    expect(
      await knex('reliability_idempotency_keys').count({ n: '*' }),
    ).toEqual([{ n: expect.anything() }]);
    expect(
      Number(
        (await knex('reliability_idempotency_keys').count({ n: '*' }))[0].n,
      ),
    ).toBe(0);
    const later = await post('/capacity/runs', run, 'ci-1');
    expect(later.status).toBe(201);
    expect(later.body.id).not.toBe(first.body.id);
    // and an expired key the cleanup has not reached yet is claimed anew too
    await knex('reliability_idempotency_keys').update({
      created_at: Date.now() - 24 * 3_600_000 - 1,
    });
    const evenLater = await post('/capacity/runs', run, 'ci-1');
    expect(evenLater.body.id).not.toBe(later.body.id);
    expect(
      (await get('/capacity/runs?entityRef=component:default/checkout')).body
        .items,
    ).toHaveLength(3);
  });
});
