/**
 * Redaction of text that came back from an outbound call (an error message, a response body) before it is
 * stored, returned or logged. Pure and linear in the input: no regular expression runs on the text.
 *
 * - URLs lose their userinfo, query string and fragment: `https://u:p@host/x?token=t` -> `https://host/x`.
 * - `Bearer <token>` and `Basic <credentials>` lose the credential.
 * - Every known secret (configured header values, tokens, HMAC keys, URL passwords and query values) is replaced.
 */

/** What a redacted value is replaced with. @public */
export const REDACTED = '[redacted]';

/** Shortest secret that is replaced verbatim; shorter values would erase ordinary words. @public */
export const MIN_SECRET_LENGTH = 4;

const isSchemeChar = (c: string) =>
  (c >= 'a' && c <= 'z') ||
  (c >= 'A' && c <= 'Z') ||
  (c >= '0' && c <= '9') ||
  c === '+' ||
  c === '-' ||
  c === '.';
const URL_END = ' \t\r\n"\'<>`()[]{}|\\^';
/** Where a URL's authority (userinfo and host) ends, and how far it is looked for. */
const AUTHORITY_END = ' \t\r\n/?#';
const AUTHORITY_SCAN = 1_024;

/**
 * A URL without userinfo, query or fragment: safe to show. An unparsable URL is answered as its scheme only.
 * @public
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:' || u.host)
      return `${u.protocol}//${u.host}${
        u.pathname === '/' && !url.endsWith('/') ? '' : u.pathname
      }`;
    return `${u.protocol}${REDACTED}`;
  } catch {
    const colon = url.indexOf(':');
    return colon > 0 ? `${url.slice(0, colon)}://${REDACTED}` : REDACTED;
  }
}

/** Replaces every `scheme://…` run in the text by its redacted form. One pass plus one pass per URL found. */
function redactUrls(text: string): string {
  let out = '';
  let from = 0;
  let i = text.indexOf('://');
  while (i !== -1) {
    let start = i;
    while (start > from && isSchemeChar(text[start - 1])) start--;
    // the userinfo always goes with its URL, whatever it holds (`http://u:p(x)@host/` must not leave `x)@host/`):
    // look for an `@` in the authority, up to the first / ? # or whitespace (at most AUTHORITY_SCAN characters)
    let authorityEnd = i + 3;
    const scanEnd = Math.min(text.length, i + 3 + AUTHORITY_SCAN);
    while (
      authorityEnd < scanEnd &&
      !AUTHORITY_END.includes(text[authorityEnd])
    )
      authorityEnd++;
    const at = text.lastIndexOf('@', authorityEnd - 1);
    let end = at >= i + 3 ? at + 1 : i + 3;
    while (end < text.length && !URL_END.includes(text[end])) end++;
    if (start < i) {
      out += text.slice(from, start) + redactUrl(text.slice(start, end));
      from = end;
    }
    i = text.indexOf('://', Math.max(end, i + 3));
  }
  return out + text.slice(from);
}

/** Replaces the credential after each `<scheme> ` (any case), e.g. `Bearer abc` -> `Bearer [redacted]`. */
function redactAuthScheme(text: string, scheme: string): string {
  const lower = text.toLowerCase();
  let out = '';
  let from = 0;
  let i = lower.indexOf(scheme);
  while (i !== -1) {
    let end = i + scheme.length;
    while (end < text.length && text[end] === ' ') end++;
    const tokenStart = end;
    while (end < text.length && !' \t\r\n",;'.includes(text[end])) end++;
    if (end > tokenStart) {
      out += text.slice(from, tokenStart) + REDACTED;
      from = end;
    }
    i = lower.indexOf(scheme, Math.max(end, i + scheme.length));
  }
  return out + text.slice(from);
}

/**
 * Redacts text from an outbound call: URLs' userinfo, query and fragment, auth-scheme credentials, and every
 * known secret. `maxLength` bounds what is kept (default 2,000 characters).
 * @public
 */
export function redactText(
  text: string,
  secrets: Iterable<string> = [],
  maxLength = 2_000,
): string {
  let out = redactAuthScheme(
    redactAuthScheme(redactUrls(String(text)), 'bearer '),
    'basic ',
  );
  // longest first, so a secret that contains another is replaced whole
  const list = [...new Set(secrets)]
    .filter(s => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const s of list) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
}

/**
 * The secret parts of one URL: its username and password (raw and decoded) and every query value.
 * @public
 */
export function urlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    const out = [
      u.username,
      u.password,
      decodeURIComponent(u.username),
      decodeURIComponent(u.password),
      u.search.slice(1),
    ];
    for (const [, v] of u.searchParams) out.push(v, encodeURIComponent(v));
    return out.filter(v => v.length >= MIN_SECRET_LENGTH);
  } catch {
    return [];
  }
}
