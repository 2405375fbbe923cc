import express from 'express';
import Router from 'express-promise-router';
import {
  AuthenticationError,
  InputError,
  NotFoundError,
} from '@backstage/errors';
import {
  pagerDutyWebhookSchema,
  webhookReceiptsQuerySchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import type { WebhooksConfig } from './config';
import {
  epochSeconds,
  genericSignatureMatches,
  pagerDutySignatureMatches,
} from './signatures';
import { WebhookService } from './WebhookService';

/** The largest body a webhook may send (1 MB); a larger one is refused with 413 before anything is parsed. */
export const WEBHOOK_MAX_BODY = '1mb';

/** A body-parser error without the body it keeps, and with a message that names the limit. */
class PayloadTooLargeError extends Error {
  readonly statusCode = 413;
  name = 'PayloadTooLargeError';
}

const rawBody = express.raw({ type: () => true, limit: WEBHOOK_MAX_BODY });

/** The raw bytes of the body (at most 1 MB). */
async function readRaw(
  req: express.Request,
  res: express.Response,
): Promise<Buffer> {
  await new Promise<void>((resolve, reject) =>
    rawBody(req, res, (err: any) => {
      if (err?.type === 'entity.too.large')
        reject(new PayloadTooLargeError('Webhook body: must be at most 1 MB'));
      else if (err) reject(new InputError('Webhook body: could not be read'));
      else resolve();
    }),
  );
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/** The JSON of a verified body; a bad one is a 400 that says so (the body is not echoed). */
function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InputError('Invalid body: must be JSON');
  }
}

const header = (req: express.Request, name: string) => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
};

/** PagerDuty's V3 webhook receiver, the generic signed webhooks, and the receipts. */
export function webhookRoutes(
  router: ReturnType<typeof Router>,
  deps: {
    guards: Guards;
    webhooks: WebhookService;
    config: WebhooksConfig;
    now: () => number;
  },
) {
  const { guards, webhooks, config } = deps;

  router.post('/webhooks/pagerduty', async (req, res) => {
    if (config.pagerDutySecrets.length === 0)
      throw new NotFoundError(
        "PagerDuty's webhook receiver is off: set reliability.webhooks.pagerduty.secrets",
      );
    const raw = await readRaw(req, res);
    // the signature is checked over the raw bytes before anything is parsed
    if (
      !pagerDutySignatureMatches(
        header(req, 'x-pagerduty-signature'),
        raw,
        config.pagerDutySecrets,
      )
    )
      throw new AuthenticationError(
        'PagerDuty webhook: missing or wrong signature (X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>)',
      );
    const body = await guards.audited(
      {
        eventId: 'pagerduty-webhook',
        severityLevel: 'medium',
        meta: {
          caller: 'pagerduty',
          ip: req.ip ?? null,
          subscription:
            header(req, 'x-webhook-subscription')?.slice(0, 100) ?? null,
        },
      },
      async () => {
        const payload = guards.parse(
          pagerDutyWebhookSchema,
          parseJson(raw),
          'body',
        );
        const result = await webhooks.pagerDuty(payload);
        return {
          result,
          meta: {
            eventId: payload.event.id,
            eventType: payload.event.event_type,
            duplicate: result.duplicate,
            remediations: result.remediations.length,
          },
        };
      },
    );
    res.json(body);
  });

  router.post('/webhooks/generic/:name', async (req, res) => {
    const name = req.params.name;
    const webhook = config.generic.get(name);
    if (!webhook)
      throw new NotFoundError(
        `No generic webhook '${name.slice(
          0,
          63,
        )}': declare it under reliability.webhooks.generic`,
      );
    const c = webhook.config;
    const raw = await readRaw(req, res);
    let timestamp: string | undefined;
    if (c.timestampHeader) {
      timestamp = header(req, c.timestampHeader);
      const seconds = epochSeconds(timestamp);
      if (seconds === undefined)
        throw new AuthenticationError(
          `Webhook ${name}: missing or bad ${c.timestampHeader} header (seconds since the epoch)`,
        );
      if (Math.abs(deps.now() / 1000 - seconds) > c.toleranceSeconds)
        throw new AuthenticationError(
          `Webhook ${name}: the ${c.timestampHeader} header is more than ${c.toleranceSeconds} s from now (a stale or replayed delivery)`,
        );
    }
    if (
      !genericSignatureMatches(
        header(req, c.signatureHeader),
        c.signaturePrefix,
        raw,
        c.secret,
        timestamp,
      )
    )
      throw new AuthenticationError(
        `Webhook ${name}: missing or wrong signature (${c.signatureHeader}: ${c.signaturePrefix}<hex HMAC-SHA256>)`,
      );
    const body = await guards.audited(
      {
        eventId: 'generic-webhook',
        severityLevel: 'medium',
        meta: { caller: `webhook:${name}`, ip: req.ip ?? null },
      },
      async () => {
        const result = await webhooks.generic(name, parseJson(raw));
        return {
          result,
          meta: {
            name,
            duplicate: result.duplicate,
            remediations: result.remediations.length,
          },
        };
      },
    );
    res.json(body);
  });

  router.get('/webhooks/receipts', async (req, res) => {
    await guards.canRead(req);
    res.json(
      await webhooks.list(guards.query(webhookReceiptsQuerySchema, req)),
    );
  });
}
