import { screen } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { DeliveryRecord } from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { AutoRemediated } from './AutoRemediated';

jest.setTimeout(30_000);

const avoided = (over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  id: 1,
  alertKey: 'reliability-7-2d958596',
  alertId: 7,
  sloRef: 'default/checkout-success',
  entityRef: 'component:default/checkout',
  target: 'payments',
  targetKind: 'pagerduty',
  transition: 'fired',
  state: 'avoided' as DeliveryRecord['state'],
  attempts: 0,
  createdAt: new Date(Date.now() - 180_000).toISOString(),
  nextAttemptAt: null,
  deliveredAt: null,
  lastStatus: null,
  lastError: null,
  ...over,
});

const execution = (triggerId: string, state: string, ruleId: string) => ({
  id: 1,
  ruleId,
  entityRef: 'component:default/checkout',
  action: 'feature-flag',
  target: 'PATCH https://flags.example.com',
  trigger: 'alert',
  triggerId,
  triggerLabels: {},
  lockKey: 'x',
  state,
  dryRun: false,
  actor: null,
  duplicates: 0,
  createdAt: new Date().toISOString(),
  finishedAt: null,
  latencyMs: 12,
  detail: null,
  attempts: [],
});

async function render(api: Record<string, unknown>) {
  await renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, api as any]]}>
      <AutoRemediated />
    </TestApiProvider>,
  );
}

describe('AutoRemediated', () => {
  it('lists each avoided alert once, with its SLO, what fixed it and when', async () => {
    const asked: unknown[] = [];
    await render({
      listDeliveries: async (q: unknown) => {
        asked.push(q);
        // one alert, two targets held: one row
        return {
          items: [avoided(), avoided({ id: 2, target: 'payments-oncall' })],
        };
      },
      listRemediations: async () => ({
        items: [
          execution('alert:7', 'succeeded', 'checkout-multibuy-rollback'),
          execution('alert:6', 'succeeded', 'other-alerts-fix'),
          execution('alert:7', 'failed', 'checkout-restart'),
        ],
      }),
    });
    const rows = await screen.findAllByTestId('auto-remediated-alert');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent(
      'default/checkout-success: alert #7 (reliability-7-2d958596) fixed by checkout-multibuy-rollback (feature-flag), 3m ago',
    );
    expect(asked).toEqual([{ state: 'avoided', limit: 50 }]);
    expect(screen.getByText('Auto-remediated')).toBeInTheDocument();
  });

  it('says so when no page was avoided', async () => {
    await render({
      listDeliveries: async () => ({ items: [] }),
      listRemediations: async () => {
        throw new Error('not asked');
      },
    });
    expect(await screen.findByText(/No page avoided yet/)).toBeInTheDocument();
  });

  it('shows the error when the deliveries cannot be read', async () => {
    await render({
      listDeliveries: async () => {
        throw new Error('HTTP 503');
      },
    });
    expect(
      await screen.findByText(/Could not load the auto-remediated alerts/),
    ).toHaveTextContent('HTTP 503');
  });

  it('shows a progress indicator while loading', async () => {
    await render({
      listDeliveries: () => new Promise(() => {}),
    });
    expect(
      await screen.findByLabelText('loading auto-remediated'),
    ).toBeInTheDocument();
  });
});
