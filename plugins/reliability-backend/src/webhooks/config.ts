import { JsonValue } from '@backstage/types';
import {
  GenericWebhookConfig,
  genericWebhookConfigSchema,
  GenericWebhookMapping,
  genericWebhookMapping,
} from '@reliability-suite/plugin-reliability-common';

/** `reliability.webhooks`: PagerDuty's receiver secrets and the declared generic webhooks. */
export interface WebhooksConfig {
  pagerDutySecrets: string[];
  generic: Map<
    string,
    { config: GenericWebhookConfig; mapping: GenericWebhookMapping }
  >;
}

const NAME_CHARS =
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';

/** A generic webhook's name: 1–63 letters, digits, - or _. */
export function isWebhookName(name: string): boolean {
  if (name.length === 0 || name.length > 63) return false;
  for (const c of name) if (!NAME_CHARS.includes(c)) return false;
  return true;
}

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads `reliability.webhooks` from the plugin's configuration as written (`ReliabilityConfig.raw`), at startup:
 * a bad value stops the backend here, naming its key (e.g. `reliability.webhooks.generic.alerts.labels.severity`).
 */
export function readWebhooksConfig(raw: JsonValue | undefined): WebhooksConfig {
  const webhooks = isObject(raw) ? raw.webhooks : undefined;
  const out: WebhooksConfig = { pagerDutySecrets: [], generic: new Map() };
  if (webhooks === undefined || webhooks === null) return out;
  if (!isObject(webhooks))
    throw new Error('reliability.webhooks: must be an object');
  const pd = webhooks.pagerduty;
  if (pd !== undefined) {
    const secrets = isObject(pd) ? pd.secrets : undefined;
    if (
      !Array.isArray(secrets) ||
      secrets.length === 0 ||
      !secrets.every(s => typeof s === 'string' && s.length >= 8)
    )
      throw new Error(
        "reliability.webhooks.pagerduty.secrets: must be a list of the subscriptions' signing secrets (each at least 8 characters)",
      );
    out.pagerDutySecrets = secrets as string[];
  }
  const generic = webhooks.generic;
  if (generic !== undefined) {
    if (!isObject(generic))
      throw new Error(
        'reliability.webhooks.generic: must be an object of named webhooks',
      );
    for (const [name, value] of Object.entries(generic)) {
      const path = `reliability.webhooks.generic.${name}`;
      if (!isWebhookName(name))
        throw new Error(
          `${path}: a webhook name must be 1-63 letters, digits, - or _`,
        );
      const r = genericWebhookConfigSchema.safeParse(value);
      if (!r.success) {
        const issue = r.error.issues[0];
        const where = [path, ...issue.path.map(String)].join('.');
        throw new Error(`${where}: ${issue.message}`);
      }
      out.generic.set(name, {
        config: r.data,
        mapping: genericWebhookMapping(r.data),
      });
    }
  }
  return out;
}
