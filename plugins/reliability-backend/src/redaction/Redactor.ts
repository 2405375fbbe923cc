import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import {
  MIN_SECRET_LENGTH,
  redactText,
  redactUrl,
  urlSecrets,
} from '@reliability-suite/plugin-reliability-common';

/** Config keys whose values are credentials (compared in lower case, as substrings). */
const SECRET_KEYS = [
  'secret',
  'token',
  'password',
  'apikey',
  'api-key',
  'api_key',
  'authorization',
  'cadata',
  'credential',
  'cookie',
  // PagerDuty's Events API v2 integration key (reliability.delivery.targets.<name>.routingKey)
  'routingkey',
];

/**
 * The secrets the plugin's config can hold: header values, tokens, HMAC keys, shared secrets, and the userinfo
 * and query values of every URL. Walks the `reliability` config value (nothing else: other plugins redact their own).
 */
export function collectSecrets(reliability: unknown): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    if (v.length < MIN_SECRET_LENGTH) return;
    out.add(v);
    // `Bearer abc`: the credential alone can show up too
    const space = v.indexOf(' ');
    if (space > 0 && v.length - space - 1 >= MIN_SECRET_LENGTH)
      out.add(v.slice(space + 1));
  };
  const walk = (value: unknown, secret: boolean) => {
    if (typeof value === 'string') {
      if (secret) add(value);
      if (value.includes('://')) urlSecrets(value).forEach(add);
    } else if (Array.isArray(value)) value.forEach(v => walk(v, secret));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const key = k.toLowerCase();
        walk(
          v,
          secret || key === 'headers' || SECRET_KEYS.some(s => key.includes(s)),
        );
      }
    }
  };
  walk(reliability, false);
  return [...out];
}

/** The longest target kept: the executions table's target column holds 1,000 characters. */
export const MAX_TARGET_LENGTH = 1_000;

/** What stands for a URL that does not parse. */
export const INVALID_URL = '(invalid URL)';

const isSpace = (c: string) =>
  c === ' ' ||
  c === '\t' ||
  c === '\n' ||
  c === '\r' ||
  c === '\f' ||
  c === '\v';
const isSchemeChar = (c: string) =>
  (c >= 'a' && c <= 'z') ||
  (c >= 'A' && c <= 'Z') ||
  (c >= '0' && c <= '9') ||
  c === '+' ||
  c === '-' ||
  c === '.';

/** `scheme://host/path` of a URL; `(invalid URL)` when it does not parse, for what follows may be userinfo. */
function safeUrl(url: string): string {
  return URL.canParse(url) ? redactUrl(url) : INVALID_URL;
}

/**
 * One whitespace-free token: each `scheme://` in it starts a URL that runs to the next one (or the token's end),
 * and each is parsed by the WHATWG URL parser and kept as `scheme://host/path` only (see `redactUrl`).
 */
function redactToken(token: string): string {
  let out = '';
  let from = 0;
  let sep = token.indexOf('://');
  while (sep !== -1) {
    let start = sep;
    while (start > from && isSchemeChar(token[start - 1])) start--;
    const next = token.indexOf('://', sep + 3);
    // where the next URL's scheme begins
    let end = next === -1 ? token.length : next;
    while (end > sep + 3 && next !== -1 && isSchemeChar(token[end - 1])) end--;
    out += token.slice(from, start) + safeUrl(token.slice(start, end));
    from = end;
    sep = next;
  }
  return out + token.slice(from);
}

/**
 * The one redaction step for what a remediation action calls: its `target()`, and a rule's default description
 * made from it. Every action builds its target through it, the rules and the execution runner pass whatever an
 * action answers through it again (an action from another plugin included), and the store applies it where an
 * execution's target is written.
 *
 * Each whitespace-separated token is searched for URLs, each parsed whole by the WHATWG URL parser: it keeps
 * `scheme://host/path` and loses its userinfo, query and fragment (a URL that does not parse becomes
 * `(invalid URL)`). Then `redactText` replaces every known secret and auth-scheme credential. Linear in the text;
 * no regular expression runs on it.
 */
export function redactTarget(
  text: string,
  secrets: Iterable<string> = [],
  maxLength = MAX_TARGET_LENGTH,
): string {
  const s = String(text);
  let out = '';
  let i = 0;
  while (i < s.length) {
    let end = i;
    if (isSpace(s[i])) {
      while (end < s.length && isSpace(s[end])) end++;
      out += s.slice(i, end);
    } else {
      while (end < s.length && !isSpace(s[end])) end++;
      out += redactToken(s.slice(i, end));
    }
    i = end;
  }
  return redactText(out, secrets, maxLength);
}

class RedactingLogger implements LoggerService {
  constructor(
    private readonly inner: LoggerService,
    private readonly redactor: {
      text(text: string, maxLength?: number): string;
      error(e: unknown): string;
    },
  ) {}

  private meta(meta?: Error | JsonObject): Error | JsonObject | undefined {
    if (!meta) return meta;
    if (meta instanceof Error) {
      const copy = new Error(this.redactor.text(meta.message, 10_000));
      copy.name = meta.name;
      return copy;
    }
    return Object.fromEntries(
      Object.entries(meta).map(([k, v]) => [
        k,
        typeof v === 'string' ? this.redactor.text(v, 10_000) : v,
      ]),
    );
  }
  error(message: string, meta?: Error | JsonObject) {
    this.inner.error(this.redactor.text(message, 10_000), this.meta(meta));
  }
  warn(message: string, meta?: Error | JsonObject) {
    this.inner.warn(this.redactor.text(message, 10_000), this.meta(meta));
  }
  info(message: string, meta?: Error | JsonObject) {
    this.inner.info(this.redactor.text(message, 10_000), this.meta(meta));
  }
  debug(message: string, meta?: Error | JsonObject) {
    this.inner.debug(this.redactor.text(message, 10_000), this.meta(meta));
  }
  child(meta: JsonObject): LoggerService {
    return new RedactingLogger(this.inner.child(meta), this.redactor);
  }
}

/**
 * The one redaction step for text from outbound calls: every error message, response excerpt and log line passes
 * through `text()` before it is stored, returned or logged.
 */
export class Redactor {
  /** The redaction step for the plugin's configuration (`reliability` as written: `ReliabilityConfig.raw`). */
  static forConfig(reliability: unknown): Redactor {
    return new Redactor(collectSecrets(reliability));
  }

  private readonly secrets: string[];

  constructor(secrets: Iterable<string> = []) {
    this.secrets = [...new Set(secrets)];
  }

  text(text: string, maxLength?: number): string {
    return redactText(text, this.secrets, maxLength);
  }

  /** An action's target or a rule's default description: `redactTarget` with the config's secrets. */
  target(text: string, maxLength?: number): string {
    return redactTarget(text, this.secrets, maxLength);
  }

  /** An error's message, redacted. */
  error(e: unknown): string {
    return this.text(e instanceof Error ? e.message : String(e));
  }

  /** A logger whose messages, and the string values of whose metadata, are redacted. */
  logger(logger: LoggerService): LoggerService {
    return new RedactingLogger(logger, this);
  }
}
