// eslint-disable-next-line no-restricted-syntax -- readReliabilityConfig's part for delivery, read with it, once
import { Config } from '@backstage/config';
import {
  DELIVERY_TARGET_KINDS,
  DeliveryRouting,
  DeliveryTargetKind,
  parseDeliveryRouting,
} from '@reliability-suite/plugin-reliability-common';
import { configDurationMs } from './durations';

/** A configured target: `reliability.delivery.targets.<name>`. Its credentials live here only, in memory. */
export type DeliveryTarget =
  | { name: string; kind: 'pagerduty'; routingKey: string; baseUrl: string }
  | { name: string; kind: 'slack'; url: string }
  | { name: string; kind: 'opsgenie'; apiKey: string; baseUrl: string }
  | {
      name: string;
      kind: 'teams';
      url: string;
      format: 'adaptiveCard' | 'messageCard';
    }
  | { name: string; kind: 'webhook'; url: string; secret: string };

/** `reliability.delivery` as read once at startup. */
export interface DeliveryConfig {
  enabled: boolean;
  targets: Map<string, DeliveryTarget>;
  intervalSeconds: number;
  maxAttempts: number;
  backoff: { baseMs: number; capMs: number };
  timeoutMs: number;
  /** How long settled deliveries are kept. */
  retentionMs: number;
  /** `reliability.delivery.routing`: policies per owner group or entity, quiet hours, escalation. */
  routing: DeliveryRouting;
}

/**
 * `reliability.delivery.routing`, validated (a bad policy is refused, naming its path), every target it names
 * checked against the configured targets.
 */
export function readRouting(
  config: Config | undefined,
  targets: Map<string, DeliveryTarget>,
): DeliveryRouting {
  const raw = config?.getOptional('routing');
  if (raw === undefined) return { policies: [] };
  const parsed = parseDeliveryRouting(raw);
  if (!parsed.ok)
    throw new Error(
      parsed.errors
        .slice(0, 5)
        .map(e => `reliability.delivery.routing.${e}`)
        .join('; '),
    );
  parsed.routing.policies.forEach((p, i) =>
    p.routes.forEach((r, j) => {
      const names = [
        ...r.targets,
        ...(r.escalation ?? []).flatMap(s => s.targets),
      ];
      for (const name of names)
        if (!targets.has(name))
          throw new Error(
            `reliability.delivery.routing.policies[${i}].routes[${j}]: names ${name}, which is not in reliability.delivery.targets`,
          );
    }),
  );
  return parsed.routing;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

function httpUrl(path: string, v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error(`${path}: must be an http(s) URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(`${path}: must be an http(s) URL`);
  return v;
}

const trimSlash = (u: string) => (u.endsWith('/') ? u.slice(0, -1) : u);

/**
 * Reads `reliability.delivery`. Each problem stops the backend at startup,
 * naming the key; no message ever holds a key's value.
 */
export function readDeliveryConfig(config: Config): DeliveryConfig {
  const cfg = config.getOptionalConfig('reliability.delivery');
  const targets = new Map<string, DeliveryTarget>();
  const tcfg = cfg?.getOptionalConfig('targets');
  for (const name of tcfg?.keys() ?? []) {
    const path = `reliability.delivery.targets.${name}`;
    if (!NAME_RE.test(name))
      throw new Error(
        `${path}: a target name is letters, digits, - and _, at most 63`,
      );
    const t = tcfg!.getConfig(name);
    const type = t.getString('type');
    if (!(DELIVERY_TARGET_KINDS as readonly string[]).includes(type))
      throw new Error(
        `${path}.type: must be one of ${DELIVERY_TARGET_KINDS.join(', ')}`,
      );
    const kind = type as DeliveryTargetKind;
    if (kind === 'pagerduty')
      targets.set(name, {
        name,
        kind,
        routingKey: t.getString('routingKey'),
        baseUrl: trimSlash(
          httpUrl(
            `${path}.baseUrl`,
            t.getOptionalString('baseUrl') ?? 'https://events.pagerduty.com',
          ),
        ),
      });
    else if (kind === 'opsgenie')
      targets.set(name, {
        name,
        kind,
        apiKey: t.getString('apiKey'),
        baseUrl: trimSlash(
          httpUrl(
            `${path}.baseUrl`,
            t.getOptionalString('baseUrl') ?? 'https://api.opsgenie.com',
          ),
        ),
      });
    else if (kind === 'webhook') {
      const secret = t.getString('secret');
      if (secret.length < 16)
        throw new Error(
          `${path}.secret: must be at least 16 characters (the HMAC key)`,
        );
      targets.set(name, {
        name,
        kind,
        url: httpUrl(`${path}.url`, t.getString('url')),
        secret,
      });
    } else if (kind === 'teams') {
      const format = t.getOptionalString('format') ?? 'adaptiveCard';
      if (format !== 'adaptiveCard' && format !== 'messageCard')
        throw new Error(
          `${path}.format: must be adaptiveCard (Workflows) or messageCard (Office 365 connector)`,
        );
      targets.set(name, {
        name,
        kind,
        url: httpUrl(`${path}.url`, t.getString('url')),
        format,
      });
    } else
      targets.set(name, {
        name,
        kind,
        url: httpUrl(`${path}.url`, t.getString('url')),
      });
  }
  const maxAttempts = cfg?.getOptionalNumber('maxAttempts') ?? 10;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100)
    throw new Error(
      'reliability.delivery.maxAttempts: must be a whole number from 1 to 100',
    );
  const intervalSeconds = cfg?.getOptionalNumber('intervalSeconds') ?? 5;
  if (!(intervalSeconds >= 1 && intervalSeconds <= 3600))
    throw new Error(
      'reliability.delivery.intervalSeconds: must be from 1 to 3600',
    );
  return {
    enabled: cfg?.getOptionalBoolean('enabled') ?? true,
    targets,
    intervalSeconds,
    maxAttempts,
    backoff: {
      baseMs: configDurationMs(cfg?.getOptionalString('backoff.base') ?? '5s'),
      capMs: configDurationMs(cfg?.getOptionalString('backoff.cap') ?? '10m'),
    },
    timeoutMs: configDurationMs(cfg?.getOptionalString('timeout') ?? '10s'),
    retentionMs: configDurationMs(cfg?.getOptionalString('retention') ?? '90d'),
    routing: readRouting(cfg, targets),
  };
}

/** No delivery: what features see when `ReliabilityConfig.delivery` is absent (a config built in a test). */
export const NO_DELIVERY: DeliveryConfig = {
  enabled: false,
  targets: new Map(),
  intervalSeconds: 5,
  maxAttempts: 10,
  backoff: { baseMs: 5000, capMs: 600_000 },
  timeoutMs: 10_000,
  retentionMs: 90 * 86_400_000,
  routing: { policies: [] },
};
