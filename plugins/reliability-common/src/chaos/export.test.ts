import { readFileSync } from 'fs';
import path from 'path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import {
  chaosExperimentSchema,
  ChaosExperiment,
  ChaosInjection,
} from './experiment';
import {
  chaosExportability,
  chaosScopeLabels,
  scopeChaosQuery,
  toChaosMesh,
  toChaosToolkit,
  toIstioVirtualService,
  toLitmusChaosEngine,
} from './export';

const ajv = new Ajv({ allErrors: true, strict: false });
const schema = (name: string) =>
  ajv.compile(
    JSON.parse(
      readFileSync(path.join(__dirname, '__fixtures__', name), 'utf8'),
    ),
  );
const litmusSchema = schema('litmus-chaosengine.schema.json');
const meshSchema = schema('chaos-mesh.schema.json');
const toolkitSchema = schema('chaos-toolkit.schema.json');
const istioSchema = schema('istio-virtualservice.schema.json');

const seed = (name: string): ChaosExperiment =>
  chaosExperimentSchema.parse(
    parse(
      readFileSync(
        path.join(__dirname, '../../../../catalog/chaos/experiments', name),
        'utf8',
      ),
    ),
  );

/** Valid against the engine's schema: one object, or every item of a `v1 List`. */
const valid = (validate: ReturnType<typeof ajv.compile>, value: unknown) => {
  const v = value as { kind?: string; apiVersion?: string; items?: unknown[] };
  const items =
    v.kind === 'List' && v.apiVersion === 'v1' ? v.items ?? [] : [value];
  if (!items.length) return 'an empty List';
  for (const item of items)
    if (!validate(item)) return ajv.errorsText(validate.errors);
  return 'valid';
};
const items = (r: ReturnType<typeof toChaosMesh>): any[] => {
  if (!r.ok) throw new Error(r.error);
  return r.value.kind === 'List' ? (r.value.items as any[]) : [r.value];
};
const envOf = (engine: any) =>
  Object.fromEntries(
    engine.spec.experiments[0].spec.components.env.map((e: any) => [
      e.name,
      e.value,
    ]),
  );

describe('chaos experiment exports', () => {
  const latency = seed('latency_checkout.yaml');
  const brownout = seed('brownout_checkout.yaml');
  const { injections: _, ...scoped } = brownout;
  const one = (injection: ChaosInjection): ChaosExperiment => ({
    ...scoped,
    injection,
  });
  const variants: ChaosExperiment[] = [
    latency,
    brownout,
    one({ type: 'error-rate', percent: 20 }),
    one({ type: 'pod-kill' }),
    one({ type: 'cpu-stress', workers: 2, loadPercent: 90 }),
    one({ type: 'memory-stress', workers: 1, size: '1GB' }),
    // everywhere: Litmus's partition cannot keep to a region's nodes (below)
    {
      ...one({ type: 'network-partition', direction: 'to' }),
      blastRadius: { ...scoped.blastRadius, regions: [] },
    },
    one({ type: 'egress-block', hosts: ['payments.example'] }),
  ];
  const typeOf = (e: ChaosExperiment) =>
    (e.injections ?? [e.injection!]).map(i => i.type).join('+');

  it('writes the seed latency experiment as a Litmus pod-network-latency ChaosEngine on the canary pods of its region', () => {
    const r = toLitmusChaosEngine(latency);
    expect(r.ok && r.value).toMatchObject({
      apiVersion: 'litmuschaos.io/v1alpha1',
      kind: 'ChaosEngine',
      metadata: {
        name: 'latency-checkout',
        namespace: 'payments',
        labels: {
          'reliability.io/experiment': 'latency-checkout',
          'reliability.io/region': 'us-east',
        },
        annotations: {
          'reliability.io/blast-radius':
            '5% of pods, canary only (track=canary), nodes with topology.kubernetes.io/region=us-east',
        },
      },
      spec: {
        engineState: 'active',
        appinfo: {
          appns: 'payments',
          applabel: 'app=payment-svc,track=canary',
          appkind: 'deployment',
        },
        chaosServiceAccount: 'pod-network-latency-sa',
      },
    });
    expect((r as any).value.spec.experiments[0].name).toBe(
      'pod-network-latency',
    );
    expect(envOf((r as any).value)).toEqual({
      NETWORK_LATENCY: '300',
      JITTER: '30',
      PODS_AFFECTED_PERC: '5',
      TOTAL_CHAOS_DURATION: '600',
      NODE_LABEL: 'topology.kubernetes.io/region=us-east',
    });
  });

  it('writes every injection to Litmus, valid against the ChaosEngine schema', () => {
    for (const e of variants) {
      const r = toLitmusChaosEngine(e);
      expect([typeOf(e), r.ok && valid(litmusSchema, r.value)]).toEqual([
        typeOf(e),
        'valid',
      ]);
    }
  });

  it('writes several injections as one engine object each, running at once (a v1 List)', () => {
    const r = toLitmusChaosEngine(brownout);
    expect(r.ok && r.value).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    const engines = items(r);
    expect(
      engines.map(x => [
        x.metadata.name,
        x.spec.experiments[0].name,
        envOf(x).TOTAL_CHAOS_DURATION,
      ]),
    ).toEqual([
      ['brownout-checkout-1', 'pod-network-latency', '300'],
      ['brownout-checkout-2', 'pod-http-status-code', '300'],
    ]);
    expect(envOf(engines[0])).toMatchObject({
      NETWORK_LATENCY: '1500',
      JITTER: '0',
    });
    expect(envOf(engines[1])).toMatchObject({
      STATUS_CODE: '500',
      TOXICITY: '20',
    });
    // every engine carries the experiment's label: one selector finds them all
    expect(
      engines.map(x => x.metadata.labels['reliability.io/experiment']),
    ).toEqual(['brownout-checkout', 'brownout-checkout']);
  });

  it('selects regions by node label, one object per region, or by the namespaces declared per region', () => {
    const twoRegions = {
      ...one({ type: 'pod-kill' }),
      blastRadius: { ...scoped.blastRadius, regions: ['us-east', 'eu-west'] },
    };
    const litmus = items(toLitmusChaosEngine(twoRegions));
    expect(litmus.map(x => [x.metadata.name, envOf(x).NODE_LABEL])).toEqual([
      ['brownout-checkout-1', 'topology.kubernetes.io/region=us-east'],
      ['brownout-checkout-2', 'topology.kubernetes.io/region=eu-west'],
    ]);
    const mesh = items(toChaosMesh(twoRegions));
    expect(mesh.map(x => x.spec.selector)).toEqual([
      {
        namespaces: ['payments'],
        labelSelectors: { app: 'payment-svc', track: 'canary' },
        nodeSelectors: { 'topology.kubernetes.io/region': 'us-east' },
      },
      {
        namespaces: ['payments'],
        labelSelectors: { app: 'payment-svc', track: 'canary' },
        nodeSelectors: { 'topology.kubernetes.io/region': 'eu-west' },
      },
    ]);
    expect(
      valid(meshSchema, { kind: 'List', apiVersion: 'v1', items: mesh }),
    ).toBe('valid');

    const byNamespace = {
      ...twoRegions,
      target: {
        ...scoped.target,
        regionNamespaces: {
          'us-east': 'payments-use',
          'eu-west': 'payments-euw',
        },
        canaryLabels: { 'app.kubernetes.io/version': 'canary' },
      },
    };
    const meshNs = items(toChaosMesh(byNamespace));
    expect(meshNs).toHaveLength(1);
    expect(meshNs[0].spec.selector).toEqual({
      namespaces: ['payments-use', 'payments-euw'],
      labelSelectors: {
        app: 'payment-svc',
        'app.kubernetes.io/version': 'canary',
      },
    });
    const litmusNs = items(toLitmusChaosEngine(byNamespace));
    expect(
      litmusNs.map(x => [
        x.metadata.name,
        x.metadata.namespace,
        x.spec.appinfo.appns,
        x.spec.appinfo.applabel,
        envOf(x).NODE_LABEL,
      ]),
    ).toEqual([
      [
        'brownout-checkout',
        'payments-use',
        'payments-use',
        'app=payment-svc,app.kubernetes.io/version=canary',
        undefined,
      ],
      [
        'brownout-checkout',
        'payments-euw',
        'payments-euw',
        'app=payment-svc,app.kubernetes.io/version=canary',
        undefined,
      ],
    ]);
    // a region without a namespace, or one that cannot be a node label value, is refused naming the field
    expect(
      toChaosMesh({
        ...byNamespace,
        target: {
          ...byNamespace.target,
          regionNamespaces: { 'us-east': 'payments-use' },
        },
      }),
    ).toEqual({
      ok: false,
      error:
        'blastRadius.regions.1: eu-west has no namespace in target.regionNamespaces',
    });
    expect(
      toLitmusChaosEngine({
        ...twoRegions,
        blastRadius: {
          ...twoRegions.blastRadius,
          regions: ['US East (Virginia)'],
        },
      }),
    ).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^blastRadius\.regions\.0: Litmus selects a region by the node label topology\.kubernetes\.io\/region/,
      ),
    });
    // Litmus's partition has no NODE_LABEL: node-label regions are refused, namespaces per region are not
    const partition = {
      ...twoRegions,
      injection: {
        type: 'network-partition' as const,
        direction: 'to' as const,
      },
    };
    expect(toLitmusChaosEngine(partition)).toEqual({
      ok: false,
      error:
        'blastRadius.regions: Litmus pod-network-partition (injection) cannot keep to the nodes of a region (it has no NODE_LABEL); declare target.regionNamespaces or export to Chaos Mesh',
    });
    expect(
      items(
        toLitmusChaosEngine({ ...partition, target: byNamespace.target }),
      ).map(x => x.metadata.namespace),
    ).toEqual(['payments-use', 'payments-euw']);
    // no regions and no canary: the target's own namespace and labels
    const everywhere = items(
      toChaosMesh({
        ...one({ type: 'pod-kill' }),
        blastRadius: { podPercent: 5, regions: [], canaryOnly: false },
      }),
    );
    expect(everywhere[0].spec.selector).toEqual({
      namespaces: ['payments'],
      labelSelectors: { app: 'payment-svc' },
    });
  });

  it('gives pod engines the share of pods, and refuses an experiment that only gives a share of requests', () => {
    const requestsOnly = {
      ...latency,
      blastRadius: {
        ...latency.blastRadius,
        podPercent: undefined,
        podPercentX: 1,
      },
    };
    delete (requestsOnly.blastRadius as any).podPercentX;
    const refusal =
      'blastRadius.podPercent: Litmus selects pods, not requests: set podPercent (trafficPercent is a share of requests, which only the Istio export honours)';
    expect(toLitmusChaosEngine(requestsOnly)).toEqual({
      ok: false,
      error: refusal,
    });
    expect(
      toChaosMesh({
        ...requestsOnly,
        target: { namespace: 'payments', labels: { app: 'payment-svc' } },
      }),
    ).toEqual({
      ok: false,
      error: refusal.replace('Litmus', 'Chaos Mesh'),
    });
    expect(
      toChaosToolkit(requestsOnly, {
        backendBaseUrl: 'http://127.0.0.1:7007',
        entityRef: 'component:default/checkout',
      }),
    ).toEqual({
      ok: false,
      error: refusal.replace('Litmus', 'Chaos Toolkit (through Litmus)'),
    });
    const pods = {
      ...latency,
      blastRadius: { ...latency.blastRadius, trafficPercent: 1, podPercent: 7 },
    };
    expect(envOf(items(toLitmusChaosEngine(pods))[0]).PODS_AFFECTED_PERC).toBe(
      '7',
    );
  });

  it('writes Chaos Mesh objects with fixed-percent mode, the share of pods and the duration', () => {
    const r = toChaosMesh(one({ type: 'latency', ms: 300, jitterMs: 0 }));
    expect(r.ok && r.value).toMatchObject({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'NetworkChaos',
      metadata: {
        name: 'brownout-checkout',
        namespace: 'payments',
        annotations: {
          'reliability.io/blast-radius':
            '5% of pods, canary only (track=canary), nodes with topology.kubernetes.io/region=us-east',
        },
      },
      spec: {
        action: 'delay',
        mode: 'fixed-percent',
        value: '5',
        duration: '5m',
        delay: { latency: '300ms', jitter: '0ms' },
        selector: {
          namespaces: ['payments'],
          labelSelectors: { app: 'payment-svc', track: 'canary' },
          nodeSelectors: { 'topology.kubernetes.io/region': 'us-east' },
        },
      },
    });
    const kinds: string[] = [];
    for (const e of variants.slice(3)) {
      const m = toChaosMesh(e);
      expect([typeOf(e), m.ok && valid(meshSchema, m.value)]).toEqual([
        typeOf(e),
        'valid',
      ]);
      if (m.ok) kinds.push(`${m.value.kind}`);
    }
    expect(kinds).toEqual([
      'PodChaos',
      'StressChaos',
      'StressChaos',
      'NetworkChaos',
      'NetworkChaos',
    ]);
    // the schema does catch a wrong object
    expect(
      valid(meshSchema, {
        apiVersion: 'chaos-mesh.org/v1alpha1',
        kind: 'NetworkChaos',
        metadata: { name: 'x' },
        spec: { action: 'delay', mode: 'fixed-percent', selector: {} },
      }),
    ).toMatch(/delay/);
    expect(
      valid(meshSchema, {
        apiVersion: 'chaos-mesh.org/v1alpha1',
        kind: 'PodChaos',
        metadata: { name: 'x' },
        spec: { action: 'pod-kill', mode: 'all', selector: { region: 'x' } },
      }),
    ).toMatch(/additional properties/);
  });

  it('refuses what an engine cannot express, saying why and naming the field', () => {
    expect(toChaosMesh(latency)).toEqual({
      ok: false,
      error:
        'target.labels: Chaos Mesh selects pods by labels; add the labels of the deployment',
    });
    expect(toChaosMesh(brownout)).toEqual({
      ok: false,
      error:
        'injections.1: Chaos Mesh HTTPChaos cannot fail a percentage of requests; export to Litmus, Chaos Toolkit or Istio',
    });
    expect(toChaosMesh(one({ type: 'error-rate', percent: 5 }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^injection: Chaos Mesh HTTPChaos/),
    });
  });

  describe('Istio', () => {
    // the brownout on a share of requests: every pod behind the Service, in the namespace of each region
    const mesh = {
      ...brownout,
      target: {
        ...brownout.target,
        service: 'payment-svc',
        regionNamespaces: { 'us-east': 'payments' },
      },
      blastRadius: {
        ...brownout.blastRadius,
        trafficPercent: 8,
        canaryOnly: false,
      },
    };

    it('writes latency + 5xx as one fault with a delay and an abort on the share of requests', () => {
      const r = toIstioVirtualService(mesh);
      expect(r.ok && valid(istioSchema, r.value)).toBe('valid');
      expect(r.ok && r.value).toEqual({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: {
          name: 'brownout-checkout',
          namespace: 'payments',
          labels: {
            'reliability.io/experiment': 'brownout-checkout',
            'reliability.io/region': 'us-east',
          },
          annotations: {
            'reliability.io/blast-radius':
              '8% of requests, region us-east (namespace payments)',
          },
        },
        spec: {
          hosts: ['payment-svc.payments.svc.cluster.local'],
          http: [
            {
              fault: {
                delay: {
                  fixedDelay: '1.5s',
                  percentage: { value: 8 },
                },
                // 20% of the 8% of requests that the blast radius reaches
                abort: { httpStatus: 500, percentage: { value: 1.6 } },
              },
              route: [
                {
                  destination: {
                    host: 'payment-svc.payments.svc.cluster.local',
                  },
                },
              ],
            },
          ],
        },
      });
    });

    it('writes one VirtualService per region namespace, and a latency alone as a delay', () => {
      const r = toIstioVirtualService({
        ...mesh,
        injections: [{ type: 'latency', ms: 250, jitterMs: 0 }],
        target: {
          ...mesh.target,
          regionNamespaces: {
            'us-east': 'payments-use',
            'eu-west': 'payments-euw',
          },
        },
        blastRadius: { ...mesh.blastRadius, regions: ['us-east', 'eu-west'] },
      });
      expect(r.ok && valid(istioSchema, r.value)).toBe('valid');
      expect(
        items(r).map(v => [
          v.metadata.namespace,
          v.spec.hosts[0],
          v.spec.http[0].fault,
        ]),
      ).toEqual([
        [
          'payments-use',
          'payment-svc.payments-use.svc.cluster.local',
          { delay: { fixedDelay: '0.25s', percentage: { value: 8 } } },
        ],
        [
          'payments-euw',
          'payment-svc.payments-euw.svc.cluster.local',
          { delay: { fixedDelay: '0.25s', percentage: { value: 8 } } },
        ],
      ]);
    });

    it('refuses what a route cannot do, naming the field', () => {
      const refusal = (e: ChaosExperiment) => {
        const r = toIstioVirtualService(e);
        return r.ok ? 'exported' : r.error.split(':')[0];
      };
      expect(refusal(brownout)).toBe('blastRadius.canaryOnly');
      expect(
        refusal({
          ...mesh,
          blastRadius: { ...mesh.blastRadius, trafficPercent: undefined },
        }),
      ).toBe('blastRadius.trafficPercent');
      expect(
        refusal({
          ...mesh,
          target: { ...mesh.target, regionNamespaces: undefined },
        }),
      ).toBe('blastRadius.regions');
      expect(
        refusal({ ...mesh, target: { ...mesh.target, service: undefined } }),
      ).toBe('target.service');
      expect(refusal({ ...mesh, injections: [{ type: 'pod-kill' }] })).toBe(
        'injections.0.type',
      );
      expect(
        refusal({
          ...mesh,
          injections: [{ type: 'latency', ms: 300, jitterMs: 30 }],
        }),
      ).toBe('injections.0.jitterMs');
      expect(
        refusal({
          ...mesh,
          injections: [
            { type: 'error-rate', percent: 5 },
            { type: 'error-rate', percent: 10 },
          ],
        }),
      ).toBe('injections.1');
      // the schema does catch a wrong fault
      expect(
        valid(istioSchema, {
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'x', namespace: 'y' },
          spec: {
            hosts: ['x'],
            http: [
              { fault: { delay: { fixedDelay: '300ms', percentage: 5 } } },
            ],
          },
        }),
      ).toMatch(/fixedDelay|percentage/);
    });

    it('lists for each engine whether it can run the experiment, and why not', () => {
      expect(chaosExportability(mesh)).toEqual({
        litmus: null,
        'chaos-mesh':
          'injections.1: Chaos Mesh HTTPChaos cannot fail a percentage of requests; export to Litmus, Chaos Toolkit or Istio',
        'chaos-toolkit': null,
        istio: null,
      });
    });
  });

  it('scopes PromQL abort conditions and alert labels to what the experiment hits', () => {
    const q =
      'rate(x{region=~"{{regions}}",namespace=~"{{ namespaces }}"}[5m])';
    expect(scopeChaosQuery(q, brownout)).toEqual({
      ok: true,
      query: 'rate(x{region=~"us-east",namespace=~"payments"}[5m])',
    });
    const two = {
      ...brownout,
      target: {
        ...brownout.target,
        regionNamespaces: { 'us-east': 'pay-use', 'eu.west': 'pay-euw' },
      },
      blastRadius: { ...brownout.blastRadius, regions: ['us-east', 'eu.west'] },
    };
    // a dot in a region is escaped for the regular expression inside a PromQL string
    expect(scopeChaosQuery(q, two)).toEqual({
      ok: true,
      query:
        'rate(x{region=~"us-east|eu\\\\.west",namespace=~"pay-use|pay-euw"}[5m])',
    });
    expect(
      scopeChaosQuery(q, {
        ...brownout,
        blastRadius: { ...brownout.blastRadius, regions: [] },
      }),
    ).toEqual({
      ok: true,
      query: 'rate(x{region=~".*",namespace=~"payments"}[5m])',
    });
    expect(
      scopeChaosQuery(q, {
        ...brownout,
        blastRadius: { ...brownout.blastRadius, regions: ['us east"}'] },
      }),
    ).toEqual({
      ok: false,
      error:
        'uses {{regions}}, and the region "us east\\"}" is not a label value',
    });
    expect(scopeChaosQuery('up{x="{{nope}}"}', brownout)).toEqual({
      ok: false,
      error:
        'has an unknown placeholder {{nope}}: use {{regions}} or {{namespaces}}',
    });
    expect(chaosScopeLabels(brownout)).toEqual({
      injection: 'latency+error-rate',
      namespace: 'payments',
      regions: 'us-east',
      canary: 'true',
    });
  });

  it('writes a Chaos Toolkit experiment whose steady state is the SLO budget gate', () => {
    const r = toChaosToolkit(latency, {
      backendBaseUrl: 'https://backstage.example/',
      entityRef: 'component:default/checkout',
    });
    expect(r.ok && valid(toolkitSchema, r.value)).toBe('valid');
    expect(r.ok && r.value).toMatchObject({
      title: latency.hypothesis,
      'steady-state-hypothesis': {
        probes: [
          {
            provider: {
              type: 'http',
              url: 'https://backstage.example/api/reliability/gate?entityRef=component%3Adefault%2Fcheckout',
            },
            tolerance: { path: '$.allow', expect: true },
          },
        ],
      },
      rollbacks: [
        {
          type: 'action',
          provider: {
            type: 'process',
            path: 'sh',
            arguments: ['-c', 'tc qdisc del dev eth0 root netem'],
          },
        },
      ],
    });
    for (const e of variants) {
      const t = toChaosToolkit(e, {
        backendBaseUrl: 'http://127.0.0.1:7007',
        entityRef: 'component:default/checkout',
      });
      expect([typeOf(e), t.ok && valid(toolkitSchema, t.value)]).toEqual([
        typeOf(e),
        'valid',
      ]);
    }
  });
});
