import { RemediationActionError } from '@reliability-suite/plugin-reliability-node';
import { INVALID_URL, redactTarget } from '../../redaction/Redactor';

/**
 * A URL as a target names it: parsed whole first (a URL written with whitespace in it, in its userinfo say, is
 * serialized without any, so the redaction step sees it as one token), `(invalid URL)` when it does not parse.
 */
export function targetUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return INVALID_URL;
  }
}

/** `<METHOD> <url>` through the one redaction step: no userinfo, query or fragment, safe to store and show. */
export function safeTarget(method: string, url: string): string {
  return redactTarget(`${method.toUpperCase()} ${targetUrl(url)}`);
}

export function isHttpUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function stringMap(v: unknown): v is Record<string, string> {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.values(v).every(x => typeof x === 'string')
  );
}

/**
 * One HTTP call for an action. 2xx resolves; 408, 429, 5xx and network errors are retryable; other 4xx are not
 * (the request itself is wrong). An answered call's error carries its status (401/403: credentials refused).
 * Errors never include request headers, which may carry secrets.
 */
export async function callTarget(request: {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}): Promise<{ status: number; text: string }> {
  const target = safeTarget(request.method, request.url);
  let res: Response;
  try {
    res = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
      redirect: 'manual',
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new RemediationActionError(
      `${target}: ${
        request.signal.aborted ? 'timed out' : cause ?? (e as Error).message
      }`,
    );
  }
  const text = await res.text().catch(() => '');
  if (res.status >= 200 && res.status < 300)
    return { status: res.status, text };
  const retryable =
    res.status === 408 || res.status === 429 || res.status >= 500;
  throw new RemediationActionError(
    `${target} answered HTTP ${res.status}${
      text ? `: ${text.slice(0, 200)}` : ''
    }`,
    { retryable, status: res.status },
  );
}
