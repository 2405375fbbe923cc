import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import type { Incident } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { rootRouteRef } from '../../routes';
import { ReliabilityPage } from '../ReliabilityPage';
import { StatusUpdateTimer, timerText } from './StatusUpdateTimer';
import { ActionItems } from './ActionItems';

jest.setTimeout(30_000);

const incident: Incident = {
  id: 7,
  entityRef: 'component:default/checkout',
  title: 'Checkout errors',
  severity: 'SEV2',
  state: 'active',
  status: 'investigating',
  roles: { commander: 'user:default/guest', comms: 'user:default/comms' },
  declaredBy: 'user:default/guest',
  declaredAt: '2026-11-21T12:03:00Z',
  resolvedAt: null,
  closedAt: null,
  mttrMs: null,
  trigger: null,
  impact: null,
  rootCauses: [],
  actionItems: [],
  events: [
    {
      id: 1,
      at: '2026-11-21T12:03:00Z',
      author: 'user:default/guest',
      kind: 'declared',
      text: 'Declared SEV2: Checkout errors',
    },
  ],
  links: [
    {
      kind: 'dashboard',
      title: 'Checkout errors',
      url: 'https://grafana.example.com/d/checkout',
    },
  ],
  updateCadenceMinutes: 15,
  lastUpdateAt: '2026-11-21T12:03:00Z',
  nextUpdateDueAt: '2026-11-21T12:18:00Z',
  updateOverdue: false,
};

function render(api: Partial<ReliabilityApi>) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [
          reliabilityApiRef,
          { listIncidents: async () => ({ items: [] }), ...api },
        ],
        [catalogApiRef, { getEntityByRef: async () => undefined }],
      ]}
    >
      <ReliabilityPage />
    </TestApiProvider>,
    {
      routeEntries: ['/incidents/7'],
      mountedRoutes: {
        '/reliability': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

describe('incident page: timer, links, action items', () => {
  afterEach(() => jest.useRealTimers());

  it("shows the timeline's dates in the viewer's locale", async () => {
    await render({ getIncident: async () => incident });
    const [declared] = await screen.findAllByTestId('incident-event');
    expect(declared).toHaveTextContent(
      new Intl.DateTimeFormat(navigator.language, {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      }).format(new Date('2026-11-21T12:03:00Z')),
    );
    expect(declared).toHaveTextContent(/2026/);
  });

  it('counts down to the next status update, then up once it is overdue, every second', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-11-21T12:05:30Z') });
    await render({ getIncident: async () => incident });
    const timer = await screen.findByRole('timer');
    // due 12:18:00, now 12:05:30
    expect(timer).toHaveTextContent('next update due in 12:30');
    act(() => {
      jest.advanceTimersByTime(2_000);
    });
    expect(timer).toHaveTextContent('next update due in 12:28');
    act(() => {
      jest.advanceTimersByTime(13 * 60_000);
    });
    // 12:18:32
    expect(screen.getByRole('timer')).toHaveTextContent('overdue by 0:32');
  });

  it('reads the timer with hours, and says who was told of an overdue update', () => {
    expect(
      timerText('2026-11-21T14:00:00Z', Date.parse('2026-11-21T12:57:51Z')),
    ).toBe('next update due in 1:02:09');
    expect(
      timerText('2026-11-21T12:00:00Z', Date.parse('2026-11-21T12:00:00Z')),
    ).toBe('overdue by 0:00');
  });

  it('changes the cadence, adds a pull request link and removes a link through the API', async () => {
    const setIncidentCadence = jest.fn().mockResolvedValue(incident);
    const addIncidentLink = jest.fn().mockResolvedValue(incident);
    const removeIncidentLink = jest.fn().mockResolvedValue(incident);
    await render({
      getIncident: async () => ({ ...incident, updateOverdue: true }),
      setIncidentCadence,
      addIncidentLink,
      removeIncidentLink,
    });
    const timer = await screen.findByTestId('status-update-timer');
    expect(timer).toHaveTextContent('Comms was told');
    await userEvent.click(within(timer).getByRole('combobox'));
    await userEvent.click(screen.getByRole('option', { name: '30 min' }));
    await waitFor(() => expect(setIncidentCadence).toHaveBeenCalledWith(7, 30));

    const links = screen.getByTestId('incident-links');
    const shown = within(links).getByRole('link', { name: 'Checkout errors' });
    expect(shown).toHaveAttribute(
      'href',
      'https://grafana.example.com/d/checkout',
    );
    expect(shown).toHaveAttribute('target', '_blank');
    expect(within(links).getByTestId('incident-link')).toHaveTextContent(
      'Dashboard',
    );
    const add = within(links).getByRole('button', { name: 'Add link' });
    await userEvent.type(
      within(links).getByLabelText('Link title'),
      'Revert #42',
    );
    // not an http(s) URL: nothing to send
    await userEvent.type(within(links).getByLabelText('URL'), 'ftp://x');
    expect(add).toBeDisabled();
    await userEvent.clear(within(links).getByLabelText('URL'));
    await userEvent.type(
      within(links).getByLabelText('URL'),
      'https://git.example.com/shop/pull/43',
    );
    await userEvent.click(within(links).getByRole('combobox'));
    await userEvent.click(screen.getByRole('option', { name: 'Pull request' }));
    await userEvent.click(add);
    await waitFor(() =>
      expect(addIncidentLink).toHaveBeenCalledWith(7, {
        kind: 'pull-request',
        title: 'Revert #42',
        url: 'https://git.example.com/shop/pull/43',
      }),
    );
    await waitFor(() =>
      expect(within(links).getByLabelText('Link title')).toHaveValue(''),
    );
    await userEvent.click(
      within(links).getByRole('button', {
        name: 'Remove link Checkout errors',
      }),
    );
    await waitFor(() => expect(removeIncidentLink).toHaveBeenCalledWith(7, 1));
  });

  it("shows a refused link's reason and keeps the form", async () => {
    const addIncidentLink = jest
      .fn()
      .mockRejectedValue(
        new Error('links: an incident holds at most 50 links'),
      );
    await render({ getIncident: async () => incident, addIncidentLink });
    const links = await screen.findByTestId('incident-links');
    await userEvent.type(within(links).getByLabelText('Link title'), 'Logs');
    await userEvent.type(
      within(links).getByLabelText('URL'),
      'https://logs.example.com/q',
    );
    await userEvent.click(
      within(links).getByRole('button', { name: 'Add link' }),
    );
    expect(await screen.findByTestId('incident-error')).toHaveTextContent(
      'links: an incident holds at most 50 links',
    );
    expect(within(links).getByLabelText('Link title')).toHaveValue('Logs');
  });

  it('lists the action items of a closed incident, overdue first, and marks one done', async () => {
    const closed: Incident = {
      ...incident,
      state: 'closed',
      status: 'resolved',
      resolvedAt: '2026-11-21T13:03:00Z',
      closedAt: '2026-11-21T14:00:00Z',
      mttrMs: 3_600_000,
      impact: '3% failed',
      rootCauses: ['PSP brownout'],
      nextUpdateDueAt: null,
      actionItems: [
        {
          title: 'Load test the PSP path',
          owner: 'user:default/bob',
          due: '2999-01-01',
        },
        {
          title: 'Add jitter',
          owner: 'user:default/jane',
          due: '2026-11-25',
          notifiedAt: '2026-11-26T00:05:00Z',
        },
        {
          title: 'Alert on PSP 5xx',
          owner: 'group:default/payments-sre',
          due: '2026-11-23',
          doneAt: '2026-11-22T09:00:00Z',
          doneBy: 'user:default/guest',
        },
      ],
    };
    const setActionItemDone = jest.fn().mockResolvedValue(closed);
    await render({ getIncident: async () => closed, setActionItemDone });
    const list = await screen.findByTestId('action-items');
    expect(screen.queryByRole('timer')).not.toBeInTheDocument();
    expect(list).toHaveTextContent('2 open, 1 overdue of 3');
    const rows = within(list).getAllByTestId('action-item');
    expect(rows.map(r => r.textContent)).toEqual([
      expect.stringMatching(
        /^overdueAdd jitteruser:default\/jane · due 2026-11-25 · owner told .*Mark done$/,
      ),
      expect.stringMatching(/^openLoad test the PSP path.*Mark done$/),
      expect.stringMatching(
        /^doneAlert on PSP 5xx.*done .* by user:default\/guest.*Reopen$/,
      ),
    ]);
    await userEvent.click(
      within(list).getByRole('button', { name: 'Mark done: Add jitter' }),
    );
    await waitFor(() =>
      expect(setActionItemDone).toHaveBeenCalledWith(7, 2, true),
    );
    await userEvent.click(
      within(list).getByRole('button', { name: 'Reopen: Alert on PSP 5xx' }),
    );
    await waitFor(() =>
      expect(setActionItemDone).toHaveBeenCalledWith(7, 3, false),
    );
  });

  it('shows the timer read only without a way to change the cadence, and nothing once resolved', async () => {
    const { rerender } = await renderInTestApp(
      <StatusUpdateTimer
        incident={incident}
        now={Date.parse('2026-11-21T12:20:00Z')}
      />,
    );
    expect(screen.getByRole('timer')).toHaveTextContent('overdue by 2:00');
    rerender(
      <StatusUpdateTimer
        incident={{ ...incident, nextUpdateDueAt: null }}
        now={Date.parse('2026-11-21T12:20:00Z')}
      />,
    );
    expect(screen.queryByRole('timer')).not.toBeInTheDocument();
    rerender(<ActionItems items={[]} now={0} when={String} />);
    expect(screen.getByText('No action items.')).toBeInTheDocument();
  });
});
