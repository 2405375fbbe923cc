import { slothToOpenSlo } from './sloth';
import { parseOpenSloObjectives } from './parse';
import { prometheusRuleGroups } from '../alerts/prometheusRules';
import { okValue } from '../__testUtils__/okValue';

/**
 * Sloth's examples folder (slok/sloth, `examples/`): for each, a spec of ours with the same features (not a copy), and
 * what the importer makes of it. Every one imports except the two whose SLI is a plugin (Go code) and the one whose
 * SLO plugin adds labels (a contrib plugin). The exact recording rules are compared with Sloth's `_gen` outputs in
 * sloth.test.ts (events, raw) and below (OpenSLO v1alpha).
 */
const events = (err: string, total: string) => `
    sli:
      events:
        error_query: ${err}
        total_query: ${total}`;
const HTTP_ERR =
  'sum(rate(http_requests_total{job="shop",code=~"(5..|429)"}[{{.window}}]))';
const HTTP_ALL = 'sum(rate(http_requests_total{job="shop"}[{{.window}}]))';

const cases: {
  example: string;
  spec: string;
  slos?: string[];
  refused?: RegExp;
}[] = [
  {
    example:
      'getting-started.yml: an availability and a latency SLO, alert labels and annotations',
    spec: `
version: prometheus/v1
service: shop
labels: { owner: shop-team, tier: "2" }
slos:
  - name: requests-availability
    objective: 99.9
${events(HTTP_ERR, HTTP_ALL)}
    alerting:
      name: ShopHighErrorRate
      labels: { category: availability }
      annotations: { summary: too many errors }
      page_alert: { labels: { severity: pageteam } }
      ticket_alert: { labels: { severity: slack } }
  - name: requests-latency
    objective: 99
${events(
  '(sum(rate(http_request_duration_seconds_count{job="shop"}[{{.window}}])) - sum(rate(http_request_duration_seconds_bucket{job="shop",le="0.25"}[{{.window}}])))',
  'sum(rate(http_request_duration_seconds_count{job="shop"}[{{.window}}]))',
)}
`,
    slos: ['shop-requests-availability', 'shop-requests-latency'],
  },
  {
    example: 'home-wifi.yml: per-SLO labels, a ticket alert disabled',
    spec: `
version: prometheus/v1
service: office-wifi
labels: { site: lisbon }
slos:
  - name: clients-connected
    objective: 95
    labels: { category: availability }
${events(
  'sum(rate(wifi_client_connect_failures_total[{{.window}}]))',
  'sum(rate(wifi_client_connects_total[{{.window}}]))',
)}
    alerting:
      page_alert: { disable: true }
      ticket_alert: { labels: { severity: ticket } }
`,
    slos: ['office-wifi-clients-connected'],
  },
  {
    example: 'raw-home-wifi.yml: a raw error ratio',
    spec: `
version: prometheus/v1
service: office-wifi
slos:
  - name: roaming
    objective: 97
    sli:
      raw:
        error_ratio_query: 1 - avg(avg_over_time(wifi_roam_success_ratio[{{.window}}]))
`,
    slos: ['office-wifi-roaming'],
  },
  {
    example: 'no-alerts.yml: alerting disabled entirely',
    spec: `
version: prometheus/v1
service: shop
slos:
  - name: quiet
    objective: 99.5
${events(HTTP_ERR, HTTP_ALL)}
    alerting:
      page_alert: { disable: true }
      ticket_alert: { disable: true }
`,
    slos: ['shop-quiet'],
  },
  {
    example: 'multifile.yml: several specs in one file',
    spec: `
version: prometheus/v1
service: shop
slos:
  - name: a
    objective: 99
${events(HTTP_ERR, HTTP_ALL)}
---
version: prometheus/v1
service: search
slos:
  - name: b
    objective: 98
${events(HTTP_ERR, HTTP_ALL)}
`,
    slos: ['shop-a', 'search-b'],
  },
  {
    example:
      'kubernetes-apiserver.yml: several SLOs with long multi-line queries and scalar labels',
    spec: `
version: prometheus/v1
service: k8s-apiserver
labels: { cluster: eu-1, critical: true, shard: 3 }
slos:
  - name: requests-availability
    objective: 99.9
    sli:
      events:
        error_query: |
          sum(
            rate(apiserver_request_total{code=~"(5..|429)"}[{{.window}}])
          )
        total_query: |
          sum(
            rate(apiserver_request_total[{{.window}}])
          )
  - name: requests-latency
    objective: 99
${events(
  'sum(rate(apiserver_request_duration_seconds_count{verb!="WATCH"}[{{.window}}])) - sum(rate(apiserver_request_duration_seconds_bucket{le="0.4",verb!="WATCH"}[{{.window}}]))',
  'sum(rate(apiserver_request_duration_seconds_count{verb!="WATCH"}[{{.window}}]))',
)}
`,
    slos: [
      'k8s-apiserver-requests-availability',
      'k8s-apiserver-requests-latency',
    ],
  },
  {
    example:
      'custom_rule_group_interval.yml: rule group intervals (accepted; the export keeps its own groups)',
    spec: `
version: prometheus/v1
service: node
slos:
  - name: softirq
    objective: 99.99
    interval: { slierror: 4m, metadata: 2m, alert: 2m }
${events(
  'sum(rate(node_cpu_seconds_total{mode="softirq"}[{{.window}}]))',
  'sum(rate(node_cpu_seconds_total[{{.window}}]))',
)}
`,
    slos: ['node-softirq'],
  },
  {
    example:
      'k8s-getting-started.yml: the PrometheusServiceLevel resource, camelCase fields',
    spec: `
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: { name: shop-slos, namespace: monitoring }
spec:
  service: shop
  slos:
    - name: requests-availability
      objective: 99.9
      sli:
        events:
          errorQuery: ${HTTP_ERR}
          totalQuery: ${HTTP_ALL}
      alerting:
        pageAlert: { labels: { severity: pageteam } }
`,
    slos: ['shop-requests-availability'],
  },
  {
    example: 'k8s-multifile.yml: several resources in one file',
    spec: `
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: { name: a }
spec: { service: shop, slos: [{ name: a, objective: 99, sli: { events: { errorQuery: '${HTTP_ERR}', totalQuery: '${HTTP_ALL}' } } }] }
---
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: { name: b }
spec: { service: cart, slos: [{ name: b, objective: 99, sli: { raw: { errorRatioQuery: '1 - avg(avg_over_time(up{job="cart"}[{{.window}}]))' } } }] }
`,
    slos: ['shop-a', 'cart-b'],
  },
  {
    example:
      'managed-prometheus-getting-started.yml: the ManagedPrometheusServiceLevel resource',
    spec: `
apiVersion: sloth.slok.dev/v1
kind: ManagedPrometheusServiceLevel
metadata: { name: shop-slos, namespace: monitoring }
spec: { service: shop, slos: [{ name: availability, objective: 99.9, sli: { events: { errorQuery: '${HTTP_ERR}', totalQuery: '${HTTP_ALL}' } } }] }
`,
    slos: ['shop-availability'],
  },
  {
    example:
      'slo-plugin-getting-started.yml: chains of Sloth debug plugins, at the service and per SLO',
    spec: `
version: prometheus/v1
service: shop
slo_plugins:
  chain:
    - { id: sloth.dev/core/debug/v1, priority: 100, config: { msg: hello } }
slos:
  - name: availability
    objective: 99.9
    plugins:
      chain:
        - { id: sloth.dev/core/debug/v1, priority: -5, config: { msg: there } }
${events(HTTP_ERR, HTTP_ALL)}
`,
    slos: ['shop-availability'],
  },
  {
    example:
      'victoria-metrics.yml: a chain of the core generators and a validator, labels of every scalar type',
    spec: `
version: prometheus/v1
service: grpc-api
labels: { generated: true, target_le: 0.2 }
slo_plugins:
  overridePrevious: true
  chain:
    - id: sloth.dev/contrib/validate_victoria_metrics/v1
    - id: sloth.dev/core/sli_rules/v1
    - id: sloth.dev/core/metadata_rules/v1
    - id: sloth.dev/core/alert_rules/v1
slos:
  - name: latency-p90
    objective: 90
    labels: { actual_grade: A }
${events(
  '1 - histogram_share(0.2, sum by (vmrange) (rate(rpc_duration_seconds_bucket[{{.window}}])))',
  'vector(1)',
)}
`,
    slos: ['grpc-api-latency-p90'],
  },
  {
    example:
      'openslo-getting-started.yml: an OpenSLO v1alpha SLO, which Sloth reads too',
    spec: `
apiVersion: openslo/v1alpha
kind: SLO
metadata: { name: shop-availability, displayName: Shop availability }
spec:
  service: shop
  objectives:
    - ratioMetrics:
        good: { source: prometheus, queryType: promql, query: 'sum(rate(http_requests_total{job="shop",code!~"5.."}[{{.window}}]))' }
        total: { source: prometheus, queryType: promql, query: '${HTTP_ALL}' }
      target: 0.999
  timeWindows: [{ count: 30, unit: Day }]
`,
    slos: ['shop-shop-availability-0'],
  },
  {
    example: 'plugin-getting-started.yml: an SLI plugin',
    spec: `
version: prometheus/v1
service: shop
slos:
  - name: availability
    objective: 99.9
    sli:
      plugin:
        id: sloth-common/availability/v1
        options: { job: shop }
`,
    refused:
      /slos\.0\.sli\.plugin: SLI plugins are Go code that Sloth compiles into its binary/,
  },
  {
    example: 'plugin-k8s-getting-started.yml: an SLI plugin in the resource',
    spec: `
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: { name: shop }
spec: { service: shop, slos: [{ name: a, objective: 99, sli: { plugin: { id: sloth-common/availability/v1 } } }] }
`,
    refused: /spec\.slos\.0\.sli\.plugin: SLI plugins are Go code/,
  },
  {
    example: 'contrib-slo-plugins.yml: a contrib SLO plugin that adds labels',
    spec: `
version: prometheus/v1
service: shop
slos:
  - name: availability
    objective: 99.9
    plugins:
      chain:
        - id: sloth.dev/contrib/info_labels/v1
          config: { labels: { team: shop } }
${events(HTTP_ERR, HTTP_ALL)}
`,
    refused:
      /slos\.0\.plugins\.chain\.0\.id: sloth\.dev\/contrib\/info_labels\/v1: SLO plugins other than Sloth's core rule generators, its debug plugin and validators are Go code/,
  },
];

describe("Sloth's examples", () => {
  it.each(cases.filter(c => c.refused))(
    '$example: refused, naming the field',
    ({ spec, refused }) => {
      expect(slothToOpenSlo(spec)).toEqual({
        ok: false,
        error: expect.stringMatching(refused!),
      });
    },
  );

  it.each(cases.filter(c => !c.refused))('$example', ({ spec, slos }) => {
    const r = slothToOpenSlo(spec);
    expect(r.ok ? r.value.map(d => d.metadata.name) : r.error).toEqual(slos);
    // each is a valid OpenSLO SLO that exports Prometheus rules
    for (const doc of okValue(r)) {
      const defs = parseOpenSloObjectives(doc);
      if (!defs.ok) throw new Error(defs.error);
      const groups = prometheusRuleGroups(defs.value[0]);
      expect(groups.ok).toBe(true);
    }
  });

  it("exports the OpenSLO v1alpha example's recording rules as Sloth's _gen output shows them", () => {
    const r = slothToOpenSlo(
      cases.find(c => c.example.startsWith('openslo-getting-started'))!.spec,
    );
    if (!r.ok) throw new Error(r.error);
    const defs = parseOpenSloObjectives(r.value[0]);
    if (!defs.ok) throw new Error(defs.error);
    const groups = prometheusRuleGroups(defs.value[0]);
    if (!groups.ok) throw new Error(groups.error);
    const [sli, meta] = groups.value;
    const strip = (s: string) => s.replace(/\s+/g, '');
    const ids = {
      sloth_id: 'shop-shop-availability-0',
      sloth_service: 'shop',
      sloth_slo: 'shop-availability-0',
    };
    expect(sli.name).toBe('sloth-slo-sli-recordings-shop-shop-availability-0');
    for (const [i, w] of [
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
    ].entries()) {
      expect({
        record: sli.rules[i].record,
        expr: strip(sli.rules[i].expr),
        labels: sli.rules[i].labels,
      }).toEqual({
        record: `slo:sli_error:ratio_rate${w}`,
        expr: `(1-((sum(rate(http_requests_total{job="shop",code!~"5.."}[${w}])))/(sum(rate(http_requests_total{job="shop"}[${w}])))))`,
        labels: { ...ids, sloth_window: w },
      });
    }
    const sel =
      'sloth_id="shop-shop-availability-0",sloth_service="shop",sloth_slo="shop-availability-0"';
    expect(strip(sli.rules[7].expr)).toBe(
      `sum_over_time(slo:sli_error:ratio_rate5m{${sel}}[30d])/ignoring(sloth_window)count_over_time(slo:sli_error:ratio_rate5m{${sel}}[30d])`,
    );
    expect(meta.rules.slice(0, 3).map(x => [x.record, x.expr])).toEqual([
      ['slo:objective:ratio', 'vector(0.9990000000000001)'],
      ['slo:error_budget:ratio', 'vector(1-0.9990000000000001)'],
      ['slo:time_period:days', 'vector(30)'],
    ]);
  });
});
