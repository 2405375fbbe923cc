import { durationMs } from '../math/duration';
import { ChaosExperiment } from './experiment';

/** An export, or why this engine cannot run the experiment. @public */
export type ChaosExport =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: string };

/** The engines an experiment exports to. @public */
export const CHAOS_EXPORT_FORMATS = [
  'litmus',
  'chaos-mesh',
  'chaos-toolkit',
] as const;
/** @public */
export type ChaosExportFormat = (typeof CHAOS_EXPORT_FORMATS)[number];

const seconds = (d: string) => String(Math.round(durationMs(d) / 1000));
const blastPercent = (e: ChaosExperiment) =>
  e.blastRadius.podPercent ?? e.blastRadius.trafficPercent ?? 0;
const labelSelector = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * A Litmus `ChaosEngine` (litmuschaos.io/v1alpha1) running the matching Litmus experiment with its env:
 * latency → `pod-network-latency` (NETWORK_LATENCY, JITTER), error rate → `pod-http-status-code`, pod kill →
 * `pod-delete`, CPU → `pod-cpu-hog`, memory → `pod-memory-hog`, partition → `pod-network-partition`, egress
 * block → `pod-network-loss` to the hosts; PODS_AFFECTED_PERC is the blast radius, TOTAL_CHAOS_DURATION the
 * duration in seconds.
 * @public
 */
export function toLitmusChaosEngine(e: ChaosExperiment): ChaosExport {
  const env: { name: string; value: string }[] = [
    { name: 'TOTAL_CHAOS_DURATION', value: seconds(e.duration) },
    { name: 'PODS_AFFECTED_PERC', value: String(blastPercent(e)) },
  ];
  let experiment: string;
  const i = e.injection;
  switch (i.type) {
    case 'latency':
      experiment = 'pod-network-latency';
      env.push(
        { name: 'NETWORK_LATENCY', value: String(i.ms) },
        { name: 'JITTER', value: String(i.jitterMs) },
      );
      break;
    case 'error-rate':
      experiment = 'pod-http-status-code';
      env.push(
        { name: 'STATUS_CODE', value: '500' },
        { name: 'TOXICITY', value: String(i.percent) },
      );
      break;
    case 'pod-kill':
      experiment = 'pod-delete';
      break;
    case 'cpu-stress':
      experiment = 'pod-cpu-hog';
      env.push(
        { name: 'CPU_CORES', value: String(i.workers) },
        { name: 'CPU_LOAD', value: String(i.loadPercent) },
      );
      break;
    case 'memory-stress':
      experiment = 'pod-memory-hog';
      env.push(
        {
          name: 'MEMORY_CONSUMPTION',
          value: String(
            Number(i.size.slice(0, -2)) * (i.size.endsWith('GB') ? 1024 : 1),
          ),
        },
        { name: 'NUMBER_OF_WORKERS', value: String(i.workers) },
      );
      break;
    case 'network-partition':
      experiment = 'pod-network-partition';
      break;
    case 'egress-block':
      experiment = 'pod-network-loss';
      env.push(
        { name: 'NETWORK_PACKET_LOSS_PERCENTAGE', value: '100' },
        { name: 'DESTINATION_HOSTS', value: i.hosts.join(',') },
      );
      break;
    default:
      return { ok: false, error: 'unknown injection' };
  }
  const appinfo: Record<string, string> = {
    appns: e.target.namespace,
    appkind: 'deployment',
  };
  const selector = labelSelector(e.target.labels);
  if (selector) appinfo.applabel = selector;
  else appinfo.applabel = `app=${e.target.deployment}`;
  return {
    ok: true,
    value: {
      apiVersion: 'litmuschaos.io/v1alpha1',
      kind: 'ChaosEngine',
      metadata: {
        name: e.name,
        namespace: e.target.namespace,
        labels: { 'reliability.io/experiment': e.name },
      },
      spec: {
        engineState: 'active',
        appinfo,
        chaosServiceAccount: `${experiment}-sa`,
        jobCleanUpPolicy: 'delete',
        experiments: [{ name: experiment, spec: { components: { env } } }],
      },
    },
  };
}

/**
 * A Chaos Mesh object (chaos-mesh.org/v1alpha1): `NetworkChaos` (latency, partition, egress block), `PodChaos`
 * (pod kill) or `StressChaos` (CPU, memory), with `mode: fixed-percent`, `value` the blast radius and `duration`.
 * Chaos Mesh selects pods by labels: a target given only as a deployment is refused, as is an error rate (its
 * HTTPChaos has no percentage).
 * @public
 */
export function toChaosMesh(e: ChaosExperiment): ChaosExport {
  if (!Object.keys(e.target.labels ?? {}).length)
    return {
      ok: false,
      error:
        'target.labels: Chaos Mesh selects pods by labels; add the labels of the deployment',
    };
  const common = {
    mode: 'fixed-percent',
    value: String(blastPercent(e)),
    selector: {
      namespaces: [e.target.namespace],
      labelSelectors: e.target.labels,
    },
  };
  const metadata = {
    name: e.name,
    namespace: e.target.namespace,
    labels: { 'reliability.io/experiment': e.name },
  };
  const base = { apiVersion: 'chaos-mesh.org/v1alpha1', metadata };
  const i = e.injection;
  switch (i.type) {
    case 'latency':
      return {
        ok: true,
        value: {
          ...base,
          kind: 'NetworkChaos',
          spec: {
            action: 'delay',
            ...common,
            delay: { latency: `${i.ms}ms`, jitter: `${i.jitterMs}ms` },
            duration: e.duration,
          },
        },
      };
    case 'network-partition':
      return {
        ok: true,
        value: {
          ...base,
          kind: 'NetworkChaos',
          spec: {
            action: 'partition',
            ...common,
            direction: i.direction,
            duration: e.duration,
          },
        },
      };
    case 'egress-block':
      return {
        ok: true,
        value: {
          ...base,
          kind: 'NetworkChaos',
          spec: {
            action: 'loss',
            ...common,
            direction: 'to',
            externalTargets: i.hosts,
            loss: { loss: '100' },
            duration: e.duration,
          },
        },
      };
    case 'pod-kill':
      return {
        ok: true,
        value: {
          ...base,
          kind: 'PodChaos',
          spec: { action: 'pod-kill', ...common, duration: e.duration },
        },
      };
    case 'cpu-stress':
      return {
        ok: true,
        value: {
          ...base,
          kind: 'StressChaos',
          spec: {
            ...common,
            stressors: { cpu: { workers: i.workers, load: i.loadPercent } },
            duration: e.duration,
          },
        },
      };
    case 'memory-stress':
      return {
        ok: true,
        value: {
          ...base,
          kind: 'StressChaos',
          spec: {
            ...common,
            stressors: { memory: { workers: i.workers, size: i.size } },
            duration: e.duration,
          },
        },
      };
    case 'error-rate':
      return {
        ok: false,
        error:
          'injection: Chaos Mesh HTTPChaos cannot fail a percentage of requests; export to Litmus or Chaos Toolkit',
      };
    default:
      return { ok: false, error: 'unknown injection' };
  }
}

/**
 * A Chaos Toolkit experiment (JSON): the steady-state hypothesis probes the suite's launch gate for the entity
 * (allowed means the SLO keeps its budget), the method applies the Litmus export of the experiment (`<name>.chaosengine.yaml`) with kubectl, and
 * the rollbacks are the experiment's rollback steps as shell commands.
 * @public
 */
export function toChaosToolkit(
  e: ChaosExperiment,
  options: { backendBaseUrl: string; entityRef: string },
): ChaosExport {
  const litmus = toLitmusChaosEngine(e);
  if (!litmus.ok) return litmus;
  const gateUrl = `${options.backendBaseUrl.replace(
    /\/+$/,
    '',
  )}/api/reliability/gate?entityRef=${encodeURIComponent(options.entityRef)}`;
  return {
    ok: true,
    value: {
      version: '1.0.0',
      title: e.hypothesis,
      description: `${e.name}: ${e.injection.type} on ${
        e.target.namespace
      }, ${blastPercent(e)}% for ${e.duration} (${e.environment})`,
      tags: ['reliability', e.environment, e.injection.type],
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
          name: `inject-${e.injection.type}`,
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
