import { readFileSync } from 'fs';
import path from 'path';
import { parse } from 'yaml';
import { ConfigReader } from '@backstage/config';
import {
  RemediationActionContext,
  RemediationActionError,
} from '@reliability-suite/plugin-reliability-node';
import { startTarget } from '../../__testUtils__/targets';
import { featureFlagAction } from './featureFlag';
import { createKubernetesAction } from './kubernetes';
import { readKubernetesClusters } from '../../config/readReliabilityConfig';
import { webhookAction } from './webhook';

const ctx = (
  params: Record<string, unknown>,
  over: Partial<RemediationActionContext> = {},
): RemediationActionContext => ({
  params,
  trigger: {
    kind: 'alertmanager',
    id: 'fp|firing|1',
    labels: { env: 'prod' },
    annotations: {},
  },
  ruleId: 'rule-1',
  entityRef: 'component:default/checkout',
  executionId: '42',
  attempt: 1,
  signal: new AbortController().signal,
  templateValues: { env: 'prod', labels: { env: 'prod' } },
  ...over,
});

describe('feature-flag rollback', () => {
  it('flagd shape: patches the flag definition, then verifies through OFREP', async () => {
    // a flag service holding flagd flag definitions, with the OFREP evaluation endpoint
    const flags: Record<string, any> = {
      'checkout-multibuy': {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'on',
        targeting: { if: [{ '==': [1, 1] }, 'on', 'off'] },
      },
    };
    const service = await startTarget((call, res) => {
      const patch = /^\/flags\/([^/]+)$/.exec(call.url);
      const evaluate = /^\/ofrep\/v1\/evaluate\/flags\/([^/]+)$/.exec(call.url);
      if (call.headers.authorization !== 'Bearer flag-api-key') {
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"error":"unauthorized"}');
      } else if (call.method === 'PATCH' && patch && flags[patch[1]]) {
        Object.assign(flags[patch[1]], JSON.parse(call.body));
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(flags[patch[1]]));
      } else if (call.method === 'POST' && evaluate && flags[evaluate[1]]) {
        const f = flags[evaluate[1]];
        const variant =
          f.targeting && Object.keys(f.targeting).length
            ? 'on'
            : f.defaultVariant;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            key: evaluate[1],
            value: f.variants[variant],
            variant,
            reason: 'STATIC',
          }),
        );
      } else {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ key: 'x', errorCode: 'FLAG_NOT_FOUND' }));
      }
    });
    try {
      const params = {
        baseUrl: service.url,
        flag: 'checkout-multibuy',
        headers: { authorization: 'Bearer flag-api-key' },
      };
      expect(featureFlagAction.validate(params)).toEqual([]);
      const result = await featureFlagAction.execute(ctx(params));
      expect(result.detail).toMatch(
        /rolled back .*OFREP evaluates it to false \(variant off\)/,
      );
      expect(flags['checkout-multibuy']).toMatchObject({
        defaultVariant: 'off',
        targeting: {},
      });
      expect(service.calls.map(c => `${c.method} ${c.url}`)).toEqual([
        'PATCH /flags/checkout-multibuy',
        'POST /ofrep/v1/evaluate/flags/checkout-multibuy',
      ]);
      expect(service.calls[0].headers['idempotency-key']).toBe('42');

      // a wrong key is a 4xx: not retryable
      const err = await featureFlagAction
        .execute(ctx({ ...params, headers: { authorization: 'Bearer wrong' } }))
        .catch(e => e);
      expect(err).toBeInstanceOf(RemediationActionError);
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(/answered HTTP 401/);
      expect(err.message).not.toContain('wrong');
    } finally {
      await service.close();
    }
  });

  it('generic shape: one PATCH with the documented body', async () => {
    const service = await startTarget();
    try {
      const params = {
        shape: 'generic',
        baseUrl: `${service.url}/api/v1`,
        flag: 'checkout-multibuy',
        body: { enabled: false, reason: 'SLO {{env}}' },
      };
      expect(featureFlagAction.target(params)).toBe(
        `PATCH ${service.url}/api/v1/flags/checkout-multibuy`,
      );
      await featureFlagAction.execute(ctx(params));
      expect(service.calls).toHaveLength(1);
      expect(JSON.parse(service.calls[0].body)).toEqual({
        enabled: false,
        reason: 'SLO prod',
      });
    } finally {
      await service.close();
    }
  });

  it('names the field of bad params', () => {
    expect(
      featureFlagAction.validate({
        baseUrl: 'ftp://x',
        flag: 'a b',
        shape: 'x',
      }),
    ).toEqual([
      'params.baseUrl: must be the flag service http(s) URL',
      'params.flag: must be a flag key (letters, digits, _ . -)',
      'params.shape: must be flagd or generic',
    ]);
    expect(
      webhookAction.validate({ url: 'nope', hmacSecret: 'short' }),
    ).toEqual([
      'params.url: must be an http(s) URL',
      'params.hmacSecret: must be a string of at least 16 characters (put it in an environment variable)',
    ]);
  });
});

describe('kubernetes', () => {
  /** A fake API server for the two calls, answering Kubernetes' own JSON (objects and Status errors). */
  async function fakeApiServer() {
    const jobs = new Map<string, any>();
    const customObjects = new Map<string, any>([
      [
        'chaosengines/latency-checkout',
        {
          apiVersion: 'litmuschaos.io/v1alpha1',
          kind: 'ChaosEngine',
          metadata: { name: 'latency-checkout', namespace: 'chaos' },
          spec: { engineState: 'active' },
        },
      ],
      [
        'networkchaos/latency-checkout',
        {
          apiVersion: 'chaos-mesh.org/v1alpha1',
          kind: 'NetworkChaos',
          metadata: {
            name: 'latency-checkout',
            namespace: 'chaos',
            annotations: {},
          },
          spec: { action: 'delay' },
        },
      ],
    ]);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'checkout',
        namespace: 'shop',
        generation: 7,
        uid: 'd-uid',
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'checkout' } },
        template: {
          metadata: { labels: { app: 'checkout' } },
          spec: { containers: [{ name: 'app', image: 'checkout:1' }] },
        },
      },
    };
    const status = (code: number, reason: string, message: string) =>
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        code,
      });
    const server = await startTarget((call, res) => {
      const json = (code: number, body: string) =>
        res.writeHead(code, { 'content-type': 'application/json' }).end(body);
      if (call.headers.authorization !== 'Bearer sa-token')
        return json(401, status(401, 'Unauthorized', 'Unauthorized'));
      if (
        call.method === 'PATCH' &&
        call.url.startsWith(
          '/apis/apps/v1/namespaces/shop/deployments/checkout',
        )
      ) {
        if (
          call.headers['content-type'] !==
          'application/strategic-merge-patch+json'
        )
          return json(
            415,
            status(415, 'UnsupportedMediaType', 'bad patch type'),
          );
        const patch = JSON.parse(call.body);
        deployment.spec.template.metadata = {
          ...deployment.spec.template.metadata,
          ...patch.spec.template.metadata,
        };
        deployment.metadata.generation++;
        return json(200, JSON.stringify(deployment));
      }
      // the chaos halts: merge patches of the custom objects
      // the chaos halts list the experiment's objects by label: GET of a collection with a labelSelector
      const listing =
        /^\/apis\/(litmuschaos\.io\/v1alpha1|chaos-mesh\.org\/v1alpha1|networking\.istio\.io\/v1)\/namespaces\/([a-z0-9-]+)\/(chaosengines|networkchaos|podchaos|stresschaos|virtualservices)\?(.*)$/.exec(
          call.url,
        );
      if (call.method === 'GET' && listing) {
        const selector = new URLSearchParams(listing[4]).get('labelSelector');
        const [key, value] = (selector ?? '').split('=');
        const items = [...customObjects.entries()]
          .filter(
            ([k, o]) =>
              k.startsWith(`${listing[3]}/`) &&
              o.metadata.namespace === listing[2] &&
              (!selector || o.metadata.labels?.[key] === value),
          )
          .map(([, o]) => o);
        return json(
          200,
          JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
        );
      }
      const custom =
        /^\/apis\/(litmuschaos\.io\/v1alpha1|chaos-mesh\.org\/v1alpha1|networking\.istio\.io\/v1)\/namespaces\/([a-z0-9-]+)\/(chaosengines|networkchaos|podchaos|stresschaos|virtualservices)\/([a-z0-9-]+)$/.exec(
          call.url,
        );
      if (call.method === 'DELETE' && custom) {
        if (!customObjects.delete(`${custom[3]}/${custom[4]}`))
          return json(
            404,
            status(404, 'NotFound', `${custom[3]} "${custom[4]}" not found`),
          );
        return json(200, JSON.stringify(status(200, 'Success', 'deleted')));
      }
      if (call.method === 'PATCH' && custom) {
        if (call.headers['content-type'] !== 'application/merge-patch+json')
          return json(
            415,
            status(415, 'UnsupportedMediaType', 'bad patch type'),
          );
        const object = customObjects.get(`${custom[3]}/${custom[4]}`);
        if (!object || object.metadata.namespace !== custom[2])
          return json(
            404,
            status(
              404,
              'NotFound',
              `${custom[3]}.${custom[1].split('/')[0]} "${
                custom[4]
              }" not found`,
            ),
          );
        const patch = JSON.parse(call.body);
        if (patch.spec) object.spec = { ...object.spec, ...patch.spec };
        if (patch.metadata?.annotations)
          object.metadata.annotations = {
            ...object.metadata.annotations,
            ...patch.metadata.annotations,
          };
        return json(200, JSON.stringify(object));
      }
      // the chaos starts: creating custom objects (409 AlreadyExists for a name taken)
      const collection =
        /^\/apis\/(litmuschaos\.io\/v1alpha1|chaos-mesh\.org\/v1alpha1|networking\.istio\.io\/v1)\/namespaces\/([a-z0-9-]+)\/(chaosengines|networkchaos|podchaos|stresschaos|virtualservices)$/.exec(
          call.url,
        );
      if (call.method === 'POST' && collection) {
        const object = JSON.parse(call.body);
        if (object.metadata?.namespace !== collection[2])
          return json(
            400,
            status(
              400,
              'BadRequest',
              'the namespace of the object does not match the namespace on the request',
            ),
          );
        const key = `${collection[3]}/${object.metadata.name}`;
        if (customObjects.has(key))
          return json(
            409,
            status(
              409,
              'AlreadyExists',
              `${collection[3]}.${collection[1].split('/')[0]} "${
                object.metadata.name
              }" already exists`,
            ),
          );
        customObjects.set(key, object);
        return json(201, JSON.stringify(object));
      }
      if (call.method === 'PATCH')
        return json(
          404,
          status(404, 'NotFound', 'deployments.apps "x" not found'),
        );
      if (
        call.method === 'POST' &&
        call.url.startsWith('/apis/batch/v1/namespaces/shop/jobs')
      ) {
        const job = JSON.parse(call.body);
        if (jobs.has(job.metadata.name))
          return json(
            409,
            status(
              409,
              'AlreadyExists',
              `jobs.batch "${job.metadata.name}" already exists`,
            ),
          );
        job.metadata.uid = `uid-${jobs.size + 1}`;
        jobs.set(job.metadata.name, job);
        return json(201, JSON.stringify(job));
      }
      return json(404, status(404, 'NotFound', 'not found'));
    });
    return { server, jobs, deployment, customObjects };
  }

  it('halts chaos experiments: stops a Litmus ChaosEngine and pauses a Chaos Mesh object named by the alert', async () => {
    const { server, customObjects } = await fakeApiServer();
    try {
      const config = new ConfigReader({
        reliability: {
          remediation: {
            kubernetes: {
              clusters: [
                {
                  name: 'local',
                  url: server.url,
                  serviceAccountToken: 'sa-token',
                  skipTLSVerify: true,
                },
              ],
            },
          },
        },
      });
      const action = createKubernetesAction(readKubernetesClusters(config));
      const litmus = {
        cluster: 'local',
        operation: 'litmus-stop',
        namespace: 'chaos',
        name: '{{experiment}}',
      };
      expect(action.validate(litmus)).toEqual([]);
      const withExperiment = (params: Record<string, unknown>) => {
        const c = ctx(params);
        return {
          ...c,
          templateValues: {
            ...c.templateValues,
            experiment: 'latency-checkout',
          },
        };
      };
      expect((await action.execute(withExperiment(litmus))).detail).toBe(
        'ChaosEngine chaos/latency-checkout set to engineState stop',
      );
      expect(
        customObjects.get('chaosengines/latency-checkout').spec.engineState,
      ).toBe('stop');
      const mesh = {
        cluster: 'local',
        operation: 'chaos-mesh-pause',
        namespace: 'chaos',
        kind: 'NetworkChaos',
        name: '{{experiment}}',
      };
      expect(action.validate(mesh)).toEqual([]);
      expect((await action.execute(withExperiment(mesh))).detail).toBe(
        'NetworkChaos chaos/latency-checkout paused (experiment.chaos-mesh.org/pause=true)',
      );
      expect(
        customObjects.get('networkchaos/latency-checkout').metadata.annotations,
      ).toEqual({ 'experiment.chaos-mesh.org/pause': 'true' });
      const gone = await action
        .execute({
          ...withExperiment(litmus),
          templateValues: { experiment: 'other' },
        } as any)
        .catch(e => e);
      expect([gone.message, gone.retryable]).toEqual([
        'stop Litmus ChaosEngine chaos/other: Kubernetes answered 404 (chaosengines.litmuschaos.io "other" not found)',
        false,
      ]);
      expect(
        action.validate({
          cluster: 'local',
          operation: 'chaos-mesh-pause',
          namespace: 'chaos',
          kind: 'HTTPChaos',
          name: 'Bad Name',
        }),
      ).toEqual([
        'params.name: must be the object name (DNS label) or a template such as {{experiment}}',
        'params.kind: must be one of NetworkChaos, PodChaos, StressChaos',
      ]);
    } finally {
      await server.close();
    }
  });

  it('starts chaos experiments: creates the Litmus ChaosEngines, Chaos Mesh objects or Istio VirtualService the ChaosExperimentStarted alert carries (one per fault and region), once', async () => {
    const { server, customObjects } = await fakeApiServer();
    try {
      const config = new ConfigReader({
        reliability: {
          remediation: {
            kubernetes: {
              clusters: [
                {
                  name: 'local',
                  url: server.url,
                  serviceAccountToken: 'sa-token',
                  skipTLSVerify: true,
                },
              ],
            },
          },
        },
      });
      const action = createKubernetesAction(readKubernetesClusters(config));
      const experiment = parse(
        readFileSync(
          path.join(
            __dirname,
            '../../../../../catalog/chaos/experiments/brownout_checkout.yaml',
          ),
          'utf8',
        ),
      );
      const started = (
        params: Record<string, unknown>,
        carried: unknown = experiment,
      ) =>
        ctx(params, {
          trigger: {
            kind: 'alert',
            id: 'chaos:1:start',
            labels: { alertname: 'ChaosExperimentStarted' },
            annotations:
              carried === null ? {} : { experiment: JSON.stringify(carried) },
          },
        });
      const litmus = {
        cluster: 'local',
        operation: 'chaos-start',
        engine: 'litmus',
      };
      expect(action.validate(litmus)).toEqual([]);
      // the brownout is latency + 5xx: one ChaosEngine each, on the canary pods of its region's nodes
      expect((await action.execute(started(litmus))).detail).toBe(
        'ChaosEngine payments/brownout-checkout-1 created; ChaosEngine payments/brownout-checkout-2 created',
      );
      const engine = customObjects.get('chaosengines/brownout-checkout-2');
      expect(engine).toMatchObject({
        apiVersion: 'litmuschaos.io/v1alpha1',
        kind: 'ChaosEngine',
        metadata: {
          labels: { 'reliability.io/experiment': 'brownout-checkout' },
        },
        spec: {
          engineState: 'active',
          appinfo: {
            appns: 'payments',
            applabel: 'app=payment-svc,track=canary',
          },
          experiments: [{ name: 'pod-http-status-code' }],
        },
      });
      expect(
        customObjects.get('chaosengines/brownout-checkout-1').spec
          .experiments[0].name,
      ).toBe('pod-network-latency');
      // a repeated attempt finds them there
      expect((await action.execute(started(litmus))).detail).toBe(
        'ChaosEngine payments/brownout-checkout-1 already exists; not created twice; ChaosEngine payments/brownout-checkout-2 already exists; not created twice',
      );
      const mesh = {
        cluster: 'local',
        operation: 'chaos-start',
        engine: 'chaos-mesh',
      };
      // Chaos Mesh cannot fail a share of requests: refused, not retried; a latency experiment becomes a NetworkChaos
      const refused = await action.execute(started(mesh)).catch(e => e);
      expect([refused.message, refused.retryable]).toEqual([
        'the experiment cannot run on chaos-mesh: injections.1: Chaos Mesh HTTPChaos cannot fail a percentage of requests; export to Litmus, Chaos Toolkit or Istio',
        false,
      ]);
      const { injections: _, ...scoped } = experiment;
      const latency = {
        ...scoped,
        name: 'latency-canary',
        injection: { type: 'latency', ms: 300, jitterMs: 50 },
      };
      expect((await action.execute(started(mesh, latency))).detail).toBe(
        'NetworkChaos payments/latency-canary created',
      );
      expect(customObjects.get('networkchaos/latency-canary')).toMatchObject({
        kind: 'NetworkChaos',
        spec: {
          action: 'delay',
          mode: 'fixed-percent',
          value: '5',
          delay: { latency: '300ms' },
          selector: {
            labelSelectors: { app: 'payment-svc', track: 'canary' },
            nodeSelectors: { 'topology.kubernetes.io/region': 'us-east' },
          },
        },
      });
      // Istio: the brownout on a share of requests, as one VirtualService with a delay and an abort
      const istio = {
        cluster: 'local',
        operation: 'chaos-start',
        engine: 'istio',
      };
      expect(action.validate(istio)).toEqual([]);
      const onRequests = {
        ...experiment,
        target: {
          ...experiment.target,
          service: 'payment-svc',
          regionNamespaces: { 'us-east': 'payments' },
        },
        blastRadius: { ...experiment.blastRadius, canaryOnly: false },
      };
      expect((await action.execute(started(istio, onRequests))).detail).toBe(
        'VirtualService payments/brownout-checkout created',
      );
      expect(
        customObjects.get('virtualservices/brownout-checkout').spec.http[0]
          .fault,
      ).toEqual({
        delay: { fixedDelay: '1.5s', percentage: { value: 5 } },
        abort: { httpStatus: 500, percentage: { value: 1 } },
      });
      // the halts reach every object of the experiment (labelled with it), whatever their names
      const halted = (params: Record<string, unknown>) => {
        const c = ctx(params);
        return {
          ...c,
          templateValues: {
            ...c.templateValues,
            experiment: 'brownout-checkout',
          },
        };
      };
      const stop = {
        cluster: 'local',
        operation: 'litmus-stop',
        namespace: 'payments',
        name: '{{experiment}}',
      };
      expect((await action.execute(halted(stop))).detail).toBe(
        'ChaosEngine payments/brownout-checkout-1 set to engineState stop; ChaosEngine payments/brownout-checkout-2 set to engineState stop',
      );
      expect(
        ['brownout-checkout-1', 'brownout-checkout-2'].map(
          n => customObjects.get(`chaosengines/${n}`).spec.engineState,
        ),
      ).toEqual(['stop', 'stop']);
      const remove = {
        cluster: 'local',
        operation: 'istio-remove',
        namespace: 'payments',
        name: '{{experiment}}',
      };
      expect(action.validate(remove)).toEqual([]);
      expect((await action.execute(halted(remove))).detail).toBe(
        'VirtualService payments/brownout-checkout deleted',
      );
      expect(customObjects.has('virtualservices/brownout-checkout')).toBe(
        false,
      );
      // the canary cannot be kept to by a route: refused naming the field, not retried
      const canary = await action.execute(started(istio)).catch(e => e);
      expect([
        canary.message.split(':').slice(0, 2).join(':'),
        canary.retryable,
      ]).toEqual([
        'the experiment cannot run on istio: blastRadius.canaryOnly',
        false,
      ]);
      // no experiment on the trigger (a rule matching the wrong alert): refused, not retried
      const none = await action.execute(started(litmus, null)).catch(e => e);
      expect([none.message, none.retryable]).toEqual([
        'the trigger carries no chaos experiment (annotation experiment): chaos-start runs on ChaosExperimentStarted alerts',
        false,
      ]);
      expect(
        action.validate({
          cluster: 'local',
          operation: 'chaos-start',
          engine: 'gremlin',
        }),
      ).toEqual(['params.engine: must be one of litmus, chaos-mesh, istio']);
    } finally {
      await server.close();
    }
  });

  it('restarts a Deployment and creates a Job once with backoffLimit 0', async () => {
    const { server, jobs, deployment } = await fakeApiServer();
    try {
      const config = new ConfigReader({
        reliability: {
          remediation: {
            kubernetes: {
              clusters: [
                {
                  name: 'local',
                  url: server.url,
                  serviceAccountToken: 'sa-token',
                  skipTLSVerify: true,
                },
              ],
            },
          },
        },
      });
      const action = createKubernetesAction(readKubernetesClusters(config));
      const restart = {
        cluster: 'local',
        operation: 'rollout-restart',
        namespace: 'shop',
        deployment: 'checkout',
      };
      expect(action.validate(restart)).toEqual([]);
      const r = await action.execute(ctx(restart));
      expect(r.detail).toMatch(
        /Deployment shop\/checkout restarted at .* \(generation 8\)/,
      );
      expect(
        (deployment.spec.template.metadata as any).annotations[
          'kubectl.kubernetes.io/restartedAt'
        ],
      ).toMatch(/^\d{4}-\d\d-\d\dT/);

      const job = {
        cluster: 'local',
        operation: 'create-job',
        namespace: 'shop',
        namePrefix: 'selfheal-restart',
        image: 'bitnami/kubectl:1.31',
        command: [
          'kubectl',
          'rollout',
          'restart',
          'deploy/checkout',
          '-n',
          'shop',
          '--env={{env}}',
        ],
      };
      expect(action.validate(job)).toEqual([]);
      const j1 = await action.execute(ctx(job));
      expect(j1.detail).toBe(
        'Job shop/selfheal-restart-42 created (uid uid-1)',
      );
      const stored = jobs.get('selfheal-restart-42');
      expect(stored.spec.backoffLimit).toBe(0);
      expect(stored.spec.template.spec.restartPolicy).toBe('Never');
      expect(stored.spec.template.spec.containers[0].command.at(-1)).toBe(
        '--env=prod',
      );
      // the same execution again (a retry after a lost answer) does not create a second Job
      const j2 = await action.execute(ctx(job));
      expect(j2.detail).toMatch(
        /already exists for this execution; not created twice/,
      );
      expect(jobs.size).toBe(1);

      const missing = await action
        .execute(ctx({ ...restart, deployment: 'gone' }))
        .catch(e => e);
      expect(missing).toBeInstanceOf(RemediationActionError);
      expect(missing.message).toMatch(/Kubernetes answered 404/);
      expect(missing.retryable).toBe(false);
      expect(
        action.validate({
          cluster: 'other',
          operation: 'delete',
          namespace: 'Shop!',
        }),
      ).toEqual([
        'params.cluster: must name a cluster in reliability.remediation.kubernetes.clusters (local)',
        'params.operation: must be one of rollout-restart, create-job, litmus-stop, chaos-mesh-pause, istio-remove, chaos-start',
        'params.namespace: must be a namespace name (DNS label)',
      ]);
    } finally {
      await server.close();
    }
  });
});

describe('targets', () => {
  it('every action names its target without the userinfo, query or fragment of its URL', () => {
    const config = new ConfigReader({
      reliability: {
        remediation: {
          kubernetes: {
            clusters: [
              {
                name: 'prod',
                url: 'https://kube-user-1:kube-pass-1@10.0.0.1:6443/base?token=kube-q-1',
              },
              {
                name: 'spaced',
                url: 'http://kube-user-2:kube pass 2@10.0.0.2',
              },
            ],
          },
        },
      },
    });
    const kube = createKubernetesAction(readKubernetesClusters(config));
    expect(
      kube.target({
        cluster: 'prod',
        operation: 'rollout-restart',
        namespace: 'shop',
        deployment: 'checkout',
      }),
    ).toBe(
      'https://10.0.0.1:6443/base rollout restart Deployment shop/checkout',
    );
    // a URL written with whitespace in its userinfo is parsed whole: no part of the password is left behind
    const spaced = kube.target({
      cluster: 'spaced',
      operation: 'litmus-stop',
      namespace: 'chaos',
      name: '{{experiment}}',
    });
    expect(spaced).toBe(
      'http://10.0.0.2/ stop Litmus ChaosEngine chaos/{{experiment}}',
    );
    expect(
      webhookAction.target({
        url: 'http://hook-user:hook pass@127.0.0.1:9/hook?token=q#f',
        method: 'put',
      }),
    ).toBe('PUT http://127.0.0.1:9/hook');
    expect(webhookAction.target({ url: 'not a url' })).toBe(
      'POST (invalid URL)',
    );
    expect(
      featureFlagAction.target({
        baseUrl: 'http://flag-user:flag-pass@127.0.0.1:9/api',
        flag: 'checkout-multibuy',
      }),
    ).toBe('PATCH http://127.0.0.1:9/api/flags/checkout-multibuy');
  });

  it('refuses a cluster URL that does not parse, naming the field', () => {
    const config = new ConfigReader({
      reliability: {
        remediation: {
          kubernetes: { clusters: [{ name: 'prod', url: 'http://[bad' }] },
        },
      },
    });
    expect(() => readKubernetesClusters(config)).toThrow(
      "reliability.remediation.kubernetes.clusters[0].url: must be the API server's http(s) URL",
    );
  });
});
