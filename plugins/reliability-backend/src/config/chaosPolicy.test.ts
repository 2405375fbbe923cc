import { ConfigReader } from '@backstage/config';
import { lintChaosExperiment } from '@reliability-suite/plugin-reliability-common';
import { readChaosPolicy } from './readReliabilityConfig';

describe('readChaosPolicy', () => {
  const experiment = (environment: string, podPercent: number) => ({
    name: 'pods',
    hypothesis: 'Checkout keeps its budget while pods restart',
    target: { namespace: 'payments', labels: { app: 'payment-svc' } },
    blastRadius: { trafficPercent: 5, podPercent },
    steadyState: { slo: 'default/checkout-success' },
    injection: { type: 'pod-kill' },
    duration: '5m',
    environment,
    owner: 'group:default/payments-sre',
    author: 'user:default/mei',
    approver: 'user:default/ana',
    abortConditions: [{ type: 'budget-spent', percent: 5, within: '90s' }],
    rollback: ['kubectl rollout undo deployment/payment-svc'],
  });
  const pods = (
    policy: ReturnType<typeof readChaosPolicy>,
    env: string,
    n: number,
  ) =>
    lintChaosExperiment(experiment(env, n), { policy }).violations.map(
      v => `${v.field}: ${v.message}`,
    );

  it('reads a limit for the share of pods, overall and per environment, beside the share of requests', () => {
    const policy = readChaosPolicy(
      new ConfigReader({
        chaos: {
          maxTrafficPercent: 10,
          maxPodPercent: 25,
          environments: { staging: { maxPodPercent: 40 } },
        },
      }),
    );
    expect(policy).toMatchObject({
      maxTrafficPercent: 10,
      maxPodPercent: 25,
      environments: { staging: { maxPodPercent: 40 } },
    });
    expect(pods(policy, 'production', 20)).toEqual([]);
    expect(pods(policy, 'production', 30)).toEqual([
      'blastRadius.podPercent: must be at most 25% of pods in production (max_traffic), got 30%',
    ]);
    expect(pods(policy, 'staging', 30)).toEqual([]);
    // without maxPodPercent, the share of pods has the share of requests' limit
    const plain = readChaosPolicy(
      new ConfigReader({ chaos: { maxTrafficPercent: 10 } }),
    );
    expect(pods(plain, 'production', 20)).toEqual([
      'blastRadius.podPercent: must be at most 10% of pods in production (max_traffic), got 20%',
    ]);
  });

  it('stops at a bad value, naming the key', () => {
    expect(() =>
      readChaosPolicy(new ConfigReader({ chaos: { maxPodPercent: 140 } })),
    ).toThrow(
      'reliability.chaos.maxPodPercent must be between 0 and 100, got 140',
    );
    expect(() =>
      readChaosPolicy(
        new ConfigReader({
          chaos: { environments: { staging: { maxPodPercent: -1 } } },
        }),
      ),
    ).toThrow(
      'reliability.chaos.environments.staging.maxPodPercent must be between 0 and 100, got -1',
    );
  });
});
