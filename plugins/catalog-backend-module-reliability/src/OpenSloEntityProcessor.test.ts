import { Entity } from '@backstage/catalog-model';
import { parseSlo } from '@reliability-suite/plugin-reliability-common';
import {
  ANNOTATION_UNRESOLVED,
  OpenSloEntityProcessor,
} from './OpenSloEntityProcessor';

// the real parser (the registry's entry point), counted
jest.mock('@reliability-suite/plugin-reliability-common', () => {
  const actual = jest.requireActual(
    '@reliability-suite/plugin-reliability-common',
  );
  return { ...actual, parseSlo: jest.fn(actual.parseSlo) };
});

const location = {
  type: 'file',
  target: '/repo/catalog/slos/checkout-success.yaml',
};

const slo = (
  over: Partial<Entity> = {},
  spec: Record<string, unknown> = {},
): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name: 'checkout-success', namespace: 'default' },
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
    ...spec,
  },
  ...over,
});

describe('OpenSloEntityProcessor', () => {
  it('parses a document once per processing run', async () => {
    const p = new OpenSloEntityProcessor(async () => 'payments-sre');
    const spy = parseSlo as jest.MockedFunction<typeof parseSlo>;
    spy.mockClear();
    const emitted: any[] = [];
    const out = await p.preProcessEntity(slo(), location, r => emitted.push(r));
    expect(await p.validateEntityKind(out)).toBe(true);
    expect(emitted.filter(e => e.type === 'relation')).toHaveLength(4);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('accepts only openslo/v1 SLO entities', async () => {
    const p = new OpenSloEntityProcessor();
    expect(await p.validateEntityKind(slo())).toBe(true);
    expect(
      await p.validateEntityKind({ ...slo(), apiVersion: 'openslo/v2alpha' }),
    ).toBe(false);
    expect(
      await p.validateEntityKind({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'x' },
      }),
    ).toBe(false);
  });

  it('refuses an invalid document naming the file and the field', async () => {
    const p = new OpenSloEntityProcessor();
    await expect(
      p.preProcessEntity(
        slo({}, { budgetingMethod: 'Timeslices' }),
        location,
        () => {},
      ),
    ).rejects.toThrow(
      /checkout-success in file:\/repo\/catalog\/slos\/checkout-success\.yaml: spec\.objectives\.0\.timeSliceTarget: timeSliceTarget is required with budgetingMethod Timeslices/,
    );
    await expect(
      p.preProcessEntity(
        slo({}, { objectives: [{ target: 99.5 }] }),
        location,
        () => {},
      ),
    ).rejects.toThrow(/spec\.objectives\.0\.target: target must be < 1/);
    await expect(
      p.preProcessEntity(slo(), location, () => {}),
    ).resolves.toEqual(slo());
  });

  it('shows displayName and description as the entity title and description', async () => {
    const p = new OpenSloEntityProcessor();
    const e = slo(
      {
        metadata: {
          name: 'checkout-success',
          displayName: 'Checkout success rate',
        },
      },
      { description: 'good / all checkouts' },
    );
    const out = await p.preProcessEntity(e, location, () => {});
    expect(out.metadata).toMatchObject({
      title: 'Checkout success rate',
      description: 'good / all checkouts',
    });
  });

  it('relates the SLO to its component and takes the component owner', async () => {
    const lookups: string[] = [];
    const p = new OpenSloEntityProcessor(async ref => {
      lookups.push(ref);
      return 'payments-sre';
    });
    const emitted: any[] = [];
    await p.preProcessEntity(slo(), location, r => emitted.push(r));
    expect(lookups).toEqual(['component:default/checkout']);
    const rel = emitted
      .filter(e => e.type === 'relation')
      .map(
        e =>
          `${e.relation.source.kind}:${e.relation.source.name} ${e.relation.type} ${e.relation.target.kind}:${e.relation.target.name}`,
      );
    expect(rel).toEqual([
      'SLO:checkout-success measures component:checkout',
      'component:checkout measuredBy SLO:checkout-success',
      'SLO:checkout-success ownedBy group:payments-sre',
      'group:payments-sre ownerOf SLO:checkout-success',
    ]);
  });

  it('takes the owner of a component it processed before the catalog stitched it, and is processed again when that owner changes', async () => {
    const lookups: string[] = [];
    const refreshed: string[] = [];
    const p = new OpenSloEntityProcessor(
      async ref => {
        lookups.push(ref);
        return undefined; // not yet in the catalog
      },
      undefined,
      { onReferencedDocument: key => refreshed.push(key) },
    );
    const component = (owner: string) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'checkout', namespace: 'default' },
      spec: { type: 'service', lifecycle: 'production', owner },
    });
    const owners = async () => {
      const emitted: any[] = [];
      await p.preProcessEntity(slo(), location, r => emitted.push(r));
      return {
        keys: emitted.filter(e => e.type === 'refresh').map(e => e.key),
        owners: emitted
          .filter(e => e.type === 'relation' && e.relation.type === 'ownedBy')
          .map(
            e =>
              `${e.relation.target.kind}:${e.relation.target.namespace}/${e.relation.target.name}`,
          ),
      };
    };
    // before the component: no owner yet, and a refresh key on the component
    const before = await owners();
    expect(before.owners).toEqual([]);
    expect(before.keys).toContain(
      'reliability:owner:component:default/checkout',
    );
    expect(lookups).toEqual(['component:default/checkout']);

    // the component is processed: its SLOs are asked to be processed again, and take its owner from memory
    await p.preProcessEntity(component('payments-sre'), location, () => {});
    expect(refreshed).toEqual(['reliability:owner:component:default/checkout']);
    expect((await owners()).owners).toEqual(['group:default/payments-sre']);
    expect(lookups).toHaveLength(1);

    // processed again unchanged: no new refresh; a new owner: one
    await p.preProcessEntity(component('payments-sre'), location, () => {});
    expect(refreshed).toHaveLength(1);
    await p.preProcessEntity(component('identity-sre'), location, () => {});
    expect(refreshed).toHaveLength(2);
    expect((await owners()).owners).toEqual(['group:default/identity-sre']);
  });

  it('lets the SLO name its own owner and component', async () => {
    const p = new OpenSloEntityProcessor(async () => 'payments-sre');
    const emitted: any[] = [];
    const e = slo({
      metadata: {
        name: 'x',
        namespace: 'default',
        annotations: {
          'reliability.io/owner': 'group:default/identity-sre',
          'reliability.io/component': 'component:shop/otp',
        },
      },
    });
    await p.preProcessEntity(e, location, r => emitted.push(r));
    expect(emitted[0].relation.target).toEqual({
      kind: 'component',
      namespace: 'shop',
      name: 'otp',
    });
    expect(emitted[2].relation.target).toEqual({
      kind: 'group',
      namespace: 'default',
      name: 'identity-sre',
    });
  });

  it('keeps SLOs, SLIs and DataSources on vendor sources the suite cannot read (CloudWatch, Datadog, New Relic, Dynatrace)', async () => {
    const source = (type: string, spec: Record<string, unknown>) => ({
      metricSource: { type, spec },
    });
    const cloudWatch = slo(
      { metadata: { name: 'checkout-availability', namespace: 'default' } },
      {
        indicator: {
          spec: {
            ratioMetric: {
              counter: true,
              good: source('CloudWatch', {
                region: 'eu-west-1',
                namespace: 'AWS/ApplicationELB',
                metricName: 'HTTPCode_Target_2XX_Count',
                stat: 'Sum',
              }),
              total: source('CloudWatch', {
                region: 'eu-west-1',
                namespace: 'AWS/ApplicationELB',
                metricName: 'RequestCount',
                stat: 'Sum',
              }),
            },
          },
        },
      },
    );
    const datadog = slo(
      { metadata: { name: 'checkout-latency', namespace: 'default' } },
      {
        indicator: {
          spec: {
            thresholdMetric: source('Datadog', {
              query: 'p95:trace.http.request.duration{service:checkout}',
            }),
          },
        },
        objectives: [{ op: 'lte', value: 300, target: 0.99 }],
      },
    );
    // an SLI on a DataSource document, named by reference from the SLO
    const dataSource = {
      apiVersion: 'openslo/v1',
      kind: 'DataSource',
      metadata: { name: 'dynatrace-prod', namespace: 'default' },
      spec: {
        type: 'Dynatrace',
        connectionDetails: { apiTokenRef: 'dynatrace-token' },
      },
    };
    const sli = {
      apiVersion: 'openslo/v1',
      kind: 'SLI',
      metadata: { name: 'search-errors', namespace: 'default' },
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              metricSourceRef: 'dynatrace-prod',
              spec: { metricSelector: 'builtin:service.errors.total.count' },
            },
          },
          total: {
            metricSource: {
              metricSourceRef: 'dynatrace-prod',
              spec: { metricSelector: 'builtin:service.requestCount.total' },
            },
          },
        },
      },
    };
    const newRelic = {
      apiVersion: 'openslo/v1',
      kind: 'DataSource',
      metadata: { name: 'newrelic-prod', namespace: 'default' },
      spec: { type: 'NewRelic', connectionDetails: { accountId: 1234 } },
    };
    const byRef: Record<string, Entity> = {
      'sli:default/search-errors': sli,
      'datasource:default/dynatrace-prod': dataSource,
    };
    const p = new OpenSloEntityProcessor(
      async () => 'payments-sre',
      async ref => byRef[ref],
    );
    for (const doc of [dataSource, newRelic, sli] as Entity[]) {
      expect(await p.validateEntityKind(doc)).toBe(true);
      await expect(
        p.preProcessEntity(doc, location, () => {}),
      ).resolves.toMatchObject({ kind: doc.kind });
    }
    const dynatrace = slo(
      { metadata: { name: 'search-errors', namespace: 'default' } },
      { indicator: undefined, indicatorRef: 'search-errors' },
    );
    // each SLO accepted, its reference resolved, with the type it reads as written
    const types = [];
    for (const doc of [cloudWatch, datadog, dynatrace]) {
      const out = await p.preProcessEntity(doc, location, () => {});
      expect(await p.validateEntityKind(out)).toBe(true);
      expect(out.metadata.annotations ?? {}).not.toHaveProperty(
        ANNOTATION_UNRESOLVED,
      );
      const parsed = parseSlo(out);
      types.push(
        parsed.ok ? parsed.value[0].indicator.sourceType : parsed.error,
      );
    }
    expect(types).toEqual(['CloudWatch', 'Datadog', 'Dynatrace']);
  });
});
