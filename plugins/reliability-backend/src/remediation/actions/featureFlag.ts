import {
  renderJsonTemplate,
  renderTemplate,
} from '@reliability-suite/plugin-reliability-common';
import {
  RemediationAction,
  RemediationActionContext,
  RemediationActionError,
} from '@reliability-suite/plugin-reliability-node';
import { callTarget, isHttpUrl, safeTarget, stringMap } from './http';

const FLAG_RE = /^[A-Za-z0-9_.-]{1,200}$/;

function plan(params: Record<string, unknown>, ctx?: RemediationActionContext) {
  const base = String(params.baseUrl).replace(/\/$/, '');
  const flag = String(params.flag);
  if (params.shape === 'generic') {
    const path = renderTemplate(String(params.path ?? '/flags/{{flag}}'), {
      ...(ctx?.templateValues ?? {}),
      flag,
    }).text;
    return {
      method: String(params.method ?? 'PATCH').toUpperCase(),
      url: `${base}${path}`,
      body: JSON.stringify(
        renderJsonTemplate(params.body ?? { enabled: false }, {
          ...(ctx?.templateValues ?? {}),
          flag,
        }),
      ),
    };
  }
  // flagd-style: the flag definition's own fields; the off variant becomes the default and targeting is dropped
  return {
    method: 'PATCH',
    url: `${base}/flags/${encodeURIComponent(flag)}`,
    body: JSON.stringify({
      state: 'ENABLED',
      defaultVariant: String(params.offVariant ?? 'off'),
      targeting: {},
    }),
  };
}

/**
 * `feature-flag`: rolls a flag back (off) through the flag service's HTTP API.
 * - shape `flagd` (default): PATCH {baseUrl}/flags/{flag} with flagd flag-definition fields
 *   {"state":"ENABLED","defaultVariant":"off","targeting":{}}, then reads the flag back through OpenFeature
 *   Remote Evaluation (POST {baseUrl}/ofrep/v1/evaluate/flags/{flag}) and fails unless it evaluates off.
 * - shape `generic`: method (PATCH) to {baseUrl}{path} (path default /flags/{{flag}}) with body ({"enabled":false}).
 * headers carry the API key (from config/env).
 */
export const featureFlagAction: RemediationAction = {
  id: 'feature-flag',
  description: 'Feature-flag rollback',
  validate(params) {
    const problems: string[] = [];
    if (!isHttpUrl(params.baseUrl))
      problems.push('params.baseUrl: must be the flag service http(s) URL');
    if (typeof params.flag !== 'string' || !FLAG_RE.test(params.flag))
      problems.push('params.flag: must be a flag key (letters, digits, _ . -)');
    if (
      params.shape !== undefined &&
      params.shape !== 'flagd' &&
      params.shape !== 'generic'
    )
      problems.push('params.shape: must be flagd or generic');
    if (params.headers !== undefined && !stringMap(params.headers))
      problems.push('params.headers: must map header names to strings');
    if (params.verify !== undefined && typeof params.verify !== 'boolean')
      problems.push('params.verify: must be true or false');
    return problems;
  },
  target(params) {
    const p = plan(params);
    return safeTarget(p.method, p.url);
  },
  describe(ctx) {
    const p = plan(ctx.params, ctx);
    return `turn flag ${ctx.params.flag} off: ${safeTarget(p.method, p.url)} ${
      p.body
    }`;
  },
  async execute(ctx) {
    const p = plan(ctx.params, ctx);
    const headers = {
      'content-type': 'application/json',
      'idempotency-key': ctx.executionId,
      ...((ctx.params.headers as Record<string, string>) ?? {}),
    };
    const res = await callTarget({
      method: p.method,
      url: p.url,
      headers,
      body: p.body,
      signal: ctx.signal,
    });
    const shape = ctx.params.shape ?? 'flagd';
    if (shape === 'flagd' && ctx.params.verify !== false) {
      const base = String(ctx.params.baseUrl).replace(/\/$/, '');
      const evaluation = await callTarget({
        method: 'POST',
        url: `${base}/ofrep/v1/evaluate/flags/${encodeURIComponent(
          String(ctx.params.flag),
        )}`,
        headers,
        body: JSON.stringify({
          context: { targetingKey: 'reliability-remediation' },
        }),
        signal: ctx.signal,
      });
      let value: unknown;
      let variant: unknown;
      try {
        ({ value, variant } = JSON.parse(evaluation.text));
      } catch {
        throw new RemediationActionError(
          'The OFREP evaluation did not answer JSON',
        );
      }
      const off = String(ctx.params.offVariant ?? 'off');
      if (value !== false && variant !== off) {
        throw new RemediationActionError(
          `Flag ${ctx.params.flag} still evaluates to ${JSON.stringify(
            value,
          )} (variant ${String(variant)}) after the rollback`,
        );
      }
      return {
        detail: `Flag ${ctx.params.flag} rolled back (HTTP ${
          res.status
        }); OFREP evaluates it to ${JSON.stringify(value)} (variant ${String(
          variant,
        )})`,
      };
    }
    return {
      detail: `Flag ${ctx.params.flag} turned off (HTTP ${res.status})`,
    };
  },
};
