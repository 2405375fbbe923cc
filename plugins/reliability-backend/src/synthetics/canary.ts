import { createHash, createHmac, timingSafeEqual } from 'crypto';

/**
 * The signed webhook canary: a webhook step POSTs a JSON body with a nonce, signed with HMAC-SHA256 over
 * `<timestamp>.<body>` under a key of `reliability.synthetics.secrets` named in a header; the canary route checks
 * the signature and the timestamp, and answers the nonce, signed the same way under the same key, so the runner
 * knows the answer came from a holder of the key.
 */
export const CANARY_HEADERS = {
  key: 'x-reliability-key',
  timestamp: 'x-reliability-timestamp',
  signature: 'x-reliability-signature',
} as const;

/** How far a canary call's timestamp may be from the canary's clock. */
export const CANARY_SKEW_MS = 5 * 60_000;

/** `sha256=<hex>` over `<timestamp>.<body>`. */
export function canarySignature(
  secret: string,
  timestamp: string,
  body: Buffer | string,
): string {
  return `sha256=${createHmac('sha256', secret)
    .update(`${timestamp}.`)
    .update(body)
    .digest('hex')}`;
}

/** Constant-time comparison of a presented signature with the expected one (over digests: lengths leak nothing). */
export function canarySignatureMatches(
  presented: string | undefined,
  secret: string,
  timestamp: string,
  body: Buffer | string,
): boolean {
  if (!presented || presented.length > 200) return false;
  const d = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(
    d(presented.toLowerCase()),
    d(canarySignature(secret, timestamp, body)),
  );
}
