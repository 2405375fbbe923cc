import { createHash, createHmac, timingSafeEqual } from 'crypto';
import { pagerDutySignatures } from '@reliability-suite/plugin-reliability-common';

/** Constant-time equality of two strings (over SHA-256 digests, so lengths leak nothing). */
function same(a: string, b: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(a), digest(b)) && a.length > 0;
}

const hmacHex = (secret: string, data: Buffer | string) =>
  createHmac('sha256', secret).update(data).digest('hex');

/**
 * Whether `X-PagerDuty-Signature` carries a `v1=` HMAC-SHA256 (hex) of the raw body under one of the secrets: while
 * a secret is rotated PagerDuty sends one value per secret, and any match is enough. Every pair is compared.
 */
export function pagerDutySignatureMatches(
  header: string | undefined,
  raw: Buffer,
  secrets: readonly string[],
): boolean {
  const presented = pagerDutySignatures(header).map(s => s.toLowerCase());
  const expected = secrets.filter(Boolean).map(s => hmacHex(s, raw));
  let ok = false;
  for (const p of presented)
    for (const e of expected) if (same(p, e)) ok = true;
  return ok;
}

/**
 * Whether a generic webhook's signature header (`<prefix><hex HMAC-SHA256>`) signs the raw body, or
 * `<timestamp>.<body>` when the webhook declares a timestamp header.
 */
export function genericSignatureMatches(
  header: string | undefined,
  prefix: string,
  raw: Buffer,
  secret: string,
  timestamp?: string,
): boolean {
  if (!header || header.length > 1000 || !header.startsWith(prefix))
    return false;
  const data =
    timestamp === undefined
      ? raw
      : Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), raw]);
  return same(header.slice(prefix.length).toLowerCase(), hmacHex(secret, data));
}

/** A timestamp header's seconds since the epoch (1–12 digits), or undefined. */
export function epochSeconds(value: string | undefined): number | undefined {
  if (!value || value.length > 12) return undefined;
  for (const c of value) if (c < '0' || c > '9') return undefined;
  return Number(value);
}
