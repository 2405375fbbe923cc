import { createHash, randomUUID } from 'crypto';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import { UnprocessableEntityError } from '../http/errors';
import type { WriteFence } from '../database/writeFence';
import { IdempotencyStore } from './IdempotencyStore';

/** The request header a client that retries sends, the same on every retry of one request. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** How long a key's first answer is kept and replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** How long a repeat waits for the first request of its key to answer before it is told to retry (409). */
export const IDEMPOTENCY_WAIT_MS = 10_000;
/**
 * A claim still pending after this long belongs to a request that died (its process was killed) or is still running
 * very slowly: a retry takes the key over. Either way nothing is counted twice, because a request's answer is written
 * in its own write transaction only while its claim is still pending and its own (see `fence`): a request whose claim
 * was taken over writes nothing.
 */
export const IDEMPOTENCY_STALE_MS = 30_000;
const POLL_MS = 50;
/**
 * When freeing a key fails (the database is down or its connection was cut while the request failed), it is tried
 * again after these delays (about a minute in all): a key left claimed would answer every retry of its request 409
 * for 24 hours, although nothing was counted.
 */
export const IDEMPOTENCY_RELEASE_RETRY_MS = [
  250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000,
];
/** Keys deleted per statement by the cleanup, and statements per run. */
const CLEANUP_BATCH = 1_000;
const CLEANUP_BATCHES = 100;

/** What a request with a key does: run (and then complete or release its claim), or replay the first answer. */
export type IdempotentStart =
  | {
      kind: 'run';
      /**
       * For the request's write transaction: writes the key's answer, `answer(result)`, inside it, so that the
       * request's effects and its answer commit together or not at all. It throws (409) when a retry took the key
       * over, which rolls the writes back.
       */
      fence(
        answer: (result: any) => { status: number; body: unknown },
      ): WriteFence;
      /** Whether a fence wrote the answer (in a transaction that commits unless the request then fails). */
      fenced(): boolean;
      /** Writes the answer of a request that wrote it in no fence. */
      complete(status: number, body: unknown): Promise<void>;
      /** Frees the key unless its answer was written: the request failed and nothing of it was kept. */
      release(): Promise<void>;
    }
  | { kind: 'replay'; status: number; body: unknown };

/** The scope of a key: a key is the caller's own (two clients may both send `retry-1`). */
function callerOf(credentials: BackstageCredentials): string {
  const p = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  return `${p.type}:${p.userEntityRef ?? p.subject ?? ''}`.slice(0, 255);
}

/** 1 to 255 visible ASCII characters (no blanks, no control characters). */
function validKey(key: string): boolean {
  if (key.length < 1 || key.length > 255) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/**
 * Idempotent ingest: the first request of a (route, caller, key) runs, and its 2xx answer is kept for 24 hours;
 * a repeat with the same body gets that answer (same status and body) without running, a repeat with another body
 * a 422 naming the header. A repeat that arrives while the first still runs waits for its answer (up to 10 s). A
 * first request that fails (any non-2xx answer: nothing was counted) frees its key, so a retry runs again. The
 * unique key in the database decides which of several concurrent requests runs, across replicas.
 *
 * The answer is written in the request's own write transaction (`fence`), so a process killed mid-request leaves
 * either its writes and its answer, or neither and a pending claim, which a retry takes over once it is
 * IDEMPOTENCY_STALE_MS old.
 */
export class IdempotencyService {
  constructor(
    private readonly o: {
      store: IdempotencyStore;
      now?: () => number;
      waitMs?: number;
      /** IDEMPOTENCY_STALE_MS */
      staleMs?: number;
      /** The delays between tries of a release that failed (IDEMPOTENCY_RELEASE_RETRY_MS). */
      releaseRetryMs?: readonly number[];
    },
  ) {}

  /**
   * Frees the claim; when that fails, answers the error and keeps trying in the background (bounded, see
   * IDEMPOTENCY_RELEASE_RETRY_MS). Only the claim's own row is deleted: a key claimed again meanwhile stays.
   */
  private async release(claim: {
    route: string;
    caller: string;
    key: string;
    claim: string;
  }): Promise<void> {
    const mine = { ...claim, pendingOnly: true };
    try {
      await this.o.store.release(mine);
    } catch (e) {
      const delays = this.o.releaseRetryMs ?? IDEMPOTENCY_RELEASE_RETRY_MS;
      const retry = (i: number) => {
        if (i >= delays.length) return;
        setTimeout(() => {
          this.o.store.release(mine).catch(() => retry(i + 1));
        }, delays[i]).unref?.();
      };
      retry(0);
      throw e;
    }
  }

  private now() {
    return (this.o.now ?? Date.now)();
  }

  private staleMs() {
    return this.o.staleMs ?? IDEMPOTENCY_STALE_MS;
  }

  /**
   * Frees a claim pending for longer than IDEMPOTENCY_STALE_MS (its request died, or runs so slowly that its writes
   * will be refused): answers whether it was (then the key is claimed again). A claim whose answer is being written
   * stays: on PostgreSQL the delete waits for that transaction and then finds the key done.
   */
  private async tookOverStale(
    scope: { route: string; caller: string; key: string },
    row: { state: string; claim: string; createdAt: number },
  ): Promise<boolean> {
    if (row.state !== 'pending' || this.now() - row.createdAt < this.staleMs())
      return false;
    await this.o.store.release({
      ...scope,
      claim: row.claim,
      pendingOnly: true,
    });
    return true;
  }

  async start(r: {
    route: string;
    credentials: BackstageCredentials;
    key: string;
    body: unknown;
  }): Promise<IdempotentStart> {
    if (!validKey(r.key))
      throw new InputError(
        `${IDEMPOTENCY_HEADER}: must be 1 to 255 visible ASCII characters`,
      );
    const scope = {
      route: r.route,
      caller: callerOf(r.credentials),
      key: r.key,
    };
    const bodySha256 = createHash('sha256')
      .update(JSON.stringify(r.body ?? null))
      .digest('hex');
    const shown = r.key.length > 80 ? `${r.key.slice(0, 80)}…` : r.key;
    // a freed or expired key is claimed again: at most a few rounds
    for (let round = 0; round < 3; round++) {
      const claim = randomUUID();
      let row;
      try {
        row = await this.o.store.claim({
          ...scope,
          bodySha256,
          claim,
          now: this.now(),
        });
      } catch (e) {
        // the claim may have been written before the database went away (the insert, then the read failed): free it,
        // or the key would answer every retry 409 for 24 hours. Only this claim's row is deleted
        await this.release({ ...scope, claim }).catch(() => undefined);
        throw e;
      }
      if (!row) continue;
      if (row.claim === claim) {
        const mine = { ...scope, claim };
        let fenced = false;
        return {
          kind: 'run',
          fence: answer => async (tx, result) => {
            const a = answer(result);
            if (
              !(await this.o.store.settleIn(
                tx,
                mine,
                a.status,
                JSON.stringify(a.body ?? null),
              ))
            )
              throw new ConflictError(
                `${IDEMPOTENCY_HEADER}: '${shown}' was taken over by a retry while this request ran (it was pending for more than ${Math.round(
                  this.staleMs() / 1000,
                )} s); nothing of this request was kept`,
              );
            fenced = true;
          },
          fenced: () => fenced,
          complete: (status, body) =>
            this.o.store.complete(mine, status, JSON.stringify(body ?? null)),
          release: () => this.release(mine),
        };
      }
      if (this.now() - row.createdAt >= IDEMPOTENCY_TTL_MS) {
        await this.o.store.release({ ...scope, claim: row.claim });
        continue;
      }
      if (row.bodySha256 !== bodySha256)
        throw new UnprocessableEntityError(
          `${IDEMPOTENCY_HEADER}: '${shown}' was sent with another body on POST ${r.route} within 24 hours; send a new key for a new request`,
        );
      if (await this.tookOverStale(scope, row)) continue;
      const settled = row.state === 'done' ? row : await this.settled(scope);
      if (settled === 'freed') continue;
      if (!settled)
        throw new ConflictError(
          `${IDEMPOTENCY_HEADER}: the first request with '${shown}' is still running; retry once it has answered`,
        );
      return {
        kind: 'replay',
        status: settled.status ?? 200,
        body: JSON.parse(settled.response ?? 'null'),
      };
    }
    throw new ConflictError(
      `${IDEMPOTENCY_HEADER}: '${shown}' is being claimed by other requests; retry`,
    );
  }

  /** Waits (bounded) for the key's first request: its answer, 'freed' when it failed, undefined when still running. */
  private async settled(scope: { route: string; caller: string; key: string }) {
    const until = this.now() + (this.o.waitMs ?? IDEMPOTENCY_WAIT_MS);
    for (;;) {
      await new Promise(resolve => setTimeout(resolve, POLL_MS));
      const row = await this.o.store.get(scope.route, scope.caller, scope.key);
      if (!row) return 'freed' as const;
      if (row.state === 'done') return row;
      if (await this.tookOverStale(scope, row)) return 'freed' as const;
      if (this.now() >= until) return undefined;
    }
  }

  /** Deletes the keys older than 24 hours, in bounded batches; answers how many. */
  async cleanup(): Promise<number> {
    const before = this.now() - IDEMPOTENCY_TTL_MS;
    let deleted = 0;
    for (let i = 0; i < CLEANUP_BATCHES; i++) {
      const n = await this.o.store.deleteBefore(before, CLEANUP_BATCH);
      deleted += n;
      if (n < CLEANUP_BATCH) break;
    }
    return deleted;
  }
}
