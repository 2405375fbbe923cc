// eslint-disable-next-line no-restricted-syntax -- secret hygiene is read again on each config change (rootConfig.subscribe), which readReliabilityConfig's once-read cannot do
import { Config } from '@backstage/config';
import { JsonValue } from '@backstage/types';
import {
  durationMs,
  parseRotatedAt,
} from '@reliability-suite/plugin-reliability-common';

/** The root config, with the subscription the backend's root config service offers (absent in plain readers). */
export type SubscribableConfig = Config & {
  subscribe?: (onChange: () => void) => { unsubscribe: () => void };
};

/** One secret whose hygiene the config declares: its config path, last rotation and maximum age. */
export interface DeclaredSecret {
  /** The config path of the secret (`reliability.delivery.targets.payments.routingKey`). */
  path: string;
  rotatedAtMs?: number;
  rotatedAt?: string;
  maxAgeMs?: number;
}

/** What `reliability.secrets` and the `secretHygiene:` blocks beside each secret-bearing key say. */
export interface SecretHygieneConfig {
  secrets: DeclaredSecret[];
  /** Groups told when a secret's state changes or its credentials are refused (default: group:default/platform). */
  owners: string[];
  defaultMaxAgeMs?: number;
}

export const DEFAULT_SECRET_OWNERS = ['group:default/platform'];

/** Keys that hold a secret wherever they appear under `reliability` (listed even without declared hygiene). */
const SECRET_KEYS = new Set([
  'routingKey',
  'apiKey',
  'secret',
  'sharedSecret',
  'token',
  'password',
  'clientSecret',
  'serviceAccountToken',
  'hmacSecret',
  // several values under one key: webhook signing secrets being rotated, journey secrets, query headers
  'secrets',
  'headers',
]);

/** A value that holds secrets: a string, a list of strings or a map of strings (one secret per key). */
const holdsSecret = (v: JsonValue): boolean =>
  typeof v === 'string' ||
  (Array.isArray(v) && v.length > 0 && v.every(x => typeof x === 'string')) ||
  (isObject(v) &&
    Object.keys(v).length > 0 &&
    Object.values(v).every(x => typeof x === 'string'));

/** Slack and Teams incoming-webhook URLs are secrets whole. */
const URL_SECRET_TYPES = new Set(['slack', 'teams']);

/** The key beside secret-bearing keys that declares their hygiene. */
export const HYGIENE_KEY = 'secretHygiene';

/** Deepest block the walk looks into (reliability.remediation.kubernetes.clusters[0] is 4 deep). */
const MAX_DEPTH = 8;

function duration(path: string, text: unknown): number {
  if (typeof text !== 'string')
    throw new Error(`${path}: must be a duration such as 90d, 12w or 720h`);
  let ms: number | undefined;
  try {
    ms = durationMs(text);
  } catch {
    ms = undefined;
  }
  if (!ms || ms <= 0)
    throw new Error(
      `${path}: must be a duration with a fixed length, such as 90d, 12w or 720h`,
    );
  return ms;
}

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads secret hygiene: every block under `reliability` (delivery targets, remediation clusters and webhooks, the
 * Alertmanager receiver, the metrics endpoint, webhooks) may carry `secretHygiene: { <key>: { rotatedAt, maxAge } }`
 * naming sibling keys that hold secrets; `reliability.secrets` holds `defaultMaxAge` and `owners`. A bad date or
 * duration, or a `secretHygiene` entry naming no sibling key, stops the backend naming the path (never a value).
 */
export function readSecretHygieneConfig(config: Config): SecretHygieneConfig {
  const own = config.getOptionalConfig('reliability.secrets');
  const defaultMaxAge = own?.getOptional('defaultMaxAge');
  const defaultMaxAgeMs =
    defaultMaxAge === undefined
      ? undefined
      : duration('reliability.secrets.defaultMaxAge', defaultMaxAge);
  const owners = own?.getOptionalStringArray('owners') ?? DEFAULT_SECRET_OWNERS;
  for (const [i, o] of owners.entries())
    if (!/^group:[^/\s]+\/[^/\s]+$/.test(o))
      throw new Error(
        `reliability.secrets.owners[${i}]: must be a group ref such as group:default/platform`,
      );
  const secrets: DeclaredSecret[] = [];
  const referenced: string[] = [];
  const walk = (value: JsonValue | undefined, path: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
      return;
    }
    if (!isObject(value)) return;
    for (const [key, v] of Object.entries(value)) {
      if (
        // reliability.secrets is this feature's own block, not a secret
        (SECRET_KEYS.has(key) && path !== 'reliability' && holdsSecret(v)) ||
        (key === 'url' &&
          typeof v === 'string' &&
          typeof value.type === 'string' &&
          URL_SECRET_TYPES.has(value.type))
      )
        referenced.push(`${path}.${key}`);
      else if (key === HYGIENE_KEY)
        secrets.push(
          ...declared(value, `${path}.${HYGIENE_KEY}`, path, defaultMaxAgeMs),
        );
      else walk(v, `${path}.${key}`, depth + 1);
    }
  };
  walk(config.getOptional('reliability'), 'reliability', 0);
  const known = new Set(secrets.map(s => s.path));
  for (const path of referenced)
    if (!known.has(path)) secrets.push({ path, maxAgeMs: defaultMaxAgeMs });
  secrets.sort((a, b) => a.path.localeCompare(b.path));
  return { secrets, owners, defaultMaxAgeMs };
}

function declared(
  block: { [k: string]: JsonValue },
  at: string,
  blockPath: string,
  defaultMaxAgeMs: number | undefined,
): DeclaredSecret[] {
  const spec = block[HYGIENE_KEY];
  if (!isObject(spec))
    throw new Error(
      `${at}: must map each secret key of this block to { rotatedAt, maxAge }`,
    );
  return Object.entries(spec).map(([key, s]) => {
    const path = `${at}.${key}`;
    if (!(key in block) || key === HYGIENE_KEY)
      throw new Error(`${path}: names no key of ${blockPath}`);
    if (!isObject(s)) throw new Error(`${path}: must be { rotatedAt, maxAge }`);
    for (const k of Object.keys(s))
      if (k !== 'rotatedAt' && k !== 'maxAge')
        throw new Error(`${path}.${k}: unknown key (rotatedAt, maxAge)`);
    let rotatedAtMs: number | undefined;
    if (s.rotatedAt !== undefined) {
      rotatedAtMs =
        typeof s.rotatedAt === 'string'
          ? parseRotatedAt(s.rotatedAt)
          : undefined;
      if (rotatedAtMs === undefined)
        throw new Error(
          `${path}.rotatedAt: must be a date (YYYY-MM-DD) or an ISO timestamp with a zone`,
        );
    }
    return {
      path: `${blockPath}.${key}`,
      rotatedAtMs,
      rotatedAt:
        rotatedAtMs === undefined
          ? undefined
          : new Date(rotatedAtMs).toISOString(),
      maxAgeMs:
        s.maxAge === undefined
          ? defaultMaxAgeMs
          : duration(`${path}.maxAge`, s.maxAge),
    };
  });
}
