import type { DeliveryTransition } from '@reliability-suite/plugin-reliability-common';
import type { DeliveryPayload } from '../DeliveryStore';
import type { DeliveryTarget } from '../targets';

/** One alert transition as the senders render it. */
export interface DeliveryMessage {
  /** The delivery's id (the webhook's X-Reliability-Delivery: receivers dedupe by it). */
  deliveryId: number;
  alertKey: string;
  alertId: number;
  sloRef: string;
  entityRef: string;
  transition: DeliveryTransition;
  payload: DeliveryPayload;
  /** The portal's base URL, for links (app.baseUrl). */
  appBaseUrl?: string;
}

/**
 * What a vendor answered: accepted; or refused, to be retried (429, 5xx, no answer) or not (the request itself is
 * wrong: 400, 401, 403, 404, 410). `error` is not redacted yet: the service redacts it before it is stored.
 */
export type SendResult =
  | { ok: true; status: number }
  | {
      ok: false;
      retry: boolean;
      status: number | null;
      error: string;
      /** The vendor's Retry-After, when it sent one. */
      retryAfterMs?: number;
    };

/** Sends one message to one target of its kind. */
export type Sender<T extends DeliveryTarget = DeliveryTarget> = (
  target: T,
  message: DeliveryMessage,
  options: { timeoutMs: number; now: () => number },
) => Promise<SendResult>;
