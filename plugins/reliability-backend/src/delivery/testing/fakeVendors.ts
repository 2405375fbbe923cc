import http from 'http';
import { createHmac, timingSafeEqual } from 'crypto';
import { AddressInfo } from 'net';

/** A request one of the fakes received, with what it answered. */
export interface VendorCall {
  vendor: 'pagerduty' | 'slack' | 'opsgenie' | 'teams' | 'webhook' | 'none';
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
  status: number;
}

/** A canned answer the next matching request gets instead of the vendor's normal one. */
export interface ForcedAnswer {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export const FAKE_KEYS = {
  pagerDutyRoutingKey: 'R0UT1NGKEYsecret0000000000000042',
  opsgenieApiKey: 'eb243592-faa2-4ba2-a551-1afdf565c889',
  slackPath: '/services/T0SECRET1/B0SECRET2/SlackHookSecret0123456789',
  teamsPath:
    '/workflows/0f1e2d3c4b5a69788796a5b4c3d2e1f0/triggers/manual/paths/invoke',
  teamsQuery: 'api-version=2016-06-01&sig=TeamsSig0123456789SECRETabcdefXYZ',
  webhookSecret: 'whsec-HMAC-secret-0123456789abcdef',
};

const MAX_BODY = 1_000_000;
const MAX_CALLS = 10_000;

/**
 * One loopback server (127.0.0.1) speaking the documented wire formats of PagerDuty Events API v2, a Slack incoming
 * webhook, Opsgenie's Alert API, a Teams Workflows webhook and the suite's signed webhook. Each checks what its
 * vendor checks (path, method, headers, body fields, the signature) and answers as the vendor does (status codes,
 * error bodies). `force` queues answers per vendor (429, 500, …). Bounded: bodies to 1 MB, calls kept to 10,000.
 */
export async function startFakeVendors() {
  const calls: VendorCall[] = [];
  const forced = new Map<VendorCall['vendor'], ForcedAnswer[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const call: VendorCall = {
        vendor: 'none',
        method: req.method ?? '',
        path: url.pathname,
        query: url.search.slice(1),
        headers: req.headers,
        body,
        json,
        status: 0,
      };
      const answer = (
        status: number,
        text: string,
        contentType = 'application/json',
        headers: Record<string, string> = {},
      ) => {
        call.status = status;
        if (calls.length < MAX_CALLS) calls.push(call);
        res.writeHead(status, { 'content-type': contentType, ...headers });
        res.end(text);
      };
      call.vendor = vendorOf(call);
      const queue = forced.get(call.vendor);
      const next = queue?.shift();
      if (next) {
        answer(next.status, next.body, next.contentType, next.headers);
        return;
      }
      const [status, text, type] = normalAnswer(call, size > MAX_BODY);
      answer(status, text, type);
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    calls,
    of: (vendor: VendorCall['vendor']) =>
      calls.filter(c => c.vendor === vendor),
    force(vendor: VendorCall['vendor'], ...answers: ForcedAnswer[]) {
      forced.set(vendor, [...(forced.get(vendor) ?? []), ...answers]);
    },
    urls: {
      pagerduty: base,
      opsgenie: base,
      slack: `${base}${FAKE_KEYS.slackPath}`,
      teams: `${base}${FAKE_KEYS.teamsPath}?${FAKE_KEYS.teamsQuery}`,
      webhook: `${base}/hooks/reliability`,
    },
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function vendorOf(c: VendorCall): VendorCall['vendor'] {
  if (c.path === '/v2/enqueue') return 'pagerduty';
  if (c.path.startsWith('/v2/alerts')) return 'opsgenie';
  if (c.path.startsWith('/services/')) return 'slack';
  if (c.path.startsWith('/workflows/')) return 'teams';
  if (c.path.startsWith('/hooks/')) return 'webhook';
  return 'none';
}

const json = (v: unknown): [string, string] => [
  JSON.stringify(v),
  'application/json',
];

function normalAnswer(
  c: VendorCall,
  tooLarge: boolean,
): [number, string, string] {
  switch (c.vendor) {
    case 'pagerduty':
      return pagerDuty(c, tooLarge);
    case 'slack':
      return slack(c);
    case 'opsgenie':
      return opsgenie(c);
    case 'teams':
      return teams(c);
    case 'webhook':
      return webhook(c);
    default:
      return [404, 'Not Found', 'text/plain'];
  }
}

/** PagerDuty Events API v2 (developer.pagerduty.com: Send an Alert Event). */
function pagerDuty(c: VendorCall, tooLarge: boolean): [number, string, string] {
  if (c.method !== 'POST') return [405, '', 'text/plain'];
  const errors: string[] = [];
  const e = c.json;
  if (tooLarge) errors.push('Event object is too large');
  if (!String(c.headers['content-type']).startsWith('application/json'))
    errors.push('Content-Type must be application/json');
  if (!e || typeof e !== 'object') errors.push('Event object is invalid');
  else {
    if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32)
      errors.push(
        "Length of 'routing_key' is incorrect (should be 32 characters)",
      );
    if (!['trigger', 'acknowledge', 'resolve'].includes(e.event_action))
      errors.push(
        "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')",
      );
    if (
      e.dedup_key !== undefined &&
      (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255)
    )
      errors.push("'dedup_key' is invalid");
    if (e.event_action !== 'trigger' && typeof e.dedup_key !== 'string')
      errors.push("'dedup_key' is missing");
    if (e.event_action === 'trigger') {
      const p = e.payload;
      if (!p || typeof p !== 'object') errors.push("'payload' is missing");
      else {
        if (
          typeof p.summary !== 'string' ||
          !p.summary ||
          p.summary.length > 1024
        )
          errors.push("'payload.summary' is missing or too long");
        if (typeof p.source !== 'string' || !p.source)
          errors.push("'payload.source' is missing");
        if (!['critical', 'error', 'warning', 'info'].includes(p.severity))
          errors.push(
            "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
          );
      }
    }
  }
  if (errors.length)
    return [
      400,
      ...json({
        status: 'invalid event',
        message: 'Event object is invalid',
        errors,
      }),
    ];
  return [
    202,
    ...json({
      status: 'success',
      message: 'Event processed',
      dedup_key: e.dedup_key ?? 'generated',
    }),
  ];
}

/** A Slack incoming webhook (api.slack.com: Sending messages using incoming webhooks; its errors are plain text). */
function slack(c: VendorCall): [number, string, string] {
  if (c.path !== FAKE_KEYS.slackPath) return [404, 'no_service', 'text/html'];
  if (c.method !== 'POST') return [405, 'invalid_method', 'text/html'];
  if (!c.json || typeof c.json !== 'object')
    return [400, 'invalid_payload', 'text/html'];
  if (typeof c.json.text !== 'string' || !c.json.text)
    return [400, 'no_text', 'text/html'];
  if (c.json.blocks !== undefined && !Array.isArray(c.json.blocks))
    return [400, 'invalid_blocks', 'text/html'];
  return [200, 'ok', 'text/html'];
}

const ogError = (status: number, message: string): [number, string, string] => [
  status,
  ...json({ message, took: 0.001, requestId: 'req-error' }),
];

/** Opsgenie Alert API (docs.opsgenie.com: Alert API; GenieKey authorization; asynchronous, 202). */
function opsgenie(c: VendorCall): [number, string, string] {
  if (c.headers.authorization !== `GenieKey ${FAKE_KEYS.opsgenieApiKey}`)
    return ogError(401, 'Could not authenticate');
  if (c.method !== 'POST') return ogError(405, 'Method not allowed');
  const accepted = json({
    result: 'Request will be processed',
    took: 0.302,
    requestId: '43a29c5c-3dbf-4fa4-9c26-f4f71023e120',
  });
  if (c.path === '/v2/alerts') {
    const a = c.json;
    if (!a || typeof a.message !== 'string' || !a.message)
      return ogError(422, 'Message can not be empty.');
    if (a.message.length > 130) return ogError(422, 'Message is too long');
    if (
      a.alias !== undefined &&
      (typeof a.alias !== 'string' || a.alias.length > 512)
    )
      return ogError(422, 'Alias is invalid');
    if (a.priority !== undefined && !/^P[1-5]$/.test(a.priority))
      return ogError(422, 'Priority should be one of [P1, P2, P3, P4, P5]');
    return [202, ...accepted];
  }
  const parts = c.path.split('/');
  // /v2/alerts/{identifier}/close|acknowledge
  if (parts.length === 5 && ['close', 'acknowledge'].includes(parts[4])) {
    if (c.query !== 'identifierType=alias')
      return ogError(400, 'identifierType should be one of [id, alias, tiny]');
    return [202, ...accepted];
  }
  return ogError(404, 'Not found');
}

/** A Teams Workflows webhook ("Post to a channel when a webhook request is received"): a message with cards. */
function teams(c: VendorCall): [number, string, string] {
  if (c.path !== FAKE_KEYS.teamsPath || c.query !== FAKE_KEYS.teamsQuery)
    return [
      401,
      ...json({ error: { code: 'DirectApiAuthorizationRequired' } }),
    ];
  const m = c.json;
  const card =
    m?.type === 'message' &&
    Array.isArray(m.attachments) &&
    m.attachments[0]?.contentType ===
      'application/vnd.microsoft.card.adaptive' &&
    m.attachments[0]?.content?.type === 'AdaptiveCard';
  const messageCard =
    m?.['@type'] === 'MessageCard' && typeof m.summary === 'string';
  if (!card && !messageCard)
    return [
      400,
      'Bad payload received by generic incoming webhook.',
      'text/plain',
    ];
  return [202, '', 'text/plain'];
}

/** The suite's signed webhook, verified as a receiver should: HMAC over `<timestamp>.<body>`, fresh timestamp. */
function webhook(c: VendorCall): [number, string, string] {
  const ts = String(c.headers['x-reliability-timestamp'] ?? '');
  const sig = String(c.headers['x-reliability-signature'] ?? '');
  const expected = `sha256=${createHmac('sha256', FAKE_KEYS.webhookSecret)
    .update(`${ts}.${c.body}`)
    .digest('hex')}`;
  const ok =
    sig.length === expected.length &&
    timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
  if (!ok) return [401, ...json({ error: 'bad signature' })];
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300)
    return [401, ...json({ error: 'stale timestamp' })];
  if (!c.headers['x-reliability-delivery'])
    return [400, ...json({ error: 'no delivery id' })];
  return [200, ...json({ received: true })];
}
