import { mockServices } from '@backstage/backend-test-utils';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import type {
  SliCountRequest,
  SliCountResult,
} from '@reliability-suite/plugin-reliability-node';
import { Evaluator } from './Evaluator';
import { SliSourceRegistry, YIELD_EVERY, YIELD_EVERY_ROWS } from './counting';
import { CountIndex } from './sources/CountIndex';
import type { RowColumns, SloStores } from './stores';
import { emptyColumns } from './stores/rows';

const MIN = 60_000;
const NOW = Date.parse('2026-12-07T12:00:30Z');

const def = (i: number): SloDefinition => ({
  ref: `default/slo-${i}`,
  namespace: 'default',
  name: `slo-${i}`,
  title: `slo ${i}`,
  componentRef: 'component:default/checkout',
  target: 0.99,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
});

/**
 * Counts the event loop's turns while `work` runs: a chain of setImmediate callbacks, each one turn. Promises that
 * resolve at once do not turn it (they are microtasks), so work with no I/O turns it only where it yields.
 */
async function turnsDuring<T>(
  work: () => Promise<T>,
): Promise<{ turns: number; result: T }> {
  let turns = 0;
  let running = true;
  const spin = () => {
    if (!running) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  // the first turn has not come yet: work starts synchronously from here
  const result = await work();
  running = false;
  return { turns, result };
}

describe('the evaluation tick lets other requests run', () => {
  it('yields to the event loop every YIELD_EVERY SLOs while it works out their statuses', async () => {
    const n = 5 * YIELD_EVERY + 10;
    const slos = Array.from({ length: n }, (_, i) => def(i));
    // a source that keeps an index, answering at once without I/O: the only turns are the evaluator's own
    const source = {
      types: ['Ingest'],
      countWindows: async () => new Map<string, SliCountResult>(),
      countTick: async (requests: SliCountRequest[]) => ({
        count: (r: SliCountRequest): SliCountResult => ({
          counts: r.intervals.map(() => ({ good: 990, total: 1000 })),
          firstDataAt: NOW - 40 * 86_400_000,
        }),
        stats: {
          full: false,
          rebuilt: 0,
          moved: requests.length,
          changedRows: 0,
          crossedRows: 0,
          readMs: 0,
          rebuildMs: 0,
        },
      }),
    };
    const sources = new SliSourceRegistry();
    sources.add(source);
    const evaluator = new Evaluator(
      { statuses: {} as never, slices: {} as never },
      sources,
      mockServices.rootLogger({ level: 'error' }),
    );
    const { turns, result } = await turnsDuring(() =>
      evaluator.evaluate(slos, NOW, { rebuild: false }),
    );
    // every SLO evaluated from its counts, as without yielding
    expect(result.size).toBe(n);
    for (const slo of slos) {
      const s = result.get(slo.ref)!.status;
      expect(s.sli).toBeCloseTo(0.99, 12);
      expect(s.evaluatedAt).toBe(
        new Date(Math.floor(NOW / MIN) * MIN).toISOString(),
      );
    }
    // once per YIELD_EVERY SLOs (a loop that never yields lets no turn happen)
    expect(turns).toBeGreaterThanOrEqual(Math.floor(n / YIELD_EVERY) - 1);
  });

  it('yields every YIELD_EVERY_ROWS rows while the index moves forward, and every YIELD_EVERY SLOs while it reads them afresh', async () => {
    const refs = Array.from({ length: 3 * YIELD_EVERY }, (_, i) => `r/${i}`);
    const times = [NOW - 60 * MIN, NOW];
    const wanted = new Map(refs.map(r => [r, times]));
    // rows written since the last read: many per SLO (a backfill below MAX_CHANGED_ROWS), the last of each the latest
    const rowsPerRef = Math.ceil((2.5 * YIELD_EVERY_ROWS) / refs.length);
    const written: RowColumns = emptyColumns(4);
    for (let k = 0; k < rowsPerRef; k++)
      refs.forEach((ref, i) => {
        written.refs.push(ref);
        written.nums[0].push(NOW - (rowsPerRef - k) * MIN);
        written.nums[1].push(k * 10 + i);
        written.nums[2].push(k * 10 + i + 1);
      });
    let clock = NOW - 2 * MIN;
    const store = {
      counts: {
        takeCompactions: () => ({ folds: [], absorbed: new Set<string>() }),
        clock: () => clock,
      },
      readings: {
        writtenSince: async () => ({
          buckets: written,
          late: emptyColumns(4),
        }),
        crossed: async () => ({
          buckets: emptyColumns(4),
          late: emptyColumns(4),
        }),
        readings: async () => ({ at: new Map() }),
        firsts: async () => new Map(),
      },
    } as unknown as Pick<SloStores, 'counts' | 'readings'>;
    const index = new CountIndex(store);

    // the first sync reads every SLO afresh (here: no data yet)
    const first = await turnsDuring(() => index.sync(wanted, false));
    expect(first.result.rebuilt).toBe(refs.length);
    expect(first.turns).toBeGreaterThanOrEqual(
      Math.floor(refs.length / YIELD_EVERY) - 1,
    );

    // the next moves forward by the rows written since: every SLO's reading at now is its latest row
    clock = NOW;
    const next = await turnsDuring(() => index.sync(wanted, false));
    expect(next.result.full).toBe(false);
    expect(next.result.changedRows).toBe(written.refs.length);
    expect(next.turns).toBeGreaterThanOrEqual(
      Math.floor(written.refs.length / YIELD_EVERY_ROWS) - 1,
    );
    // rows end 1 to rowsPerRef minutes before now, all after the window's start: the window holds the latest row's
    // cumulative counts
    expect(rowsPerRef).toBeLessThan(60);
    refs.forEach((ref, i) => {
      const [c] = index.counts(ref, Int32Array.from([0, 1]));
      const last = rowsPerRef - 1;
      expect(c).toEqual({ good: last * 10 + i, total: last * 10 + i + 1 });
    });
  });
});
