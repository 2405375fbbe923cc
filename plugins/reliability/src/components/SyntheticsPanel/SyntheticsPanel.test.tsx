import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type {
  SyntheticJourneyListResponse,
  SyntheticJourneyRecord,
  SyntheticRun,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { SyntheticsPanel } from './SyntheticsPanel';

const HOUR = 3_600_000;
const journey = (
  over: Partial<SyntheticJourneyRecord> = {},
): SyntheticJourneyRecord => ({
  id: 1,
  entityRef: 'component:default/checkout',
  name: 'checkout_full',
  regions: ['ap-sg', 'us-east'],
  frequency: '5m',
  deadlineMs: 3000,
  steps: [
    {
      type: 'http',
      name: 'Home',
      method: 'GET',
      url: 'http://shop/',
      headers: {},
      assert: [],
      extract: [],
    },
  ],
  updatedAt: '2026-11-23T10:00:00.000Z',
  updatedBy: 'user:default/guest',
  latest: {
    'ap-sg': {
      startedAt: '2026-11-23T10:00:00.000Z',
      success: true,
      durationMs: 420,
      error: null,
      warnings: [],
    },
    'us-east': {
      startedAt: '2026-11-23T10:00:00.000Z',
      success: false,
      durationMs: 3001,
      error: "deadline of 3000 ms passed during step 'Checkout'",
      warnings: [],
    },
  },
  ...over,
});
const failedRun: SyntheticRun = {
  id: 7,
  journey: 'checkout_full',
  entityRef: 'component:default/checkout',
  region: 'us-east',
  startedAt: '2026-11-23T10:00:00.000Z',
  durationMs: 3001,
  success: false,
  error: "deadline of 3000 ms passed during step 'Checkout'",
  warnings: [],
  steps: [
    {
      name: 'Home',
      type: 'http',
      ok: true,
      startMs: 0,
      durationMs: 40,
      status: 200,
      excerpt: '<html>Demo shop</html>',
    },
    {
      name: 'Checkout',
      type: 'http',
      ok: false,
      startMs: 40,
      durationMs: 2961,
      error: "deadline of 3000 ms passed during step 'Checkout'",
    },
  ],
  screenshot: false,
  har: false,
};

const render = (api: Partial<ReliabilityApi>) =>
  renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, api]]}>
      <SyntheticsPanel entityRef="component:default/checkout" />
    </TestApiProvider>,
  );

describe('SyntheticsPanel', () => {
  afterEach(() => jest.restoreAllMocks());

  it('shows each region’s status, both charts with the deadline, and a failure as a step waterfall', async () => {
    jest.spyOn(Element.prototype, 'getBoundingClientRect').mockReturnValue({
      width: 800,
      height: 200,
      top: 0,
      left: 0,
      right: 800,
      bottom: 200,
      x: 0,
      y: 0,
      toJSON: () => ({}),
    });
    const t = Math.floor(Date.now() / HOUR) * HOUR;
    const getSyntheticSeries = jest.fn(async () => ({
      journey: 'checkout_full',
      bucketMs: HOUR,
      deadlineMs: 3000,
      points: [
        { t: t - HOUR, region: 'ap-sg', runs: 12, successRate: 1, p95Ms: 450 },
        {
          t: t - HOUR,
          region: 'us-east',
          runs: 12,
          successRate: 0.75,
          p95Ms: 3001,
        },
        { t, region: 'ap-sg', runs: 3, successRate: 1, p95Ms: 430 },
      ],
    }));
    await render({
      listSynthetics: async () => ({
        items: [
          journey(),
          journey({
            id: 2,
            name: 'login_otp',
            regions: ['us-east'],
            steps: [],
            latest: { 'us-east': null },
          }),
        ],
        allowedHosts: ['shop.test'],
        browserEnabled: false,
      }),
      getSyntheticSeries,
      listSyntheticRuns: async () => ({ items: [failedRun] }),
    });
    expect(
      await screen.findByTestId('synthetic-status-checkout_full-ap-sg'),
    ).toHaveTextContent('ap-sg: passing · 420 ms');
    expect(
      screen.getByTestId('synthetic-status-checkout_full-us-east'),
    ).toHaveTextContent('us-east: failing · 3.00 s');
    expect(screen.getByTestId('synthetic-nosteps-login_otp')).toHaveTextContent(
      'no steps yet: not run',
    );
    expect(screen.getByText(/hosts allowed: shop.test/)).toBeInTheDocument();
    await waitFor(() =>
      expect(
        screen
          .getByTestId('synthetic-charts')
          .querySelectorAll('.recharts-line').length,
      ).toBe(4),
    );
    expect(screen.getByText('deadline 3.00 s')).toBeInTheDocument();
    expect(getSyntheticSeries).toHaveBeenLastCalledWith(
      'component:default/checkout',
      'checkout_full',
      '24h',
    );
    await userEvent.click(screen.getByRole('button', { name: '7d' }));
    await waitFor(() =>
      expect(getSyntheticSeries).toHaveBeenLastCalledWith(
        'component:default/checkout',
        'checkout_full',
        '7d',
      ),
    );

    const failures = await screen.findByTestId('synthetic-failures');
    await userEvent.click(
      within(failures).getByRole('button', { name: 'Steps' }),
    );
    const waterfall = screen.getByTestId('synthetic-waterfall-7');
    expect(waterfall).toHaveTextContent('✓ Home · 200');
    expect(waterfall).toHaveTextContent('✗ Checkout');
    expect(waterfall).toHaveTextContent(
      "deadline of 3000 ms passed during step 'Checkout'",
    );
    expect(waterfall).toHaveTextContent('<html>Demo shop</html>');
  });

  it('says what to do when there are no journeys, imports the registry, and shows a broken file’s errors', async () => {
    let state: SyntheticJourneyListResponse = {
      items: [],
      allowedHosts: [],
      browserEnabled: false,
    };
    const importSyntheticRegistry = jest.fn(async (_e: string, csv: string) => {
      if (csv.includes('Asia'))
        throw new Error(
          'Invalid CSV, nothing imported: line 2, region: must be a region such as ap-sg or us-east',
        );
      state = {
        ...state,
        items: [journey({ steps: [], latest: { 'ap-sg': null } })],
      };
      return { added: 1, updated: 0, withoutSteps: ['checkout_full'] };
    });
    await render({
      listSynthetics: async () => state,
      importSyntheticRegistry,
      getSyntheticSeries: async () => ({
        journey: 'x',
        bucketMs: HOUR,
        deadlineMs: 1,
        points: [],
      }),
      listSyntheticRuns: async () => ({ items: [] }),
    });
    expect(await screen.findByTestId('synthetic-empty')).toHaveTextContent(
      'No synthetic journeys yet',
    );
    expect(
      screen.getByText(/none \(reliability.synthetics.allowedHosts\)/),
    ).toBeInTheDocument();
    const upload = (csv: string) => {
      const file = new File([csv], 'synthetics.csv', { type: 'text/csv' });
      (file as any).text = async () => csv;
      fireEvent.change(screen.getByTestId('synthetic-upload-input'), {
        target: { files: [file] },
      });
    };
    upload(
      'journey,region,frequency,deadline_ms\ncheckout_full,Asia,5m,3000\n',
    );
    expect(
      await screen.findByTestId('synthetic-import-error'),
    ).toHaveTextContent('line 2, region: must be a region');
    upload(
      'journey,region,frequency,deadline_ms\ncheckout_full,ap-sg,5m,3000\n',
    );
    expect(await screen.findByTestId('synthetic-notice')).toHaveTextContent(
      'Imported synthetics.csv: 1 new journey, 0 updated. Define the steps of checkout_full',
    );
    expect(
      await screen.findByTestId('synthetic-nosteps-checkout_full'),
    ).toBeInTheDocument();
  });

  it('marks a region no live runner serves as unmonitored, with the reason', async () => {
    await render({
      listSynthetics: async () => ({
        items: [
          journey({
            monitoring: {
              'ap-sg': { status: 'monitored' },
              'us-east': {
                status: 'unmonitored',
                reason:
                  'no runner for us-east since 2026-11-23T10:05:00.000Z: the replica that ran it stopped reporting',
              },
            },
          }),
        ],
        allowedHosts: ['shop'],
        browserEnabled: false,
      }),
      getSyntheticSeries: async () => ({
        journey: 'checkout_full',
        bucketMs: HOUR,
        deadlineMs: 3000,
        points: [],
      }),
      listSyntheticRuns: async () => ({ items: [] }),
    });
    expect(
      await screen.findByTestId('synthetic-status-checkout_full-ap-sg'),
    ).toHaveTextContent('ap-sg: passing · 420 ms');
    const us = screen.getByTestId('synthetic-status-checkout_full-us-east');
    expect(us).toHaveTextContent('us-east: unmonitored');
    await userEvent.hover(us);
    expect(
      await screen.findByText(
        /^no runner for us-east since 2026-11-23T10:05:00.000Z: the replica that ran it stopped reporting — last run /,
      ),
    ).toBeInTheDocument();
  });

  it('shows a load error with a retry', async () => {
    let calls = 0;
    await render({
      listSynthetics: async () => {
        calls++;
        if (calls === 1) throw new Error('backend down');
        return { items: [], allowedHosts: [], browserEnabled: false };
      },
    });
    expect(
      await screen.findByText('Could not load the journeys: backend down'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('synthetic-empty')).toBeInTheDocument();
  });
});
