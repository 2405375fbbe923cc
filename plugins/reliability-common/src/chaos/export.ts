import { durationMs } from '../math/duration';
import {
  ChaosExperiment,
  ChaosInjection,
  chaosInjectionField,
  chaosInjections,
  DEFAULT_CANARY_LABELS,
  REGION_NODE_LABEL,
} from './experiment';

/** An export, or why this engine cannot run the experiment (the message starts with the field). @public */
export type ChaosExport =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: string };

/** The engines an experiment exports to. @public */
export const CHAOS_EXPORT_FORMATS = [
  'litmus',
  'chaos-mesh',
  'chaos-toolkit',
  'istio',
] as const;
/** @public */
export type ChaosExportFormat = (typeof CHAOS_EXPORT_FORMATS)[number];

/**
 * What each engine's blast radius counts: pods (`blastRadius.podPercent`: Litmus, Chaos Mesh, and Chaos Toolkit,
 * which applies the Litmus export) or requests (`blastRadius.trafficPercent`: Istio).
 * @public
 */
export const CHAOS_EXPORT_SHARE: Record<ChaosExportFormat, 'pods' | 'traffic'> =
  {
    litmus: 'pods',
    'chaos-mesh': 'pods',
    'chaos-toolkit': 'pods',
    istio: 'traffic',
  };

type Failure = { ok: false; error: string };
const fail = (error: string): Failure => ({ ok: false, error });
const failed = (v: unknown): v is Failure =>
  typeof v === 'object' && v !== null && (v as Failure).ok === false;

const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const seconds = (d: string) => String(Math.round(durationMs(d) / 1000));
const labelSelector = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** Where one object of an export goes: a namespace, and the region whose nodes it selects (node-label regions). */
interface Scope {
  namespace: string;
  region?: string;
  nodeRegion?: string;
}

/**
 * The places the blast radius names: the target's namespace when no region is given; with regions, the namespace
 * declared per region (`target.regionNamespaces`), else the target's namespace on the nodes of each region
 * (`topology.kubernetes.io/region`).
 */
function scopes(e: ChaosExperiment, engine: string): Scope[] | Failure {
  const regions = e.blastRadius.regions;
  if (!regions.length) return [{ namespace: e.target.namespace }];
  const byNamespace = e.target.regionNamespaces;
  if (byNamespace) {
    const out: Scope[] = [];
    for (const [i, region] of regions.entries()) {
      const namespace = byNamespace[region];
      if (!namespace)
        return fail(
          `blastRadius.regions.${i}: ${region} has no namespace in target.regionNamespaces`,
        );
      if (!out.some(s => s.namespace === namespace))
        out.push({ namespace, region });
    }
    return out;
  }
  for (const [i, region] of regions.entries())
    if (!LABEL_VALUE.test(region))
      return fail(
        `blastRadius.regions.${i}: ${engine} selects a region by the node label ${REGION_NODE_LABEL}, and ${JSON.stringify(
          region,
        )} is not a label value; declare target.regionNamespaces instead`,
      );
  return [...new Set(regions)].map(region => ({
    namespace: e.target.namespace,
    region,
    nodeRegion: region,
  }));
}

/** The pods' labels: the target's, and the canary's when only the canary is hit. */
function podLabels(e: ChaosExperiment): Record<string, string> {
  const labels: Record<string, string> = e.target.labels
    ? { ...e.target.labels }
    : { app: e.target.deployment! };
  if (e.blastRadius.canaryOnly)
    Object.assign(labels, e.target.canaryLabels ?? DEFAULT_CANARY_LABELS);
  return labels;
}

/** The share of pods a pod-selecting engine hits, or why it has none. */
function podShare(e: ChaosExperiment, engine: string): number | Failure {
  if (e.blastRadius.podPercent === undefined)
    return fail(
      `blastRadius.podPercent: ${engine} selects pods, not requests: set podPercent (trafficPercent is a share of requests, which only the Istio export honours)`,
    );
  return e.blastRadius.podPercent;
}

/** What the export hits, in words, on each object it writes. */
function scopeNote(
  e: ChaosExperiment,
  share: string,
  scope: Scope,
  labels?: Record<string, string>,
): string {
  const parts = [share];
  if (e.blastRadius.canaryOnly && labels)
    parts.push(
      `canary only (${labelSelector(
        e.target.canaryLabels ?? DEFAULT_CANARY_LABELS,
      )})`,
    );
  if (scope.nodeRegion)
    parts.push(`nodes with ${REGION_NODE_LABEL}=${scope.nodeRegion}`);
  else if (scope.region)
    parts.push(`region ${scope.region} (namespace ${scope.namespace})`);
  return parts.join(', ');
}

/** Object names: the experiment's name when it writes one object per namespace, else numbered (at most 63). */
function namer(e: ChaosExperiment, count: number) {
  return (n: number) => {
    if (count === 1) return e.name;
    const suffix = `-${n + 1}`;
    return `${e.name.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
  };
}

/** One object, or a Kubernetes `v1 List` of them (`kubectl apply -f` takes both). */
function oneOrList(items: Record<string, unknown>[]): Record<string, unknown> {
  return items.length === 1
    ? items[0]
    : { apiVersion: 'v1', kind: 'List', items };
}

function metadata(
  e: ChaosExperiment,
  name: string,
  scope: Scope,
  note: string,
): Record<string, unknown> {
  return {
    name,
    namespace: scope.namespace,
    labels: {
      'reliability.io/experiment': e.name,
      ...(scope.region && LABEL_VALUE.test(scope.region)
        ? { 'reliability.io/region': scope.region }
        : {}),
    },
    annotations: { 'reliability.io/blast-radius': note },
  };
}

/** The Litmus experiment and its env for one fault. */
function litmusFault(i: ChaosInjection): {
  experiment: string;
  env: { name: string; value: string }[];
} {
  switch (i.type) {
    case 'latency':
      return {
        experiment: 'pod-network-latency',
        env: [
          { name: 'NETWORK_LATENCY', value: String(i.ms) },
          { name: 'JITTER', value: String(i.jitterMs) },
        ],
      };
    case 'error-rate':
      return {
        experiment: 'pod-http-status-code',
        env: [
          { name: 'STATUS_CODE', value: '500' },
          { name: 'TOXICITY', value: String(i.percent) },
        ],
      };
    case 'pod-kill':
      return { experiment: 'pod-delete', env: [] };
    case 'cpu-stress':
      return {
        experiment: 'pod-cpu-hog',
        env: [
          { name: 'CPU_CORES', value: String(i.workers) },
          { name: 'CPU_LOAD', value: String(i.loadPercent) },
        ],
      };
    case 'memory-stress':
      return {
        experiment: 'pod-memory-hog',
        env: [
          {
            name: 'MEMORY_CONSUMPTION',
            value: String(
              Number(i.size.slice(0, -2)) * (i.size.endsWith('GB') ? 1024 : 1),
            ),
          },
          { name: 'NUMBER_OF_WORKERS', value: String(i.workers) },
        ],
      };
    case 'network-partition':
      return { experiment: 'pod-network-partition', env: [] };
    default:
      return {
        experiment: 'pod-network-loss',
        env: [
          { name: 'NETWORK_PACKET_LOSS_PERCENTAGE', value: '100' },
          { name: 'DESTINATION_HOSTS', value: i.hosts.join(',') },
        ],
      };
  }
}

/**
 * Litmus `ChaosEngine`s (litmuschaos.io/v1alpha1), one per fault and place, running at once: latency →
 * `pod-network-latency` (NETWORK_LATENCY, JITTER), error rate → `pod-http-status-code`, pod kill → `pod-delete`, CPU
 * → `pod-cpu-hog`, memory → `pod-memory-hog`, partition → `pod-network-partition`, egress block →
 * `pod-network-loss` to the hosts. PODS_AFFECTED_PERC is `blastRadius.podPercent` (Litmus selects pods: an
 * experiment with only `trafficPercent` is refused), TOTAL_CHAOS_DURATION the duration in seconds. `canaryOnly`
 * adds the canary labels to `appinfo.applabel`; regions are the namespaces declared per region (`appns`) or
 * NODE_LABEL `topology.kubernetes.io/region=<region>` (which every experiment here reads but pod-network-partition,
 * refused with node-label regions). Several objects come as a `v1 List`.
 * @public
 */
export function toLitmusChaosEngine(e: ChaosExperiment): ChaosExport {
  const share = podShare(e, 'Litmus');
  if (failed(share)) return share;
  const places = scopes(e, 'Litmus');
  if (failed(places)) return places;
  const faults = chaosInjections(e);
  // Litmus's pod-network-partition is a network policy: it has no NODE_LABEL to keep to a region's nodes
  const partition = faults.findIndex(f => f.type === 'network-partition');
  if (partition >= 0 && places.some(p => p.nodeRegion))
    return fail(
      `blastRadius.regions: Litmus pod-network-partition (${chaosInjectionField(
        e,
        partition,
      )}) cannot keep to the nodes of a region (it has no NODE_LABEL); declare target.regionNamespaces or export to Chaos Mesh`,
    );
  const labels = podLabels(e);
  const name = namer(
    e,
    places.some(p => p.nodeRegion)
      ? places.length * faults.length
      : faults.length,
  );
  const items: Record<string, unknown>[] = [];
  places.forEach((scope, p) =>
    faults.forEach((fault, f) => {
      const { experiment, env } = litmusFault(fault);
      const index = scope.nodeRegion ? p * faults.length + f : f;
      items.push({
        apiVersion: 'litmuschaos.io/v1alpha1',
        kind: 'ChaosEngine',
        metadata: metadata(
          e,
          name(index),
          scope,
          scopeNote(e, `${share}% of pods`, scope, labels),
        ),
        spec: {
          engineState: 'active',
          appinfo: {
            appns: scope.namespace,
            applabel: labelSelector(labels),
            appkind: 'deployment',
          },
          chaosServiceAccount: `${experiment}-sa`,
          jobCleanUpPolicy: 'delete',
          experiments: [
            {
              name: experiment,
              spec: {
                components: {
                  env: [
                    {
                      name: 'TOTAL_CHAOS_DURATION',
                      value: seconds(e.duration),
                    },
                    { name: 'PODS_AFFECTED_PERC', value: String(share) },
                    ...(scope.nodeRegion
                      ? [
                          {
                            name: 'NODE_LABEL',
                            value: `${REGION_NODE_LABEL}=${scope.nodeRegion}`,
                          },
                        ]
                      : []),
                    ...env,
                  ],
                },
              },
            },
          ],
        },
      });
    }),
  );
  return { ok: true, value: oneOrList(items) };
}

/** The Chaos Mesh kind and spec of one fault, or why it cannot. */
function meshFault(
  e: ChaosExperiment,
  i: ChaosInjection,
  n: number,
): { kind: string; spec: Record<string, unknown> } | Failure {
  switch (i.type) {
    case 'latency':
      return {
        kind: 'NetworkChaos',
        spec: {
          action: 'delay',
          delay: { latency: `${i.ms}ms`, jitter: `${i.jitterMs}ms` },
        },
      };
    case 'network-partition':
      return {
        kind: 'NetworkChaos',
        spec: { action: 'partition', direction: i.direction },
      };
    case 'egress-block':
      return {
        kind: 'NetworkChaos',
        spec: {
          action: 'loss',
          direction: 'to',
          externalTargets: i.hosts,
          loss: { loss: '100' },
        },
      };
    case 'pod-kill':
      return { kind: 'PodChaos', spec: { action: 'pod-kill' } };
    case 'cpu-stress':
      return {
        kind: 'StressChaos',
        spec: {
          stressors: { cpu: { workers: i.workers, load: i.loadPercent } },
        },
      };
    case 'memory-stress':
      return {
        kind: 'StressChaos',
        spec: { stressors: { memory: { workers: i.workers, size: i.size } } },
      };
    default:
      return fail(
        `${chaosInjectionField(
          e,
          n,
        )}: Chaos Mesh HTTPChaos cannot fail a percentage of requests; export to Litmus, Chaos Toolkit or Istio`,
      );
  }
}

/**
 * Chaos Mesh objects (chaos-mesh.org/v1alpha1), one per fault, running at once: `NetworkChaos` (latency, partition,
 * egress block), `PodChaos` (pod kill) or `StressChaos` (CPU, memory), with `mode: fixed-percent` and `value` the
 * share of pods (`blastRadius.podPercent`), and `duration`. The selector holds the target's labels (plus the
 * canary's with `canaryOnly`), the namespaces (those declared per region), or `nodeSelectors`
 * `topology.kubernetes.io/region` (one object per region). Chaos Mesh selects pods by labels: a target given only as
 * a deployment is refused, as is an error rate (its HTTPChaos has no percentage). Several objects come as a `v1 List`.
 * @public
 */
export function toChaosMesh(e: ChaosExperiment): ChaosExport {
  if (!Object.keys(e.target.labels ?? {}).length)
    return fail(
      'target.labels: Chaos Mesh selects pods by labels; add the labels of the deployment',
    );
  const share = podShare(e, 'Chaos Mesh');
  if (failed(share)) return share;
  const places = scopes(e, 'Chaos Mesh');
  if (failed(places)) return places;
  const faults: { kind: string; spec: Record<string, unknown> }[] = [];
  for (const [n, i] of chaosInjections(e).entries()) {
    const f = meshFault(e, i, n);
    if (failed(f)) return f;
    faults.push(f);
  }
  const labels = podLabels(e);
  // node-label regions: one object per region (nodeSelectors are ANDed); namespaces: one selector lists them all
  const groups: Scope[][] = places.some(p => p.nodeRegion)
    ? places.map(p => [p])
    : [places];
  const name = namer(e, groups.length * faults.length);
  const items: Record<string, unknown>[] = [];
  groups.forEach((group, g) =>
    faults.forEach((fault, f) => {
      const first = group[0];
      const note =
        group.length > 1
          ? `${share}% of pods${
              e.blastRadius.canaryOnly
                ? `, canary only (${labelSelector(
                    e.target.canaryLabels ?? DEFAULT_CANARY_LABELS,
                  )})`
                : ''
            }, regions ${group
              .map(s => `${s.region} (namespace ${s.namespace})`)
              .join(', ')}`
          : scopeNote(e, `${share}% of pods`, first, labels);
      items.push({
        apiVersion: 'chaos-mesh.org/v1alpha1',
        kind: fault.kind,
        metadata: metadata(
          e,
          name(g * faults.length + f),
          group.length > 1 ? { namespace: first.namespace } : first,
          note,
        ),
        spec: {
          ...fault.spec,
          mode: 'fixed-percent',
          value: String(share),
          selector: {
            namespaces: group.map(s => s.namespace),
            labelSelectors: labels,
            ...(first.nodeRegion
              ? { nodeSelectors: { [REGION_NODE_LABEL]: first.nodeRegion } }
              : {}),
          },
          duration: e.duration,
        },
      });
    }),
  );
  return { ok: true, value: oneOrList(items) };
}

/**
 * An Istio `VirtualService` (networking.istio.io/v1) per namespace that injects the faults into a share of the
 * requests to the target's Service: latency → `fault.delay` (`fixedDelay`, `percentage.value` =
 * `blastRadius.trafficPercent`), error rate → `fault.abort` (`httpStatus` 500, `percentage.value` = the traffic
 * share times the error rate), both in one fault for a brownout. Istio routes requests, so it needs
 * `trafficPercent` and `target.service`; it refuses faults that act on pods, jitter, more than one delay or abort,
 * `canaryOnly` (a route's fault hits every pod behind it) and regions given as node labels (regions must be
 * declared as namespaces, `target.regionNamespaces`). Several namespaces come as a `v1 List`.
 * @public
 */
export function toIstioVirtualService(e: ChaosExperiment): ChaosExport {
  const traffic = e.blastRadius.trafficPercent;
  if (traffic === undefined)
    return fail(
      'blastRadius.trafficPercent: Istio faults a share of requests: set trafficPercent (podPercent is a share of pods, which Istio does not select)',
    );
  if (e.blastRadius.canaryOnly)
    return fail(
      'blastRadius.canaryOnly: an Istio fault applies to every request of a route, whichever pod serves it, so it cannot keep to the canary; set canaryOnly to false or export to Litmus or Chaos Mesh',
    );
  if (e.blastRadius.regions.length && !e.target.regionNamespaces)
    return fail(
      'blastRadius.regions: Istio cannot select the pods of a region by node label; declare the namespace per region (target.regionNamespaces) or export to Litmus or Chaos Mesh',
    );
  if (!e.target.service)
    return fail(
      'target.service: the Istio export needs the Kubernetes Service in front of the workload (the VirtualService host)',
    );
  const fault: Record<string, unknown> = {};
  for (const [n, i] of chaosInjections(e).entries()) {
    const field = chaosInjectionField(e, n);
    if (i.type === 'latency') {
      if (fault.delay)
        return fail(
          `${field}: Istio applies one delay per route; merge the latency injections`,
        );
      if (i.jitterMs > 0)
        return fail(
          `${field}.jitterMs: Istio delays are fixed (fixedDelay); set jitterMs to 0 or export to Litmus or Chaos Mesh`,
        );
      fault.delay = {
        fixedDelay: `${i.ms / 1000}s`,
        percentage: { value: traffic },
      };
    } else if (i.type === 'error-rate') {
      if (fault.abort)
        return fail(
          `${field}: Istio applies one abort per route; merge the error-rate injections`,
        );
      fault.abort = {
        httpStatus: 500,
        percentage: { value: Number(((traffic * i.percent) / 100).toFixed(4)) },
      };
    } else {
      return fail(
        `${field}.type: Istio injects only latency and errors into requests; ${i.type} acts on pods: export to Litmus or Chaos Mesh`,
      );
    }
  }
  const places = scopes(e, 'Istio');
  if (failed(places)) return places;
  const items = places.map(scope => {
    const host = `${e.target.service}.${scope.namespace}.svc.cluster.local`;
    return {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: metadata(
        e,
        e.name,
        scope,
        scopeNote(e, `${traffic}% of requests`, scope),
      ),
      spec: {
        hosts: [host],
        http: [{ fault, route: [{ destination: { host } }] }],
      },
    };
  });
  return { ok: true, value: oneOrList(items) };
}

/** The export for a format (Chaos Toolkit needs the backend's base URL and the entity). @public */
export function exportChaosExperiment(
  e: ChaosExperiment,
  format: ChaosExportFormat,
  options: { backendBaseUrl: string; entityRef: string },
): ChaosExport {
  if (format === 'litmus') return toLitmusChaosEngine(e);
  if (format === 'chaos-mesh') return toChaosMesh(e);
  if (format === 'istio') return toIstioVirtualService(e);
  return toChaosToolkit(e, options);
}

/** The engines an experiment exports to, and why each other one refuses it. @public */
export function chaosExportability(
  e: ChaosExperiment,
): Record<ChaosExportFormat, string | null> {
  const out = {} as Record<ChaosExportFormat, string | null>;
  for (const f of CHAOS_EXPORT_FORMATS) {
    const r = exportChaosExperiment(e, f, {
      backendBaseUrl: 'http://localhost',
      entityRef: 'component:default/x',
    });
    out[f] = r.ok ? null : r.error;
  }
  return out;
}

/**
 * A Chaos Toolkit experiment (JSON): the steady-state hypothesis probes the suite's launch gate for the entity
 * (allowed means the SLO keeps its budget), the method applies the Litmus export of the experiment
 * (`<name>.chaosengine.yaml`, so the same pods, regions and canary) with kubectl, and the rollbacks are the
 * experiment's rollback steps as shell commands.
 * @public
 */
export function toChaosToolkit(
  e: ChaosExperiment,
  options: { backendBaseUrl: string; entityRef: string },
): ChaosExport {
  const litmus = toLitmusChaosEngine(e);
  if (!litmus.ok)
    return fail(
      litmus.error.replace(' Litmus ', ' Chaos Toolkit (through Litmus) '),
    );
  const gateUrl = `${options.backendBaseUrl.replace(
    /\/+$/,
    '',
  )}/api/reliability/gate?entityRef=${encodeURIComponent(options.entityRef)}`;
  const types = chaosInjections(e).map(i => i.type);
  const where = [
    e.target.namespace,
    ...(e.blastRadius.regions.length
      ? [`regions ${e.blastRadius.regions.join(', ')}`]
      : []),
    ...(e.blastRadius.canaryOnly ? ['canary only'] : []),
  ].join(', ');
  return {
    ok: true,
    value: {
      version: '1.0.0',
      title: e.hypothesis,
      description: `${e.name}: ${types.join(' + ')} on ${where}, ${
        e.blastRadius.podPercent
      }% of pods for ${e.duration} (${e.environment})`,
      tags: ['reliability', e.environment, ...new Set(types)],
      configuration: {
        reliability_token: { type: 'env', key: 'RELIABILITY_TOKEN' },
      },
      'steady-state-hypothesis': {
        title: `${e.steadyState.slo} keeps its error budget`,
        probes: [
          {
            type: 'probe',
            name: 'slo-budget-gate',
            tolerance: {
              type: 'jsonpath',
              path: '$.allow',
              expect: true,
              target: 'body',
            },
            provider: {
              type: 'http',
              url: gateUrl,
              headers: { Authorization: 'Bearer ${reliability_token}' },
              timeout: 10,
            },
          },
        ],
      },
      method: [
        {
          type: 'action',
          name: `inject-${types.join('-')}`.slice(0, 200),
          // the Litmus export of the same experiment, saved beside this file
          provider: {
            type: 'process',
            path: 'kubectl',
            arguments: ['apply', '-f', `${e.name}.chaosengine.yaml`],
            timeout: 60,
          },
          background: false,
        },
        {
          type: 'action',
          name: 'hold',
          provider: {
            type: 'process',
            path: 'sleep',
            arguments: [seconds(e.duration)],
          },
        },
      ],
      rollbacks: e.rollback.map((step, n) => ({
        type: 'action',
        name: `rollback-${n + 1}`,
        provider: { type: 'process', path: 'sh', arguments: ['-c', step] },
      })),
    },
  };
}

/**
 * The labels a chaos alert (started, aborted, ended) carries about what the experiment hits, so a remediation rule
 * can start or halt the engine of the right place: `injection` (its fault types, `latency+error-rate`),
 * `namespace`, `regions` (comma-separated, empty for everywhere) and `canary` (`true` or `false`).
 * @public
 */
export function chaosScopeLabels(e: ChaosExperiment): Record<string, string> {
  return {
    injection: chaosInjections(e)
      .map(i => i.type)
      .join('+'),
    namespace: e.target.namespace,
    regions: e.blastRadius.regions.join(','),
    canary: String(e.blastRadius.canaryOnly),
  };
}

const PLACEHOLDER = /\{\{\s*([a-zA-Z]{1,20})\s*\}\}/g;
const LABEL_VALUE_ONLY = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;

/**
 * A PromQL abort condition scoped to what the experiment hits: `{{regions}}` becomes a regular expression matching
 * the blast radius's regions (`us-east|eu-west`, `.*` when it names none; use it as `region=~"{{regions}}"`), and
 * `{{namespaces}}` the namespaces it selects (those declared per region, else the target's). Answers the query, or
 * why it cannot be scoped (an unknown placeholder, a region that is not a label value).
 * @public
 */
export function scopeChaosQuery(
  query: string,
  e: {
    target?: { namespace?: unknown; regionNamespaces?: unknown };
    blastRadius?: { regions?: unknown };
  },
): { ok: true; query: string } | { ok: false; error: string } {
  const regions = Array.isArray(e.blastRadius?.regions)
    ? (e.blastRadius!.regions as unknown[]).filter(
        (r): r is string => typeof r === 'string',
      )
    : [];
  const byNamespace =
    typeof e.target?.regionNamespaces === 'object' &&
    e.target?.regionNamespaces !== null
      ? (e.target!.regionNamespaces as Record<string, unknown>)
      : undefined;
  const namespaces =
    regions.length && byNamespace
      ? regions.map(r => byNamespace[r]).filter(n => typeof n === 'string')
      : [e.target?.namespace].filter(n => typeof n === 'string');
  const alternation = (values: unknown[]) =>
    values.length
      ? [...new Set(values as string[])]
          .map(v => v.replace(/\./g, '\\\\.'))
          .join('|')
      : '.*';
  let error: string | undefined;
  const rendered = query.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'regions') {
      const bad = regions.find(r => !LABEL_VALUE_ONLY.test(r));
      if (bad !== undefined) {
        error ??= `uses {{regions}}, and the region ${JSON.stringify(
          bad,
        )} is not a label value`;
        return whole;
      }
      return alternation(regions);
    }
    if (name === 'namespaces') return alternation(namespaces);
    error ??= `has an unknown placeholder ${whole}: use {{regions}} or {{namespaces}}`;
    return whole;
  });
  return error === undefined
    ? { ok: true, query: rendered }
    : { ok: false, error };
}
