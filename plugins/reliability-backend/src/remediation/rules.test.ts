import { Config, ConfigReader } from '@backstage/config';
import { buildRemediationRules } from './rules';
import { webhookAction } from './actions/webhook';
import { createKubernetesAction } from './actions/kubernetes';
import type { RemediationAction } from '@reliability-suite/plugin-reliability-node';
import {
  readKubernetesClusters,
  readReliabilityConfig,
} from '../config/readReliabilityConfig';
import { Redactor } from '../redaction/Redactor';

/** The rules as the plugin builds them from its config. */
const readRemediationRules = (
  config: Config,
  actions: Map<string, RemediationAction>,
) => {
  const rc = readReliabilityConfig(config);
  return buildRemediationRules(
    rc.remediation.rules,
    actions,
    Redactor.forConfig(rc.raw),
  );
};

const actions = new Map([[webhookAction.id, webhookAction]]);
const rule = (match: string[]) =>
  new ConfigReader({
    reliability: {
      remediation: {
        rules: [
          {
            id: 'r',
            entityRef: 'component:default/checkout',
            action: 'webhook',
            params: { url: 'http://127.0.0.1:9/x' },
            match,
          },
        ],
      },
    },
  });

describe('remediation rules from config', () => {
  it('accepts RE2 matchers, as Alertmanager does', () => {
    const [r] = readRemediationRules(
      rule(['service=~"check(out|in)"', 'env!~"dev|test"', 'team=~"(a+)+$"']),
      actions,
    );
    expect(r.match.map(m => m.op)).toEqual(['=~', '!~', '=~']);
  });

  it.each([
    ['service=~"(a)\\\\1"', /match\[0\].*RE2 syntax/],
    ['service=~"(?=x)y"', /match\[0\].*RE2 syntax/],
    ['service=~"("', /match\[0\].*invalid regular expression/],
    [
      'service = checkout',
      /match\[0\].*value of 'service' must be in double quotes/,
    ],
  ])('refuses %s at startup, naming its path', (text, message) => {
    expect(() => readRemediationRules(rule([text]), actions)).toThrow(message);
    expect(() => readRemediationRules(rule([text]), actions)).toThrow(
      /^reliability\.remediation\.rules\[0\]\.match\[0\]: /,
    );
  });

  it("locks chaos starts and halts per experiment by default, so one experiment's cooldown never holds another's halt", () => {
    expect(
      readRemediationRules(
        rule(['alertname="ChaosExperimentAborted"']),
        actions,
      )[0].lockKey,
    ).toBe('webhook:r:{{experiment}}');
    expect(
      readRemediationRules(
        rule(['alertname="ChaosExperimentStarted"']),
        actions,
      )[0].lockKey,
    ).toBe('webhook:r:{{experiment}}');
    expect(
      readRemediationRules(rule(['alertname="CheckoutDown"']), actions)[0]
        .lockKey,
    ).toBe('webhook:r');
  });

  it('redacts the default description, whatever the action answers for its target', () => {
    const config = new ConfigReader({
      reliability: {
        remediation: {
          kubernetes: {
            clusters: [
              {
                name: 'prod',
                url: 'https://kube-user-1:kube-pass-1@10.0.0.1:6443',
              },
            ],
          },
          rules: [
            {
              id: 'kube',
              entityRef: 'component:default/checkout',
              action: 'kubernetes',
              params: {
                cluster: 'prod',
                operation: 'rollout-restart',
                namespace: 'shop',
                deployment: 'checkout',
              },
            },
            {
              id: 'raw',
              entityRef: 'component:default/checkout',
              action: 'raw',
              params: { token: 'raw-token-1' },
            },
            {
              id: 'own',
              entityRef: 'component:default/checkout',
              action: 'raw',
              description: 'Restart the checkout (see the runbook)',
            },
          ],
        },
      },
    });
    // an action from another plugin that answers its target with credentials in it
    const raw: RemediationAction = {
      id: 'raw',
      description: 'Raw',
      validate: () => [],
      target: params =>
        `POST http://raw-user:raw-pass@10.0.0.2/fix?key=raw-key-1 ${params.token}`,
      describe: () => 'fix',
      execute: async () => ({ detail: 'fixed' }),
    };
    const all = new Map<string, RemediationAction>([
      ['kubernetes', createKubernetesAction(readKubernetesClusters(config))],
      ['raw', raw],
    ]);
    const [kube, other, own] = readRemediationRules(config, all);
    expect(kube.description).toBe(
      'Kubernetes (https://10.0.0.1:6443/ rollout restart Deployment shop/checkout)',
    );
    expect(other.description).toBe('Raw (POST http://10.0.0.2/fix [redacted])');
    expect(own.description).toBe('Restart the checkout (see the runbook)');
  });
});
