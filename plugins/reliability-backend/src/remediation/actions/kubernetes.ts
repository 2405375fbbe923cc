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
  toIstioVirtualService,
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
  'istio-remove',
  'chaos-start',
];
const CHAOS_ENGINES = ['litmus', 'chaos-mesh', 'istio'];
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
      { retryable: code === 429 || code >= 500, status: code },
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
 * - operation `istio-remove`: the halt of an Istio fault, the deletion of the VirtualService (Istio faults have no
 *   pause).
 * All three name the experiment with a template (`{{experiment}}` from the ChaosExperimentAborted alert) or a fixed
 * name, and act on every object of the namespace labelled `reliability.io/experiment=<name>` (the exports write one
 * object per fault and region), or on the object of that name when none is labelled or the list is refused.
 * - operation `chaos-start`: the start of an experiment from the portal (the ChaosExperimentStarted alert carries
 *   it): creates the experiment's Litmus ChaosEngines (`engine: litmus`), Chaos Mesh objects (`engine: chaos-mesh`)
 *   or Istio VirtualServices (`engine: istio`), as the export builds them (one per fault and region), each in its
 *   namespace. An object of that name already there (a repeated attempt) is not created twice.
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
    if (p.operation === 'istio-remove')
      return `delete Istio VirtualService ${p.namespace}/${p.name}`;
    if (p.operation === 'chaos-start')
      return `create the experiment's ${
        {
          litmus: 'Litmus ChaosEngines',
          'chaos-mesh': 'Chaos Mesh objects',
          istio: 'Istio VirtualServices',
        }[String(p.engine)] ?? 'objects'
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
          params.operation === 'chaos-mesh-pause' ||
          params.operation === 'istio-remove') &&
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
        const api = kc.makeApiClient(CustomObjectsApi);
        const { body, ...collection } = request;
        // the experiment's objects: every one labelled with it (an export writes one per fault and region), else
        // the object of that name (one written by hand, or a cluster that does not let the action list)
        const names = await labelled(api, { ...collection, namespace }, name);
        const done: string[] = [];
        for (const n of names) {
          try {
            await api.patchNamespacedCustomObject(
              { ...request, namespace, name: n },
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
            );
          } catch (e) {
            throw kubeError(e, `${what({ ...p, name: n })}`);
          }
          done.push(
            litmus
              ? `ChaosEngine ${namespace}/${n} set to engineState stop`
              : `${p.kind} ${namespace}/${n} paused (experiment.chaos-mesh.org/pause=true)`,
          );
        }
        return { detail: done.join('; ') };
      }
      if (p.operation === 'istio-remove') {
        // Istio faults have no pause: the halt deletes the experiment's VirtualServices
        const name = renderTemplate(String(p.name), ctx.templateValues).text;
        if (!DNS_LABEL.test(name))
          throw new RemediationActionError(
            `params.name rendered to '${name.slice(
              0,
              80,
            )}', not an object name`,
            { retryable: false },
          );
        const api = kc.makeApiClient(CustomObjectsApi);
        const collection = {
          group: 'networking.istio.io',
          version: 'v1',
          plural: 'virtualservices',
        };
        const names = await labelled(api, { ...collection, namespace }, name);
        const done: string[] = [];
        for (const n of names) {
          try {
            await api.deleteNamespacedCustomObject({
              ...collection,
              namespace,
              name: n,
            });
            done.push(`VirtualService ${namespace}/${n} deleted`);
          } catch (e) {
            // already gone: the fault is off, which is what the halt wants
            if ((e as { code?: number }).code !== 404)
              throw kubeError(e, `${what({ ...p, name: n })}`);
            done.push(`VirtualService ${namespace}/${n} already gone`);
          }
        }
        return { detail: done.join('; ') };
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
  const builders = {
    litmus: toLitmusChaosEngine,
    istio: toIstioVirtualService,
    'chaos-mesh': toChaosMesh,
  };
  const built = (builders[engine as keyof typeof builders] ?? toChaosMesh)(
    experiment,
  );
  if (!built.ok)
    throw new RemediationActionError(
      `the experiment cannot run on ${engine}: ${built.error}`,
      { retryable: false },
    );
  type Body = { kind: string; metadata: { name: string; namespace: string } };
  const list = built.value as { kind: string; items?: Body[] };
  const bodies: Body[] =
    list.kind === 'List' && Array.isArray(list.items)
      ? list.items
      : [built.value as Body];
  const details: string[] = [];
  for (const body of bodies) {
    const { name, namespace } = body.metadata;
    const collections: Record<
      string,
      { group: string; version: string; plural: string }
    > = {
      litmus: {
        group: 'litmuschaos.io',
        version: 'v1alpha1',
        plural: 'chaosengines',
      },
      istio: {
        group: 'networking.istio.io',
        version: 'v1',
        plural: 'virtualservices',
      },
    };
    const request = collections[engine] ?? {
      group: 'chaos-mesh.org',
      version: 'v1alpha1',
      plural: CHAOS_MESH_PLURALS[body.kind],
    };
    try {
      await kc
        .makeApiClient(CustomObjectsApi)
        .createNamespacedCustomObject({ ...request, namespace, body });
      details.push(`${body.kind} ${namespace}/${name} created`);
    } catch (e) {
      if ((e as { code?: number }).code !== 409)
        throw kubeError(e, `create ${body.kind} ${namespace}/${name}`);
      details.push(
        `${body.kind} ${namespace}/${name} already exists; not created twice`,
      );
    }
  }
  return { detail: details.join('; ') };
}

/**
 * The names of the objects labelled `reliability.io/experiment=<experiment>` in a namespace, or just the experiment's
 * own name when none is labelled or the list is refused (a halt must still try the object it was given).
 */
async function labelled(
  api: CustomObjectsApi,
  collection: {
    group: string;
    version: string;
    plural: string;
    namespace: string;
  },
  experiment: string,
): Promise<string[]> {
  try {
    const listed = (await api.listNamespacedCustomObject({
      ...collection,
      labelSelector: `reliability.io/experiment=${experiment}`,
    })) as { items?: { metadata?: { name?: string } }[] };
    const names = (listed.items ?? [])
      .map(i => i.metadata?.name)
      .filter((n): n is string => typeof n === 'string' && DNS_LABEL.test(n));
    if (names.length) return [...new Set(names)].slice(0, 100);
  } catch {
    // no list permission, or the kind is not installed: the named object alone
  }
  return [experiment];
}
