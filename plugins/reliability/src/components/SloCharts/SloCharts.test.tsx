import { screen, waitFor } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type {
  HistoryPoint,
  HistoryResponse,
  SloSummary,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { SloCharts } from './SloCharts';

// jsdom lays nothing out: the container gives its chart a fixed size, so the axes and legends render
jest.mock('recharts', () => {
  const actual = jest.requireActual('recharts');
  const { cloneElement } = jest.requireActual('react');
  return {
    ...actual,
    ResponsiveContainer: ({ children }: { children: any }) =>
      cloneElement(children, { width: 800, height: 240 }),
  };
});

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

/** Six hours across midnight, a point every 10 minutes; the budget falls below zero at the end. */
const start = Date.parse('2026-12-03T21:00:00Z');
const points: (HistoryPoint & { replayed?: boolean })[] = Array.from(
  { length: 37 },
  (_, i) => ({
    t: start + i * 600_000,
    budgetRemaining: 0.5 - i * 0.02,
    burnRate: 2 + (i % 5),
    sli: 0.99,
    ...(i < 10 ? { replayed: true } : {}),
  }),
);
const history: HistoryResponse = {
  ref: slo.ref,
  from: new Date(points[0].t).toISOString(),
  to: new Date(points[points.length - 1].t).toISOString(),
  burnRateWindow: '1h',
  thresholds: [{ severity: 'page', burnRate: 14.4, label: '1h/5m' }],
  points,
  downsampledFrom: 37,
};

const render = (h: HistoryResponse) =>
  renderInTestApp(
    <TestApiProvider
      apis={[
        [
          reliabilityApiRef,
          {
            getHistory: jest.fn().mockResolvedValue(h),
            listCorrections: jest.fn().mockResolvedValue({ items: [] }),
          } as unknown as ReliabilityApi,
        ],
      ]}
    >
      <SloCharts slo={slo} timeZone="UTC" />
    </TestApiProvider>,
  );

const tickTexts = (chart: HTMLElement) =>
  [...chart.querySelectorAll('.recharts-xAxis .recharts-cartesian-axis-tick')]
    .map(t => t.textContent)
    .filter(Boolean);

describe('SloCharts', () => {
  it('labels hours with times and marks the new day, with legends, units, the zero line and the exhausted band', async () => {
    await render(history);
    const budget = await screen.findByTestId('budget-chart');
    const burn = screen.getByTestId('burn-chart');
    await waitFor(() => expect(tickTexts(budget).length).toBeGreaterThan(0));
    const ticks = tickTexts(budget);
    // hourly ticks: 22:00, Dec 4 00:00 … never the same day label over and over
    expect(ticks).toContain('Dec 4 00:00');
    expect(ticks.some(t => /^\d\d:\d\d$/.test(t!))).toBe(true);
    expect(ticks.filter(t => t === 'Dec 3')).toHaveLength(0);
    expect(tickTexts(burn)).toEqual(ticks);
    expect(budget).toHaveTextContent('Error budget remaining (%)');
    expect(budget).toHaveTextContent('Budget remaining (%)');
    expect(burn).toHaveTextContent('Burn rate (x)');
    expect(burn).toHaveTextContent('14.4x page');
    expect(budget.querySelector('.zero-line')).not.toBeNull();
    expect(budget.querySelector('.exhausted-band')).not.toBeNull();
    expect(budget).toHaveTextContent('exhausted');
    // replayed points have their own dashed series and legend entry
    expect(budget).toHaveTextContent('Replayed (%)');
    expect(burn).toHaveTextContent('Replayed (x)');
  });

  it('labels thirty days with days and leaves out the band and the replayed entry when there is none', async () => {
    const day = 86_400_000;
    const from = Date.parse('2026-11-06T10:00:00Z');
    await render({
      ...history,
      points: Array.from({ length: 31 }, (_, i) => ({
        t: from + i * day,
        budgetRemaining: 0.9,
        burnRate: 1,
        sli: 0.999,
      })),
    });
    const budget = await screen.findByTestId('budget-chart');
    await waitFor(() => expect(tickTexts(budget).length).toBeGreaterThan(0));
    expect(tickTexts(budget)).toEqual(
      expect.arrayContaining(['Nov 7', 'Nov 14']),
    );
    expect(tickTexts(budget).every(t => !/:/.test(t!))).toBe(true);
    expect(budget.querySelector('.exhausted-band')).toBeNull();
    expect(budget).not.toHaveTextContent('Replayed');
  });
});
