import { createHmac } from 'crypto';
import { renderJsonTemplate } from '@reliability-suite/plugin-reliability-common';
import type {
  RemediationAction,
  RemediationActionContext,
} from '@reliability-suite/plugin-reliability-node';
import { callTarget, isHttpUrl, safeTarget, stringMap } from './http';

const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'];

/** The default body: what fired, for whom, and the execution id to deduplicate on. */
const DEFAULT_BODY = {
  rule: '{{ruleId}}',
  entityRef: '{{entityRef}}',
  executionId: '{{executionId}}',
  trigger: '{{trigger}}',
  labels: '{{labels}}',
  annotations: '{{annotations}}',
};

/**
 * HMAC-SHA256 signature of a webhook: hex digest over `<timestamp>.<body>`, sent as
 * `X-Reliability-Signature: sha256=<hex>` with `X-Reliability-Timestamp: <unix seconds>`.
 */
export function signWebhook(
  secret: string,
  timestamp: string,
  payload: string,
): string {
  return `sha256=${createHmac('sha256', secret)
    .update(`${timestamp}.${payload}`)
    .digest('hex')}`;
}

function body(ctx: RemediationActionContext): string {
  return JSON.stringify(
    renderJsonTemplate(ctx.params.body ?? DEFAULT_BODY, ctx.templateValues),
  );
}

/**
 * `webhook`: calls an HTTP endpoint. params: url, method (POST), headers (values from config, so `${ENV}` works),
 * body (a JSON template over the alert), hmacSecret (signs the body), signatureHeader.
 * Every call carries `Idempotency-Key: <execution id>`, the same for retries of one execution.
 */
export const webhookAction: RemediationAction = {
  id: 'webhook',
  description: 'HTTP webhook',
  validate(params) {
    const problems: string[] = [];
    if (!isHttpUrl(params.url))
      problems.push('params.url: must be an http(s) URL');
    if (
      params.method !== undefined &&
      !METHODS.includes(String(params.method).toUpperCase())
    )
      problems.push(`params.method: must be one of ${METHODS.join(', ')}`);
    if (params.headers !== undefined && !stringMap(params.headers))
      problems.push('params.headers: must map header names to strings');
    if (
      params.hmacSecret !== undefined &&
      (typeof params.hmacSecret !== 'string' || params.hmacSecret.length < 16)
    )
      problems.push(
        'params.hmacSecret: must be a string of at least 16 characters (put it in an environment variable)',
      );
    if (
      params.signatureHeader !== undefined &&
      typeof params.signatureHeader !== 'string'
    )
      problems.push('params.signatureHeader: must be a header name');
    if (
      params.body !== undefined &&
      (params.body === null || typeof params.body !== 'object')
    )
      problems.push('params.body: must be a JSON object template');
    return problems;
  },
  target(params) {
    return safeTarget(String(params.method ?? 'POST'), String(params.url));
  },
  describe(ctx) {
    return `call ${this.target(ctx.params)} with body ${body(ctx).slice(
      0,
      500,
    )}${ctx.params.hmacSecret ? ' (HMAC-SHA256 signed)' : ''}`;
  },
  async execute(ctx) {
    const method = String(ctx.params.method ?? 'POST').toUpperCase();
    const payload = method === 'GET' ? undefined : body(ctx);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'backstage-reliability-remediation',
      'idempotency-key': ctx.executionId,
      ...((ctx.params.headers as Record<string, string>) ?? {}),
    };
    if (typeof ctx.params.hmacSecret === 'string') {
      const ts = String(Math.floor(Date.now() / 1000));
      headers['x-reliability-timestamp'] = ts;
      headers[
        String(
          ctx.params.signatureHeader ?? 'x-reliability-signature',
        ).toLowerCase()
      ] = signWebhook(ctx.params.hmacSecret, ts, payload ?? '');
    }
    const res = await callTarget({
      method,
      url: String(ctx.params.url),
      headers,
      body: payload,
      signal: ctx.signal,
    });
    return { detail: `${this.target(ctx.params)} answered HTTP ${res.status}` };
  },
};
