import express from 'express';
import Router from 'express-promise-router';
import { AuthenticationError, NotFoundError } from '@backstage/errors';
import {
  alertmanagerAlertsQuerySchema,
  alertmanagerWebhookSchema,
} from '@reliability-suite/plugin-reliability-common';
import { bearerMatches } from '../http/bearer';
import { Guards } from '../http/guards';
import { AlertmanagerService } from './AlertmanagerService';
import { WRONG_SECRET_MESSAGE } from './events';

/** Alertmanager's webhook receiver (payload v4) and the received alerts. */
export function alertmanagerRoutes(
  router: ReturnType<typeof Router>,
  deps: {
    guards: Guards;
    alertmanager: AlertmanagerService;
    secret?: string;
    json: express.RequestHandler;
  },
) {
  const { guards, alertmanager } = deps;

  router.post('/alertmanager/webhook', async (req, res) => {
    // Alertmanager is optional: without its secret there is no receiver here (a 404 that names the key, no 5xx)
    if (!deps.secret)
      throw new NotFoundError(
        'The Alertmanager receiver is off: set reliability.alertmanager.sharedSecret',
      );
    if (!bearerMatches(req.headers.authorization, deps.secret)) {
      throw new AuthenticationError(WRONG_SECRET_MESSAGE);
    }
    // the body is read only now, after the secret checked out
    await new Promise<void>((resolve, reject) =>
      deps.json(req, res, err => (err ? reject(err) : resolve())),
    );
    // no `request` here: Alertmanager's bearer token is our shared secret, not a Backstage credential
    const body = await guards.audited(
      {
        eventId: 'alertmanager-notification',
        severityLevel: 'medium',
        meta: { caller: 'alertmanager', ip: req.ip ?? null },
      },
      async () => {
        const payload = guards.parse(
          alertmanagerWebhookSchema,
          req.body,
          'body',
        );
        const result = await alertmanager.receive(payload);
        return {
          result,
          meta: {
            groupKey: payload.groupKey,
            received: result.received,
            recorded: result.recorded,
            duplicates: result.duplicates,
            remediations: result.remediations.length,
          },
        };
      },
    );
    res.json(body);
  });

  router.get('/alertmanager/alerts', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await alertmanager.list(
        guards.query(alertmanagerAlertsQuerySchema, req),
        credentials,
      ),
    );
  });
}
