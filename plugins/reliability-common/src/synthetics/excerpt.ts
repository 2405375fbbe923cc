import { REDACTED, redactText } from '../redaction/redact';

/** JSON keys whose values never reach an excerpt (compared in lower case, as substrings). */
const SENSITIVE_KEYS = [
  'token',
  'password',
  'secret',
  'otp',
  'authorization',
  'cookie',
  'session',
  'apikey',
  'api_key',
  'card',
  'cvv',
];

/**
 * The start of a response body as evidence: JSON bodies with the values of sensitive keys (token, password, otp,
 * session, card…) replaced, every known secret replaced, URL credentials and queries removed, at most `maxLength`.
 * @public
 */
export function redactExcerpt(
  body: string,
  secrets: Iterable<string>,
  maxLength = 1_000,
): string {
  let redacted = body;
  const trimmed = body.trimStart();
  if (
    (trimmed.startsWith('{') || trimmed.startsWith('[')) &&
    body.length <= 256_000
  ) {
    try {
      const walk = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(walk);
        if (v && typeof v === 'object') {
          return Object.fromEntries(
            Object.entries(v).map(([k, x]) => [
              k,
              SENSITIVE_KEYS.some(s =>
                k.toLocaleLowerCase('en-US').includes(s),
              ) &&
              x !== null &&
              typeof x !== 'object'
                ? REDACTED
                : walk(x),
            ]),
          );
        }
        return v;
      };
      redacted = JSON.stringify(walk(JSON.parse(body)));
    } catch {
      // not JSON after all: redacted as text
    }
  }
  return redactText(redacted, secrets, maxLength);
}
