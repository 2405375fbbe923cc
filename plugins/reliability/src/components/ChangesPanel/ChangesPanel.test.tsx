import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/test-utils';
import { ChangesPanel } from './ChangesPanel';

describe('ChangesPanel', () => {
  it('says how to post changes when there are none, shows loading, and offers Retry on an error', async () => {
    const { rerender } = await renderInTestApp(
      <ChangesPanel value={{ items: [] }} loading={false} retry={() => {}} />,
    );
    expect(screen.getByTestId('changes-empty')).toHaveTextContent(
      'POST /api/reliability/changes',
    );
    rerender(<ChangesPanel loading retry={() => {}} />);
    expect(screen.getByLabelText('loading changes')).toBeInTheDocument();
    const retry = jest.fn();
    rerender(
      <ChangesPanel
        loading={false}
        error={new Error('Service unavailable')}
        retry={retry}
      />,
    );
    expect(
      screen.getByText(/Could not load the changes: Service unavailable/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(retry).toHaveBeenCalled();
  });

  it('links a change to its pipeline and shows "no data" burn as a dash', async () => {
    await renderInTestApp(
      <ChangesPanel
        loading={false}
        retry={() => {}}
        value={{
          items: [
            {
              id: 7,
              entityRef: 'component:default/checkout',
              kind: 'deploy',
              version: 'v3.0.0',
              summary: null,
              author: null,
              link: 'https://ci.example/runs/7',
              at: '2026-11-23T09:00:00.000Z',
              source: 'service:ci',
              burnedAfter: [
                { slo: 'default/checkout-success', budgetSpent: null },
              ],
              worst: null,
            },
          ],
        }}
      />,
    );
    const row = screen.getByTestId('change-row-7');
    expect(screen.getByRole('link', { name: 'v3.0.0' })).toHaveAttribute(
      'href',
      'https://ci.example/runs/7',
    );
    expect(row).toHaveTextContent('service:ci');
    expect(row).toHaveTextContent('—');
  });
});
