import { createHash, timingSafeEqual } from 'crypto';

/**
 * Whether an `Authorization: Bearer <token>` header carries the configured secret. Compared in constant time
 * (over SHA-256 digests, so lengths leak nothing); an empty secret or token never matches.
 */
export function bearerMatches(
  header: string | undefined,
  secret: string | undefined,
): boolean {
  const h = header ?? '';
  const presented = h.startsWith('Bearer ') ? h.slice('Bearer '.length) : '';
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return (
    timingSafeEqual(digest(presented), digest(secret ?? '')) &&
    presented.length > 0 &&
    Boolean(secret)
  );
}
