import { idempotencyFence } from '../idempotency/routes';
import Router from 'express-promise-router';
import {
  capacityListQuerySchema,
  capacityRunRequestSchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { CapacityService } from './CapacityService';

/** Load tests: CI posts k6 summaries (the answer carries the verdict); the tab reads the trend and headroom. */
export function capacityRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; capacity: CapacityService },
) {
  const { guards, capacity } = deps;

  router.get('/capacity/runs', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await capacity.list(
        guards.query(capacityListQuerySchema, req),
        credentials,
      ),
    );
  });

  router.post('/capacity/runs', async (req, res) => {
    const body = guards.parse(capacityRunRequestSchema, req.body, 'body');
    const credentials = await guards.caller(req);
    res.status(201).json(
      await guards.audited(
        { eventId: 'capacity-run', severityLevel: 'low', request: req },
        async () => ({
          result: await capacity.record(
            body,
            credentials,
            idempotencyFence(res, (created: unknown) => ({
              status: 201,
              body: created,
            })),
          ),
        }),
      ),
    );
  });
}
