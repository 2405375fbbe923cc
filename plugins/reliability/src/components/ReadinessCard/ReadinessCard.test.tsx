import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { readinessScore } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { ReadinessCard } from './ReadinessCard';

const NOW = Date.now();
const response = readinessScore(
  {
    entityRef: 'component:default/checkout',
    annotations: { 'reliability.io/rto': '5m', 'reliability.io/rpo': '60s' },
    slos: [{ ref: 'default/checkout-success', policySource: 'csv' }],
    runbook: { where: 'catalog/runbooks/checkout.md' },
    journeys: [{ name: 'checkout_full', steps: 5, lastRunAt: NOW - 60_000 }],
    drill: { lastSuccessAt: null },
    capacity: { lastRunAt: NOW - 86_400_000 },
    remediation: { rules: 1, openEscalations: 0, lastOutcome: 'succeeded' },
    chaos: { completed: 0 },
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
  it('shows the score, each item with its reason, and the fix of the unchecked ones', async () => {
    const scrolled = jest.fn();
    Element.prototype.scrollIntoView = scrolled;
    await render({ getReadiness: async () => response });
    expect(await screen.findByTestId('readiness-score')).toHaveTextContent(
      '67%',
    );
    expect(screen.getByText('6 of 9 items in place.')).toBeInTheDocument();
    const drill = screen.getByTestId('readiness-item-drill');
    expect(drill).toHaveTextContent(
      '✗Failover drill this quarter, RTO/RPO documentedNo successful failover drill recorded; RTO 5m, RPO 60s',
    );
    expect(screen.getByTestId('readiness-item-synthetics')).toHaveTextContent(
      '✓Synthetic checks running1 journey ran in the last day (checkout_full)',
    );
    // a fix on this tab scrolls to its panel
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Record a drill or upload the drill log',
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
      '67%',
    );
  });
});
