import {
  MIN_SECRET_LENGTH,
  urlSecrets,
} from '@reliability-suite/plugin-reliability-common';
import type { DeliveryTarget } from '../config/deliveryConfig';

export type { DeliveryConfig, DeliveryTarget } from '../config/deliveryConfig';

/**
 * Every credential the targets hold, for the redaction step: routing keys, API keys, HMAC secrets, and the
 * webhook URLs whole (Slack's and Teams' URLs are their secret), with their path segments and query values.
 */
export function deliverySecrets(targets: Iterable<DeliveryTarget>): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    if (v && v.length >= MIN_SECRET_LENGTH) out.add(v);
  };
  for (const t of targets) {
    if (t.kind === 'pagerduty') add(t.routingKey);
    if (t.kind === 'opsgenie') add(t.apiKey);
    if (t.kind === 'webhook') add(t.secret);
    if ('url' in t) {
      add(t.url);
      urlSecrets(t.url).forEach(add);
      try {
        const u = new URL(t.url);
        add(u.pathname + u.search);
        // a token in the path (Slack's T…/B…/secret, a Teams workflow id); short words like `services` stay
        u.pathname
          .split('/')
          .filter(p => p.length >= 12)
          .forEach(add);
      } catch {
        // checked when read
      }
    }
  }
  // longest first, so a URL is replaced whole before its parts
  return [...out].sort((a, b) => b.length - a.length);
}
