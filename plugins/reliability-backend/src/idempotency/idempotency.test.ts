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
import { createHash } from 'crypto';
import { ConflictError } from '@backstage/errors';
import { IdempotencyService } from './IdempotencyService';
import { IdempotencyStore } from './IdempotencyStore';
import { createSloStores } from '../slos/stores';

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

  it('runs a retry once the claim of a request killed before it wrote is 30 s old, and counts it once', async () => {
    const timestamp = minute();
    const batch = () => ({
      events: [
        { slo: 'default/checkout-success', timestamp, good: 0, total: 10 },
      ],
    });
    const first = await post(
      '/sli-events',
      {
        events: [
          {
            slo: 'default/checkout-success',
            timestamp,
            good: 9_990,
            total: 10_000,
          },
        ],
      },
      'seed',
    );
    expect(first.status).toBe(202);
    const { caller } = await knex('reliability_idempotency_keys')
      .where({ idempotency_key: 'seed' })
      .first();
    // what a backend killed between claiming a key and committing its writes leaves: a pending claim, nothing counted
    const killed = async (key: string, ageMs: number) =>
      knex('reliability_idempotency_keys').insert({
        route: '/sli-events',
        caller,
        idempotency_key: key,
        body_sha256: createHash('sha256')
          .update(JSON.stringify(batch()))
          .digest('hex'),
        claim: `dead-${key}`,
        state: 'pending',
        created_at: Date.now() - ageMs,
      });
    // older than 30 s: the retry takes the key over at once
    await killed('killed-a', 31_000);
    const a = await post('/sli-events', batch(), 'killed-a');
    expect([a.status, a.body, a.headers['idempotent-replayed']]).toEqual([
      202,
      { accepted: 1 },
      undefined,
    ]);
    // 26 s old: the retry waits for the first request's answer, and takes the key over when the claim turns 30 s old
    await killed('killed-b', 26_000);
    const b = await post('/sli-events', batch(), 'killed-b');
    expect([b.status, b.body]).toEqual([202, { accepted: 1 }]);
    // each is answered from its key from now on
    for (const key of ['killed-a', 'killed-b']) {
      const again = await post('/sli-events', batch(), key);
      expect([again.status, again.headers['idempotent-replayed']]).toEqual([
        202,
        'true',
      ]);
    }
    // 30 bad of 10,020 against a 1% budget
    expect(await budget()).toBeCloseTo(1 - 30 / 10_020 / 0.01, 6);
  });

  it('writes nothing for a request whose claim a retry took over: its answer and its counts roll back together', async () => {
    // every write in the last whole minute, which the next tick counts
    const at = minute();
    const seed = await post('/sli-events', {
      events: [
        {
          slo: 'default/checkout-success',
          timestamp: at,
          good: 1_000,
          total: 1_000,
        },
      ],
    });
    expect(seed.status).toBe(202);
    const { slo_ref: sloRef } = await knex('reliability_buckets').first();
    let t = Date.now();
    const idempotency = new IdempotencyService({
      store: new IdempotencyStore(knex),
      now: () => t,
    });
    const stores = createSloStores(knex);
    const slowRequest = {
      route: '/sli-events',
      credentials: mockCredentials.service('reporter'),
      key: 'slow-1',
      body: { events: ['the same batch'] },
    };
    const write = (
      fence: Parameters<typeof stores.slices.addBatch>[1],
      good: number,
      total: number,
    ) =>
      stores.slices.addBatch(
        {
          tallies: [],
          deltas: [
            {
              sloRef,
              timestamp: Date.parse(at),
              good,
              total,
            },
          ],
          hourlyBefore: Date.now() - 7 * 3_600_000,
          result: 1,
        },
        fence,
      );
    const answer = (accepted: number) => ({ status: 202, body: { accepted } });
    const slow = await idempotency.start(slowRequest);
    t += 31_000;
    const retry = await idempotency.start(slowRequest);
    expect([slow.kind, retry.kind]).toEqual(['run', 'run']);
    if (slow.kind !== 'run' || retry.kind !== 'run') return;
    await write(retry.fence(answer), 995, 1_000);
    expect(retry.fenced()).toBe(true);
    // the slow first request reaches its write after the retry's: refused, and its 1,000 bad events are not counted
    const refused = write(slow.fence(answer), 0, 1_000);
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(
      "Idempotency-Key: 'slow-1' was taken over by a retry while this request ran (it was pending for more than 30 s); nothing of this request was kept",
    );
    expect(slow.fenced()).toBe(false);
    // the failed request frees nothing: the key keeps the retry's answer
    await slow.release();
    expect(await idempotency.start(slowRequest)).toEqual({
      kind: 'replay',
      status: 202,
      body: { accepted: 1 },
    });
    // 5 bad of 2,000 against a 1% budget: 75% left, where both writes (1,005 bad of 3,000) would leave none
    expect(await budget()).toBeCloseTo(1 - 5 / 2_000 / 0.01, 6);
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
