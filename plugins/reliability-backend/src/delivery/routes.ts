import Router from 'express-promise-router';
import {
  deliveryQuerySchema,
  deliveryTargetsQuerySchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import type { DeliveryService } from './DeliveryService';

/** Deliveries of alerts to PagerDuty, Slack, Opsgenie, Teams and webhooks: where each stands, and the targets. */
export function deliveryRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; delivery: DeliveryService },
) {
  router.get('/delivery', async (req, res) => {
    const credentials = await deps.guards.canRead(req);
    res.json(
      await deps.delivery.list(
        deps.guards.query(deliveryQuerySchema, req),
        credentials,
      ),
    );
  });
  router.get('/delivery/targets', async (req, res) => {
    await deps.guards.canRead(req);
    res.json(
      deps.delivery.targets(deps.guards.query(deliveryTargetsQuerySchema, req)),
    );
  });
}
