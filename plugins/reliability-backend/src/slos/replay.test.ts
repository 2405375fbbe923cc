// The replay of a Prometheus-backed SLO's history against a real Prometheus, on SQLite and PostgreSQL.
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { demoOpenMetrics, startPrometheus } from '../__testUtils__/prometheus';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { Redactor } from '../redaction/Redactor';
import { Evaluator } from './Evaluator';
import { SloReads } from './SloReads';
import { SliSourceRegistry } from './counting';
import {
  definitionHash,
  evaluatedHistoryWriter,
  ReplayTask,
} from './ReplayTask';
import { PrometheusSliSource } from './sources/PrometheusSliSource';
import type { SloHistoryStore, SloStores } from './stores';
import { IngestSliSource } from './sources/IngestSliSource';

jest.setTimeout(180_000);

const MIN = 60_000;
const HOUR = 3_600_000;
const NOW = Math.floor(Date.now() / HOUR) * HOUR;
const T0 = NOW - 2 * 86_400_000;

const slo = (over: Partial<SloDefinition> = {}): SloDefinition => ({
  ref: 'default/demo',
  namespace: 'default',
  name: 'demo',
  title: 'demo',
  componentRef: 'component:default/demo',
  target: 0.99,
  window: { kind: 'rolling', duration: { amount: 1, unit: 'd' } },
  indicator: {
    mode: 'good-total',
    sourceType: 'Prometheus',
    good: { type: 'Prometheus', spec: { query: 'demo_good_total' } },
    total: { type: 'Prometheus', spec: { query: 'demo_requests_total' } },
  },
  ...over,
});

// 1 day over at most 300 points: a 5-minute step, 289 points; parts of 100 points, 150 points per run
const limits = {
  pointsPerQuery: 100,
  maxPointsPerSlo: 300,
  maxPointsPerRun: 150,
  baseBackoffMs: 60_000,
  maxBackoffMs: 600_000,
};
const STEP = 5 * MIN;

let prom: { url: string; stop: () => Promise<void> };

beforeAll(async () => {
  prom = await startPrometheus(demoOpenMetrics(T0, NOW));
});

afterAll(async () => {
  await prom?.stop();
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('history replay on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let history: SloHistoryStore;
  let stores: SloStores;
  const logger = mockServices.logger.mock();

  const source = (url = prom.url) =>
    new PrometheusSliSource([{ name: 'main', url, headers: {} }], logger, {
      retries: 0,
    });

  beforeEach(async () => {
    jest.clearAllMocks();
    const knex = await databases.init(databaseId);
    stores = (await ReliabilityDatabase.create(knex)).stores().slos;
    history = stores.history;
  });

  const task = (
    defs: SloDefinition[],
    now: () => number,
    src = source(),
    redact?: (t: string) => string,
  ) =>
    new ReplayTask({
      slos: async () => defs.map(def => ({ def })),
      source: src,
      store: history,
      logger,
      redact,
      limits,
      now,
    });

  it('replays the window in bounded parts, marked replayed, equal to the evaluations at the same instants to 1e-9', async () => {
    const def = slo();
    const src = source();
    const replay = task([def], () => NOW, src);
    const started = Date.now();
    const first = await replay.run();
    // one run writes at most 150 points, in parts of at most 100: two history calls of 4 range queries each
    expect(first.points).toBeGreaterThan(0);
    expect(first.points).toBeLessThanOrEqual(150);
    expect(first.slos).toBe(0);
    expect(src.queriesSent().main).toBe(8);
    let state = (await history.replays()).get(def.ref)!;
    expect(state).toMatchObject({
      state: 'pending',
      defHash: definitionHash(def),
      stepMs: STEP,
      to: NOW,
      from: NOW - 86_400_000,
    });
    const second = await replay.run();
    expect(second.slos).toBe(1);
    state = (await history.replays()).get(def.ref)!;
    expect(state.state).toBe('done');
    // done: a third run asks nothing
    const sent = src.queriesSent().main;
    expect(await replay.run()).toEqual({ points: 0, slos: 0, failed: 0 });
    expect(src.queriesSent().main).toBe(sent);
    const elapsed = Date.now() - started;

    const points = await history.read(def.ref, 0, NOW, 10_000);
    // every 5 minutes over the day, both ends included: the data covers all of it
    expect(points.length).toBe(289);
    expect(state.points).toBe(289);
    expect(points.every(p => p.replayed)).toBe(true);
    expect(points[0].t).toBe(NOW - 86_400_000);
    expect(points[points.length - 1].t).toBe(NOW);

    // the evaluator at the same instants: the budget left and the 1h burn rate
    const reg = new SliSourceRegistry();
    reg.add(source());
    const evaluator = new Evaluator(undefined as any, reg, logger);
    let maxDiff = 0;
    // every 12th point (each hour), and the incident's hour (3 h before NOW) minute by minute of the step
    const sample = points.filter(
      (p, i) => i % 12 === 0 || (p.t >= NOW - 3 * HOUR && p.t < NOW - 2 * HOUR),
    );
    for (const p of sample) {
      const status = (await evaluator.evaluate([def], p.t)).get(
        def.ref,
      )!.status;
      expect(status.budgetRemaining).not.toBeNull();
      expect(p.budgetRemaining).not.toBeNull();
      const d1 = Math.abs(status.budgetRemaining! - p.budgetRemaining!);
      const d2 = Math.abs(status.burnRates['1h']! - p.burnRate!);
      maxDiff = Math.max(maxDiff, d1, d2);
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-9);
    // the incident (80% good for an hour) shows in the replayed burn rate
    expect(Math.max(...points.map(p => p.burnRate ?? 0))).toBeGreaterThan(10);
    // figures for the report
    // eslint-disable-next-line no-console
    console.log(
      `replay ${databaseId}: ${points.length} points in ${elapsed} ms over 2 runs, ${sample.length} instants compared, max difference ${maxDiff}`,
    );
  });

  it('never overwrites an evaluated point, and replaces the replayed points when the definition changes', async () => {
    const def = slo();
    const at = NOW - 10 * HOUR;
    await history.writeEvaluated([
      {
        sloRef: def.ref,
        point: { t: at, budgetRemaining: 0.123, burnRate: 4, sli: 0.96 },
      },
    ]);
    const replay = task([def], () => NOW);
    await replay.run();
    await replay.run();
    const kept = await history.read(def.ref, at, at, 1);
    expect(kept).toEqual([
      {
        t: at,
        budgetRemaining: 0.123,
        burnRate: 4,
        sli: 0.96,
        replayed: false,
      },
    ]);
    const before = await history.read(def.ref, 0, NOW, 10_000);
    expect(before.filter(p => p.replayed).length).toBe(288);

    // the objective changes: the old replayed points go, the evaluated one stays, the new ones follow the new target
    const changed = slo({ target: 0.95 });
    const later = NOW + HOUR;
    const again = task([changed], () => later);
    const r1 = await again.run();
    expect(r1.points).toBeGreaterThan(0);
    const mid = await history.read(def.ref, 0, later, 10_000);
    expect(mid.filter(p => p.replayed).length).toBe(r1.points);
    await again.run();
    const after = await history.read(def.ref, 0, later, 10_000);
    expect(after.find(p => p.t === at)).toMatchObject({
      budgetRemaining: 0.123,
      replayed: false,
    });
    const replayed = after.filter(p => p.replayed);
    // the new replay ends an hour later; the data ends at NOW (Prometheus still answers the last samples for 5 min)
    expect(replayed[0].t).toBe(later - 86_400_000);
    const old = new Map(before.map(p => [p.t, p]));
    const same = replayed.find(p => old.has(p.t) && old.get(p.t)!.burnRate)!;
    // a burn rate against a 5% budget is a fifth of the one against 1%
    expect(same.burnRate! * 5).toBeCloseTo(old.get(same.t)!.burnRate!, 9);
    expect((await history.replays()).get(def.ref)).toMatchObject({
      state: 'done',
      defHash: definitionHash(changed),
    });
  });

  it('redacts a failing Prometheus, backs off, and finishes once it answers', async () => {
    const def = slo();
    let now = NOW;
    const secret = 'hunter2-replay-secret';
    const dead = new PrometheusSliSource(
      [
        {
          name: 'main',
          url: 'http://127.0.0.1:9',
          headers: { authorization: `Bearer ${secret}` },
        },
      ],
      logger,
      { retries: 0, timeoutMs: 2_000 },
    );
    const redactor = new Redactor([secret]);
    const failing = task(
      [def],
      () => now,
      dead,
      t => redactor.text(t),
    );
    expect(await failing.run()).toEqual({ points: 0, slos: 0, failed: 1 });
    const state = (await history.replays()).get(def.ref)!;
    expect(state).toMatchObject({ state: 'pending', attempts: 1 });
    expect(state.nextAt).toBe(NOW + 60_000);
    expect(state.error).toMatch(/Prometheus main is unreachable/);
    const warned = logger.warn.mock.calls.map(c => String(c[0])).join('\n');
    expect(warned).toMatch(/The replay of default\/demo's history failed/);
    expect(warned).not.toContain(secret);
    // within the backoff nothing is asked
    expect(await failing.run()).toEqual({ points: 0, slos: 0, failed: 0 });
    now += 61_000;
    expect((await failing.run()).failed).toBe(1);
    expect((await history.replays()).get(def.ref)!.nextAt).toBe(now + 120_000);
    // Prometheus answers again: the replay goes on from where it was
    now += 121_000;
    const healthy = task([def], () => now);
    await healthy.run();
    await healthy.run();
    expect((await history.replays()).get(def.ref)).toMatchObject({
      state: 'done',
      attempts: 0,
      error: null,
      points: 289,
    });
  });

  it('answers the stored points when the source fails, and evaluations store their points every 5 minutes', async () => {
    const def = slo();
    await task([def], () => NOW).run();
    await task([def], () => NOW).run();
    const deadReg = new SliSourceRegistry();
    deadReg.add(source('http://127.0.0.1:9'));
    const reads = new SloReads(deadReg, { stored: history });
    const h = await reads.history(def, { points: 500, window: '1h' }, NOW);
    expect(h.points.length).toBe(289);
    expect(h.points.every(p => p.replayed === true)).toBe(true);
    // another lookback: the stored burn rates are over 1h, so none
    const h6 = await reads.history(def, { points: 500, window: '6h' }, NOW);
    expect(h6.points.every(p => p.burnRate === null)).toBe(true);
    // without stored points, the failure is the caller's (a 503)
    await expect(
      new SloReads(deadReg).history(def, { points: 500, window: '1h' }, NOW),
    ).rejects.toThrow(/unreachable/);

    // the live source answers: its own points, none marked replayed
    const liveReg = new SliSourceRegistry();
    liveReg.add(source());
    const live = await new SloReads(liveReg, { stored: history }).history(
      def,
      { points: 500, window: '1h' },
      NOW,
    );
    expect(live.points.some(p => p.replayed)).toBe(false);

    const write = evaluatedHistoryWriter(history, logger);
    const status = (budgetRemaining: number) => ({
      status: { budgetRemaining, burnRates: { '1h': 2 } },
    });
    expect(
      await write([def], new Map([[def.ref, status(0.5)]]), NOW + MIN),
    ).toBe(0);
    expect(
      await write([def], new Map([[def.ref, status(0.5)]]), NOW + 5 * MIN + 7),
    ).toBe(1);
    expect(await history.read(def.ref, NOW + 1, NOW + HOUR, 10)).toEqual([
      {
        t: NOW + 5 * MIN,
        budgetRemaining: 0.5,
        burnRate: 2,
        sli: expect.closeTo(0.98, 12),
        replayed: false,
      },
    ]);
  });

  it("tells where an ingest SLO's data begins", async () => {
    const ingest: SloDefinition = {
      ...slo({ ref: 'default/in', name: 'in' }),
      indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
    };
    await stores.registry.syncSlos({
      upserts: [{ def: ingest, entityRef: 'slo:default/in', docHash: 'in' }],
      remove: [],
    });
    const reg = new SliSourceRegistry();
    reg.add(new IngestSliSource(stores));
    const reads = new SloReads(reg, {
      stored: history,
      firstDataAt: async ref =>
        (await stores.readings.firstDataAt([ref])).get(ref) ?? null,
    });
    const before = await reads.history(
      ingest,
      { points: 50, window: '1h' },
      NOW,
    );
    expect(before.dataBegins).toBeUndefined();
    await stores.counts.addCounts(
      [1, 2, 3].map(m => ({
        sloRef: 'default/in',
        timestamp: NOW - 3 * HOUR + m * MIN + 30_000,
        good: 9,
        total: 10,
      })),
      NOW - 7 * HOUR,
    );
    const after = await reads.history(
      ingest,
      { points: 50, window: '1h' },
      NOW,
    );
    // the first count's minute
    expect(after.dataBegins).toBe(new Date(NOW - 3 * HOUR + MIN).toISOString());
    expect(after.points.some(p => p.replayed)).toBe(false);
  });
});
