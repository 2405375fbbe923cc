import { BackstageCredentials } from '@backstage/backend-plugin-api';

/** Who did it, for the record: the user's entity ref, or `service:<subject>` for a service token. */
export function callerName(credentials: BackstageCredentials): string {
  const principal = credentials.principal as { userEntityRef?: string; subject?: string };
  return principal.userEntityRef ?? `service:${principal.subject ?? 'unknown'}`;
}

/**
 * Something remembered per named caller for `ttlMs` (what it may read, its read decision), for at most `max` callers,
 * the oldest forgotten first. Callers without a name (no user, no service subject) are never remembered.
 */
export class CallerMemory<V> {
  private readonly entries = new Map<string, { at: number; value: V }>();

  constructor(private readonly ttlMs: number, private readonly max = 1_000) {}

  /** The caller's value while it is fresh (at most `ttlMs` old), else undefined. */
  get(credentials: BackstageCredentials, now: number): V | undefined {
    const entry = this.entries.get(callerName(credentials));
    return entry && now - entry.at <= this.ttlMs ? entry.value : undefined;
  }

  /** Remembers the caller's value from `now` on (nothing for a caller without a name). */
  set(credentials: BackstageCredentials, value: V, now: number): void {
    const who = callerName(credentials);
    if (who === 'service:unknown') return;
    this.entries.delete(who);
    this.entries.set(who, { at: now, value });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}
