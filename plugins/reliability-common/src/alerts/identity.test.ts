import { severityRank, sloAlertLabels } from './identity';
import { REMEDIATION_TRIGGER_KINDS } from '../remediation/types';
import { ruleId } from '../math/rules';
import { alertConditions } from '../alerts/conditions';
import { evaluateStatus } from '../math/status';
import { MISSING, formatMs, formatPercent } from '../format/format';
import { parseRunbookSections, sectionForAlert } from '../runbooks/runbook';

describe('alert identity', () => {
  const slo = {
    ref: 'default/checkout-success',
    name: 'checkout-success',
    componentRef: 'component:default/checkout',
    labels: { env: 'prod', alertname: 'clash' },
  };

  it("gives the suite's own alerts the labels rules and runbook sections match on", () => {
    expect(
      sloAlertLabels({ rule: 'page 14.4x 1h&5m', severity: 'page' }, slo),
    ).toEqual({
      env: 'prod',
      alertname: 'SLOBurnRate',
      severity: 'page',
      rule: 'page 14.4x 1h&5m',
      slo: 'default/checkout-success',
      slo_name: 'checkout-success',
      entity: 'component:default/checkout',
      impact: 'slo_breach',
    });
    expect(
      sloAlertLabels({ rule: 'no_data', severity: 'ticket' }, slo),
    ).toMatchObject({ alertname: 'SLONoData', impact: 'no_data' });
  });

  it('lets a section that names the rule win over Symptoms, on both sides alike', () => {
    const sections = parseRunbookSections(
      '## Symptoms\nx\n## Fast burn\nAlerts: SLOBurnRate{rule=~"page.*", env="prod"}',
    );
    expect(
      sectionForAlert(
        sections,
        sloAlertLabels({ rule: 'page 14.4x 1h&5m', severity: 'page' }, slo),
      )?.id,
    ).toBe('fast-burn');
    expect(
      sectionForAlert(
        sections,
        sloAlertLabels({ rule: 'ticket 3x 1d&2h', severity: 'ticket' }, slo),
      )?.id,
    ).toBe('symptoms');
  });

  it('names a rule once, and carries its severity as data rather than reading it back from the name', () => {
    expect(
      ruleId({
        severity: 'page',
        burnRate: 14.4,
        longWindow: '1h',
        shortWindow: '5m',
      }),
    ).toBe('page 14.4x 1h&5m');
    // a ticket rule whose name starts with "page": the old reading-back would have paged
    const rules = [
      {
        severity: 'ticket' as const,
        burnRate: 2,
        longWindow: '5m' as const,
        shortWindow: '5m' as const,
        name: 'pager-noise',
      },
    ];
    const c = (good: number) => ({ good, total: 1000 });
    const status = evaluateStatus({
      now: Date.parse('2026-11-22T12:00:00Z'),
      target: 0.99,
      windowMs: 30 * 86_400_000,
      windowStart: 0,
      window: c(990),
      lookbacks: { '5m': c(900) },
      rules,
    });
    expect(status.firing).toEqual([
      { id: 'pager-noise: ticket 2x 5m', severity: 'ticket' },
    ]);
    // the policy changed since (the rule is gone): the alert still has the severity the status recorded
    expect(alertConditions(status, { rules: [], noData: false })).toEqual([
      {
        rule: 'pager-noise: ticket 2x 5m',
        severity: 'ticket',
        details: expect.any(Object),
      },
    ]);
  });

  it('orders severities and names the trigger kinds once', () => {
    expect(
      ['ticket', 'weird', 'page', 'error'].sort(
        (a, b) => severityRank(a) - severityRank(b),
      ),
    ).toEqual(['page', 'error', 'ticket', 'weird']);
    expect(REMEDIATION_TRIGGER_KINDS).toEqual([
      'alert',
      'alertmanager',
      'manual',
      'pagerduty',
      'webhook',
    ]);
  });

  it('formats with one missing mark', () => {
    expect([
      formatPercent(null),
      formatMs(undefined),
      formatMs(420.4),
      formatMs(1340),
      formatPercent(0.42, 1),
    ]).toEqual([MISSING, MISSING, '420 ms', '1.3 s', '42%']);
  });
});
