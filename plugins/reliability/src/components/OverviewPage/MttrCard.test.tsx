import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { MttrResponse } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { OverviewPage } from './OverviewPage';

const MIN = 60_000;

describe('the overview: time to restore', () => {
  it('shows MTTR with the incident count per service, per team on a toggle, and pages', async () => {
    const getIncidentMttr = jest.fn(
      async (q: { by: string; cursor?: string }): Promise<MttrResponse> => {
        const head = {
          by: q.by as 'service' | 'team',
          days: 90,
          since: '2026-09-06T00:00:00Z',
        };
        if (q.by === 'team')
          return {
            ...head,
            items: [
              {
                entityRef: 'group:default/payments-sre',
                incidents: 3,
                mttrMs: 80 * MIN,
                maxMs: 120 * MIN,
                services: 2,
              },
            ],
          };
        return q.cursor
          ? {
              ...head,
              items: [
                {
                  entityRef: 'component:default/search',
                  incidents: 1,
                  mttrMs: 10 * MIN,
                  maxMs: 10 * MIN,
                },
              ],
            }
          : {
              ...head,
              items: [
                {
                  entityRef: 'component:default/checkout',
                  incidents: 2,
                  mttrMs: 65 * MIN,
                  maxMs: 90 * MIN,
                },
              ],
              nextCursor: 'c2',
            };
      },
    );
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            reliabilityApiRef,
            {
              getOverview: async () => ({ items: [], gateThreshold: 0.25 }),
              getIncidentMttr,
            } as unknown as Partial<ReliabilityApi>,
          ],
        ]}
      >
        <OverviewPage />
      </TestApiProvider>,
    );
    const card = await screen.findByTestId('mttr-card');
    expect(card).toHaveTextContent('Time to restore (last 90 days)');
    const checkout = await within(card).findByTestId(
      'mttr-row-component:default/checkout',
    );
    expect(
      within(checkout)
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(['checkout', '2', '1h 5m', '1h 30m']);
    expect(within(checkout).getByRole('link')).toHaveAttribute(
      'href',
      '/catalog/default/component/checkout/reliability',
    );
    expect(getIncidentMttr).toHaveBeenCalledWith({
      by: 'service',
      days: 90,
      limit: 20,
    });
    await userEvent.click(within(card).getByRole('button', { name: 'More' }));
    expect(
      await within(card).findByTestId('mttr-row-component:default/search'),
    ).toHaveTextContent('10m');
    expect(
      within(card).queryByRole('button', { name: 'More' }),
    ).not.toBeInTheDocument();

    await userEvent.click(
      within(card).getByRole('button', { name: 'Per team' }),
    );
    const team = await within(card).findByTestId(
      'mttr-row-group:default/payments-sre',
    );
    expect(
      within(team)
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual(['payments-sre', '3', '1h 20m', '2h', '2']);
    expect(
      within(card).getByRole('columnheader', { name: 'Team' }),
    ).toBeVisible();
    await waitFor(() =>
      expect(
        within(card).queryByTestId('mttr-row-component:default/checkout'),
      ).not.toBeInTheDocument(),
    );
  });

  it('says when no incident was resolved, and shows an error with a retry', async () => {
    const getIncidentMttr = jest
      .fn()
      .mockRejectedValueOnce(new Error('days: must be at most 365'))
      .mockResolvedValue({
        by: 'service',
        days: 90,
        since: '2026-09-06T00:00:00Z',
        items: [],
      });
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            reliabilityApiRef,
            {
              getOverview: async () => ({ items: [], gateThreshold: 0.25 }),
              getIncidentMttr,
            } as unknown as Partial<ReliabilityApi>,
          ],
        ]}
      >
        <OverviewPage />
      </TestApiProvider>,
    );
    const card = await screen.findByTestId('mttr-card');
    expect(
      await within(card).findByText(/Could not load the time to restore/),
    ).toHaveTextContent('days: must be at most 365');
    await userEvent.click(within(card).getByRole('button', { name: 'Retry' }));
    expect(
      await within(card).findByText(
        'No incident was resolved in the last 90 days.',
      ),
    ).toBeInTheDocument();
  });
});
