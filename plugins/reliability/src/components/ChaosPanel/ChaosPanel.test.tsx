import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { ChaosExperimentRecord } from '@internal/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { ChaosPanel } from './ChaosPanel';

const record = (over: Partial<ChaosExperimentRecord> = {}): ChaosExperimentRecord => ({
  id: 4,
  entityRef: 'component:default/checkout',
  name: 'latency-checkout',
  state: 'draft',
  experiment: { hypothesis: 'Checkout latency stays under 1 s p95 if PaymentSvc slows 30%.' } as any,
  version: 1,
  author: 'user:default/mei',
  approvedBy: null,
  approvedAt: null,
  createdAt: '2026-11-23T10:00:00.000Z',
  updatedAt: '2026-11-23T10:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  abortReason: null,
  budgetAtStart: null,
  budgetSpent: null,
  ...over,
});

const render = (api: Partial<ReliabilityApi>) =>
  renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, { lintChaos: async () => ({ ok: true, violations: [] }) as any, listChaosFiles: async () => ({ entityRef: 'component:default/checkout', location: null, files: [], skipped: [] }), ...api }]]}>
      <ChaosPanel entityRef="component:default/checkout" sloRefs={['default/checkout-success']} />
    </TestApiProvider>,
  );

describe('ChaosPanel', () => {
  it('shows the linter errors beside their fields as the form changes', async () => {
    const lintChaos = jest.fn(async (_ref: string, experiment: any) => ({
      ok: false as const,
      violations:
        experiment.blastRadius.trafficPercent > 10
          ? [{ field: 'blastRadius.trafficPercent', rule: 'max-traffic', message: 'must be at most 10% in staging (max_traffic), got 50%' }, { field: 'name', rule: 'schema', message: 'must be lowercase letters, digits and - (at most 63)' }]
          : [{ field: 'name', rule: 'schema', message: 'must be lowercase letters, digits and - (at most 63)' }],
    }));
    await render({ listChaos: async () => ({ items: [] }), lintChaos });
    expect(await screen.findByText(/No experiments yet/)).toBeInTheDocument();
    const traffic = screen.getByTestId('chaos-field-trafficPercent');
    await userEvent.clear(traffic);
    await userEvent.type(traffic, '50');
    await waitFor(() => expect(document.getElementById('chaos-error-trafficPercent')).toHaveTextContent('must be at most 10% in staging (max_traffic), got 50%'));
    expect(document.getElementById('chaos-error-name')).toHaveTextContent('must be lowercase letters');
    expect(lintChaos).toHaveBeenLastCalledWith('component:default/checkout', expect.objectContaining({ blastRadius: expect.objectContaining({ trafficPercent: 50 }), steadyState: { slo: 'default/checkout-success' } }));
  });

  it("shows the annotated folder's experiment files with their linter verdicts", async () => {
    await render({
      listChaos: async () => ({ items: [] }),
      listChaosFiles: async () => ({
        entityRef: 'component:default/checkout',
        location: 'https://git.example/shop/checkout/tree/main/chaos/experiments',
        files: [
          { path: 'brownout_checkout.yaml', experiments: [{ name: 'brownout-checkout', ok: true, violations: [] }] },
          { path: 'latency_checkout.yaml', experiments: [{ name: 'latency-checkout', ok: false, violations: [{ field: 'blastRadius.trafficPercent', rule: 'max-traffic', message: 'must be at most 10% in staging (max_traffic), got 50%' }] }] },
        ],
        skipped: [],
      }),
    });
    expect(await screen.findByTestId('chaos-file-latency_checkout.yaml')).toHaveTextContent('latency_checkout.yaml (latency-checkout): blastRadius.trafficPercent: must be at most 10% in staging (max_traffic), got 50%');
    expect(screen.getByTestId('chaos-file-brownout_checkout.yaml')).toHaveTextContent('passes the linter');
  });

  it('saves a draft, and shows a refusal from the server', async () => {
    const createChaos = jest.fn().mockRejectedValueOnce(new Error('Invalid experiment: blastRadius.trafficPercent: must be at most 10%')).mockResolvedValue(record());
    const listChaos = jest.fn().mockResolvedValueOnce({ items: [] }).mockResolvedValue({ items: [record()] });
    await render({ listChaos, createChaos });
    await userEvent.type(await screen.findByTestId('chaos-field-name'), 'latency-checkout');
    await userEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(await screen.findByTestId('chaos-save-error')).toHaveTextContent('must be at most 10%');
    await userEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(await screen.findByTestId('chaos-row-latency-checkout')).toHaveTextContent('draft');
    expect(createChaos).toHaveBeenLastCalledWith('component:default/checkout', expect.objectContaining({ name: 'latency-checkout' }));
  });

  it('approves, starts, and the kill switch aborts; refusals show their message', async () => {
    let state: ChaosExperimentRecord = record();
    const api = {
      listChaos: async () => ({ items: [state] }),
      approveChaos: jest.fn(async () => {
        state = record({ state: 'approved' });
        return state;
      }),
      startChaos: jest.fn().mockRejectedValueOnce(new Error('Not started: default/checkout-success is burning')).mockImplementation(async () => {
        state = record({ state: 'running', budgetAtStart: 0.8 });
        return state;
      }),
      abortChaos: jest.fn(async () => {
        state = record({ state: 'aborted', abortReason: 'kill switch', budgetAtStart: 0.8, budgetSpent: 0.012 });
        return state;
      }),
    };
    await render(api);
    await userEvent.click(await screen.findByRole('button', { name: 'Approve' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Start' }));
    expect(await screen.findByTestId('chaos-action-error')).toHaveTextContent('Not started: default/checkout-success is burning');
    await userEvent.click(screen.getByRole('button', { name: 'Start' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Kill switch' }));
    const row = within(await screen.findByTestId('chaos-row-latency-checkout'));
    await waitFor(() => expect(row.getByText('aborted')).toBeInTheDocument());
    expect(row.getByText('Aborted: kill switch')).toBeInTheDocument();
    expect(row.getByText('80% at start · 1.2% spent')).toBeInTheDocument();
    expect(api.abortChaos).toHaveBeenCalledWith(4);
  });
});
