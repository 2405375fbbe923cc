import Router from 'express-promise-router';
import { readinessQuerySchema } from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { ReadinessService } from './ReadinessService';

/** A service's readiness score from the review checklist. */
export function readinessRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; readiness: ReadinessService },
) {
  router.get('/readiness', async (req, res) => {
    const credentials = await deps.guards.canRead(req);
    const { entityRef } = deps.guards.query(readinessQuerySchema, req);
    res.json(await deps.readiness.get(entityRef, credentials));
  });
}
