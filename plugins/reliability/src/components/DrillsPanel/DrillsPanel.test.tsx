import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type {
  DrillListResponse,
  DrillRecord,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi, reliabilityApiRef } from '../../api/ReliabilityApi';
import { DrillsPanel, toDrill } from './DrillsPanel';

const drill = (over: Partial<DrillRecord> = {}): DrillRecord => ({
  id: 1,
  entityRef: 'component:default/checkout',
  date: '2025-09-10',
  kind: 'regional-failover',
  region: 'ap-sg',
  durationMin: 18,
  success: true,
  steps: [],
  notes: 'rds promotion 3m; cache warm 5m',
  evidence: [],
  measuredRtoSeconds: 1080,
  recordedBy: 'user:default/guest',
  recordedAt: '2026-11-23T10:00:00.000Z',
  ...over,
});

const empty: DrillListResponse = {
  items: [],
  targets: { rtoSeconds: 300, rpoSeconds: 60 },
  targetProblems: [],
  warnings: [
    {
      code: 'none',
      message:
        'No failover drill recorded yet: drill regional failover and restores every quarter.',
    },
  ],
  last: null,
};
const seeded: DrillListResponse = {
  items: [drill()],
  targets: { rtoSeconds: 300, rpoSeconds: 60 },
  targetProblems: [],
  warnings: [
    {
      code: 'stale',
      message:
        'No successful drill in the last 90 days (the last one: 2025-09-10).',
    },
    {
      code: 'rto-missed',
      message:
        'The last drill (2025-09-10, ap-sg) took 18 min, over the RTO of 5 min.',
    },
  ],
  last: drill(),
};

const render = (
  api: Partial<ReliabilityApi>,
  sloRefs: string[] = ['default/checkout-success'],
) =>
  renderInTestApp(
    <TestApiProvider apis={[[reliabilityApiRef, api]]}>
      <DrillsPanel entityRef="component:default/checkout" sloRefs={sloRefs} />
    </TestApiProvider>,
  );

// the form tests type into many fields: on a loaded 2-core machine one took over jest's default 5 s
jest.setTimeout(30_000);

describe('DrillsPanel', () => {
  afterEach(() => jest.restoreAllMocks());

  it('uploads a drill log, then shows the timeline, the last drill and the warnings', async () => {
    jest.spyOn(Element.prototype, 'getBoundingClientRect').mockReturnValue({
      width: 800,
      height: 220,
      top: 0,
      left: 0,
      right: 800,
      bottom: 220,
      x: 0,
      y: 0,
      toJSON: () => ({}),
    });
    let state = empty;
    const importDrills = jest.fn(async () => {
      state = seeded;
      return { added: 1, updated: 0 };
    });
    await render({ listDrills: async () => state, importDrills });
    expect(await screen.findByTestId('drill-warning-none')).toHaveTextContent(
      'No failover drill recorded yet',
    );
    expect(screen.getByText('RTO 5 min · RPO 60 s')).toBeInTheDocument();
    const csv =
      'date,region,duration_min,success,notes\n2025-09-10,ap-sg,18,true,"rds promotion 3m; cache warm 5m"\n';
    const file = new File([csv], 'drills.csv', { type: 'text/csv' });
    // jsdom's File has no text(): read it as a browser would
    (file as any).text = async () => csv;
    fireEvent.change(screen.getByTestId('drill-upload-input'), {
      target: { files: [file] },
    });
    expect(await screen.findByTestId('drill-notice')).toHaveTextContent(
      'Imported drills.csv: 1 new drill, 0 updated.',
    );
    expect(importDrills).toHaveBeenCalledWith(
      'component:default/checkout',
      csv,
    );
    expect(await screen.findByTestId('drill-warning-stale')).toHaveTextContent(
      'No successful drill in the last 90 days',
    );
    expect(screen.getByTestId('drill-warning-rto-missed')).toHaveTextContent(
      'took 18 min, over the RTO of 5 min',
    );
    expect(screen.getByTestId('drill-last')).toHaveTextContent(
      'Last drill 2025-09-10: regional-failover of ap-sg, succeeded in 18 min.',
    );
    const timeline = screen.getByTestId('drill-timeline');
    expect(timeline).toHaveTextContent('1 passed · 0 failed');
    await waitFor(() =>
      expect(timeline.querySelectorAll('.recharts-scatter-symbol').length).toBe(
        1,
      ),
    );
    expect(timeline).toHaveTextContent('RTO 5 min');
    expect(
      within(screen.getByTestId('drill-row-2025-09-10-ap-sg')).getByText(
        'passed',
      ),
    ).toBeInTheDocument();
  });

  it('shows a refused import with its lines, and imports nothing', async () => {
    const importDrills = jest
      .fn()
      .mockRejectedValue(
        new Error(
          "Invalid CSV, nothing imported: line 3, date: must be a date such as 2025-09-10, got '2025-13-40'",
        ),
      );
    await render({ listDrills: async () => empty, importDrills });
    await screen.findByTestId('drill-warning-none');
    const file = new File(['x'], 'bad.csv', { type: 'text/csv' });
    (file as any).text = async () => 'x';
    fireEvent.change(screen.getByTestId('drill-upload-input'), {
      target: { files: [file] },
    });
    expect(await screen.findByTestId('drill-import-error')).toHaveTextContent(
      "line 3, date: must be a date such as 2025-09-10, got '2025-13-40'",
    );
  });

  it('records a drill from the form, and shows the field the server refused', async () => {
    const createDrill = jest
      .fn()
      .mockRejectedValueOnce(
        new Error(
          'Invalid drill: region: must be a region such as ap-sg or us-east-1',
        ),
      )
      .mockResolvedValue(drill({ id: 2 }));
    await render({ listDrills: async () => empty, createDrill });
    await screen.findByTestId('drill-warning-none');
    await userEvent.type(screen.getByTestId('drill-field-region'), 'AP');
    await userEvent.type(screen.getByTestId('drill-field-durationMin'), '4');
    await userEvent.click(screen.getByRole('button', { name: 'Record drill' }));
    expect(await screen.findByTestId('drill-save-error')).toHaveTextContent(
      'region: must be a region',
    );
    await userEvent.clear(screen.getByTestId('drill-field-region'));
    await userEvent.type(screen.getByTestId('drill-field-region'), 'ap-sg');
    await userEvent.type(screen.getByTestId('drill-field-toRegion'), 'ap-jp');
    await userEvent.click(screen.getByRole('button', { name: 'Record drill' }));
    expect(await screen.findByTestId('drill-notice')).toHaveTextContent(
      'Drill recorded.',
    );
    expect(createDrill).toHaveBeenLastCalledWith(
      'component:default/checkout',
      expect.objectContaining({
        region: 'ap-sg',
        toRegion: 'ap-jp',
        durationMin: 4,
        success: true,
        kind: 'regional-failover',
      }),
    );
  });

  it('draws the SLO burn around a drill day on demand', async () => {
    const getHistory = jest.fn(
      async () =>
        ({
          ref: 'default/checkout-success',
          from: '',
          to: '',
          burnRateWindow: '5m',
          thresholds: [],
          downsampledFrom: 60_000,
          points: [],
        } as any),
    );
    await render({ listDrills: async () => seeded, getHistory });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Budget burn' }),
    );
    expect(
      await screen.findByTestId('drill-burn-1-default/checkout-success'),
    ).toHaveTextContent(
      'No SLI data for default/checkout-success in this window.',
    );
    const [ref, q] = getHistory.mock.calls[0] as any[];
    expect([ref, q.window, q.from]).toEqual([
      'default/checkout-success',
      '5m',
      '2025-09-09T00:00:00.000Z',
    ]);
  });

  it('shows an error with Retry when the log cannot load', async () => {
    const listDrills = jest
      .fn()
      .mockRejectedValueOnce(new Error('Service unavailable'))
      .mockResolvedValue(empty);
    await render({ listDrills });
    expect(
      await screen.findByText(/Could not load the drills: Service unavailable/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('drill-warning-none')).toBeInTheDocument();
  });

  it('toDrill leaves out empty optional numbers', () => {
    expect(
      toDrill({
        date: '2026-11-01',
        kind: 'backup-restore',
        region: ' eu-west ',
        toRegion: '',
        durationMin: '35',
        success: 'false',
        rtoSeconds: '',
        rpoSeconds: '30',
        replicationLagSeconds: '',
        steps: 'a\n\nb',
        notes: '',
      }),
    ).toEqual({
      date: '2026-11-01',
      kind: 'backup-restore',
      region: 'eu-west',
      durationMin: 35,
      success: false,
      rpoSeconds: 30,
      steps: ['a', 'b'],
      notes: '',
    });
  });
});
