import type { DeliveryTarget } from '../targets';
import { sendOpsgenie } from './opsgenie';
import { sendPagerDuty } from './pagerduty';
import { sendSlack } from './slack';
import { sendTeams } from './teams';
import { sendWebhook } from './webhook';
import type { DeliveryMessage, SendResult } from './types';

export type { DeliveryMessage, SendResult } from './types';

/** Sends one message to a target with the sender of its kind. */
export function send(
  target: DeliveryTarget,
  message: DeliveryMessage,
  options: { timeoutMs: number; now: () => number },
): Promise<SendResult> {
  switch (target.kind) {
    case 'pagerduty':
      return sendPagerDuty(target, message, options);
    case 'slack':
      return sendSlack(target, message, options);
    case 'opsgenie':
      return sendOpsgenie(target, message, options);
    case 'teams':
      return sendTeams(target, message, options);
    case 'webhook':
      return sendWebhook(target, message, options);
    default:
      throw new Error('unknown target kind');
  }
}
