import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type {
  CapacityListResponse,
  CapacityRun,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { CapacityPanel } from './CapacityPanel';

const run = (over: Partial<CapacityRun>): CapacityRun => ({
  id: 1,
  entityRef: 'component:default/checkout',
  testType: 'stress',
  commit: '3f2a9c1d0e5b7a11',
  startedAt: '2026-10-01T02:00:00.000Z',
  maxRps: 1900,
  cpuPercent: 82,
  targetMs: 1000,
  verdict: 'pass',
  reason: 'p95 612.4 ms is within the latency SLO of 1000 ms',
  recordedBy: 'service:ci',
  p95Ms: 612.35,
  p99Ms: null,
  avgMs: null,
  rps: 900,
  requests: 540371,
  errorRate: 0.0021,
  durationSeconds: 600,
  vusMax: 1000,
  ...over,
});

const render = (listCapacityRuns: () => Promise<CapacityListResponse>) =>
  renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, { listCapacityRuns }]]}>
      <CapacityPanel entityRef="component:default/checkout" />
    </TestApiProvider>,
  );

describe('CapacityPanel', () => {
  afterEach(() => jest.restoreAllMocks());

  it('draws the trend with the 2x-peak and SLO lines, lists the runs with verdicts, and warns on headroom', async () => {
    jest.spyOn(Element.prototype, 'getBoundingClientRect').mockReturnValue({
      width: 600,
      height: 220,
      top: 0,
      left: 0,
      right: 600,
      bottom: 220,
      x: 0,
      y: 0,
      toJSON: () => ({}),
    });
    await render(async () => ({
      items: [
        run({
          id: 2,
          startedAt: '2026-11-01T02:00:00.000Z',
          verdict: 'fail',
          p95Ms: 1420.75,
          reason: 'p95 1420.8 ms is above the latency SLO of 1000 ms',
        }),
        run({ id: 1 }),
      ],
      targetMs: 1000,
      peakRps: 1000,
      warnings: [
        {
          code: 'last-failed',
          message:
            'The last stress test (3f2a9c1d0e5b7a11) failed: p95 1420.8 ms is above the latency SLO of 1000 ms.',
        },
        {
          code: 'stress-headroom',
          message:
            'The last stress test reached 1900 RPS, below twice the daily peak (2000 RPS of 1000).',
        },
      ],
    }));
    expect(
      await screen.findByTestId('capacity-warning-stress-headroom'),
    ).toHaveTextContent('below twice the daily peak');
    expect(
      screen.getByText(/Latency SLO p95 1000 ms · daily peak 1000 RPS/),
    ).toBeInTheDocument();
    // test, commit (12 characters), max RPS, p95, errors, CPU, verdict
    expect(screen.getByTestId('capacity-row-2')).toHaveTextContent(
      'stress3f2a9c1d0e5b19001421 ms0.21%82%fail',
    );
    const trend = screen.getByTestId('capacity-trend');
    await waitFor(() =>
      expect(trend.querySelectorAll('.recharts-line').length).toBe(4),
    );
    expect(trend).toHaveTextContent('2x daily peak');
    expect(trend).toHaveTextContent('SLO 1000 ms');
  });

  it('explains how to post runs when there are none, and retries an error', async () => {
    const list = jest
      .fn()
      .mockRejectedValueOnce(new Error('Service unavailable'))
      .mockResolvedValue({
        items: [],
        targetMs: null,
        peakRps: null,
        warnings: [],
      });
    await render(list);
    expect(
      await screen.findByText(
        /Could not load the load tests: Service unavailable/,
      ),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('capacity-empty')).toHaveTextContent(
      'POST /api/reliability/capacity/runs',
    );
    expect(
      screen.getByText(/No latency SLO \(reliability.io\/latency-p95\)/),
    ).toBeInTheDocument();
  });
});
