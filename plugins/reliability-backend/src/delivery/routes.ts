import Router from 'express-promise-router';
import {
  deliveryAlertKeySchema,
  reliabilityRemediationExecutePermission,
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
  // acknowledging is acting on the entity's alerts: the permission its owners have to run its fixes
  router.post('/delivery/alerts/:alertKey/acknowledge', async (req, res) => {
    const credentials = await deps.guards.user(req);
    const alertKey = deps.guards.parse(
      deliveryAlertKeySchema,
      req.params.alertKey,
      'alertKey',
    );
    const result = await deps.guards.audited(
      {
        eventId: 'delivery-acknowledge',
        severityLevel: 'low',
        request: req,
        meta: { alertKey },
      },
      async () => ({
        result: await deps.delivery.acknowledgeInPortal(
          alertKey,
          credentials.principal.userEntityRef,
          entityRef =>
            deps.guards.allowedOn(
              credentials,
              reliabilityRemediationExecutePermission,
              entityRef,
            ),
        ),
      }),
    );
    res.json(result);
  });
  router.get('/delivery/targets', async (req, res) => {
    await deps.guards.canRead(req);
    res.json(
      deps.delivery.targets(deps.guards.query(deliveryTargetsQuerySchema, req)),
    );
  });
}
