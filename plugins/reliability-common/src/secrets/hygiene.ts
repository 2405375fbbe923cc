import { z } from 'zod';
import { pageParams } from '../model/pagination';

/**
 * Secret hygiene: how old each secret the suite's config references is, against the age it may reach. A secret is
 * named by its config path (`reliability.delivery.targets.payments.routingKey`), never by its value.
 */

/** ok; due-soon (within DUE_SOON_MS of its maximum age); expired; unknown (no rotation date or no maximum age). @public */
export type SecretState = 'ok' | 'due-soon' | 'expired' | 'unknown';

/** A secret is due soon in the last 14 days before its maximum age. @public */
export const SECRET_DUE_SOON_MS = 14 * 86_400_000;

/** One secret's hygiene as GET /secrets answers it (never its value). @public */
export interface SecretStatus {
  /** The config path of the secret. */
  secret: string;
  /** ISO date of its last rotation, when declared. */
  rotatedAt?: string;
  /** Its maximum age in seconds, when declared (or defaulted). */
  maxAgeSeconds?: number;
  /** Its age in seconds at the last check, when its rotation date is known. */
  ageSeconds?: number;
  /** Its state at the last check. */
  state: SecretState;
  /** The last 401/403 a delivery or remediation call met with this secret. */
  lastAuthFailure?: { at: string; where: string; status: number };
}

/** Age of a secret in ms at `nowMs` (negative ages, a rotation date in the future, count as 0). @public */
export function secretAgeMs(rotatedAtMs: number, nowMs: number): number {
  return Math.max(0, nowMs - rotatedAtMs);
}

/**
 * State of a secret: expired once its age reaches its maximum age, due-soon from `dueSoonMs` before, otherwise ok;
 * unknown without a rotation date or a maximum age.
 * @public
 */
export function secretState(
  ageMs: number | undefined,
  maxAgeMs: number | undefined,
  dueSoonMs: number = SECRET_DUE_SOON_MS,
): SecretState {
  if (ageMs === undefined || maxAgeMs === undefined) return 'unknown';
  if (ageMs >= maxAgeMs) return 'expired';
  if (ageMs >= maxAgeMs - dueSoonMs) return 'due-soon';
  return 'ok';
}

/**
 * A rotation date as written in config: `YYYY-MM-DD` (midnight UTC) or a full ISO timestamp with a zone. Returns
 * epoch ms, or undefined when it is not a real date (`2026-02-30` is refused).
 * @public
 */
export function parseRotatedAt(text: string): number | undefined {
  const t = text.trim();
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const ms = Date.UTC(y, m - 1, d);
    const back = new Date(ms);
    return back.getUTCFullYear() === y &&
      back.getUTCMonth() === m - 1 &&
      back.getUTCDate() === d
      ? ms
      : undefined;
  }
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(
      t,
    )
  )
    return undefined;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return undefined;
  // the date part must be a real date (no rollover of 2026-02-30)
  return parseRotatedAt(t.slice(0, 10)) === undefined ? undefined : ms;
}

/** GET /secrets query. @public */
export const secretsQuerySchema = z
  .object({
    ...pageParams,
    state: z.enum(['ok', 'due-soon', 'expired', 'unknown']).optional(),
  })
  .strict();
