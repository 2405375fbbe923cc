import type { SendResult } from './types';

const MAX_EXCERPT = 300;

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (trimmed !== '' && [...trimmed].every(c => c >= '0' && c <= '9'))
    return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * One POST of JSON to a vendor. 2xx is accepted unless `accept` says otherwise; 408, 429, 5xx and no answer are
 * retried; other statuses are refused for good. The error names the vendor and the status and quotes the start of
 * the vendor's answer (its error message); it never holds the URL or a header.
 */
export async function postJson(
  vendor: string,
  url: string,
  body: unknown,
  options: {
    timeoutMs: number;
    now: () => number;
    headers?: Record<string, string>;
    rawBody?: string;
    accept?: (status: number, text: string) => string | undefined;
  },
): Promise<SendResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: options.rawBody ?? JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'manual',
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const why =
      err.name === 'TimeoutError' || err.name === 'AbortError'
        ? `no answer within ${options.timeoutMs} ms`
        : err.cause?.code ?? 'the connection failed';
    return { ok: false, retry: true, status: null, error: `${vendor}: ${why}` };
  }
  const text = (await res.text().catch(() => '')).slice(0, 4000);
  const excerpt = text.trim().slice(0, MAX_EXCERPT);
  if (res.status >= 200 && res.status < 300) {
    const refused = options.accept?.(res.status, text);
    if (refused === undefined) return { ok: true, status: res.status };
    return {
      ok: false,
      retry: false,
      status: res.status,
      error: `${vendor} answered HTTP ${res.status}: ${refused}`,
    };
  }
  const retry = res.status === 408 || res.status === 429 || res.status >= 500;
  return {
    ok: false,
    retry,
    status: res.status,
    error: `${vendor} answered HTTP ${res.status}${
      excerpt ? `: ${excerpt}` : ''
    }`,
    retryAfterMs: retryAfterMs(res.headers.get('retry-after'), options.now()),
  };
}

/** A short line for the alert: `[page] checkout-availability fired: page 14.4x 1h&5m`. */
export function headline(m: {
  transition: string;
  payload: { severity: string; sloName: string; rule: string };
}): string {
  const p = m.payload;
  return `[${p.severity}] ${p.sloName} ${m.transition}: ${p.rule}`;
}

/** What a message is about: the alert's SLO, or the incident (an incident's page has no SLO). */
export function subjectFact(m: {
  sloRef: string;
  alertId: number;
}): [string, string] {
  return m.sloRef ? ['SLO', m.sloRef] : ['Incident', String(m.alertId)];
}

/** The alert's details as flat text values (Opsgenie's `details`, the cards' facts). */
export function flatDetails(
  details: Record<string, unknown>,
  max = 20,
): [string, string][] {
  return Object.entries(details)
    .slice(0, max)
    .map(([k, v]) => [
      k.slice(0, 100),
      (typeof v === 'string' ? v : JSON.stringify(v) ?? 'null').slice(0, 500),
    ]);
}
