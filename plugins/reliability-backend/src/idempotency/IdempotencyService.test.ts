import { mockCredentials } from '@backstage/backend-test-utils';
import { IdempotencyService } from './IdempotencyService';
import type { IdempotencyRecord, IdempotencyStore } from './IdempotencyStore';

/** An in-memory store whose release fails while `down` is set, as when the database restarts. */
function flakyStore() {
  const rows = new Map<string, IdempotencyRecord>();
  const id = (r: { route: string; caller: string; key: string }) =>
    `${r.route}|${r.caller}|${r.key}`;
  const state = { down: false, releases: 0 };
  const store = {
    async claim(r: any) {
      if (!rows.has(id(r)))
        rows.set(id(r), {
          bodySha256: r.bodySha256,
          claim: r.claim,
          state: 'pending',
          status: null,
          response: null,
          createdAt: r.now,
        });
      return rows.get(id(r));
    },
    async get(route: string, caller: string, key: string) {
      return rows.get(id({ route, caller, key }));
    },
    async complete(r: any, status: number, response: string) {
      const row = rows.get(id(r));
      if (row?.claim === r.claim)
        rows.set(id(r), { ...row, state: 'done', status, response });
    },
    async release(r: any) {
      state.releases++;
      if (state.down) throw new Error('Connection terminated unexpectedly');
      if (rows.get(id(r))?.claim === r.claim) rows.delete(id(r));
    },
    async deleteBefore() {
      return 0;
    },
  };
  return { store: store as unknown as IdempotencyStore, state, rows };
}

describe('IdempotencyService', () => {
  const request = {
    route: '/sli-events',
    credentials: mockCredentials.service('reporter'),
    key: 'batch-1',
    body: { events: [1] },
  };

  it('frees the key of a failed request once the database answers again, so the retry runs instead of a 409 for 24 hours', async () => {
    const { store, state, rows } = flakyStore();
    const service = new IdempotencyService({
      store,
      waitMs: 100,
      releaseRetryMs: [150, 150, 150, 150, 150],
    });
    const first = await service.start(request);
    expect(first.kind).toBe('run');
    // the request failed because the database went away; freeing its key fails too
    state.down = true;
    await expect(
      (first as { release(): Promise<void> }).release(),
    ).rejects.toThrow('Connection terminated unexpectedly');
    expect(rows.size).toBe(1);
    // while it is down the key stays claimed: a retry is told to retry later
    await expect(service.start(request)).rejects.toThrow(
      /is still running; retry once it has answered/,
    );
    // the database is back: the key is freed in the background, and the retry runs
    state.down = false;
    for (let i = 0; i < 50 && rows.size; i++)
      await new Promise(r => setTimeout(r, 20));
    expect(rows.size).toBe(0);
    const retry = await service.start(request);
    expect(retry.kind).toBe('run');
  });

  it('gives up freeing after its bounded tries', async () => {
    const { store, state, rows } = flakyStore();
    const service = new IdempotencyService({
      store,
      releaseRetryMs: [5, 5, 5],
    });
    const first = await service.start(request);
    state.down = true;
    await expect(
      (first as { release(): Promise<void> }).release(),
    ).rejects.toThrow();
    await new Promise(r => setTimeout(r, 200));
    // the first try and three more, no more
    expect(state.releases).toBe(4);
    expect(rows.size).toBe(1);
  });
});
