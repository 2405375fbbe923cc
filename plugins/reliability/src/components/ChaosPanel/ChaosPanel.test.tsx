import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { ChaosExperimentRecord } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { ChaosPanel } from './ChaosPanel';
import { runWindow } from './RunChart';

const record = (
  over: Partial<ChaosExperimentRecord> = {},
): ChaosExperimentRecord => ({
  id: 4,
  entityRef: 'component:default/checkout',
  name: 'latency-checkout',
  state: 'draft',
  experiment: {
    hypothesis: 'Checkout latency stays under 1 s p95 if PaymentSvc slows 30%.',
    steadyState: { slo: 'default/checkout-success', minBudgetRemaining: 0.5 },
  } as any,
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
    <TestApiProvider
      apis={[
        [
          reliabilityApiRef,
          {
            lintChaos: async () => ({ ok: true, violations: [] } as any),
            listChaosFiles: async () => ({
              entityRef: 'component:default/checkout',
              location: null,
              files: [],
              skipped: [],
            }),
            listChaosRuns: async () => ({
              items: [],
              nextRunAt: null,
              scheduleBlocked: null,
            }),
            ...api,
          },
        ],
      ]}
    >
      <ChaosPanel
        entityRef="component:default/checkout"
        sloRefs={['default/checkout-success']}
      />
    </TestApiProvider>,
  );

// the form's tests type into many fields, each lint debounced: room above the default 5 s on a busy machine
jest.setTimeout(20_000);

describe('ChaosPanel', () => {
  afterEach(() => jest.restoreAllMocks());

  it('shows the linter errors beside their fields as the form changes', async () => {
    const lintChaos = jest.fn(async (_ref: string, experiment: any) => ({
      ok: false as const,
      violations:
        experiment.blastRadius.trafficPercent > 10
          ? [
              {
                field: 'blastRadius.trafficPercent',
                rule: 'max-traffic',
                message:
                  'must be at most 10% in staging (max_traffic), got 50%',
              },
              {
                field: 'name',
                rule: 'schema',
                message: 'must be lowercase letters, digits and - (at most 63)',
              },
            ]
          : [
              {
                field: 'name',
                rule: 'schema',
                message: 'must be lowercase letters, digits and - (at most 63)',
              },
            ],
    }));
    await render({ listChaos: async () => ({ items: [] }), lintChaos });
    expect(await screen.findByText(/No experiments yet/)).toBeInTheDocument();
    const traffic = screen.getByTestId('chaos-field-trafficPercent');
    await userEvent.clear(traffic);
    await userEvent.type(traffic, '50');
    await waitFor(() =>
      expect(
        document.getElementById('chaos-error-trafficPercent'),
      ).toHaveTextContent(
        'must be at most 10% in staging (max_traffic), got 50%',
      ),
    );
    expect(document.getElementById('chaos-error-name')).toHaveTextContent(
      'must be lowercase letters',
    );
    expect(lintChaos).toHaveBeenLastCalledWith(
      'component:default/checkout',
      expect.objectContaining({
        blastRadius: expect.objectContaining({ trafficPercent: 50 }),
        steadyState: { slo: 'default/checkout-success' },
      }),
    );
  });

  it('writes several injections at once and both shares, and shows their violations beside their fields', async () => {
    const lintChaos = jest.fn(async (_ref: string, experiment: any) => ({
      ok: false as const,
      violations: [
        ...(experiment.injections
          ? [
              {
                field: 'injections.1.percent',
                rule: 'schema',
                message: 'must be above 0',
              },
            ]
          : []),
        ...(experiment.blastRadius.podPercent > 10
          ? [
              {
                field: 'blastRadius.podPercent',
                rule: 'max-traffic',
                message:
                  'must be at most 10% of pods in staging (max_traffic), got 40%',
              },
            ]
          : []),
        ...(!experiment.injection && !experiment.injections
          ? [
              {
                field: 'injection',
                rule: 'schema',
                message: 'is required (or injections, a list of them)',
              },
            ]
          : []),
      ],
    }));
    await render({ listChaos: async () => ({ items: [] }), lintChaos });
    expect(await screen.findByText(/No experiments yet/)).toBeInTheDocument();
    // the form says what each share counts
    expect(
      screen.getByLabelText('Blast radius: % of pods (Litmus, Chaos Mesh)'),
    ).toBeInTheDocument();
    expect(
      screen.getByLabelText('Blast radius: % of requests (Istio)'),
    ).toBeInTheDocument();
    // one fault: the original single-injection form
    await waitFor(() =>
      expect(lintChaos).toHaveBeenLastCalledWith(
        'component:default/checkout',
        expect.objectContaining({
          injection: { type: 'latency', ms: 300, jitterMs: 0 },
          blastRadius: {
            trafficPercent: 5,
            podPercent: 5,
            regions: [],
            canaryOnly: true,
          },
        }),
      ),
    );
    // latency + errors: a brownout, as a list, each with its own parameters
    await userEvent.click(screen.getByTestId('chaos-fault-error-rate'));
    const errors = screen.getByTestId('chaos-field-errorPercent');
    await userEvent.clear(errors);
    await userEvent.type(errors, '0');
    const pods = screen.getByTestId('chaos-field-podPercent');
    await userEvent.clear(pods);
    await userEvent.type(pods, '40');
    await waitFor(() =>
      expect(
        document.getElementById('chaos-error-podPercent'),
      ).toHaveTextContent(
        'must be at most 10% of pods in staging (max_traffic), got 40%',
      ),
    );
    expect(
      document.getElementById('chaos-error-errorPercent'),
    ).toHaveTextContent('must be above 0');
    const last = lintChaos.mock.calls[lintChaos.mock.calls.length - 1][1];
    expect(last.injection).toBeUndefined();
    expect(last.injections).toEqual([
      { type: 'latency', ms: 300, jitterMs: 0 },
      { type: 'error-rate', percent: 0 },
    ]);
    expect(last.blastRadius).toMatchObject({
      podPercent: 40,
      trafficPercent: 5,
    });
    // no fault at all: the linter's complaint shows under the injections
    await userEvent.click(screen.getByTestId('chaos-fault-latency'));
    await userEvent.click(screen.getByTestId('chaos-fault-error-rate'));
    await waitFor(() =>
      expect(document.getElementById('chaos-error-faults')).toHaveTextContent(
        'is required (or injections, a list of them)',
      ),
    );
  });

  it("shows the annotated folder's experiment files with their linter verdicts", async () => {
    await render({
      listChaos: async () => ({ items: [] }),
      listChaosFiles: async () => ({
        entityRef: 'component:default/checkout',
        location:
          'https://git.example/shop/checkout/tree/main/chaos/experiments',
        files: [
          {
            path: 'brownout_checkout.yaml',
            experiments: [
              { name: 'brownout-checkout', ok: true, violations: [] },
            ],
          },
          {
            path: 'latency_checkout.yaml',
            experiments: [
              {
                name: 'latency-checkout',
                ok: false,
                violations: [
                  {
                    field: 'blastRadius.trafficPercent',
                    rule: 'max-traffic',
                    message:
                      'must be at most 10% in staging (max_traffic), got 50%',
                  },
                ],
              },
            ],
          },
        ],
        skipped: [],
      }),
    });
    expect(
      await screen.findByTestId('chaos-file-latency_checkout.yaml'),
    ).toHaveTextContent(
      'latency_checkout.yaml (latency-checkout): blastRadius.trafficPercent: must be at most 10% in staging (max_traffic), got 50%',
    );
    expect(
      screen.getByTestId('chaos-file-brownout_checkout.yaml'),
    ).toHaveTextContent('passes the linter');
  });

  it('writes the expectations a run is checked against, and shows their violations beside their fields', async () => {
    const lintChaos = jest.fn(async (_ref: string, experiment: any) => ({
      ok: false as const,
      violations: experiment.expectations.length
        ? [
            {
              field: 'expectations.0.within',
              rule: 'expectation',
              message:
                "must be at most the experiment's duration (10m): expectations are checked when the run ends, got 20m",
            },
            {
              field: 'expectations.1.threshold',
              rule: 'schema',
              message: 'must be above 0',
            },
          ]
        : [],
    }));
    await render({ listChaos: async () => ({ items: [] }), lintChaos });
    await userEvent.type(
      await screen.findByTestId('chaos-field-expectRule'),
      'payment-worker-restart',
    );
    const withinField = screen.getByTestId('chaos-field-expectWithin');
    await userEvent.clear(withinField);
    await userEvent.type(withinField, '20m');
    await userEvent.type(
      screen.getByTestId('chaos-field-expectBurnBelow'),
      '0',
    );
    await waitFor(() =>
      expect(lintChaos).toHaveBeenLastCalledWith(
        'component:default/checkout',
        expect.objectContaining({
          expectations: [
            {
              type: 'remediation-fires',
              rule: 'payment-worker-restart',
              within: '20m',
            },
            { type: 'slo-burn-below', threshold: 0 },
          ],
        }),
      ),
    );
    await waitFor(() =>
      expect(
        document.getElementById('chaos-error-expectWithin'),
      ).toHaveTextContent("must be at most the experiment's duration (10m)"),
    );
    expect(
      document.getElementById('chaos-error-expectBurnBelow'),
    ).toHaveTextContent('must be above 0');
  }, 30_000);

  it('saves a draft, and shows a refusal from the server', async () => {
    const createChaos = jest
      .fn()
      .mockRejectedValueOnce(
        new Error(
          'Invalid experiment: blastRadius.trafficPercent: must be at most 10%',
        ),
      )
      .mockResolvedValue(record());
    const listChaos = jest
      .fn()
      .mockResolvedValueOnce({ items: [] })
      .mockResolvedValue({ items: [record()] });
    await render({ listChaos, createChaos });
    await userEvent.type(
      await screen.findByTestId('chaos-field-name'),
      'latency-checkout',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(await screen.findByTestId('chaos-save-error')).toHaveTextContent(
      'must be at most 10%',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(
      await screen.findByTestId('chaos-row-latency-checkout'),
    ).toHaveTextContent('draft');
    expect(createChaos).toHaveBeenLastCalledWith(
      'component:default/checkout',
      expect.objectContaining({ name: 'latency-checkout' }),
    );
  });

  it('approves, starts, and the kill switch aborts; refusals show their message', async () => {
    // jsdom lays nothing out: the chart's container measures 800 x 200, as a browser would
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
    let state: ChaosExperimentRecord = record();
    const api = {
      listChaos: async () => ({ items: [state] }),
      approveChaos: jest.fn(async () => {
        state = record({ state: 'approved' });
        return state;
      }),
      startChaos: jest
        .fn()
        .mockRejectedValueOnce(
          new Error('Not started: default/checkout-success is burning'),
        )
        .mockImplementation(async () => {
          state = record({
            state: 'running',
            budgetAtStart: 0.8,
            startedAt: new Date(Date.now() - 4 * 60_000).toISOString(),
          });
          return { ...state, engineCalls: ['checkout-chaos-start'] };
        }),
      abortChaos: jest.fn(async () => {
        state = {
          ...state,
          state: 'aborted',
          abortReason: 'kill switch',
          budgetSpent: 0.012,
          finishedAt: new Date().toISOString(),
        };
        return state;
      }),
      getHistory: jest.fn(async (_ref: string, q: any) => {
        const from = Date.parse(q.from);
        const to = Date.parse(q.to);
        return {
          ref: 'default/checkout-success',
          from: q.from,
          to: q.to,
          burnRateWindow: '5m',
          thresholds: [],
          downsampledFrom: 60_000,
          points: Array.from(
            { length: Math.floor((to - from) / 60_000) },
            (_, i) => ({
              t: from + i * 60_000,
              burnRate: i > 12 ? 6 : 0.5,
              budgetRemaining: 0.8,
            }),
          ),
        } as any;
      }),
    };
    await render(api);
    await userEvent.click(
      await screen.findByRole('button', { name: 'Approve' }),
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Start' }));
    expect(await screen.findByTestId('chaos-action-error')).toHaveTextContent(
      'Not started: default/checkout-success is burning',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Start' }));
    expect(await screen.findByTestId('chaos-notice')).toHaveTextContent(
      'latency-checkout is running; the engine is being called by checkout-chaos-start',
    );
    // a running experiment shows its steady-state SLO's burn, the run shaded
    const running = await screen.findByTestId(
      'chaos-run-chart-latency-checkout',
    );
    await waitFor(() =>
      expect(running.querySelector('.recharts-reference-area')).not.toBeNull(),
    );
    expect(
      running.querySelector('.recharts-reference-line line[x1]'),
    ).not.toBeNull();
    expect(running).not.toHaveTextContent('aborted');
    await userEvent.click(
      await screen.findByRole('button', { name: 'Kill switch' }),
    );
    const row = within(await screen.findByTestId('chaos-row-latency-checkout'));
    await waitFor(() => expect(row.getByText('aborted')).toBeInTheDocument());
    expect(row.getByText('Aborted: kill switch')).toBeInTheDocument();
    expect(row.getByText('80% at start · 1.2% spent')).toBeInTheDocument();
    expect(api.abortChaos).toHaveBeenCalledWith(4);
    // the finished run's chart opens on demand, with the abort moment marked
    await userEvent.click(row.getByRole('button', { name: 'Burn chart' }));
    const chart = await screen.findByTestId('chaos-run-chart-latency-checkout');
    await waitFor(() => expect(chart).toHaveTextContent('aborted'));
    expect(chart.querySelector('.recharts-reference-area')).not.toBeNull();
    // the history asked for: 5-minute burn rate, from 10 minutes before the start
    const [ref, q] = api.getHistory.mock.calls.at(-1)!;
    expect([ref, q.window]).toEqual(['default/checkout-success', '5m']);
    expect(
      Date.parse(state.startedAt!) - Date.parse(q.from),
    ).toBeGreaterThanOrEqual(10 * 60_000);
    expect(Date.parse(q.to)).toBeGreaterThanOrEqual(
      Date.parse(state.finishedAt!),
    );
  });

  it("exports an experiment as the engine picked, under the backend's file name, and shows an engine's refusal", async () => {
    const created: string[] = [];
    (URL as any).createObjectURL = jest.fn(() => 'blob:chaos');
    (URL as any).revokeObjectURL = jest.fn();
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function recordClick(this: HTMLAnchorElement) {
        created.push(`${this.download} ${this.href}`);
      });
    const exportChaos = jest
      .fn()
      .mockImplementationOnce(async () => ({
        filename: 'latency-checkout.istio.yaml',
        content: new Blob(['kind: VirtualService']),
      }))
      .mockRejectedValueOnce(
        new Error('Chaos Toolkit cannot express a 5xx injection'),
      );
    await render({
      listChaos: async () => ({ items: [record({ state: 'approved' })] }),
      exportChaos,
    } as any);
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: 'Export latency-checkout' }),
    );
    // each engine says what its blast radius counts
    expect(
      screen.getByRole('menuitem', { name: 'Litmus ChaosEngine (pods)' }),
    ).toBeInTheDocument();
    await user.click(
      screen.getByRole('menuitem', { name: 'Istio VirtualService (traffic)' }),
    );
    await waitFor(() =>
      expect(created).toEqual(['latency-checkout.istio.yaml blob:chaos']),
    );
    expect(exportChaos).toHaveBeenCalledWith(4, 'istio');
    expect(click).toHaveBeenCalledTimes(1);

    await user.click(
      screen.getByRole('button', { name: 'Export latency-checkout' }),
    );
    await user.click(
      screen.getByRole('menuitem', { name: 'Chaos Toolkit (pods)' }),
    );
    expect(
      await screen.findByText(/Chaos Toolkit cannot express a 5xx injection/),
    ).toBeInTheDocument();
    expect(exportChaos).toHaveBeenLastCalledWith(4, 'chaos-toolkit');
    expect(created).toHaveLength(1);
  });

  it('runWindow pads the run on both sides, and a running experiment ends now', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(
      runWindow(
        {
          startedAt: '2026-11-23T10:00:00Z',
          finishedAt: '2026-11-23T10:30:00Z',
        },
        now,
      ),
    ).toEqual({
      from: Date.parse('2026-11-23T09:30:00Z'),
      to: Date.parse('2026-11-23T11:00:00Z'),
      start: Date.parse('2026-11-23T10:00:00Z'),
      end: Date.parse('2026-11-23T10:30:00Z'),
    });
    expect(
      runWindow({ startedAt: '2026-11-23T11:58:00Z', finishedAt: null }, now),
    ).toMatchObject({
      from: Date.parse('2026-11-23T11:48:00Z'),
      to: Date.parse('2026-11-23T12:10:00Z'),
      end: now,
    });
    expect(runWindow({ startedAt: null, finishedAt: null }, now)).toBeNull();
  });
});
