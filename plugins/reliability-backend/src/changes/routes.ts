import { idempotencyFence } from '../idempotency/routes';
import Router from 'express-promise-router';
import {
  changeListQuerySchema,
  changeRequestSchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { ChangeService } from './ChangeService';

/** Change events: CI, Argo CD and flag services post them; the tab and the charts read them with their impact. */
export function changeRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; changes: ChangeService },
) {
  const { guards, changes } = deps;

  router.get('/changes', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await changes.list(guards.query(changeListQuerySchema, req), credentials),
    );
  });

  router.post('/changes', async (req, res) => {
    const body = guards.parse(changeRequestSchema, req.body, 'body');
    const credentials = await guards.caller(req);
    res.status(201).json(
      await guards.audited(
        { eventId: 'change-record', severityLevel: 'low', request: req },
        async () => ({
          result: await changes.record(
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
