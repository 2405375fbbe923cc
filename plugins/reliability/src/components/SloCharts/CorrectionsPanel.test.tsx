import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import type {
  HistoryResponse,
  SloCorrection,
  SloSummary,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { SloCharts } from './SloCharts';

const slo = {
  ref: 'default/checkout-success',
  entityRef: 'slo:default/checkout-success',
  name: 'checkout-success',
  title: 'Checkout success rate',
  componentRef: 'component:default/checkout',
  objective: 0.995,
  window: '30d',
  windowLabel: '30d rolling',
  sourceType: 'Ingest',
  status: null,
} as unknown as SloSummary;

const history: HistoryResponse = {
  ref: slo.ref,
  from: '2026-11-22T00:00:00.000Z',
  to: '2026-11-22T06:00:00.000Z',
  burnRateWindow: '1h',
  thresholds: [],
  points: [
    {
      t: Date.parse('2026-11-22T00:00:00Z'),
      budgetRemaining: 0.9,
      burnRate: 1,
      sli: 0.999,
    },
    {
      t: Date.parse('2026-11-22T06:00:00Z'),
      budgetRemaining: 0.9,
      burnRate: 1,
      sli: 0.999,
    },
  ],
  downsampledFrom: 2,
  exclusions: [
    {
      from: '2026-11-22T02:00:00.000Z',
      to: '2026-11-22T03:00:00.000Z',
      reason: 'planned database upgrade',
    },
  ],
};

const existing: SloCorrection = {
  id: 'c1',
  sloRef: slo.ref,
  kind: 'once',
  start: '2026-11-22T02:00:00.000Z',
  end: '2026-11-22T03:00:00.000Z',
  reason: 'planned database upgrade',
  createdBy: 'user:default/owner',
  createdAt: '2026-11-21T10:00:00.000Z',
};

function render(api: Partial<ReliabilityApi>) {
  return renderInTestApp(
    <TestApiProvider
      apis={[[reliabilityApiRef, { getHistory: async () => history, ...api }]]}
    >
      <SloCharts slo={slo} />
    </TestApiProvider>,
  );
}

describe('budget corrections on the SLO charts', () => {
  it('says which ranges are shaded, lists the corrections, excludes a recurring window and reverts one', async () => {
    const listCorrections = jest.fn().mockResolvedValue({ items: [existing] });
    const createCorrection = jest
      .fn()
      .mockResolvedValue({ ...existing, id: 'c2' });
    const revertCorrection = jest.fn().mockResolvedValue({
      ...existing,
      revertedAt: '2026-11-22T08:00:00.000Z',
      revertedBy: 'user:default/owner',
    });
    const getHistory = jest.fn().mockResolvedValue(history);
    await render({
      listCorrections,
      createCorrection,
      revertCorrection,
      getHistory,
    });
    expect(await screen.findByTestId('exclusions-note')).toHaveTextContent(
      'Shaded: 1 excluded range (planned database upgrade), left out of the budget.',
    );
    // the list is fetched only when opened
    expect(listCorrections).not.toHaveBeenCalled();
    await userEvent.click(
      screen.getByRole('button', { name: 'Budget corrections' }),
    );
    const row = await screen.findByTestId('correction-c1');
    expect(
      within(row).getByText('planned database upgrade'),
    ).toBeInTheDocument();
    expect(within(row).getByText('user:default/owner')).toBeInTheDocument();

    await userEvent.type(
      screen.getByLabelText(/Reason/),
      'weekly failover test',
    );
    fireEvent.change(screen.getByLabelText('Start'), {
      target: { value: '2026-11-29T02:00' },
    });
    await userEvent.click(screen.getByLabelText('Recurring'));
    fireEvent.change(screen.getByLabelText('Time zone'), {
      target: { value: 'Europe/Berlin' },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Exclude' }));
    await waitFor(() => expect(createCorrection).toHaveBeenCalledTimes(1));
    expect(createCorrection).toHaveBeenCalledWith(slo.ref, {
      reason: 'weekly failover test',
      start: new Date('2026-11-29T02:00').toISOString(),
      cron: '0 2 * * 0',
      duration: '2h',
      timeZone: 'Europe/Berlin',
    });
    expect(
      await screen.findByText(
        /Excluded from the budget from the next evaluation/,
      ),
    ).toBeInTheDocument();
    // the charts reload with the new exclusions
    await waitFor(() => expect(getHistory).toHaveBeenCalledTimes(2));

    await userEvent.click(
      within(screen.getByTestId('correction-c1')).getByRole('button', {
        name: 'revert correction: planned database upgrade',
      }),
    );
    await waitFor(() =>
      expect(revertCorrection).toHaveBeenCalledWith(slo.ref, 'c1'),
    );
    expect(
      await screen.findByText(/Reverted: the range counts again/),
    ).toBeInTheDocument();
  });

  it("shows the server's message when a correction is refused", async () => {
    const refused = new Response(
      JSON.stringify({
        error: {
          name: 'NotAllowedError',
          message:
            'Missing permission reliability.slo.correct on component:default/checkout',
        },
        request: {
          method: 'POST',
          url: '/api/reliability/slos/default/checkout-success/corrections',
        },
        response: { statusCode: 403 },
      }),
      { status: 403, headers: { 'content-type': 'application/json' } },
    );
    const createCorrection = jest
      .fn()
      .mockRejectedValue(await ResponseError.fromResponse(refused));
    await render({
      listCorrections: async () => ({ items: [] }),
      createCorrection,
    });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Budget corrections' }),
    );
    expect(
      await screen.findByText('No corrections: every event counts.'),
    ).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/Reason/), 'not mine');
    fireEvent.change(screen.getByLabelText('Start'), {
      target: { value: '2026-11-22T02:00' },
    });
    fireEvent.change(screen.getByLabelText('End'), {
      target: { value: '2026-11-22T03:00' },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Exclude' }));
    expect(
      await screen.findByText(
        /Missing permission reliability\.slo\.correct on component:default\/checkout/,
      ),
    ).toBeInTheDocument();
  });
});
