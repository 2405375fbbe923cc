import {
  AppsV1Api,
  BatchV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1Job,
} from '@kubernetes/client-node';
import {
  chaosExperimentSchema,
  renderTemplate,
  toChaosMesh,
  toLitmusChaosEngine,
} from '@reliability-suite/plugin-reliability-common';
import {
  RemediationAction,
  RemediationActionError,
} from '@reliability-suite/plugin-reliability-node';
import { redactTarget } from '../../redaction/Redactor';
import { targetUrl } from './http';
import type { KubernetesClusterConfig } from '../../config/readReliabilityConfig';

/** A cluster from `reliability.remediation.kubernetes.clusters`; the token comes from config (and so from env). */
export type KubernetesCluster = KubernetesClusterConfig;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const OPERATIONS = [
  'rollout-restart',
  'create-job',
  'litmus-stop',
  'chaos-mesh-pause',
  'chaos-start',
];
const CHAOS_ENGINES = ['litmus', 'chaos-mesh'];
/** Chaos Mesh kinds the halt can pause, with their resource names. */
const CHAOS_MESH_PLURALS: Record<string, string> = {
  NetworkChaos: 'networkchaos',
  PodChaos: 'podchaos',
  StressChaos: 'stresschaos',
};
/** A template such as `{{experiment}}`, or a DNS label. */
const NAME_OR_TEMPLATE =
  /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?|\{\{[a-zA-Z_][a-zA-Z0-9_.]{0,60}\}\})$/;

function kubeConfig(cluster: KubernetesCluster): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url,
        caData: cluster.caData,
        skipTLSVerify: cluster.skipTLSVerify ?? false,
      },
    ],
    users: [{ name: 'reliability', token: cluster.serviceAccountToken }],
    contexts: [
      { name: 'reliability', cluster: cluster.name, user: 'reliability' },
    ],
    currentContext: 'reliability',
  });
  return kc;
}

function kubeError(e: unknown, what: string): RemediationActionError {
  const code = (e as { code?: number }).code;
  if (typeof code === 'number') {
    let reason = '';
    try {
      const body = (e as { body?: unknown }).body;
      reason =
        (typeof body === 'string'
          ? JSON.parse(body)
          : (body as { message?: string })
        )?.message ?? '';
    } catch {
      // not a Status object
    }
    return new RemediationActionError(
      `${what}: Kubernetes answered ${code}${reason ? ` (${reason})` : ''}`,
      { retryable: code === 429 || code >= 500 },
    );
  }
  const cause = (e as { cause?: { code?: string } }).cause?.code;
  return new RemediationActionError(
    `${what}: ${cause ?? (e as Error).message}`,
  );
}

/**
 * `kubernetes`: through @kubernetes/client-node against a configured cluster.
 * - operation `rollout-restart`: what `kubectl rollout restart` does, a strategic-merge patch of the Deployment's
 *   pod template annotation kubectl.kubernetes.io/restartedAt.
 * - operation `create-job`: creates a Job with backoffLimit 0 (never retried by Kubernetes: our engine decides),
 *   named `{namePrefix}-{execution id}` so a repeat of the same execution cannot create a second Job (409).
 * - operation `litmus-stop`: the halt of a Litmus experiment, a merge patch of the ChaosEngine to
 *   `spec.engineState: stop`.
 * - operation `chaos-mesh-pause`: the halt of a Chaos Mesh experiment, the annotation
 *   `experiment.chaos-mesh.org/pause: "true"` on the NetworkChaos, PodChaos or StressChaos object.
 * Both name the object with a template (`{{experiment}}` from the ChaosExperimentAborted alert) or a fixed name.
 * - operation `chaos-start`: the start of an experiment from the portal (the ChaosExperimentStarted alert carries
 *   it): creates the experiment's Litmus ChaosEngine (`engine: litmus`) or Chaos Mesh object (`engine: chaos-mesh`),
 *   as the export builds it, in the experiment's namespace. An object of that name already there (a repeated
 *   attempt) is not created twice.
 */
export function createKubernetesAction(
  clusters: KubernetesCluster[],
): RemediationAction {
  const byName = new Map(clusters.map(c => [c.name, c]));
  const what = (p: Record<string, unknown>) => {
    if (p.operation === 'create-job')
      return `create Job ${p.namespace}/${p.namePrefix}-<execution>`;
    if (p.operation === 'litmus-stop')
      return `stop Litmus ChaosEngine ${p.namespace}/${p.name}`;
    if (p.operation === 'chaos-mesh-pause')
      return `pause Chaos Mesh ${p.kind} ${p.namespace}/${p.name}`;
    if (p.operation === 'chaos-start')
      return `create the experiment's ${
        p.engine === 'litmus' ? 'Litmus ChaosEngine' : 'Chaos Mesh object'
      }`;
    return `rollout restart Deployment ${p.namespace}/${p.deployment}`;
  };
  return {
    id: 'kubernetes',
    description: 'Kubernetes',
    validate(params) {
      const problems: string[] = [];
      if (typeof params.cluster !== 'string' || !byName.has(params.cluster)) {
        problems.push(
          `params.cluster: must name a cluster in reliability.remediation.kubernetes.clusters (${
            [...byName.keys()].join(', ') || 'none configured'
          })`,
        );
      }
      if (!OPERATIONS.includes(String(params.operation)))
        problems.push(
          `params.operation: must be one of ${OPERATIONS.join(', ')}`,
        );
      if (params.operation === 'chaos-start') {
        if (!CHAOS_ENGINES.includes(String(params.engine)))
          problems.push(
            `params.engine: must be one of ${CHAOS_ENGINES.join(', ')}`,
          );
      } else if (
        typeof params.namespace !== 'string' ||
        !DNS_LABEL.test(params.namespace)
      )
        problems.push('params.namespace: must be a namespace name (DNS label)');
      if (
        params.operation === 'rollout-restart' &&
        (typeof params.deployment !== 'string' ||
          !DNS_LABEL.test(params.deployment))
      ) {
        problems.push(
          'params.deployment: must be a Deployment name (DNS label)',
        );
      }
      if (
        (params.operation === 'litmus-stop' ||
          params.operation === 'chaos-mesh-pause') &&
        (typeof params.name !== 'string' || !NAME_OR_TEMPLATE.test(params.name))
      ) {
        problems.push(
          'params.name: must be the object name (DNS label) or a template such as {{experiment}}',
        );
      }
      if (
        params.operation === 'chaos-mesh-pause' &&
        !CHAOS_MESH_PLURALS[String(params.kind)]
      ) {
        problems.push(
          `params.kind: must be one of ${Object.keys(CHAOS_MESH_PLURALS).join(
            ', ',
          )}`,
        );
      }
      if (params.operation === 'create-job') {
        if (
          typeof params.namePrefix !== 'string' ||
          !DNS_LABEL.test(params.namePrefix) ||
          params.namePrefix.length > 40
        )
          problems.push(
            'params.namePrefix: must be a DNS label of at most 40 characters',
          );
        if (typeof params.image !== 'string' || !params.image)
          problems.push('params.image: must be a container image');
        if (
          params.command !== undefined &&
          !(
            Array.isArray(params.command) &&
            params.command.every(c => typeof c === 'string')
          )
        )
          problems.push('params.command: must be a list of strings');
      }
      return problems;
    },
    target(params) {
      // the cluster's URL can carry credentials (user:password@): only its redacted form names the target
      const c = byName.get(String(params.cluster));
      return redactTarget(`${c ? targetUrl(c.url) : '?'} ${what(params)}`);
    },
    describe(ctx) {
      return `${what(ctx.params)} in cluster ${ctx.params.cluster}`;
    },
    async execute(ctx) {
      const p = ctx.params;
      const kc = kubeConfig(byName.get(String(p.cluster))!);
      const namespace = String(p.namespace);
      if (p.operation === 'rollout-restart') {
        const name = String(p.deployment);
        const restartedAt = new Date().toISOString();
        const body = {
          spec: {
            template: {
              metadata: {
                annotations: {
                  'kubectl.kubernetes.io/restartedAt': restartedAt,
                },
              },
            },
          },
        };
        try {
          const d = await kc
            .makeApiClient(AppsV1Api)
            .patchNamespacedDeployment(
              { name, namespace, body },
              setHeaderOptions(
                'Content-Type',
                PatchStrategy.StrategicMergePatch,
              ),
            );
          return {
            detail: `Deployment ${namespace}/${name} restarted at ${restartedAt} (generation ${
              d.metadata?.generation ?? '?'
            })`,
          };
        } catch (e) {
          throw kubeError(e, `rollout restart ${namespace}/${name}`);
        }
      }
      if (p.operation === 'litmus-stop' || p.operation === 'chaos-mesh-pause') {
        // the halt of a chaos experiment: the object named by the alert (e.g. {{experiment}}), merge-patched
        const name = renderTemplate(String(p.name), ctx.templateValues).text;
        if (!DNS_LABEL.test(name))
          throw new RemediationActionError(
            `params.name rendered to '${name.slice(
              0,
              80,
            )}', not an object name`,
            { retryable: false },
          );
        const litmus = p.operation === 'litmus-stop';
        const request = litmus
          ? {
              group: 'litmuschaos.io',
              version: 'v1alpha1',
              plural: 'chaosengines',
              body: { spec: { engineState: 'stop' } },
            }
          : {
              group: 'chaos-mesh.org',
              version: 'v1alpha1',
              plural: CHAOS_MESH_PLURALS[String(p.kind)],
              body: {
                metadata: {
                  annotations: { 'experiment.chaos-mesh.org/pause': 'true' },
                },
              },
            };
        try {
          await kc
            .makeApiClient(CustomObjectsApi)
            .patchNamespacedCustomObject(
              { ...request, namespace, name },
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
            );
          return {
            detail: litmus
              ? `ChaosEngine ${namespace}/${name} set to engineState stop`
              : `${p.kind} ${namespace}/${name} paused (experiment.chaos-mesh.org/pause=true)`,
          };
        } catch (e) {
          throw kubeError(e, `${what({ ...p, name })}`);
        }
      }
      if (p.operation === 'chaos-start')
        return startExperiment(
          kc,
          String(p.engine),
          ctx.trigger.annotations.experiment,
        );
      const name = `${p.namePrefix}-${ctx.executionId}`.slice(0, 63);
      const job: V1Job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name,
          namespace,
          labels: {
            'app.kubernetes.io/managed-by': 'backstage-reliability',
            'reliability.io/rule': ctx.ruleId
              .slice(0, 63)
              .replace(/[^A-Za-z0-9_.-]/g, '-'),
          },
          annotations: {
            'reliability.io/entity': ctx.entityRef,
            'reliability.io/execution': ctx.executionId,
          },
        },
        spec: {
          backoffLimit: 0,
          ttlSecondsAfterFinished: 86_400,
          template: {
            spec: {
              restartPolicy: 'Never',
              serviceAccountName:
                typeof p.serviceAccountName === 'string'
                  ? p.serviceAccountName
                  : undefined,
              containers: [
                {
                  name: 'remediation',
                  image: String(p.image),
                  command: Array.isArray(p.command)
                    ? (p.command as string[]).map(
                        c => renderTemplate(c, ctx.templateValues).text,
                      )
                    : undefined,
                },
              ],
            },
          },
        },
      };
      try {
        const created = await kc
          .makeApiClient(BatchV1Api)
          .createNamespacedJob({ namespace, body: job });
        return {
          detail: `Job ${namespace}/${
            created.metadata?.name ?? name
          } created (uid ${created.metadata?.uid ?? '?'})`,
        };
      } catch (e) {
        if ((e as { code?: number }).code === 409)
          return {
            detail: `Job ${namespace}/${name} already exists for this execution; not created twice`,
          };
        throw kubeError(e, `create Job ${namespace}/${name}`);
      }
    },
  };
}

/** Creates the object that runs an experiment, built from the experiment the ChaosExperimentStarted alert carries. */
async function startExperiment(
  kc: KubeConfig,
  engine: string,
  carried: string | undefined,
): Promise<{ detail: string }> {
  let experiment;
  try {
    experiment = chaosExperimentSchema.parse(JSON.parse(carried ?? ''));
  } catch {
    throw new RemediationActionError(
      'the trigger carries no chaos experiment (annotation experiment): chaos-start runs on ChaosExperimentStarted alerts',
      { retryable: false },
    );
  }
  const built =
    engine === 'litmus'
      ? toLitmusChaosEngine(experiment)
      : toChaosMesh(experiment);
  if (!built.ok)
    throw new RemediationActionError(
      `the experiment cannot run on ${engine}: ${built.error}`,
      { retryable: false },
    );
  const body = built.value as {
    kind: string;
    metadata: { name: string; namespace: string };
  };
  const { name, namespace } = body.metadata;
  const request =
    engine === 'litmus'
      ? { group: 'litmuschaos.io', version: 'v1alpha1', plural: 'chaosengines' }
      : {
          group: 'chaos-mesh.org',
          version: 'v1alpha1',
          plural: CHAOS_MESH_PLURALS[body.kind],
        };
  try {
    await kc
      .makeApiClient(CustomObjectsApi)
      .createNamespacedCustomObject({ ...request, namespace, body });
    return { detail: `${body.kind} ${namespace}/${name} created` };
  } catch (e) {
    if ((e as { code?: number }).code === 409)
      return {
        detail: `${body.kind} ${namespace}/${name} already exists; not created twice`,
      };
    throw kubeError(e, `create ${body.kind} ${namespace}/${name}`);
  }
}
