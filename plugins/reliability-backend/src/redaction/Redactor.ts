import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { MIN_SECRET_LENGTH, redactText, urlSecrets } from '@internal/plugin-reliability-common';

/** Config keys whose values are credentials (compared in lower case, as substrings). */
const SECRET_KEYS = ['secret', 'token', 'password', 'apikey', 'api-key', 'api_key', 'authorization', 'cadata', 'credential', 'cookie'];

/**
 * The secrets the plugin's config can hold: header values, tokens, HMAC keys, shared secrets, and the userinfo
 * and query values of every URL. Walks `reliability` (and nothing else: other plugins redact their own).
 */
export function collectSecrets(config: Config): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    if (v.length < MIN_SECRET_LENGTH) return;
    out.add(v);
    // `Bearer abc`: the credential alone can show up too
    const space = v.indexOf(' ');
    if (space > 0 && v.length - space - 1 >= MIN_SECRET_LENGTH) out.add(v.slice(space + 1));
  };
  const walk = (value: unknown, secret: boolean) => {
    if (typeof value === 'string') {
      if (secret) add(value);
      if (value.includes('://')) urlSecrets(value).forEach(add);
    } else if (Array.isArray(value)) value.forEach(v => walk(v, secret));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const key = k.toLowerCase();
        walk(v, secret || key === 'headers' || SECRET_KEYS.some(s => key.includes(s)));
      }
    }
  };
  walk(config.getOptional('reliability'), false);
  return [...out];
}

class RedactingLogger implements LoggerService {
  constructor(private readonly inner: LoggerService, private readonly redactor: { text(text: string, maxLength?: number): string; error(e: unknown): string }) {}

  private meta(meta?: Error | JsonObject): Error | JsonObject | undefined {
    if (!meta) return meta;
    if (meta instanceof Error) {
      const copy = new Error(this.redactor.text(meta.message, 10_000));
      copy.name = meta.name;
      return copy;
    }
    return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, typeof v === 'string' ? this.redactor.text(v, 10_000) : v]));;
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
  static fromConfig(config: Config): Redactor {
    return new Redactor(collectSecrets(config));
  }

  private readonly secrets: string[];

  constructor(secrets: Iterable<string> = []) {
    this.secrets = [...new Set(secrets)];
  }

  text(text: string, maxLength?: number): string {
    return redactText(text, this.secrets, maxLength);
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
