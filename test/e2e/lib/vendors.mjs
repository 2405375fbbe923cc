// Loopback fakes (127.0.0.1, plain Node http) of the third parties the end-to-end delivery test talks to, speaking
// their documented wire formats:
// - PagerDuty Events API v2: POST /v2/enqueue, JSON {routing_key (32 chars), event_action trigger|acknowledge|
//   resolve, dedup_key, payload {summary, source, severity critical|error|warning|info, ...}}; answers 202
//   {"status":"success","message":"Event processed","dedup_key":...}, 400 {"status":"invalid event","message":
//   "Event object is invalid","errors":[...]}, or a forced 429.
// - Slack incoming webhooks: POST /services/T.../B.../<secret>, JSON {text, blocks?}; answers 200 `ok`
//   (text/plain), 400 `invalid_payload`, 404 `no_service` for a hook it does not know.
// - A flag service in the shape the suite's feature-flag action sends (flagd flag-definition fields, then an
//   OpenFeature Remote Evaluation read-back): PATCH /flags/<key> {state, defaultVariant, targeting}, POST
//   /ofrep/v1/evaluate/flags/<key> answering {key, value, variant, reason}.
// Every request is recorded, with the answer's status. Bodies are bounded to 1 MB, calls to 10,000.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const MAX_BODY = 1_000_000;
const MAX_CALLS = 10_000;

/** One loopback server; `handle(call)` answers [status, body, contentType]. */
async function serve(vendor, handle) {
  const calls = [];
  const forced = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', c => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      let json;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const call = {
        vendor,
        method: req.method,
        path: url.pathname,
        headers: req.headers,
        body,
        json,
        tooLarge: size > MAX_BODY,
        at: Date.now(),
        status: 0,
      };
      const [status, text, type = 'application/json', headers = {}] =
        forced.shift() ?? handle(call);
      call.status = status;
      if (calls.length < MAX_CALLS) calls.push(call);
      res.writeHead(status, { 'content-type': type, ...headers }).end(text);
    });
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    calls,
    /** Queues answers [status, body, contentType?, headers?] the next requests get instead of the normal one. */
    force: (...answers) => forced.push(...answers),
    close: () =>
      new Promise(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const json = v => [JSON.stringify(v), 'application/json'];

/** PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert Event"). */
export async function startPagerDuty() {
  const fake = await serve('pagerduty', c => {
    if (c.path !== '/v2/enqueue') return [404, 'Not Found', 'text/plain'];
    if (c.method !== 'POST') return [405, '', 'text/plain'];
    const errors = [];
    const e = c.json;
    if (c.tooLarge) errors.push('Event object is too large');
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
    // PagerDuty makes up a dedup_key for a trigger that has none
    const dedupKey = e.dedup_key ?? randomBytes(16).toString('hex');
    return [
      202,
      ...json({
        status: 'success',
        message: 'Event processed',
        dedup_key: dedupKey,
      }),
    ];
  });
  return {
    ...fake,
    /** A forced 429, as PagerDuty answers when throttling. */
    throttle: () =>
      fake.force([
        429,
        ...json({
          status: 'throttle event',
          message: 'Requests for this service are arriving too quickly.',
        }),
      ]),
    /** The accepted events (202). */
    accepted: () => fake.calls.filter(c => c.status === 202).map(c => c.json),
  };
}

/**
 * Slack incoming webhooks (api.slack.com/messaging/webhooks): one server for any number of hooks; `hook()` makes a
 * new hook URL. An unknown hook answers 404 `no_service`; a body without text or blocks 400 `invalid_payload`.
 */
export async function startSlack() {
  const hooks = new Set();
  const fake = await serve('slack', c => {
    if (!c.path.startsWith('/services/'))
      return [404, 'Not Found', 'text/plain'];
    if (c.method !== 'POST') return [405, 'invalid_method', 'text/plain'];
    if (!hooks.has(c.path)) return [404, 'no_service', 'text/plain'];
    const m = c.json;
    const ok =
      m &&
      typeof m === 'object' &&
      ((typeof m.text === 'string' && m.text.length > 0) ||
        (Array.isArray(m.blocks) && m.blocks.length > 0)) &&
      (m.blocks === undefined || Array.isArray(m.blocks));
    if (!ok) return [400, 'invalid_payload', 'text/plain'];
    return [200, 'ok', 'text/plain'];
  });
  return {
    ...fake,
    /** A new incoming-webhook URL (/services/T…/B…/<secret>). */
    hook() {
      const path = `/services/T${randomBytes(4)
        .toString('hex')
        .toUpperCase()}/B${randomBytes(4)
        .toString('hex')
        .toUpperCase()}/${randomBytes(12).toString('hex')}`;
      hooks.add(path);
      return `${fake.base}${path}`;
    },
    /** The messages a hook accepted (200 ok). */
    messages: url =>
      fake.calls
        .filter(c => c.status === 200 && `${fake.base}${c.path}` === url)
        .map(c => c.json),
  };
}

/**
 * A flag service as the suite's feature-flag action (shape flagd) calls it: PATCH /flags/<key> takes flagd
 * flag-definition fields ({state, defaultVariant, targeting}); POST /ofrep/v1/evaluate/flags/<key> evaluates the flag
 * (OpenFeature Remote Evaluation Protocol: {key, value, variant, reason}). Flags start on (variants on: true,
 * off: false). `onPatch(key, flag)` is called after a PATCH has been applied.
 */
export async function startFlagService(flags, onPatch = () => {}) {
  const state = new Map(
    flags.map(k => [
      k,
      {
        state: 'ENABLED',
        defaultVariant: 'on',
        variants: { on: true, off: false },
        targeting: {},
      },
    ]),
  );
  const fake = await serve('flags', c => {
    const patch = /^\/flags\/([^/]+)$/.exec(c.path);
    if (patch) {
      const key = decodeURIComponent(patch[1]);
      const flag = state.get(key);
      if (!flag) return [404, ...json({ error: 'flag not found' })];
      if (c.method !== 'PATCH')
        return [405, ...json({ error: 'method not allowed' })];
      const b = c.json;
      if (
        !b ||
        typeof b !== 'object' ||
        (b.defaultVariant !== undefined &&
          !(b.defaultVariant in flag.variants)) ||
        (b.state !== undefined && !['ENABLED', 'DISABLED'].includes(b.state))
      )
        return [400, ...json({ error: 'invalid flag definition' })];
      Object.assign(flag, {
        ...(b.state ? { state: b.state } : {}),
        ...(b.defaultVariant ? { defaultVariant: b.defaultVariant } : {}),
        ...(b.targeting ? { targeting: b.targeting } : {}),
      });
      setImmediate(() => onPatch(key, flag));
      return [200, ...json({ key, ...flag })];
    }
    const evaluate = /^\/ofrep\/v1\/evaluate\/flags\/([^/]+)$/.exec(c.path);
    if (evaluate && c.method === 'POST') {
      const key = decodeURIComponent(evaluate[1]);
      const flag = state.get(key);
      if (!flag)
        return [
          404,
          ...json({
            key,
            errorCode: 'FLAG_NOT_FOUND',
            errorDetails: `flag ${key} not found`,
          }),
        ];
      if (
        !c.json ||
        typeof c.json !== 'object' ||
        typeof c.json.context !== 'object'
      )
        return [
          400,
          ...json({
            key,
            errorCode: 'INVALID_CONTEXT',
            errorDetails: 'context is required',
          }),
        ];
      return [
        200,
        ...json({
          key,
          value: flag.variants[flag.defaultVariant],
          variant: flag.defaultVariant,
          reason: 'STATIC',
          metadata: {},
        }),
      ];
    }
    return [404, ...json({ error: 'not found' })];
  });
  return {
    ...fake,
    flag: key => state.get(key),
    patches: key =>
      fake.calls.filter(
        c =>
          c.method === 'PATCH' &&
          c.path === `/flags/${encodeURIComponent(key)}` &&
          c.status === 200,
      ),
  };
}
