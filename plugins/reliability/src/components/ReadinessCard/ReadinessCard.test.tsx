import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { readinessScore } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { ReadinessCard } from './ReadinessCard';

jest.setTimeout(30_000);

const NOW = Date.now();
const response = readinessScore(
  {
    entityRef: 'component:default/checkout',
    annotations: { 'reliability.io/rto': '5m', 'reliability.io/rpo': '60s' },
    slos: [{ ref: 'default/checkout-success', policySource: 'csv' }],
    runbook: {
      where: 'catalog/runbooks/checkout.md',
      resolved: true,
      sections: 4,
    },
    journeys: [{ name: 'checkout_full', steps: 5, lastRunAt: NOW - 60_000 }],
    // a failover drill that missed its 5-minute RTO
    drills: [
      {
        kind: 'regional-failover',
        at: NOW - 86_400_000,
        success: true,
        measuredRtoSeconds: 540,
      },
    ],
    loadTests: [
      {
        at: NOW - 86_400_000,
        testType: 'stress',
        verdict: 'pass',
        reason: 'p95 640 ms is within the latency SLO of 1000 ms',
      },
    ],
    remediation: { rules: 1, openEscalations: 0, lastOutcome: 'succeeded' },
    chaos: { completed: 0 },
    resilience: null,
    dashboards: ['https://grafana.example/d/checkout'],
    paging: ['annotation pagerduty.com/service-id'],
  },
  NOW,
);

const render = (api: Partial<ReliabilityApi>) =>
  renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, api]]}>
      <div id="drills-panel">drills here</div>
      <ReadinessCard entityRef="component:default/checkout" />
    </TestApiProvider>,
  );

describe('ReadinessCard', () => {
  it('shows the score, each item with its explanation, and the fix of the unchecked ones', async () => {
    const scrolled = jest.fn();
    Element.prototype.scrollIntoView = scrolled;
    await render({ getReadiness: async () => response });
    expect(await screen.findByTestId('readiness-score')).toHaveTextContent(
      '55%',
    );
    expect(screen.getByText('6 of 11 items in place.')).toBeInTheDocument();
    const failover = screen.getByTestId('readiness-item-failover');
    expect(failover).toHaveTextContent(
      /^✗Failover drilled, runbook current and linkedMissing: a successful regional-failover drill within the RTO\/RPO in the last 92 days/,
    );
    // the explanation lists what was read and what is missing
    const why = screen.getByTestId('readiness-explain-failover');
    expect(why).toHaveTextContent('Why: 3 read, 1 missing');
    expect(why).toHaveTextContent(
      /Read: regional-failover drill \d{4}-\d{2}-\d{2}: does not count \(took 9 min, over the RTO of 5 min\)/,
    );
    expect(why).toHaveTextContent(
      'Read: runbook catalog/runbooks/checkout.md: read, 4 sections for alerts to link to',
    );
    expect(screen.getByTestId('readiness-item-capacity')).toHaveTextContent(
      /^✓Capacity proven by a passing load testThe stress test of .* passed/,
    );
    expect(screen.getByTestId('readiness-item-resilience')).toHaveTextContent(
      'Missing: a resilience file (annotation reliability.io/resilience)',
    );
    // a fix on this tab scrolls to its panel
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Record a failover drill or upload the drill log',
      }),
    );
    expect(scrolled).toHaveBeenCalledTimes(1);
    // a fix elsewhere is a link
    expect(
      screen.getByRole('link', {
        name: /Add the reliability.io\/degradation annotation/,
      }),
    ).toHaveAttribute('href', expect.stringContaining('descriptor-format'));
    expect(
      screen.queryByRole('button', { name: /Upload the synthetic registry/ }),
    ).toBeNull();
  });

  it('shows a spinner while loading, and says so when no item applies', async () => {
    let resolve: (v: typeof response) => void = () => {};
    await render({
      getReadiness: () =>
        new Promise(r => {
          resolve = r;
        }),
    });
    expect(screen.getByLabelText('loading readiness')).toBeInTheDocument();
    resolve({ ...response, score: 0, passed: 0, applicable: 0, items: [] });
    expect(
      await screen.findByText('No checklist item applies to this entity.'),
    ).toBeInTheDocument();
  });

  it('shows a load error with a retry', async () => {
    let calls = 0;
    await render({
      getReadiness: async () => {
        calls++;
        if (calls === 1) throw new Error('backend down');
        return response;
      },
    });
    expect(
      await screen.findByText(
        'Could not load the readiness score: backend down',
      ),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('readiness-score')).toHaveTextContent(
      '55%',
    );
  });
});
