import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { parse } from 'yaml';
import { parseSlo } from '../parse';
import type { SloDefinition } from '../definition';
import {
  detectSloFormat,
  exportSlo,
  SloExportFormat,
  toOpenSloV1,
} from './formats';

const UPSTREAM = join(__dirname, '../../../../../test/upstream');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap(f => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === '_gen' ? [] : files(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
// go-sdk's v1alpha examples: a threshold SLO (spec.indicator.thresholdMetric, op gt 200) and a ratio SLO
const V1ALPHA_OUTCOMES: unknown[] = [
  ['default/web-web-latency-threshold-0'],
  ['default/web-web-availability-ratio-0'],
];
const read = (p: string) => readFileSync(p, 'utf8');

/** parse -> export -> parse: the same definitions. */
function roundTrip(defs: SloDefinition[], format: SloExportFormat): unknown[] {
  return defs.flatMap((def): unknown[] => {
    const out = exportSlo(def, format);
    if (!out.ok) return [{ refused: out.error }];
    const back = parseSlo(out.value);
    if (!back.ok) return [{ unreadable: back.error, doc: out.value }];
    return back.value;
  });
}

describe('every SLO format in, OpenSLO out', () => {
  const pyrra = files(join(UPSTREAM, 'pyrra-dev-pyrra'));
  const results = pyrra.map(p => ({
    file: relative(UPSTREAM, p),
    parsed: parseSlo(read(p)),
  }));

  it("reads Pyrra's examples: ratio, latency and bool_gauge; refuses grouping and native histograms by name", () => {
    expect(pyrra.length).toBe(28);
    const refused = results
      .filter(r => !r.parsed.ok)
      .map(r => `${r.file}: ${(r.parsed as { error: string }).error}`);
    const slos = 'pyrra-dev-pyrra/examples/';
    const grouping = (f: string, k = 'ratio') =>
      `${slos}${f}: spec.indicator.${k}.grouping: grouping (one SLO per label value) is not carried: remove it`;
    expect(refused).toEqual([
      grouping(
        'kubernetes/manifests/slos/slo-prometheus-operator-reconcile-errors.yaml',
      ),
      grouping('kubernetes/manifests/slos/slo-prometheus-query-errors.yaml'),
      grouping('prometheus-http.yaml'),
      grouping('prometheus-probe-success.yaml', 'bool_gauge'),
      grouping('pyrra-connect-errors.yaml'),
      `${slos}pyrra-connect-latency.yaml: spec.indicator.latencyNative: native-histogram latency indicators are not read: write it as latency (bucket and count series)`,
    ]);
    expect(results.filter(r => r.parsed.ok).length).toBe(22);
  });

  it.each(['pyrra', 'openslo'] as const)(
    "round-trips Pyrra's examples through the %s export",
    format => {
      for (const r of results) {
        if (!r.parsed.ok) continue;
        expect({
          file: r.file,
          defs: roundTrip(r.parsed.value, format),
        }).toEqual({
          file: r.file,
          defs: r.parsed.value,
        });
      }
    },
  );

  it('reads a Pyrra ratio SLO as a bad/total OpenSLO v1 SLO and honours alerting.disabled', () => {
    const docs = toOpenSloV1(`
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: { name: api-errors, namespace: shop }
spec:
  target: "99.5"
  window: 4w
  indicator:
    ratio:
      errors: { metric: 'http_requests_total{code=~"5.."}' }
      total: { metric: http_requests_total }
  alerting: { disabled: true }
`);
    if (!docs.ok) throw new Error(docs.error);
    expect(docs.value[0].spec).toMatchObject({
      service: 'api-errors',
      timeWindow: [{ duration: '4w', isRolling: true }],
      objectives: [{ targetPercent: 99.5 }],
      indicator: {
        spec: {
          ratioMetric: {
            bad: {
              metricSource: {
                spec: { query: 'http_requests_total{code=~"5.."}' },
              },
            },
          },
        },
      },
    });
    const def = parseSlo(docs.value[0]);
    if (!def.ok) throw new Error(def.error);
    expect(def.value[0].alertPolicy?.rules).toEqual([]);
  });

  it('refuses what it cannot carry, naming the field', () => {
    expect(
      parseSlo(`
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: { name: x }
spec:
  target: "99"
  window: 2w
  indicator: { ratio: { errors: { metric: a }, total: { metric: b }, grouping: [job] } }
`),
    ).toEqual({
      ok: false,
      error: expect.stringMatching(
        /spec\.indicator\.ratio\.grouping: .*grouping/,
      ),
    });
    expect(
      parseSlo({
        apiVersion: 'pyrra.dev/v1alpha1',
        kind: 'ServiceLevelObjective',
        metadata: { name: 'x' },
        spec: { target: 'lots', window: '2w', indicator: {} },
      }),
    ).toEqual({
      ok: false,
      error: expect.stringMatching(/spec\.target/),
    });
  });

  it("reads OpenSLO v2alpha: the go-sdk's examples, sli inline and sliRef with dataSourceRef", () => {
    const dir = join(UPSTREAM, 'OpenSLO-go-sdk/pkg/openslo/v2alpha/examples');
    const all = ['slos.yaml', 'slis.yaml', 'data_sources.yaml']
      .map(f => read(join(dir, f)))
      .join('\n---\n');
    const docs = toOpenSloV1(all);
    if (!docs.ok) throw new Error(docs.error);
    expect(docs.value.length).toBeGreaterThan(0);
    for (const d of docs.value) expect(detectSloFormat(d)).toBe('openslo/v1');
    const inline = docs.value[0];
    expect(inline.spec.service).toBe('web');
    expect(inline.spec.indicator.spec.ratioMetric.good.metricSource).toEqual({
      metricSourceRef: 'my-prometheus',
      spec: {
        query:
          'sum(http_requests{k8s_cluster="prod",component="web",code=~"2xx|4xx"})',
      },
    });
    const parsed = docs.value.map(d => parseSlo(d));
    expect(parsed.map(p => (p.ok ? 'ok' : p.error))).toEqual(['ok']);
    const ref = toOpenSloV1(`
apiVersion: openslo.com/v2alpha
kind: SLO
metadata: { name: s }
spec:
  serviceRef: web
  sliRef: missing
  timeWindow: [{ duration: 28d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }]
`);
    expect(ref).toEqual({
      ok: false,
      error: expect.stringMatching(/^spec\.sliRef: no SLI named missing/),
    });
    const withSli = toOpenSloV1(`
apiVersion: openslo.com/v2alpha
kind: SLO
metadata: { name: s }
spec:
  serviceRef: web
  sliRef: good-ratio
  timeWindow: [{ duration: 28d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }]
---
apiVersion: openslo.com/v2alpha
kind: SLI
metadata: { name: good-ratio }
spec:
  ratioMetric:
    counter: true
    good: { dataSourceRef: prom, spec: { query: ok_total } }
    total: { dataSourceRef: prom, spec: { query: all_total } }
---
apiVersion: openslo.com/v2alpha
kind: DataSource
metadata: { name: prom }
spec: { type: Prometheus }
`);
    if (!withSli.ok) throw new Error(withSli.error);
    expect(withSli.value).toHaveLength(1);
    const def = parseSlo(withSli.value[0]);
    if (!def.ok) throw new Error(def.error);
    expect(def.value[0].indicator).toMatchObject({
      mode: 'good-total',
      sourceType: 'Prometheus',
    });
    expect(roundTrip(def.value, 'openslo')).toEqual(def.value);
  });

  it('reads OpenSLO v1alpha as Sloth reads it (ratio objectives), and round-trips it', () => {
    const p = join(
      UPSTREAM,
      'OpenSLO-go-sdk/pkg/openslo/v1alpha/examples/slos.yaml',
    );
    const docs = parse(read(p)) as unknown[];
    const outcomes = docs.map(d => {
      const defs = parseSlo(d);
      if (!defs.ok) return defs.error;
      expect(roundTrip(defs.value, 'openslo')).toEqual(defs.value);
      return defs.value.map(x => x.ref);
    });
    expect(outcomes).toEqual(V1ALPHA_OUTCOMES);
    const sloth = parseSlo(
      read(join(UPSTREAM, 'slok-sloth/examples/openslo-getting-started.yml')),
    );
    if (!sloth.ok) throw new Error(sloth.error);
    expect(sloth.value.map(d => d.ref)).toEqual([
      'default/my-service-sloth-slo-my-service-0',
    ]);
  });

  it('reads a v1alpha threshold SLO: op and value judge the thresholdMetric; without them it names the field', () => {
    const p = join(
      UPSTREAM,
      'OpenSLO-go-sdk/pkg/openslo/v1alpha/examples/slos.yaml',
    );
    const [threshold] = parse(read(p)) as any[];
    const r = parseSlo(threshold);
    if (!r.ok) throw new Error(r.error);
    expect(r.value[0]).toMatchObject({
      target: 0.98,
      indicator: { mode: 'threshold', sourceType: 'Prometheus' },
      threshold: { op: 'gt', value: 200 },
    });
    const noOp = structuredClone(threshold);
    delete noOp.spec.objectives[0].op;
    expect(parseSlo(noOp)).toEqual({
      ok: false,
      error: expect.stringContaining(
        'spec.objectives.0.op: op is required with a thresholdMetric',
      ),
    });
    const neither = structuredClone(threshold);
    delete neither.spec.indicator;
    expect(parseSlo(neither)).toEqual({
      ok: false,
      error: expect.stringContaining(
        'spec.objectives.0.ratioMetrics: ratioMetrics is required, or op and value with spec.indicator.thresholdMetric',
      ),
    });
  });

  it("keeps a v1alpha query's source when it is not Prometheus (the SLO then says what it reads)", () => {
    const doc = (source?: string) => ({
      apiVersion: 'openslo/v1alpha',
      kind: 'SLO',
      metadata: { name: 'web' },
      spec: {
        service: 'web',
        objectives: [
          {
            target: 0.99,
            ratioMetrics: {
              good: { source, query: 'good' },
              total: { source, query: 'total' },
            },
          },
        ],
        timeWindows: [{ count: 28, unit: 'Day', isRolling: true }],
      },
    });
    const types = [undefined, 'prometheus', 'datadog'].map(source => {
      const r = parseSlo(doc(source));
      if (!r.ok) throw new Error(r.error);
      return r.value[0].indicator.sourceType;
    });
    expect(types).toEqual(['Prometheus', 'Prometheus', 'datadog']);
  });

  it("round-trips Sloth's examples through the Sloth and OpenSLO exports", () => {
    const dir = join(UPSTREAM, 'slok-sloth/examples');
    let n = 0;
    for (const f of readdirSync(dir).filter(x => /\.ya?ml$/.test(x))) {
      const defs = parseSlo(read(join(dir, f)));
      if (!defs.ok) continue;
      n++;
      expect({ f, defs: roundTrip(defs.value, 'openslo') }).toEqual({
        f,
        defs: defs.value,
      });
      if (f.startsWith('openslo-')) continue; // Sloth reads v1alpha as a raw query: not the same good/total definition
      expect({ f, defs: roundTrip(defs.value, 'sloth') }).toEqual({
        f,
        defs: defs.value,
      });
    }
    expect(n).toBe(14);
  });
});

describe('OpenSLO v2alpha inline data source', () => {
  it("takes the metric source's type from the go-sdk's dataSourceSpec", () => {
    const r = toOpenSloV1(`
apiVersion: openslo.com/v2alpha
kind: SLO
metadata: { name: s }
spec:
  serviceRef: web
  sli:
    metadata: { name: lag }
    spec:
      thresholdMetric:
        dataSourceSpec: { type: Prometheus, connectionDetails: { accessToken: t } }
        spec: { query: sum(kafka_consumergroup_lag) }
  timeWindow: [{ duration: 28d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99, op: lt, value: 100 }]
`);
    if (!r.ok) throw new Error(r.error);
    expect(r.value[0].spec.indicator.spec.thresholdMetric).toEqual({
      metricSource: {
        type: 'Prometheus',
        spec: { query: 'sum(kafka_consumergroup_lag)' },
      },
    });
  });
});
