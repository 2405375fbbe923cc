import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type {
  RemediationExecution,
  RemediationListResponse,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { RemediationPanel } from './RemediationPanel';

const execution = (
  over: Partial<RemediationExecution> = {},
): RemediationExecution => ({
  id: 7,
  ruleId: 'checkout-multibuy-rollback',
  entityRef: 'component:default/checkout',
  action: 'feature-flag',
  target: 'PATCH http://flags/flags/checkout-multibuy',
  trigger: 'alertmanager',
  triggerId: 'fp|firing|1',
  triggerLabels: { alertname: 'CheckoutHighErrorRate', env: 'prod' },
  lockKey: 'rollback:prod',
  state: 'succeeded',
  dryRun: false,
  actor: null,
  duplicates: 99,
  createdAt: '2026-11-22T10:00:00.000Z',
  finishedAt: '2026-11-22T10:00:00.040Z',
  latencyMs: 40,
  detail: 'Flag checkout-multibuy rolled back',
  attempts: [
    {
      n: 1,
      outcome: 'succeeded',
      startedAt: '2026-11-22T10:00:00.010Z',
      finishedAt: '2026-11-22T10:00:00.040Z',
      latencyMs: 30,
      error: null,
    },
  ],
  ...over,
});

const list: RemediationListResponse = {
  rules: [
    {
      id: 'checkout-multibuy-rollback',
      entityRef: 'component:default/checkout',
      action: 'feature-flag',
      description: 'Turn checkout-multibuy off',
      match: ['severity="error"', 'impact="slo_breach"'],
      triggers: ['alertmanager', 'manual'],
      lockKey: 'rollback:{{env}}',
      cooldown: '10m',
      maxAttempts: 3,
      attemptWindow: '10m',
    },
  ],
  items: [
    execution(),
    execution({
      id: 6,
      state: 'failed',
      latencyMs: null,
      duplicates: 0,
      detail: 'Failed after 3 attempt(s): ECONNREFUSED',
    }),
  ],
  escalations: [],
  summary: {
    executions: 2,
    succeeded: 1,
    failed: 1,
    deduplicated: 99,
    successRate: 0.5,
    latencyP50Ms: 40,
    latencyP95Ms: 40,
  },
};

const render = (api: Partial<ReliabilityApi>) =>
  renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, api]]}>
      <RemediationPanel entityRef="component:default/checkout" />
    </TestApiProvider>,
  );

describe('RemediationPanel', () => {
  it('shows the rules, the summary, both charts and the history', async () => {
    await render({ listRemediations: async () => list });
    const panel = await screen.findByTestId('remediation-panel');
    expect(panel).toHaveTextContent(
      '2 executions · success 50% · p50 40 ms · p95 40 ms · 99 duplicate triggers dropped',
    );
    expect(
      within(
        screen.getByTestId('remediation-rule-checkout-multibuy-rollback'),
      ).getByText('severity="error"'),
    ).toBeInTheDocument();
    expect(
      screen.getByTestId('remediation-outcomes-chart'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('remediation-latency-chart')).toBeInTheDocument();
    const row = screen.getByTestId('remediation-execution-7');
    expect(row).toHaveTextContent('+99 deduplicated');
    expect(row).toHaveTextContent('succeeded');
    expect(row).toHaveTextContent('automatic');
    expect(screen.getByTestId('remediation-execution-6')).toHaveTextContent(
      'ECONNREFUSED',
    );
  });

  it('says when a rule escalated and waits for a human', async () => {
    const escalation = {
      id: 1,
      ruleId: 'checkout-multibuy-rollback',
      entityRef: 'component:default/checkout',
      state: 'open' as const,
      openedAt: '2026-11-22T10:05:00.000Z',
      resolvedAt: null,
      executionId: 6,
      attempts: 3,
      attemptWindow: '10m',
    };
    await render({
      listRemediations: async () => ({ ...list, escalations: [escalation] }),
    });
    expect(
      await screen.findByTestId(
        'remediation-escalation-checkout-multibuy-rollback',
      ),
    ).toHaveTextContent(
      'checkout-multibuy-rollback escalated: 3 attempts in 10m reached its limit (execution #6); a human needs to look. It closes when the rule next succeeds.',
    );
  });

  it('runs a dry run and shows what would happen; a refusal shows the server message', async () => {
    const runRemediation = jest
      .fn()
      .mockResolvedValueOnce(
        execution({
          id: 8,
          state: 'dry_run',
          dryRun: true,
          detail:
            'Dry run, nothing called. Would turn flag checkout-multibuy off',
        }),
      )
      .mockRejectedValueOnce(
        new Error(
          'Missing permission reliability.remediation.execute on component:default/checkout: only its owners may run its remediations',
        ),
      );
    const listRemediations = jest.fn().mockResolvedValue(list);
    await render({ listRemediations, runRemediation });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Dry run' }),
    );
    expect(await screen.findByTestId('remediation-result')).toHaveTextContent(
      '#8 dry_run: Dry run, nothing called',
    );
    expect(runRemediation).toHaveBeenCalledWith('checkout-multibuy-rollback', {
      dryRun: true,
    });
    await waitFor(() => expect(listRemediations).toHaveBeenCalledTimes(2));
    await userEvent.click(screen.getByRole('button', { name: 'Run now' }));
    expect(await screen.findByTestId('remediation-result')).toHaveTextContent(
      'only its owners may run its remediations',
    );
  });

  it('has an empty state and an error state with retry', async () => {
    await render({
      listRemediations: async () => ({ ...list, rules: [], items: [] }),
    });
    expect(await screen.findByTestId('remediation-empty')).toHaveTextContent(
      'No remediation rules for this entity',
    );
  });

  it('shows an error with retry', async () => {
    const listRemediations = jest
      .fn()
      .mockRejectedValueOnce(new Error('backend down'))
      .mockResolvedValue(list);
    await render({ listRemediations });
    expect(await screen.findByTestId('remediation-error')).toHaveTextContent(
      'backend down',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('remediation-panel')).toBeInTheDocument();
  });
});
