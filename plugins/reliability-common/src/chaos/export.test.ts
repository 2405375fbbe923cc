import { readFileSync } from 'fs';
import path from 'path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { chaosExperimentSchema, ChaosExperiment } from './experiment';
import { toChaosMesh, toChaosToolkit, toLitmusChaosEngine } from './export';

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

const seed = (name: string): ChaosExperiment =>
  chaosExperimentSchema.parse(
    parse(
      readFileSync(
        path.join(__dirname, '../../../../catalog/chaos/experiments', name),
        'utf8',
      ),
    ),
  );

const valid = (validate: ReturnType<typeof ajv.compile>, value: unknown) => {
  const ok = validate(value);
  return ok ? 'valid' : ajv.errorsText(validate.errors);
};

describe('chaos experiment exports', () => {
  const latency = seed('latency_checkout.yaml');
  const brownout = seed('brownout_checkout.yaml');
  const variants: ChaosExperiment[] = [
    latency,
    brownout,
    { ...brownout, injection: { type: 'pod-kill' } },
    {
      ...brownout,
      injection: { type: 'cpu-stress', workers: 2, loadPercent: 90 },
    },
    {
      ...brownout,
      injection: { type: 'memory-stress', workers: 1, size: '1GB' },
    },
    { ...brownout, injection: { type: 'network-partition', direction: 'to' } },
    {
      ...brownout,
      injection: { type: 'egress-block', hosts: ['payments.example'] },
    },
  ];

  it('writes the seed latency experiment as a Litmus pod-network-latency ChaosEngine', () => {
    const r = toLitmusChaosEngine(latency);
    expect(r.ok && r.value).toMatchObject({
      kind: 'ChaosEngine',
      metadata: { name: 'latency-checkout', namespace: 'payments' },
      spec: {
        engineState: 'active',
        appinfo: {
          appns: 'payments',
          applabel: 'app=payment-svc',
          appkind: 'deployment',
        },
      },
    });
    const env = r.ok
      ? (r.value as any).spec.experiments[0].spec.components.env
      : [];
    expect((r as any).value.spec.experiments[0].name).toBe(
      'pod-network-latency',
    );
    expect(Object.fromEntries(env.map((e: any) => [e.name, e.value]))).toEqual({
      NETWORK_LATENCY: '300',
      JITTER: '30',
      PODS_AFFECTED_PERC: '5',
      TOTAL_CHAOS_DURATION: '600',
    });
  });

  it('writes every injection to Litmus, valid against the ChaosEngine schema', () => {
    for (const e of variants) {
      const r = toLitmusChaosEngine(e);
      expect([e.injection.type, r.ok && valid(litmusSchema, r.value)]).toEqual([
        e.injection.type,
        'valid',
      ]);
    }
  });

  it('writes Chaos Mesh objects with fixed-percent mode, the blast radius and the duration', () => {
    const r = toChaosMesh(
      brownout.injection.type === 'error-rate'
        ? { ...brownout, injection: { type: 'latency', ms: 300, jitterMs: 0 } }
        : brownout,
    );
    expect(r.ok && r.value).toMatchObject({
      kind: 'NetworkChaos',
      spec: {
        action: 'delay',
        mode: 'fixed-percent',
        value: '5',
        duration: '5m',
        delay: { latency: '300ms' },
        selector: {
          namespaces: ['payments'],
          labelSelectors: { app: 'payment-svc' },
        },
      },
    });
    const kinds: string[] = [];
    for (const e of variants.slice(2)) {
      const m = toChaosMesh(e);
      expect([e.injection.type, m.ok && valid(meshSchema, m.value)]).toEqual([
        e.injection.type,
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
  });

  it('refuses what an engine cannot express, saying why', () => {
    expect(toChaosMesh(latency)).toEqual({
      ok: false,
      error:
        'target.labels: Chaos Mesh selects pods by labels; add the labels of the deployment',
    });
    expect(toChaosMesh(brownout)).toMatchObject({
      ok: false,
      error: expect.stringContaining('HTTPChaos cannot fail a percentage'),
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
      expect([e.injection.type, t.ok && valid(toolkitSchema, t.value)]).toEqual(
        [e.injection.type, 'valid'],
      );
    }
  });
});
