import { screen, waitFor } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { SloPreviewField } from './SloPreviewField';

const form = {
  component: 'component:default/checkout',
  name: 'checkout-availability',
  sliType: 'availability',
  source: 'ingest',
  objectivePercent: 99.9,
  windowDuration: '30d',
  windowType: 'rolling',
  alertPolicy: 'workbook',
};

const render = (
  api: Partial<ReliabilityApi>,
  formData: Record<string, unknown>,
  onChange = jest.fn(),
) =>
  renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, api]]}>
      <SloPreviewField onChange={onChange} formContext={{ formData }} />
    </TestApiProvider>,
  );

describe('SloPreviewField', () => {
  it("shows the YAML, backtests over an existing SLO's counts and returns the sentence", async () => {
    const onChange = jest.fn();
    const backtestSlo = jest.fn(
      async () =>
        ({
          summary:
            'Over the last 30 days this SLO would have ended with 41% of its budget left, and paged 2 times.',
          history: 'the counts reported for default/checkout-success',
          budgetRemaining: 0.41,
        } as any),
    );
    await render(
      {
        listSlos: async () =>
          ({ items: [{ ref: 'default/checkout-success' }] } as any),
        backtestSlo,
      },
      form,
      onChange,
    );
    expect(await screen.findByTestId('slo-preview-yaml')).toHaveTextContent(
      'name: checkout-availability',
    );
    expect(screen.getByTestId('slo-preview-yaml')).toHaveTextContent(
      'targetPercent: 99.9',
    );
    expect(await screen.findByTestId('slo-preview-backtest')).toHaveTextContent(
      'would have ended with 41% of its budget left, and paged 2 times.',
    );
    expect(backtestSlo).toHaveBeenCalledWith(
      expect.objectContaining({
        historyFrom: 'default/checkout-success',
        days: 30,
      }),
    );
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith(
        'Over the last 30 days this SLO would have ended with 41% of its budget left, and paged 2 times.',
      ),
    );
  });

  it('says what is not valid yet, and does not backtest it', async () => {
    const backtestSlo = jest.fn();
    await render(
      { listSlos: async () => ({ items: [] } as any), backtestSlo },
      { ...form, objectivePercent: 100 },
    );
    expect(await screen.findByTestId('slo-preview-error')).toHaveTextContent(
      'Not a valid SLO yet: objectivePercent: must be below 100',
    );
    expect(backtestSlo).not.toHaveBeenCalled();
  });
});
