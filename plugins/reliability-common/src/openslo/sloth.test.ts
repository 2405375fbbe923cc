import { readFileSync } from 'fs';
import path from 'path';
import { slothToOpenSlo } from './sloth';
import { SloDefinition } from './definition';
import { parseOpenSlo } from './parse';
import {
  prometheusRuleGroups,
  PrometheusRule,
} from '../alerts/prometheusRules';

describe('slothToOpenSlo on a spec file', () => {
  const text = readFileSync(
    path.join(__dirname, '__fixtures__/sloth-myservice.yaml'),
    'utf8',
  );

  it('turns every SLO of the file into a valid OpenSLO document that exports rules again', () => {
    const r = slothToOpenSlo(text, { namespace: 'shop' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map(d => d.metadata.name)).toEqual([
      'myservice-requests-availability',
      'myservice-requests-latency',
    ]);
    expect(r.value[0].metadata.labels).toEqual({
      owner: 'myteam',
      repo: 'myorg/myservice',
      tier: '2',
      category: 'availability',
    });
    const defs = r.value.map(d => parseOpenSlo(d));
    expect(
      defs.map(
        d =>
          d.ok && [
            d.value.ref,
            d.value.target,
            d.value.componentRef,
            d.value.indicator.mode,
          ],
      ),
    ).toEqual([
      [
        'shop/myservice-requests-availability',
        0.999,
        'component:shop/myservice',
        'bad-total',
      ],
      [
        'shop/myservice-requests-latency',
        0.99,
        'component:shop/myservice',
        'bad-total',
      ],
    ]);
    const rules = defs[1].ok ? prometheusRuleGroups(defs[1].value) : undefined;
    expect(rules?.ok && rules.value[0].rules[0].expr).toContain(
      'sum(rate(http_request_duration_seconds_bucket{job="myservice",le="0.3"}[5m]))',
    );
  });
});

/** The one SLO a spec converts to, parsed. */
function onlySlo(spec: unknown): SloDefinition {
  const r = slothToOpenSlo(spec);
  if (!r.ok) throw new Error(r.error);
  expect(r.value).toHaveLength(1);
  const def = parseOpenSlo(r.value[0]);
  if (!def.ok) throw new Error(def.error);
  return def.value;
}

/** A recording rule as Sloth's generated files show it: whitespace in expressions does not matter. */
const shape = (r: PrometheusRule) => ({
  record: r.record,
  expr: r.expr.replace(/\s+/g, ''),
  labels: r.labels,
});
/** What Sloth adds about itself to its info record (mode, spec, version), and our own marker: left out of the comparison. */
const withoutSelf = (r: PrometheusRule) => {
  const {
    sloth_mode: _m,
    sloth_spec: _s,
    sloth_version: _v,
    sloth_objective: _o,
    ...labels
  } = r.labels ?? {};
  return shape({ ...r, labels });
};

// Our own specs with the features of Sloth's examples/ folder (events, raw, the Kubernetes resource, old field
// names, labels of other scalar types, plugins). Each expected rule below is what Sloth's generator writes for
// that input: `(<errorQuery>)/(<totalQuery>)` or `(<errorRatioQuery>)` per window, the period ratio from the 5m
// records labelled by its window only, and the meta records with the spec's and the SLO's labels.
describe("Sloth's spec formats, and the rules Sloth generates for them", () => {
  const events = `
version: prometheus/v1
service: payments
labels:
  team: payments-sre
  tier: 1
  critical: true
slos:
  - name: card-authorisations
    objective: 99.9
    description: Card authorisations that do not fail
    labels:
      category: availability
    sli:
      events:
        errorQuery: sum(rate(psp_authorisations_total{outcome="error"}[{{.window}}]))
        totalQuery: sum(rate(psp_authorisations_total[{{.window}}]))
    alerting:
      name: CardAuthorisations
      pageAlert: { labels: { severity: page } }
      ticketAlert: { labels: { severity: ticket } }
`;

  it('events SLI: every window record, the period record and the meta records as Sloth writes them', () => {
    const def = onlySlo(events);
    expect([def.ref, def.componentRef, def.labels]).toEqual([
      'default/payments-card-authorisations',
      'component:default/payments',
      {
        team: 'payments-sre',
        tier: '1',
        critical: 'true',
        category: 'availability',
      },
    ]);
    const groups = prometheusRuleGroups(def);
    if (!groups.ok) throw new Error(groups.error);
    const [sli, meta] = groups.value;
    expect(sli.name).toBe(
      'sloth-slo-sli-recordings-payments-card-authorisations',
    );
    const ids = {
      sloth_id: 'payments-card-authorisations',
      sloth_service: 'payments',
      sloth_slo: 'card-authorisations',
    };
    const labels = {
      team: 'payments-sre',
      tier: '1',
      critical: 'true',
      category: 'availability',
      ...ids,
    };
    expect(sli.rules.map(r => r.record)).toEqual(
      ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map(
        w => `slo:sli_error:ratio_rate${w}`,
      ),
    );
    expect(shape(sli.rules[0])).toEqual({
      record: 'slo:sli_error:ratio_rate5m',
      expr: '(sum(rate(psp_authorisations_total{outcome="error"}[5m])))/(sum(rate(psp_authorisations_total[5m])))',
      labels: { ...labels, sloth_window: '5m' },
    });
    expect(shape(sli.rules[6])).toEqual({
      record: 'slo:sli_error:ratio_rate3d',
      expr: '(sum(rate(psp_authorisations_total{outcome="error"}[3d])))/(sum(rate(psp_authorisations_total[3d])))',
      labels: { ...labels, sloth_window: '3d' },
    });
    const sel =
      'sloth_id="payments-card-authorisations",sloth_service="payments",sloth_slo="card-authorisations"';
    expect(shape(sli.rules[7])).toEqual({
      record: 'slo:sli_error:ratio_rate30d',
      expr: `sum_over_time(slo:sli_error:ratio_rate5m{${sel}}[30d])/ignoring(sloth_window)count_over_time(slo:sli_error:ratio_rate5m{${sel}}[30d])`,
      // as Sloth's current generator labels it: the ids and the spec's and SLO's labels too
      labels: { ...labels, sloth_window: '30d' },
    });
    expect(meta.rules.map(withoutSelf)).toEqual([
      {
        record: 'slo:objective:ratio',
        expr: 'vector(0.9990000000000001)',
        labels,
      },
      {
        record: 'slo:error_budget:ratio',
        expr: 'vector(1-0.9990000000000001)',
        labels,
      },
      { record: 'slo:time_period:days', expr: 'vector(30)', labels },
      {
        record: 'slo:current_burn_rate:ratio',
        expr: `slo:sli_error:ratio_rate5m{${sel}}/on(sloth_id,sloth_slo,sloth_service)group_leftslo:error_budget:ratio{${sel}}`,
        labels,
      },
      {
        record: 'slo:period_burn_rate:ratio',
        expr: `slo:sli_error:ratio_rate30d{${sel}}/on(sloth_id,sloth_slo,sloth_service)group_leftslo:error_budget:ratio{${sel}}`,
        labels,
      },
      {
        record: 'slo:period_error_budget_remaining:ratio',
        expr: `1-slo:period_burn_rate:ratio{${sel}}`,
        labels,
      },
      { record: 'sloth_slo_info', expr: 'vector(1)', labels },
    ]);
  });

  it('raw SLI: the error ratio query itself, in parentheses, for every window', () => {
    const def = onlySlo(`
version: prometheus/v1
service: office-wifi
labels: { site: lisbon }
slos:
  - name: roaming-quality
    objective: 97
    sli:
      raw:
        errorRatioQuery: |
          1 - (
            avg(avg_over_time(wifi_roam_success_ratio[{{.window}}]))
          )
`);
    expect(def.indicator.mode).toBe('raw-failure');
    const groups = prometheusRuleGroups(def);
    if (!groups.ok) throw new Error(groups.error);
    expect(shape(groups.value[0].rules[1])).toEqual({
      record: 'slo:sli_error:ratio_rate30m',
      expr: '(1-(avg(avg_over_time(wifi_roam_success_ratio[30m]))))',
      labels: {
        site: 'lisbon',
        sloth_id: 'office-wifi-roaming-quality',
        sloth_service: 'office-wifi',
        sloth_slo: 'roaming-quality',
        sloth_window: '30m',
      },
    });
    expect(shape(groups.value[1].rules[0]).expr).toBe('vector(0.97)');
  });

  it("the Kubernetes resource (sloth.slok.dev/v1 PrometheusServiceLevel) means the same as the prometheus/v1 file, in the resource's namespace", () => {
    const resource = {
      apiVersion: 'sloth.slok.dev/v1',
      kind: 'PrometheusServiceLevel',
      metadata: { name: 'payments-slos', namespace: 'money' },
      spec: {
        service: 'payments',
        labels: { team: 'payments-sre', tier: 1, critical: true },
        slos: [
          {
            name: 'card-authorisations',
            objective: 99.9,
            labels: { category: 'availability' },
            sli: {
              events: {
                errorQuery:
                  'sum(rate(psp_authorisations_total{outcome="error"}[{{.window}}]))',
                totalQuery: 'sum(rate(psp_authorisations_total[{{.window}}]))',
              },
            },
          },
        ],
      },
    };
    const fromResource = onlySlo(resource);
    const fromFile = onlySlo(events);
    expect(fromResource.ref).toBe('money/payments-card-authorisations');
    const a = prometheusRuleGroups(fromResource);
    const b = prometheusRuleGroups(fromFile);
    expect(a.ok && b.ok && a.value[0].rules.map(shape)).toEqual(
      b.ok && b.value[0].rules.map(shape),
    );
  });

  it("reads Sloth's older snake_case fields, and several specs in one file", () => {
    const r = slothToOpenSlo(`
version: prometheus/v1
service: search
slos:
  - name: queries
    objective: 99
    sli:
      events:
        error_query: sum(rate(search_queries_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(search_queries_total[{{.window}}]))
---
version: prometheus/v1
service: search-indexer
slos:
  - name: freshness
    objective: 95
    sli:
      raw:
        error_ratio_query: avg_over_time(index_stale_ratio[{{.window}}])
`);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.map(d => d.metadata.name)).toEqual([
      'search-queries',
      'search-indexer-freshness',
    ]);
    expect(r.value.map(d => parseOpenSlo(d).ok)).toEqual([true, true]);
  });

  it('refuses SLI and SLO plugins (Go code), and names the field of a broken spec', () => {
    const plugin = slothToOpenSlo(`
version: prometheus/v1
service: api
slos:
  - name: availability
    objective: 99.9
    sli:
      plugin:
        id: sloth-common/kubernetes/apiserver/availability
`);
    expect(plugin).toEqual({
      ok: false,
      error: expect.stringContaining(
        'slos.0.sli.plugin: SLI plugins are Go code that Sloth compiles into its binary and cannot run here',
      ),
    });
    const sloPlugins = slothToOpenSlo({
      apiVersion: 'sloth.slok.dev/v1',
      kind: 'PrometheusServiceLevel',
      metadata: { name: 'x' },
      spec: {
        service: 'api',
        sloPlugins: { chain: [{ id: 'example.com/custom/v1' }] },
        slos: [
          {
            name: 'a',
            objective: 99,
            sli: { events: { errorQuery: 'a', totalQuery: 'b' } },
          },
        ],
      },
    });
    expect(sloPlugins).toEqual({
      ok: false,
      error: expect.stringContaining(
        "spec.sloPlugins.chain.0.id: example.com/custom/v1: SLO plugins other than Sloth's core rule generators, its debug plugin and validators are Go code",
      ),
    });
    expect(
      slothToOpenSlo(
        'version: prometheus/v1\nservice: api\nslos:\n  - name: a\n    objective: 120\n    sli:\n      events:\n        errorQuery: a\n        totalQuery: ""\n',
      ),
    ).toEqual({
      ok: false,
      error:
        'slos.0.objective: slos[].objective must be <= 100 (a percentage); slos.0.sli.events.totalQuery: sli.events.totalQuery must not be empty',
    });
    expect(
      slothToOpenSlo(
        'version: prometheus/v1\nservice: api\nlabels: { team: [a, b] }\nslos: []\n',
      ),
    ).toEqual({
      ok: false,
      error: expect.stringContaining(
        'labels.team: label values must be strings, numbers or booleans',
      ),
    });
  });
});
