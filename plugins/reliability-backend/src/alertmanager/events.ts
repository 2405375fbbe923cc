import type {
  AuditorService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type {
  EventsService,
  RequestValidator,
} from '@backstage/plugin-events-node';
import {
  alertmanagerWebhookSchema,
  formatIssues,
} from '@reliability-suite/plugin-reliability-common';
import { bearerMatches } from '../http/bearer';
import type { AlertmanagerService } from './AlertmanagerService';

export {
  alertmanagerEventsTopic,
  DEFAULT_ALERTMANAGER_EVENTS_TOPIC,
} from '../config/eventsTopic';

/**
 * The subscriber id (the events service prefixes it with `reliability.`). Stable on purpose: every replica subscribes
 * under the same id, so the events backend's bus hands an event to one of them, never to each.
 */
export const ALERTMANAGER_SUBSCRIBER_ID = 'reliability-alertmanager';

/** The message the ingress and the route both answer a missing or wrong secret with. */
export const WRONG_SECRET_MESSAGE =
  'Alertmanager webhook: missing or wrong shared secret (Authorization: Bearer <secret>)';

/**
 * The validator of the events backend's HTTP ingress for the Alertmanager topic: the shared secret as a bearer token
 * (constant time; 401 when missing or wrong), then the payload (version 4; 400 naming the field). Only a notification
 * that passes both is published on the topic.
 *
 * The ingress publishes the request's headers as the event's metadata (and the events service logs metadata at debug
 * level), so once the secret checked out its header is taken off the request: the secret never travels with the event.
 */
export function alertmanagerIngressValidator(secret: string): RequestValidator {
  return async (request, context) => {
    const header = request.headers.authorization;
    if (
      !bearerMatches(typeof header === 'string' ? header : undefined, secret)
    ) {
      context.reject({
        status: 401,
        payload: {
          error: { name: 'AuthenticationError', message: WRONG_SECRET_MESSAGE },
          response: { statusCode: 401 },
        },
      });
      return;
    }
    delete request.headers.authorization;
    const parsed = alertmanagerWebhookSchema.safeParse(request.body);
    if (!parsed.success) {
      context.reject({
        status: 400,
        payload: {
          error: {
            name: 'InputError',
            message: `Invalid body: ${formatIssues(parsed.error)}`,
          },
          response: { statusCode: 400 },
        },
      });
    }
  };
}

/**
 * Subscribes the receiver to the Alertmanager topic: each event's payload goes to `AlertmanagerService.receive`, the
 * method the webhook route calls (recorded once per fingerprint + status + startsAt, remediation deduplicated by the
 * same key), audited as the route's deliveries are. A payload that is not a version 4 notification is dropped with a
 * warning naming the field (the ingress validator refuses those already; this guards other publishers of the topic).
 */
export async function subscribeAlertmanagerEvents(deps: {
  events: EventsService;
  topic: string;
  alertmanager: AlertmanagerService;
  auditor: AuditorService;
  logger: LoggerService;
}) {
  const { events, topic, alertmanager, auditor, logger } = deps;
  await events.subscribe({
    id: ALERTMANAGER_SUBSCRIBER_ID,
    topics: [topic],
    onEvent: async ({ eventPayload }) => {
      const parsed = alertmanagerWebhookSchema.safeParse(eventPayload);
      if (!parsed.success) {
        logger.warn(
          `Dropped an event on topic '${topic}' that is no Alertmanager notification: ${formatIssues(
            parsed.error,
          )}`,
        );
        return;
      }
      const audit = await auditor.createEvent({
        eventId: 'alertmanager-notification',
        severityLevel: 'medium',
        meta: { caller: 'alertmanager', via: `events:${topic}` },
      });
      try {
        const result = await alertmanager.receive(parsed.data);
        await audit.success({
          meta: {
            groupKey: parsed.data.groupKey,
            received: result.received,
            recorded: result.recorded,
            duplicates: result.duplicates,
            remediations: result.remediations.length,
          },
        });
      } catch (error) {
        await audit.fail({ error: error as Error });
        throw error;
      }
    },
  });
}
