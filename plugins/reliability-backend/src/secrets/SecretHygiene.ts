import { LoggerService } from '@backstage/backend-plugin-api';
import { Gauge, Registry } from 'prom-client';
import {
  Page,
  SecretState,
  SecretStatus,
  decodeCursor,
  pageOf,
  secretAgeMs,
  secretState,
} from '@reliability-suite/plugin-reliability-common';
import type { SecretHygieneConfig } from '../config/secretHygieneConfig';
import type { SecretHygieneStore } from './SecretHygieneStore';

/** One escalation per secret per hour, however many calls its credentials fail. */
export const AUTH_ESCALATION_WINDOW_MS = 3_600_000;

/** What the owners of the platform's secrets are sent (Backstage's notifications, to groups). */
export type SecretNotify = (
  owners: string[],
  payload: {
    title: string;
    description: string;
    link: string;
    severity: 'critical' | 'high' | 'normal' | 'low';
    topic: string;
  },
) => Promise<void>;

const STATE_WORDS: Record<SecretState, string> = {
  ok: 'was rotated and is within its maximum age',
  'due-soon': 'is due for rotation within 14 days',
  expired: 'is older than its maximum age: rotate it now',
  unknown: 'has no declared rotation date or maximum age',
};

/**
 * Secret hygiene: each secret the config references (named by its config path, never its value), its age against
 * its maximum age, exported as reliability_secret_age_seconds / reliability_secret_max_age_seconds; the owners are
 * told once per state change, and once per hour per secret when a call is refused with 401/403 (authFailed).
 */
export class SecretHygiene {
  private readonly age: Gauge;
  private readonly maxAge: Gauge;
  private lastCheck = new Map<string, { ageMs?: number; state: SecretState }>();

  constructor(
    private readonly deps: {
      config: () => SecretHygieneConfig;
      store: SecretHygieneStore;
      registry: Registry;
      notify: SecretNotify;
      logger: LoggerService;
      now: () => number;
    },
  ) {
    this.age = gauge(
      deps.registry,
      'reliability_secret_age_seconds',
      'Seconds since the secret at this config path was last rotated (declared rotatedAt)',
    );
    this.maxAge = gauge(
      deps.registry,
      'reliability_secret_max_age_seconds',
      'The maximum age declared for the secret at this config path',
    );
  }

  /** Computes every secret's age and state, sets the gauges, and tells the owners of each state change. */
  async check(): Promise<{ checked: number; changed: number }> {
    const cfg = this.deps.config();
    const now = this.deps.now();
    const next = new Map<string, { ageMs?: number; state: SecretState }>();
    this.age.reset();
    this.maxAge.reset();
    let changed = 0;
    for (const s of cfg.secrets) {
      const ageMs =
        s.rotatedAtMs === undefined
          ? undefined
          : secretAgeMs(s.rotatedAtMs, now);
      const state = secretState(ageMs, s.maxAgeMs);
      next.set(s.path, { ageMs, state });
      if (ageMs !== undefined) this.age.set({ secret: s.path }, ageMs / 1000);
      if (s.maxAgeMs !== undefined)
        this.maxAge.set({ secret: s.path }, s.maxAgeMs / 1000);
      if (await this.deps.store.transition(s.path, state, now)) {
        changed++;
        await this.deps.notify(cfg.owners, {
          title: `Secret ${s.path} ${STATE_WORDS[state]}`,
          description: `The secret at config path ${s.path}${
            ageMs === undefined
              ? ''
              : ` is ${Math.floor(ageMs / 86_400_000)} days old`
          }${
            s.maxAgeMs === undefined
              ? ''
              : ` (maximum ${Math.floor(s.maxAgeMs / 86_400_000)} days)`
          }. After rotating it, update its secrets.${
            s.path.split('.').pop() ?? ''
          }.rotatedAt in the config.`,
          link: '/reliability/secrets',
          severity: state === 'expired' ? 'high' : 'normal',
          topic: `secret-hygiene:${s.path}`,
        });
      }
    }
    this.lastCheck = next;
    return { checked: cfg.secrets.length, changed };
  }

  /**
   * A call with the secret at `secretPath` was refused (401/403) `where` (a delivery target, a remediation action):
   * recorded, and the owners are told once per secret per hour. Neither the secret's value nor the answer's body is
   * taken: only its path, where it was used and the status.
   */
  async authFailed(
    secretPath: string,
    where: string,
    status: number,
  ): Promise<{ escalated: boolean }> {
    const now = this.deps.now();
    const escalated = await this.deps.store.authFailed(
      secretPath,
      where,
      status,
      now,
      AUTH_ESCALATION_WINDOW_MS,
    );
    this.deps.logger.warn(
      `Credentials at ${secretPath} were refused (HTTP ${status}) by ${where}${
        escalated ? '; the owners are told' : ''
      }`,
    );
    if (escalated) {
      const cfg = this.deps.config();
      await this.deps.notify(cfg.owners, {
        title: `Credentials refused: ${secretPath} (HTTP ${status})`,
        description: `${where} answered ${status} to a call made with the secret at config path ${secretPath}. It may have been revoked or rotated without updating the config. Further refusals within the hour are recorded, not sent.`,
        link: '/reliability/secrets',
        severity: 'critical',
        topic: `secret-auth:${secretPath}`,
      });
    }
    return { escalated };
  }

  /** The configured secret paths that start with `prefix` (a block's secrets). */
  pathsUnder(prefix: string): string[] {
    return this.deps
      .config()
      .secrets.map(s => s.path)
      .filter(p => p.startsWith(prefix));
  }

  /** The secrets' paths, ages and states at the last check, with their last refused call (never a value). */
  async list(query: {
    limit?: number;
    cursor?: string;
    state?: SecretState;
  }): Promise<Page<SecretStatus>> {
    const cfg = this.deps.config();
    const rows = new Map((await this.deps.store.all()).map(r => [r.secret, r]));
    const paths = [
      ...new Set([...cfg.secrets.map(s => s.path), ...rows.keys()]),
    ].sort();
    const declared = new Map(cfg.secrets.map(s => [s.path, s]));
    const all: SecretStatus[] = paths.map(path => {
      const d = declared.get(path);
      const last = this.lastCheck.get(path);
      const failure = rows.get(path)?.authFailure;
      return {
        secret: path,
        ...(d?.rotatedAt ? { rotatedAt: d.rotatedAt } : {}),
        ...(d?.maxAgeMs !== undefined
          ? { maxAgeSeconds: d.maxAgeMs / 1000 }
          : {}),
        ...(last?.ageMs !== undefined
          ? { ageSeconds: Math.floor(last.ageMs / 1000) }
          : {}),
        state: last?.state ?? 'unknown',
        ...(failure
          ? {
              lastAuthFailure: {
                at: new Date(failure.at).toISOString(),
                where: failure.where,
                status: failure.status,
              },
            }
          : {}),
      };
    });
    const filtered = query.state
      ? all.filter(s => s.state === query.state)
      : all;
    return pageOf(
      filtered,
      decodeCursor(query.cursor) ?? 0,
      query.limit ?? 100,
    );
  }
}

/** A gauge on the registry, or the one already there (one registry may see the feature built twice in tests). */
function gauge(registry: Registry, name: string, help: string): Gauge {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge;
  return new Gauge({
    name,
    help,
    labelNames: ['secret'],
    registers: [registry],
  });
}
