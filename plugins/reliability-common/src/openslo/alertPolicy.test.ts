import { readFileSync } from 'fs';
import path from 'path';
import { alertPolicyOf } from './definition';
import { parseOpenSlo } from './parse';
import { compactToOpenSlo } from './compact';
import {
  csvRulesFor,
  DEFAULT_ALERT_POLICY,
  parseBurnRateAnnotation,
  parseBurnRateCsv,
} from './alertPolicy';
import { evaluateStatus } from '../math/status';
import { alertConditions } from '../alerts/conditions';
import { DEFAULT_MWMB_RULES } from '../math/mwmb';

const slo = (over: Record<string, any> = {}) => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name: 'checkout-success', ...(over.metadata ?? {}) },
  spec: {
    service: 'checkout',
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
          total: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
        },
      },
    },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99.5 }],
    ...(over.spec ?? {}),
  },
});

const pager = {
  kind: 'AlertNotificationTarget',
  metadata: { name: 'payments-pager' },
  spec: { target: 'pagerduty:payments' },
};

const condition = (
  name: string,
  severity: string,
  threshold: number,
  lookbackWindow: string,
  alertAfter?: string,
) => ({
  kind: 'AlertCondition',
  metadata: { name },
  spec: {
    severity,
    condition: {
      kind: 'burnrate',
      op: 'gte',
      threshold,
      lookbackWindow,
      ...(alertAfter ? { alertAfter } : {}),
    },
  },
});

describe('alert policies', () => {
  it('uses the workbook table when the SLO says nothing', () => {
    const r = parseOpenSlo(slo());
    expect(r.ok && r.value.alertPolicy).toBeUndefined();
    expect(alertPolicyOf(r.ok ? r.value : {})).toBe(DEFAULT_ALERT_POLICY);
    expect(DEFAULT_ALERT_POLICY.rules).toEqual(DEFAULT_MWMB_RULES);
  });

  it('reads inline OpenSLO AlertPolicies with burnrate AlertConditions', () => {
    const r = parseOpenSlo(
      slo({
        spec: {
          // one condition per policy, each with where it goes, as the go-sdk asks
          alertPolicies: [
            {
              kind: 'AlertPolicy',
              metadata: { name: 'checkout-fast' },
              spec: {
                alertWhenNoData: false,
                conditions: [condition('fast-burn', 'page', 10, '1h', '2m')],
                notificationTargets: [pager],
              },
            },
            {
              kind: 'AlertPolicy',
              metadata: { name: 'checkout-slow' },
              spec: {
                alertWhenNoData: false,
                conditions: [condition('slow-burn', 'ticket', 2, '1d')],
                notificationTargets: [pager],
              },
            },
          ],
        },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.alertPolicy).toEqual({
      source: 'openslo',
      noData: false,
      rules: [
        {
          severity: 'page',
          burnRate: 10,
          longWindow: '1h',
          shortWindow: '5m',
          name: 'fast-burn',
          pendingMs: 120_000,
        },
        {
          severity: 'ticket',
          burnRate: 2,
          longWindow: '1d',
          shortWindow: '2h',
          name: 'slow-burn',
        },
      ],
      targets: [
        { name: 'payments-pager', target: 'pagerduty:payments' },
        { name: 'payments-pager', target: 'pagerduty:payments' },
      ],
    });
  });

  it.each([
    [
      {
        kind: 'AlertPolicy',
        spec: {
          conditions: [{ conditionRef: 'x' }],
          notificationTargets: [pager],
        },
      },
      /spec\.alertPolicies\.0\.spec\.conditions\.0: conditionRef x was not resolved: no AlertCondition document of that name in the catalog/,
    ],
    [
      {
        kind: 'AlertPolicy',
        spec: {
          conditions: [
            {
              ...condition('a', 'page', 5, '1h'),
              spec: {
                severity: 'page',
                condition: {
                  kind: 'burnrate',
                  op: 'lte',
                  threshold: 5,
                  lookbackWindow: '1h',
                },
              },
            },
          ],
        },
      },
      /condition\.op: must be gte or gt/,
    ],
    [
      {
        kind: 'AlertPolicy',
        spec: { conditions: [condition('a', 'page', 5, '45m')] },
      },
      /condition\.lookbackWindow: must be one of the evaluated windows \(5m, 30m, 1h, 2h, 6h, 1d, 3d, 30d\)/,
    ],
    [
      {
        kind: 'AlertPolicy',
        spec: { conditions: [condition('a', 'critical', 5, '1h')] },
      },
      /spec\.severity: must be page or ticket/,
    ],
    [
      {
        kind: 'AlertPolicy',
        spec: { conditions: [], notificationTargets: [pager] },
      },
      /spec\.alertPolicies\.0\.spec\.conditions: holds exactly one condition, as OpenSLO's go-sdk requires: write one AlertPolicy per condition$/,
    ],
    [
      {
        kind: 'AlertPolicy',
        spec: {
          conditions: [
            condition('a', 'page', 5, '1h'),
            condition('b', 'page', 6, '6h'),
          ],
          notificationTargets: [pager],
        },
      },
      /spec\.alertPolicies\.0\.spec\.conditions: holds exactly one condition/,
    ],
    [
      {
        kind: 'AlertPolicy',
        spec: { conditions: [condition('a', 'page', 5, '1h')] },
      },
      /^spec\.alertPolicies\.0\.spec\.notificationTargets: is required, as OpenSLO's go-sdk requires/,
    ],
    [
      {
        kind: 'AlertPolicy',
        spec: {
          conditions: [condition('a', 'page', 5, '1h')],
          notificationTargets: [],
        },
      },
      /^spec\.alertPolicies\.0\.spec\.notificationTargets: needs at least one AlertNotificationTarget/,
    ],
    [
      {
        kind: 'AlertPolicy',
        spec: {
          conditions: [condition('a', 'page', 5, '1h')],
          notificationTargets: [{ ...pager, spec: {} }],
        },
      },
      /notificationTargets\.0\.spec\.target: is required/,
    ],
    [
      {
        kind: 'AlertPolicy',
        spec: {
          conditions: [condition('Fast_Burn', 'page', 5, '1h')],
          notificationTargets: [pager],
        },
      },
      /conditions\.0\.metadata\.name: metadata\.name must be an RFC 1123 name/,
    ],
  ])('refuses a bad AlertPolicy naming the field (%#)', (policy, error) => {
    const r = parseOpenSlo(slo({ spec: { alertPolicies: [policy] } }));
    expect(r).toEqual({ ok: false, error: expect.stringMatching(error) });
  });

  it("reads the compact format's alerts through the annotation", () => {
    const compact = readFileSync(
      path.resolve(
        __dirname,
        '../../../../catalog/slos/checkout-success.compact.yaml',
      ),
      'utf8',
    );
    const doc = compactToOpenSlo(compact, { service: 'checkout' });
    expect(doc.ok).toBe(true);
    const r = parseOpenSlo(doc.ok ? doc.value : {});
    expect(r.ok && r.value.alertPolicy).toEqual({
      source: 'annotation',
      noData: true,
      rules: [
        {
          severity: 'page',
          burnRate: 14,
          longWindow: '30m',
          shortWindow: '5m',
        },
        { severity: 'page', burnRate: 6, longWindow: '6h', shortWindow: '1h' },
      ],
    });
    expect(parseBurnRateAnnotation('3x:1d:ticket')).toEqual({
      ok: true,
      value: [
        {
          severity: 'ticket',
          burnRate: 3,
          longWindow: '1d',
          shortWindow: '2h',
        },
      ],
    });
    expect(parseBurnRateAnnotation('14x:5m')).toEqual({
      ok: true,
      value: [
        { severity: 'page', burnRate: 14, longWindow: '5m', shortWindow: '5m' },
      ],
    });
    expect(parseBurnRateAnnotation('14x:7m')).toEqual({
      ok: false,
      error: expect.stringContaining(
        "window '7m' is not one the suite evaluates",
      ),
    });
    const bad = parseOpenSlo(
      slo({
        metadata: {
          annotations: { 'reliability.io/burn-rate-alerts': 'fast' },
        },
      }),
    );
    expect(bad).toEqual({
      ok: false,
      error: expect.stringContaining(
        'metadata.annotations.reliability.io/burn-rate-alerts rule 1',
      ),
    });
  });

  it("reads the seed's burn-rate CSV", () => {
    const csv = parseBurnRateCsv(
      'slo_id,window,threshold_x\ncheckout_success,5m,14\ncheckout_success,1h,6\napi_availability,30m,14\napi_availability,6h,6\n',
    );
    expect(csv.ok).toBe(true);
    if (!csv.ok) return;
    expect(
      csvRulesFor(csv.value, {
        namespace: 'default',
        name: 'checkout-success',
      }),
    ).toEqual([
      { severity: 'page', burnRate: 14, longWindow: '5m', shortWindow: '5m' },
      { severity: 'page', burnRate: 6, longWindow: '1h', shortWindow: '5m' },
    ]);
    expect(
      csvRulesFor(csv.value, {
        namespace: 'default',
        name: 'api-availability',
      })?.map(r => r.shortWindow),
    ).toEqual(['30m', '30m']);
    expect(
      csvRulesFor(csv.value, { namespace: 'default', name: 'search-latency' }),
    ).toBeUndefined();
    expect(parseBurnRateCsv('slo,window\n')).toEqual({
      ok: false,
      error: expect.stringContaining(
        'line 1: the header must be slo_id,window,threshold_x',
      ),
    });
    expect(parseBurnRateCsv('slo_id,window,threshold_x\na,5m,fast\n')).toEqual({
      ok: false,
      error: "line 2: threshold_x must be a number above 0, got 'fast'",
    });
    expect(parseBurnRateCsv('slo_id,window,threshold_x\na,4h,2\n')).toEqual({
      ok: false,
      error: expect.stringContaining(
        "line 2: window '4h' is not one the suite evaluates",
      ),
    });
  });

  it('evaluates a policy: single-window rules fire on their window, alertAfter and alertWhenNoData reach the alerts', () => {
    const rules = [
      {
        severity: 'page' as const,
        burnRate: 14,
        longWindow: '5m' as const,
        shortWindow: '5m' as const,
        name: 'spike',
        pendingMs: 300_000,
      },
      {
        severity: 'ticket' as const,
        burnRate: 2,
        longWindow: '1d' as const,
        shortWindow: '2h' as const,
      },
    ];
    const c = (good: number) => ({ good, total: 1000 });
    const status = evaluateStatus({
      now: Date.parse('2026-11-22T12:00:00Z'),
      target: 0.995,
      windowMs: 30 * 86_400_000,
      windowStart: 0,
      window: c(999),
      lookbacks: {
        '5m': c(900),
        '30m': c(999),
        '1h': c(999),
        '2h': c(999),
        '6h': c(999),
        '1d': c(999),
        '3d': c(999),
        '30d': c(999),
      },
      rules,
    });
    // 10% errors over 5m against a 0.5% budget is 20x: the single-window spike fires; nothing else does
    expect(status.firing).toEqual([
      { id: 'spike: page 14x 5m', severity: 'page' },
    ]);
    expect(alertConditions(status, { rules, noData: true })).toEqual([
      {
        rule: 'spike: page 14x 5m',
        severity: 'page',
        pendingMs: 300_000,
        details: expect.any(Object),
      },
    ]);
    const silent = { ...status, firing: [], reason: 'source down' };
    expect(
      alertConditions(silent, { rules, noData: true }).map(a => a.rule),
    ).toEqual(['no_data']);
    expect(alertConditions(silent, { rules, noData: false })).toEqual([]);
  });
});
