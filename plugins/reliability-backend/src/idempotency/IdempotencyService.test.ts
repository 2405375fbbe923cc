import { mockCredentials } from '@backstage/backend-test-utils';
import express from 'express';
import Router from 'express-promise-router';
import { AddressInfo } from 'net';
import type { Guards } from '../http/guards';
import { IdempotencyService } from './IdempotencyService';
import { idempotencyRoutes } from './routes';
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
      if (row && row.claim === r.claim)
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

  it('frees a claim written just before the database went away (the insert, then the read failed)', async () => {
    const { store, state, rows } = flakyStore();
    const claim = store.claim.bind(store);
    let failRead = true;
    (store as any).claim = async (r: any) => {
      await claim(r);
      if (failRead) {
        state.down = true;
        throw new Error('terminating connection due to administrator command');
      }
      return rows.get(`${r.route}|${r.caller}|${r.key}`);
    };
    const service = new IdempotencyService({
      store,
      waitMs: 100,
      releaseRetryMs: [50, 50, 50, 50],
    });
    await expect(service.start(request)).rejects.toThrow(
      'terminating connection',
    );
    failRead = false;
    state.down = false;
    for (let i = 0; i < 50 && rows.size; i++)
      await new Promise(r => setTimeout(r, 20));
    expect(rows.size).toBe(0);
    expect((await service.start(request)).kind).toBe('run');
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

describe('idempotencyRoutes', () => {
  it('keeps the key of a request whose client went away while it ran: the retry is answered from the key, not counted again', async () => {
    const { store } = flakyStore();
    const idempotency = new IdempotencyService({ store, waitMs: 2_000 });
    const app = express();
    app.use(express.json());
    const router = Router();
    idempotencyRoutes(router, {
      guards: {
        caller: async () => mockCredentials.service('reporter'),
      } as unknown as Guards,
      idempotency,
    });
    let counted = 0;
    let proceed: () => void = () => {};
    const gate = new Promise<void>(r => {
      proceed = r;
    });
    router.post('/sli-events', async (_req, res) => {
      await gate;
      counted++;
      res.status(202).json({ accepted: 1 });
    });
    app.use(router);
    const server = app.listen(0, '127.0.0.1');
    await new Promise(r => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const body = JSON.stringify({ events: [{ n: 1 }] });
    const send = (signal?: AbortSignal) =>
      fetch(`http://127.0.0.1:${port}/sli-events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'lost-answer',
        },
        body,
        signal,
      });
    try {
      // the first try's answer is lost: the client gives up while the route still runs
      const abort = new AbortController();
      const first = send(abort.signal).catch(e => e);
      await new Promise(r => setTimeout(r, 100));
      abort.abort();
      await first;
      await new Promise(r => setTimeout(r, 50));
      // the route then counts and answers (to nobody); the retry gets that answer
      const retry = send();
      await new Promise(r => setTimeout(r, 50));
      proceed();
      const res = await retry;
      expect(res.status).toBe(202);
      expect(res.headers.get('idempotent-replayed')).toBe('true');
      expect(counted).toBe(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
