import { Entity } from '@backstage/catalog-model';
import {
  parseOpenSlo,
  validateOpenSloKind,
} from '@reliability-suite/plugin-reliability-common';
import { SloFormatsEntityProcessor } from './SloFormatsEntityProcessor';
import { SlothEntityProcessor } from './SlothEntityProcessor';
import { reliabilityEntityDataParser } from './entityDataParser';
import { ANNOTATION_SOURCE_FORMAT } from './annotations';

const location = { type: 'file', target: '/repo/catalog/slos.yaml' };
const managed = {
  'backstage.io/managed-by-location': 'file:/repo/catalog/slos.yaml',
};

async function run(entity: Entity) {
  const emitted: any[] = [];
  const p = new SloFormatsEntityProcessor();
  const out = await p.preProcessEntity(entity, location, r => emitted.push(r));
  return { out, emitted: emitted.map(e => e.entity as Entity) };
}

const v2Sli = {
  metadata: { name: 'web-ok' },
  spec: {
    ratioMetric: {
      counter: true,
      good: { dataSourceRef: 'prom', spec: { query: 'sum(rate(ok[5m]))' } },
      total: { dataSourceRef: 'prom', spec: { query: 'sum(rate(all[5m]))' } },
    },
  },
};
const v2Slo = (spec: object): Entity =>
  ({
    apiVersion: 'openslo.com/v2alpha',
    kind: 'SLO',
    metadata: { name: 'web-availability', annotations: managed },
    spec: {
      serviceRef: 'web',
      timeWindow: [{ duration: '28d', isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ target: 0.995 }],
      ...spec,
    },
  } as Entity);

describe('SloFormatsEntityProcessor', () => {
  it('turns an OpenSLO v2alpha SLO with an inline sli into the v1 SLO of the same name, keeping the catalog annotations', async () => {
    const { out, emitted } = await run(v2Slo({ sli: v2Sli }));
    expect(emitted).toEqual([]);
    expect(out).toMatchObject({
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: {
        name: 'web-availability',
        namespace: 'default',
        annotations: {
          ...managed,
          [ANNOTATION_SOURCE_FORMAT]: 'openslo/v2alpha',
        },
      },
      spec: {
        service: 'web',
        indicator: {
          metadata: { name: 'web-ok' },
          spec: {
            ratioMetric: {
              good: {
                metricSource: {
                  metricSourceRef: 'prom',
                  spec: { query: 'sum(rate(ok[5m]))' },
                },
              },
            },
          },
        },
      },
    });
  });

  it('turns a v2alpha sliRef into the v1 indicatorRef, resolved across the catalog', async () => {
    const { out } = await run(v2Slo({ sliRef: 'web-ok' }));
    expect(out.spec).toMatchObject({ service: 'web', indicatorRef: 'web-ok' });
    expect(out.spec?.indicator).toBeUndefined();
  });

  it('refuses a v2alpha SLO that cannot convert with the field named', async () => {
    await expect(run(v2Slo({ sliRef: 'Not_A_Name' }))).rejects.toThrow(
      /^Invalid OpenSLO v2alpha SLO web-availability in file:\/repo\/catalog\/slos.yaml: spec\.sliRef: must be an RFC 1123 name/,
    );
    await expect(
      run(v2Slo({ serviceRef: undefined, sli: v2Sli })),
    ).rejects.toThrow(/spec\.serviceRef/);
  });

  it("turns v2alpha's other kinds into the v1 documents of the same kind, which v1's validation accepts", async () => {
    const sli = (
      await run({
        apiVersion: 'openslo.com/v2alpha',
        kind: 'SLI',
        ...v2Sli,
        spec: {
          thresholdMetric: {
            dataSourceSpec: {
              type: 'Prometheus',
              connectionDetails: { url: 'http://p' },
            },
            spec: { query: 'up' },
          },
        },
      } as Entity)
    ).out;
    expect(sli.spec).toEqual({
      thresholdMetric: {
        metricSource: { type: 'Prometheus', spec: { query: 'up' } },
      },
    });
    expect(validateOpenSloKind(sli)).toEqual({ ok: true, value: true });
    const ratio = (
      await run({
        apiVersion: 'openslo.com/v2alpha',
        kind: 'SLI',
        ...v2Sli,
      } as Entity)
    ).out;
    expect((ratio.spec as any).ratioMetric.total).toEqual({
      metricSource: {
        metricSourceRef: 'prom',
        spec: { query: 'sum(rate(all[5m]))' },
      },
    });
    expect(validateOpenSloKind(ratio)).toEqual({ ok: true, value: true });
    const ds = (
      await run({
        apiVersion: 'openslo.com/v2alpha',
        kind: 'DataSource',
        metadata: { name: 'datadog' },
        spec: {
          type: 'Datadog',
          connectionDetails: [{ apiKey: 'a' }, { appKey: 'b' }],
        },
      } as Entity)
    ).out;
    expect(ds).toMatchObject({
      apiVersion: 'openslo/v1',
      metadata: {
        annotations: { [ANNOTATION_SOURCE_FORMAT]: 'openslo/v2alpha' },
      },
      spec: {
        type: 'Datadog',
        connectionDetails: { apiKey: 'a', appKey: 'b' },
      },
    });
    expect(validateOpenSloKind(ds)).toEqual({ ok: true, value: true });
  });

  it('turns an OpenSLO v1alpha SLO into v1: the first objective keeps the name, the others are emitted as <name>-<i>', async () => {
    const metric = (q: string) => ({ source: 'prometheus', query: q });
    const { out, emitted } = await run({
      apiVersion: 'openslo/v1alpha',
      kind: 'SLO',
      metadata: { name: 'latency', namespace: 'shop', annotations: managed },
      spec: {
        service: 'checkout',
        timeWindows: [{ unit: 'Day', count: 28, isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [0.9, 0.99].map(target => ({
          target,
          ratioMetrics: {
            good: metric('sum(rate(fast[{{.window}}]))'),
            total: metric('sum(rate(all[{{.window}}]))'),
          },
        })),
      },
    } as Entity);
    expect(
      [out, ...emitted].map(e => [
        e.apiVersion,
        e.metadata.namespace,
        e.metadata.name,
        e.metadata.annotations?.[ANNOTATION_SOURCE_FORMAT],
        (e.spec as any).objectives[0].target,
      ]),
    ).toEqual([
      ['openslo/v1', 'shop', 'latency', 'openslo/v1alpha', 0.9],
      ['openslo/v1', 'shop', 'latency-1', 'openslo/v1alpha', 0.99],
    ]);
    expect(out.metadata.annotations).toMatchObject(managed);
    const def = parseOpenSlo(out);
    expect(def.ok && [def.value.componentRef, def.value.window]).toEqual([
      'component:shop/checkout',
      { kind: 'rolling', duration: { amount: 28, unit: 'd' } },
    ]);
  });

  it("accepts Pyrra's ServiceLevelObjective as it is and emits its OpenSLO SLO; refuses grouping by name", async () => {
    const pyrra = (indicator: object): Entity =>
      ({
        apiVersion: 'pyrra.dev/v1alpha1',
        kind: 'ServiceLevelObjective',
        metadata: { name: 'api-errors', namespace: 'monitoring' },
        spec: { target: '99.5', window: '4w', indicator },
      } as Entity);
    const entity = pyrra({
      ratio: {
        errors: { metric: 'http_requests_total{code=~"5.."}' },
        total: { metric: 'http_requests_total' },
      },
    });
    const p = new SloFormatsEntityProcessor();
    expect(await p.validateEntityKind(entity)).toBe(true);
    const { out, emitted } = await run(entity);
    expect(out).toBe(entity);
    expect(
      emitted.map(e => [
        e.kind,
        e.metadata.namespace,
        e.metadata.name,
        e.metadata.annotations?.[ANNOTATION_SOURCE_FORMAT],
      ]),
    ).toEqual([['SLO', 'monitoring', 'api-errors', 'pyrra']]);
    expect(parseOpenSlo(emitted[0]).ok).toBe(true);
    await expect(
      run(
        pyrra({
          ratio: {
            errors: { metric: 'e' },
            total: { metric: 't' },
            grouping: ['route'],
          },
        }),
      ),
    ).rejects.toThrow(
      /^Invalid Pyrra ServiceLevelObjective api-errors in file:\/repo\/catalog\/slos.yaml: spec\.indicator\.ratio\.grouping: grouping/,
    );
  });

  it('leaves other kinds and OpenSLO v1 alone', async () => {
    const p = new SloFormatsEntityProcessor();
    for (const e of [
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'c' },
        spec: {},
      },
      {
        apiVersion: 'openslo/v1',
        kind: 'SLI',
        metadata: { name: 's' },
        spec: {},
      },
    ] as Entity[]) {
      expect(await p.validateEntityKind(e)).toBe(false);
      expect((await run(e)).out).toBe(e);
    }
  });
});

describe('a Sloth spec file (version: prometheus/v1) through the parser and SlothEntityProcessor', () => {
  it('reads each spec as a PrometheusServiceLevel and refuses only the spec that cannot convert, naming its field', async () => {
    const text = [
      'version: prometheus/v1',
      'service: checkout',
      'slos:',
      '  - name: requests',
      '    objective: 99.9',
      '    sli:',
      '      events:',
      '        error_query: sum(rate(errors[{{.window}}]))',
      '        total_query: sum(rate(all[{{.window}}]))',
      '---',
      'version: "prometheus/v1"',
      'service: My_Service!',
      'slos:',
      '  - name: a',
      '    objective: 99',
      '    sli: { plugin: { id: sloth-common/availability } }',
      '',
    ].join('\n');
    const results: any[] = [];
    for await (const r of reliabilityEntityDataParser({
      data: Buffer.from(text),
      location,
    }))
      results.push(r);
    expect(
      results.map(r => [r.type, r.entity?.kind, r.entity?.metadata.name]),
    ).toEqual([
      ['entity', 'PrometheusServiceLevel', 'checkout'],
      ['entity', 'PrometheusServiceLevel', 'sloth-spec-2'],
    ]);
    const sloth = new SlothEntityProcessor();
    const emitted: any[] = [];
    await sloth.preProcessEntity(results[0].entity, location, e =>
      emitted.push(e),
    );
    expect(
      emitted.map(e => [
        e.entity.metadata.name,
        e.entity.metadata.annotations[ANNOTATION_SOURCE_FORMAT],
      ]),
    ).toEqual([['checkout-requests', 'sloth']]);
    await expect(
      sloth.preProcessEntity(results[1].entity, location, () => undefined),
    ).rejects.toThrow(
      /^Invalid Sloth spec \(service My_Service!\) in file:\/repo\/catalog\/slos.yaml: slos\.0\.sli\.plugin: SLI plugins are Go code/,
    );
  });
});
