import { parse } from 'yaml';
import { SloDefinition } from '../openslo/definition';
import { parseOpenSlo } from '../openslo/parse';
import { slothToOpenSlo } from '../openslo/sloth';
import {
  errorRatioExpr,
  prometheusRuleFile,
  prometheusRuleGroups,
  renderQuery,
} from './prometheusRules';

const slothSpec = `
version: "prometheus/v1"
service: "checkout"
labels:
  owner: "payments-sre"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Common SLO based on availability for HTTP request responses."
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job="checkout",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutHighErrorRate
      page_alert:
        labels:
          severity: pageteam
`;

function definition(): SloDefinition {
  const docs = slothToOpenSlo(slothSpec);
  if (!docs.ok) throw new Error(docs.error);
  const def = parseOpenSlo(docs.value[0]);
  if (!def.ok) throw new Error(def.error);
  return def.value;
}

describe('Sloth import', () => {
  it('converts event SLIs into bad/total OpenSLO documents', () => {
    const r = slothToOpenSlo(slothSpec);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toHaveLength(1);
    expect(r.value[0].metadata).toEqual({
      name: 'checkout-requests-availability',
      namespace: 'default',
      annotations: {
        'reliability.io/sloth-service': 'checkout',
        'reliability.io/sloth-slo': 'requests-availability',
        'reliability.io/sloth-alerting': expect.any(String),
      },
      labels: { owner: 'payments-sre' },
    });
    const def = definition();
    expect(def).toMatchObject({
      target: 0.999,
      componentRef: 'component:default/checkout',
      indicator: { mode: 'bad-total', sourceType: 'Prometheus' },
    });
  });

  it.each([
    [
      'version: "prometheus/v2"\nservice: x\nslos: []',
      /version: version must be prometheus\/v1/,
    ],
    [
      'version: "prometheus/v1"\nservice: x\nslos:\n  - name: a\n    objective: 99\n    sli: { raw: { error_ratio_query: "" } }',
      /slos\.0\.sli\.raw\.errorRatioQuery: sli\.raw\.errorRatioQuery must not be empty/,
    ],
    [
      'version: "prometheus/v1"\nservice: x\nslos:\n  - name: a\n    objective: 999\n    sli: { events: { error_query: a, total_query: b } }',
      /slos\.0\.objective: slos\[\]\.objective must be <= 100/,
    ],
  ])('refuses %p naming the field', (text, message) => {
    expect(slothToOpenSlo(text)).toEqual({
      ok: false,
      error: expect.stringMatching(message),
    });
  });
});

describe('Prometheus rules in the shape Sloth generates', () => {
  it('renders queries for a window', () => {
    expect(renderQuery('checkout_success_count{region="eu"}', '5m')).toEqual({
      ok: true,
      value: 'sum(rate(checkout_success_count{region="eu"}[5m]))',
    });
    expect(
      renderQuery(
        'sum(rate(x[{{.window}}])) + sum(rate(y[{{ .window }}]))',
        '1h',
      ),
    ).toEqual({ ok: true, value: 'sum(rate(x[1h])) + sum(rate(y[1h]))' });
    expect(renderQuery('rate(x[5m])', '1h').ok).toBe(false);
  });

  it('records the error ratio for every window, the meta records and the page/ticket alerts', () => {
    const r = prometheusRuleGroups(definition(), {
      runbookUrl: 'https://runbooks.example/checkout',
      entityUrl: 'http://localhost:3000/catalog/default/component/checkout',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [sli, meta, alerts] = r.value;
    // an imported Sloth spec keeps Sloth's ids: sloth_id is <service>-<slo>
    expect(sli.name).toBe(
      'sloth-slo-sli-recordings-checkout-requests-availability',
    );
    expect(sli.rules.map(x => x.record)).toEqual(
      ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map(
        w => `slo:sli_error:ratio_rate${w}`,
      ),
    );
    expect(sli.rules[0].expr).toBe(
      '(sum(rate(http_request_duration_seconds_count{job="checkout",code=~"(5..|429)"}[5m])))\n/\n(sum(rate(http_request_duration_seconds_count{job="checkout"}[5m])))\n',
    );
    expect(sli.rules[7].expr).toMatch(
      /^sum_over_time\(slo:sli_error:ratio_rate5m\{.*\}\[30d\]\)/,
    );
    expect(meta.rules.map(x => x.record)).toEqual([
      'slo:objective:ratio',
      'slo:error_budget:ratio',
      'slo:time_period:days',
      'slo:current_burn_rate:ratio',
      'slo:period_burn_rate:ratio',
      'slo:period_error_budget_remaining:ratio',
      'sloth_slo_info',
    ]);
    // the objective as Sloth writes it: 99.9 / 100 in binary floating point
    expect(meta.rules[0].expr).toBe('vector(0.9990000000000001)');
    expect(meta.rules[2].expr).toBe('vector(30)');
    expect(alerts.rules.map(a => [a.alert, a.labels?.sloth_severity])).toEqual([
      // Sloth's alerting.name, for both alerts as Sloth names them
      ['CheckoutHighErrorRate', 'page'],
      ['CheckoutHighErrorRate', 'ticket'],
    ]);
    // page: 14.4x over 5m and 1h, or 6x over 30m and 6h
    expect(alerts.rules[0].expr).toContain(
      'slo:sli_error:ratio_rate5m{sloth_id="checkout-requests-availability", sloth_service="checkout", sloth_slo="requests-availability"} > (14.4 * 0.0009999999999999432)',
    );
    expect(alerts.rules[0].expr).toContain('ratio_rate1h{');
    expect(alerts.rules[0].expr).toContain('> (6 * 0.0009999999999999432)');
    expect(alerts.rules[1].expr).toContain('> (3 * 0.0009999999999999432)');
    expect(alerts.rules[1].expr).toContain('ratio_rate3d{');
    expect(alerts.rules[0].annotations).toMatchObject({
      runbook_url: 'https://runbooks.example/checkout',
      backstage_url: 'http://localhost:3000/catalog/default/component/checkout',
    });
    const file = parse(prometheusRuleFile(r.value));
    expect(file.groups).toHaveLength(3);
  });

  it('uses 1 - good/total for good/total indicators', () => {
    const def = {
      ...definition(),
      sloth: undefined,
      indicator: {
        mode: 'good-total' as const,
        sourceType: 'Prometheus',
        good: { spec: { query: 'ok_total' } },
        total: { spec: { query: 'all_total' } },
      },
    };
    expect(errorRatioExpr(def, '5m')).toEqual({
      ok: true,
      value: '1 - ((sum(rate(ok_total[5m]))) / (sum(rate(all_total[5m]))))',
    });
    // imported from Sloth (an OpenSLO v1alpha good/total): as Sloth writes it, its queries as written
    expect(
      errorRatioExpr({ ...def, sloth: { service: 's', slo: 'x-0' } }, '5m'),
    ).toEqual({
      ok: true,
      value:
        '(\n  1 - (\n    (\n      ok_total\n    )\n    /\n    (\n      all_total\n    )\n  )\n)',
    });
  });

  it('explains what it cannot export', () => {
    const calendar = {
      ...definition(),
      window: {
        kind: 'calendar' as const,
        duration: { amount: 1, unit: 'M' as const },
        timeZone: 'UTC',
      },
    };
    expect(prometheusRuleGroups(calendar)).toEqual({
      ok: false,
      error: expect.stringMatching(
        /^timeWindow: Prometheus rules need a rolling window/,
      ),
    });
    const ingest = {
      ...definition(),
      indicator: {
        mode: 'good-total' as const,
        sourceType: 'Ingest',
        good: { spec: {} },
        total: { spec: {} },
      },
    };
    expect(prometheusRuleGroups(ingest)).toEqual({
      ok: false,
      error: expect.stringMatching(
        /total\.metricSource\.spec\.query is required/,
      ),
    });
  });
});
