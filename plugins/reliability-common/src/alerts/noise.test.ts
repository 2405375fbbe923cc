import { evaluateStatus } from '../math/status';
import { BURN_RATE_WINDOWS } from '../math/mwmb';
import { parseOpenSlo } from '../openslo/parse';
import { alertConditions } from './conditions';
import { sloAlertLabels } from './identity';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const DAY = 86_400_000;

/** Every lookback with `total` events of which `bad` failed; the 30-day window with a month of clean traffic plus those. */
function status(total: number, bad: number, minEvents?: number) {
  const lookbacks = Object.fromEntries(
    BURN_RATE_WINDOWS.map(w => [w, { good: total - bad, total }]),
  );
  return evaluateStatus({
    now: NOW,
    target: 0.999,
    windowMs: 30 * DAY,
    windowStart: NOW - 30 * DAY,
    window: { good: 1_000_000 - bad, total: 1_000_000 },
    lookbacks,
    minEvents,
  });
}

describe('alerts without noise', () => {
  it('the minimum-traffic guard holds back a burn on too few events in the short window, and lets it fire with enough', () => {
    // 3 of 10 requests failed: a 300x burn, on ten events
    const few = status(10, 3, 100);
    expect(few.firing).toEqual([]);
    expect(few.quieted).toEqual([
      'page 14.4x 1h&5m',
      'page 6x 6h&30m',
      'ticket 3x 1d&2h',
      'ticket 1x 3d&6h',
    ]);
    expect(few.state).toBe('healthy');
    expect(alertConditions(few)).toEqual([]);
    // the same ratio on 1,000 events fires
    const many = status(1_000, 300, 100);
    expect(many.firing.map(f => f.id)).toEqual([
      'page 14.4x 1h&5m',
      'page 6x 6h&30m',
      'ticket 3x 1d&2h',
      'ticket 1x 3d&6h',
    ]);
    expect(many.quieted).toBeUndefined();
    // without a guard, ten events are enough
    expect(status(10, 3).firing).toHaveLength(4);
  });

  it('alerts on time to exhaustion within the horizon, and not beyond it', () => {
    // 1% of the month's budget per hour spent: 0.2% errors against a 0.1% budget
    const s = status(100_000, 200);
    expect(s.exhaustsAt).not.toBeNull();
    const left = Date.parse(s.exhaustsAt!) - NOW;
    const exhaustion = (c: { rule: string }[]) =>
      c.filter(x => x.rule.startsWith('exhaustion'));
    const within = exhaustion(
      alertConditions(s, undefined, {
        within: '30d',
        withinMs: 30 * DAY,
        severity: 'ticket',
      }),
    );
    expect(within).toEqual([
      {
        rule: 'exhaustion within 30d',
        severity: 'ticket',
        details: expect.objectContaining({
          exhaustsAt: s.exhaustsAt,
          budgetRemaining: s.budgetRemaining,
        }),
      },
    ]);
    expect(
      exhaustion(
        alertConditions(s, undefined, {
          within: '1h',
          withinMs: Math.floor(left / 2),
          severity: 'page',
        }),
      ),
    ).toEqual([]);
    expect(exhaustion(alertConditions(s))).toEqual([]);
    expect(
      sloAlertLabels(
        { rule: 'exhaustion within 30d', severity: 'ticket' },
        { ref: 'default/x', name: 'x', componentRef: 'component:default/x' },
      ).alertname,
    ).toBe('SLOBudgetExhaustion');
  });

  it('reads both from the SLO document, and names the annotation when it is wrong', () => {
    const doc = (annotations: Record<string, string>) => ({
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: { name: 'checkout', annotations },
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
        objectives: [{ target: 0.999 }],
      },
    });
    const ok = parseOpenSlo(
      doc({
        'reliability.io/min-events': '100',
        'reliability.io/exhaustion-alert': '6h:page',
      }),
    );
    expect(ok.ok && [ok.value.minEvents, ok.value.exhaustionAlert]).toEqual([
      100,
      { within: '6h', withinMs: 6 * 3_600_000, severity: 'page' },
    ]);
    const ticket = parseOpenSlo(
      doc({ 'reliability.io/exhaustion-alert': '3d' }),
    );
    expect(ticket.ok && ticket.value.exhaustionAlert?.severity).toBe('ticket');
    expect(parseOpenSlo(doc({ 'reliability.io/min-events': 'lots' }))).toEqual({
      ok: false,
      error:
        "metadata.annotations.reliability.io/min-events: must be a whole number of events such as 100, got 'lots'",
    });
    expect(
      parseOpenSlo(doc({ 'reliability.io/exhaustion-alert': '1M:urgent' })),
    ).toEqual({
      ok: false,
      error:
        "metadata.annotations.reliability.io/exhaustion-alert: must be a duration with an optional severity, such as 3d or 6h:page, got '1M:urgent'",
    });
  });
});
