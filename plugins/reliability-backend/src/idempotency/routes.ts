import type { Response } from 'express';
import Router from 'express-promise-router';
import type { WriteFence } from '../database/writeFence';
import { Guards } from '../http/guards';
import {
  IDEMPOTENCY_HEADER,
  IdempotencyService,
  IdempotentStart,
} from './IdempotencyService';

const RUN = 'reliabilityIdempotentRun';

/**
 * For an ingest route's service call: the fence that writes the request's answer, `answer(result)`, in the same
 * transaction as its writes, when the request carries an `Idempotency-Key` (undefined otherwise). `answer` must be
 * what the route then sends.
 */
export function idempotencyFence<T>(
  res: Response,
  answer: (result: T) => { status: number; body: unknown },
): WriteFence | undefined {
  const run = res.locals[RUN] as
    | Extract<IdempotentStart, { kind: 'run' }>
    | undefined;
  return run?.fence(answer);
}

/** The routes a client may retry with an `Idempotency-Key` header: each counts what it is sent. */
export const IDEMPOTENT_ROUTES = [
  '/sli-events',
  '/sli-values',
  '/capacity/runs',
  '/changes',
] as const;

/**
 * In front of the ingest routes (registered before them): a request with an `Idempotency-Key` header either runs
 * (its answer kept when it is a 2xx, its key freed otherwise) or gets the first answer of its key again, marked
 * `Idempotent-Replayed: true`. Without the header the route runs as before.
 */
export function idempotencyRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; idempotency: IdempotencyService },
) {
  router.post([...IDEMPOTENT_ROUTES], async (req, res) => {
    const key = req.header(IDEMPOTENCY_HEADER);
    if (key === undefined) return 'next';
    const credentials = await deps.guards.caller(req);
    const start = await deps.idempotency.start({
      route: req.path,
      credentials,
      key,
      body: req.body,
    });
    if (start.kind === 'replay') {
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(start.status).json(start.body);
      return undefined;
    }
    res.locals[RUN] = start;
    // the route's answer (or the error handler's) settles the key before it is sent, unless the route's write
    // transaction wrote it already (a fence)
    const send = res.json.bind(res);
    let settled = false;
    res.json = (body: unknown) => {
      settled = true;
      res.json = send;
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      if (ok && start.fenced()) {
        send(body);
        return res;
      }
      (ok ? start.complete(res.statusCode, body) : start.release()).then(
        () => send(body),
        () => {
          // the answer could not be kept: free the key (best effort) so a retry runs, and answer anyway
          start.release().catch(() => undefined);
          send(body);
        },
      );
      return res;
    };
    // a response sent without res.json frees the key. A client that went away before the answer does not: the route
    // still runs and may count, and its answer (res.json, even to a closed socket) settles the key; freeing it here
    // let the client's retry count the batch a second time
    res.on('close', () => {
      if (!settled && res.writableFinished)
        start.release().catch(() => undefined);
    });
    return 'next';
  });
}
