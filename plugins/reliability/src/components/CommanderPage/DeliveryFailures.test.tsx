import { fireEvent, screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { DeliveryRecord } from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { DeliveryFailures } from './DeliveryFailures';

const failed = (over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  id: 1,
  alertKey: 'reliability-7-2d958596',
  alertId: 7,
  sloRef: 'default/checkout-availability',
  entityRef: 'component:default/checkout',
  target: 'payments-oncall',
  targetKind: 'slack',
  transition: 'fired',
  state: 'failed',
  attempts: 1,
  createdAt: new Date(Date.now() - 120_000).toISOString(),
  nextAttemptAt: null,
  deliveredAt: null,
  lastStatus: 410,
  lastError: 'Slack answered HTTP 410: channel_is_archived',
  ...over,
});

async function render(api: Record<string, unknown>) {
  await renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, api as any]]}>
      <DeliveryFailures />
    </TestApiProvider>,
  );
}

describe('DeliveryFailures', () => {
  it('shows each failed delivery with its target, transition and the vendor’s reason', async () => {
    const asked: unknown[] = [];
    await render({
      listDeliveries: async (q: unknown) => {
        asked.push(q);
        return {
          items: [
            failed(),
            failed({
              id: 3,
              alertKey: 'reliability-incident-12-0a1b2c3d',
              alertId: 12,
              sloRef: '',
              lastStatus: 404,
              lastError: 'Slack answered HTTP 404: channel_not_found',
            }),
            failed({
              id: 2,
              target: 'payments',
              targetKind: 'pagerduty',
              attempts: 10,
              lastStatus: 503,
              lastError:
                'Gave up after 10 attempts: PagerDuty answered HTTP 503',
            }),
          ],
        };
      },
    });
    const box = await screen.findByTestId('delivery-failures');
    expect(box).toHaveTextContent('3 alert deliveries failed');
    expect(box).toHaveTextContent(
      'payments-oncall (slack): incident 12 page fired on component:default/checkout, 2m ago, 1 attempt HTTP 404',
    );
    expect(box).toHaveTextContent(
      'payments-oncall (slack): alert fired on default/checkout-availability, 2m ago, 1 attempt HTTP 410: Slack answered HTTP 410: channel_is_archived',
    );
    expect(box).toHaveTextContent('payments (pagerduty)');
    expect(box).toHaveTextContent(
      '10 attempts HTTP 503: Gave up after 10 attempts',
    );
    expect(asked).toEqual([{ state: 'failed', limit: 50 }]);
  });

  it('shows nothing when no delivery failed, or when the API has none', async () => {
    await render({ listDeliveries: async () => ({ items: [] }) });
    expect(screen.queryByTestId('delivery-failures')).toBeNull();
    await render({});
    expect(screen.queryByTestId('delivery-failures')).toBeNull();
  });

  it('acknowledges an alert from its failed delivery: busy while asking, then acknowledged; an error is shown', async () => {
    const acked: string[] = [];
    let release: () => void = () => {};
    await render({
      listDeliveries: async () => ({
        items: [
          failed(),
          failed({ id: 3, alertKey: 'reliability-8-2d958596' }),
        ],
      }),
      acknowledgeAlert: (key: string) => {
        acked.push(key);
        if (key === 'reliability-8-2d958596')
          return Promise.reject(
            new Error(
              'Only the owners of component:default/checkout may acknowledge its alerts',
            ),
          );
        return new Promise(resolve => {
          release = () =>
            resolve({ alertKey: key, firstAcknowledgement: true });
        });
      },
    });
    fireEvent.click(
      await screen.findByRole('button', {
        name: 'Acknowledge alert reliability-7-2d958596',
      }),
    );
    expect(await screen.findByText('Acknowledging…')).toBeInTheDocument();
    release();
    expect(await screen.findByText(/\(acknowledged\)/)).toBeInTheDocument();
    fireEvent.click(
      screen.getByRole('button', {
        name: 'Acknowledge alert reliability-8-2d958596',
      }),
    );
    expect(
      await screen.findByText(/Could not acknowledge: Only the owners/),
    ).toBeInTheDocument();
    expect(acked).toEqual(['reliability-7-2d958596', 'reliability-8-2d958596']);
  });
});
