import { screen, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type {
  ChaosExperimentRecord,
  ChaosRunsResponse,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { ChaosRuns, RUNS_SHOWN } from './ChaosRuns';

const record = (
  over: Partial<ChaosExperimentRecord> = {},
): ChaosExperimentRecord => ({
  id: 7,
  entityRef: 'component:default/checkout',
  name: 'nightly-latency',
  state: 'approved',
  experiment: {
    hypothesis: 'Checkout keeps its SLO while PaymentSvc is slow.',
    steadyState: { slo: 'default/checkout-success', minBudgetRemaining: 0.5 },
    schedule: { type: 'cron', cron: '0 2 * * *' },
    environment: 'staging',
  } as any,
  version: 1,
  author: 'user:default/mei',
  approvedBy: 'user:default/ana',
  approvedAt: '2026-12-04T10:00:00.000Z',
  createdAt: '2026-12-04T10:00:00.000Z',
  updatedAt: '2026-12-05T02:10:00.000Z',
  startedAt: '2026-12-05T02:00:00.000Z',
  finishedAt: '2026-12-05T02:10:00.000Z',
  abortReason: null,
  budgetAtStart: 0.9,
  budgetSpent: 0.01,
  ...over,
});

const render = (
  experiment: ChaosExperimentRecord,
  listChaosRuns: ReliabilityApi['listChaosRuns'],
) =>
  renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, { listChaosRuns }]]}>
      <ChaosRuns experiment={experiment} />
    </TestApiProvider>,
  );

describe('ChaosRuns', () => {
  it('shows the next scheduled run and the refused scheduled starts with their reason', async () => {
    const calls: [number, unknown][] = [];
    const answer: ChaosRunsResponse = {
      nextRunAt: '2026-12-06T02:00:00.000Z',
      scheduleBlocked: null,
      items: [
        {
          id: 3,
          experimentId: 7,
          trigger: 'schedule',
          scheduledFor: '2026-12-05T02:00:00.000Z',
          state: 'refused',
          reason:
            'default/checkout-success is burning (page 14.4x 1h&5m); chaos must respect business SLOs',
          startedAt: null,
          endsAt: null,
          finishedAt: '2026-12-05T02:00:00.000Z',
        },
        {
          id: 2,
          experimentId: 7,
          trigger: 'schedule',
          scheduledFor: '2026-12-04T02:00:00.000Z',
          state: 'completed',
          reason: 'its duration (10m) is over',
          startedAt: '2026-12-04T02:00:00.000Z',
          endsAt: '2026-12-04T02:10:00.000Z',
          finishedAt: '2026-12-04T02:10:00.000Z',
        },
      ],
    };
    await render(record(), async (id, options) => {
      calls.push([id, options]);
      return answer;
    });
    expect(
      await screen.findByText(/next run Dec 6, 2026, 2:00 AM UTC/),
    ).toBeInTheDocument();
    expect(calls).toEqual([[7, { limit: RUNS_SHOWN }]]);
    const rows = within(
      screen.getByRole('table', { name: 'runs of nightly-latency' }),
    ).getAllByRole('row');
    // the header and two runs, newest first
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('Scheduled Dec 5, 2026, 2:00 AM UTC');
    expect(rows[1]).toHaveTextContent('refused');
    expect(rows[1]).toHaveTextContent(
      'default/checkout-success is burning (page 14.4x 1h&5m); chaos must respect business SLOs',
    );
    expect(rows[2]).toHaveTextContent('completed');
    expect(rows[2]).toHaveTextContent('its duration (10m) is over');
  });

  it('says when the environment keeps scheduled starts off, and that a finished experiment has no next run', async () => {
    await render(record({ state: 'completed' }), async () => ({
      nextRunAt: null,
      scheduleBlocked:
        'scheduled runs are not allowed in production (reliability.chaos.schedule.environments: by default every environment but production)',
      items: [],
    }));
    expect(
      await screen.findByText(/no next run while it is completed/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /Scheduled starts are refused: scheduled runs are not allowed in production/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });
  it("shows a run's expectations with their evidence, its follow-up and the incident it is linked to", async () => {
    await render(record({ state: 'completed' }), async () => ({
      nextRunAt: null,
      scheduleBlocked: null,
      items: [
        {
          id: 4,
          experimentId: 7,
          trigger: 'manual',
          scheduledFor: null,
          state: 'completed',
          reason: 'its duration (10m) is over',
          startedAt: '2026-12-05T03:00:00.000Z',
          endsAt: '2026-12-05T03:10:00.000Z',
          finishedAt: '2026-12-05T03:10:00.000Z',
          evaluatedAt: '2026-12-05T03:10:05.000Z',
          expectations: [
            {
              index: 0,
              type: 'remediation-fires',
              expected:
                'remediation rule payment-worker-restart fires within 2m',
              outcome: 'met',
              evidence: {
                source: 'remediation-executions',
                summary:
                  'execution 12 of payment-worker-restart (component:default/checkout, succeeded) was created 30s after the start',
                executionId: 12,
                links: [
                  {
                    title: 'Execution 12',
                    url: '/catalog/default/component/checkout/reliability#remediation-panel',
                  },
                ],
              },
            },
            {
              index: 1,
              type: 'breaker-opens',
              expected: 'breaker psp opens within 60s (>= 1)',
              outcome: 'not-met',
              evidence: {
                source: 'prometheus',
                query: 'max(payment_breaker_state{breaker="psp"})',
                summary:
                  'psp did not open within 60s: 13 readings, none >= 1 (highest 0)',
              },
            },
            {
              index: 2,
              type: 'slo-burn-below',
              expected: "the SLO's burn rate stays under 1x over the run",
              outcome: 'unknown',
              evidence: {
                source: 'slo-counts',
                summary: 'default/checkout-success counted no events',
              },
            },
          ],
          followUp: [
            {
              expectation: 1,
              title:
                'Chaos run #4 of nightly-latency: expected breaker psp opens within 60s (>= 1), not met',
              owner: 'group:default/payments-sre',
              due: '2026-12-19',
            },
          ],
          incidentId: 9,
        },
      ],
    }));
    const table = await screen.findByRole('table', {
      name: 'expectations of run 4',
    });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent(
      'metExpected remediation rule payment-worker-restart fires within 2m',
    );
    expect(
      within(rows[0]).getByRole('link', { name: 'Execution 12' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/reliability#remediation-panel',
    );
    expect(rows[1]).toHaveTextContent('not met');
    expect(rows[1]).toHaveTextContent(
      'Query max(payment_breaker_state{breaker="psp"})',
    );
    expect(rows[2]).toHaveTextContent('unknown');
    const followUp = screen.getByRole('list', { name: 'follow-up of run 4' });
    expect(
      within(followUp)
        .getAllByRole('listitem')
        .map(i => i.textContent),
    ).toEqual([
      'Chaos run #4 of nightly-latency: expected breaker psp opens within 60s (>= 1), not met (group:default/payments-sre, due 2026-12-19)',
    ]);
    expect(screen.getByRole('link', { name: 'incident #9' })).toHaveAttribute(
      'href',
      '/reliability/incidents/9',
    );
  });

  it('shows nothing more for a run without expectations', async () => {
    await render(record({ state: 'completed' }), async () => ({
      nextRunAt: null,
      scheduleBlocked: null,
      items: [
        {
          id: 5,
          experimentId: 7,
          trigger: 'manual',
          scheduledFor: null,
          state: 'completed',
          reason: null,
          startedAt: '2026-12-05T03:00:00.000Z',
          endsAt: '2026-12-05T03:10:00.000Z',
          finishedAt: '2026-12-05T03:10:00.000Z',
          evaluatedAt: '2026-12-05T03:10:05.000Z',
          expectations: [],
          followUp: [],
          incidentId: null,
        },
      ],
    }));
    expect(
      await screen.findByRole('table', { name: 'runs of nightly-latency' }),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('chaos-run-5-expectations')).toBeNull();
    expect(screen.queryByText('Follow-up')).toBeNull();
  });
});
