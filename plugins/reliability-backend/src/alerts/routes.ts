import Router from 'express-promise-router';
import { alertsQuerySchema } from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { AlertService } from './AlertService';

/** The suite's own burn-rate and no-data alerts. */
export function alertRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; alerts: AlertService },
) {
  router.get('/alerts', async (req, res) => {
    const credentials = await deps.guards.canRead(req);
    res.json(
      await deps.alerts.list(
        deps.guards.query(alertsQuerySchema, req),
        credentials,
      ),
    );
  });
}
