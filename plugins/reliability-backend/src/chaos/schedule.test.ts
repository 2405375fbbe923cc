// Scheduled chaos: cron starts claimed once across replicas, the start guard and the environment rule on every
// scheduled start (refusals recorded with why), and every run ended at its duration, on SQLite and PostgreSQL.
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import {
  ChaosExperimentRecord,
  chaosExperimentSchema,
  SloStatus,
} from '@reliability-suite/plugin-reliability-common';
import { ConfigReader } from '@backstage/config';
import { Knex } from 'knex';
import { readReliabilityConfig } from '../config/readReliabilityConfig';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import type { ReliabilityStores } from '../wiring/ReliabilityDatabase';
import { ChaosScheduler, SCHEDULE_LATENESS_MS } from './ChaosScheduler';
import type { RegionMonitor } from './startGuard';
import { presenceStaleAfterMs, regionMonitoring } from '../synthetics/regions';

jest.setTimeout(60_000);

const MIN = 60_000;
const T0 = Date.parse('2026-12-05T01:00:00.000Z');
const ENTITY = 'component:default/checkout';
const SLO = 'default/checkout-success';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'scheduled chaos on %p',
  databaseId => {
    let knex: Knex;
    let stores: ReliabilityStores;
    let clock: number;
    let starts: { id: number; startedAt: string | null }[];
    let ends: { id: number; reason: string }[];

    /** A replica's scheduler: its own object over the shared database and clock. */
    const replica = (environments?: string[], regions?: RegionMonitor) =>
      new ChaosScheduler({
        store: stores.chaos,
        slos: stores.slos.statuses,
        logger: mockServices.logger.mock(),
        engineStart: async e => {
          starts.push({ id: e.id, startedAt: e.startedAt });
          return ['engine-rule'];
        },
        end: async (e, reason) => {
          ends.push({ id: e.id, reason });
        },
        environments,
        productionEnvironments: ['production', 'prod'],
        regions,
        now: () => clock,
      });

    const status = (
      state: SloStatus['state'],
      budgetRemaining: number | null,
    ) =>
      stores.slos.statuses.saveStatuses([
        {
          sloRef: SLO,
          status: {
            evaluatedAt: new Date(clock).toISOString(),
            state,
            budgetRemaining,
            firing: state === 'burning' ? [{ id: 'page 14.4x 1h&5m' }] : [],
          } as any,
        },
      ]);
    const healthy = (budget: number) => status('healthy', budget);

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      stores = (await ReliabilityDatabase.create(knex)).stores();
      clock = T0;
      starts = [];
      ends = [];
      await healthy(0.9);
    });

    /** An approved experiment (approved at T0). */
    async function approved(over: {
      name: string;
      schedule?: unknown;
      environment?: string;
      duration?: string;
      regions?: string[];
    }): Promise<ChaosExperimentRecord> {
      const experiment = chaosExperimentSchema.parse({
        name: over.name,
        hypothesis: 'checkout keeps its SLO while one pod is slow',
        target: { namespace: 'shop', labels: { app: 'checkout' } },
        blastRadius: { podPercent: 10, regions: over.regions ?? [] },
        steadyState: { slo: SLO, minBudgetRemaining: 0.5 },
        injection: { type: 'latency', ms: 300 },
        duration: over.duration ?? '10m',
        schedule: over.schedule ?? { type: 'cron', cron: '0 2 * * *' },
        environment: over.environment ?? 'staging',
        owner: 'group:default/payments-sre',
        approver: 'user:default/ana',
      });
      const e = (await stores.chaos.create({
        entityRef: ENTITY,
        experiment,
        author: 'user:default/mei',
        now: T0,
      }))!;
      expect(
        await stores.chaos.transition(
          e.id,
          ['draft'],
          'approved',
          { approvedBy: 'user:default/ana' },
          T0,
        ),
      ).toBe(true);
      return (await stores.chaos.get(e.id))!;
    }
    const runs = (id: number) => stores.chaos.runs.list(id, 100, 0);
    const state = async (id: number) => (await stores.chaos.get(id))!.state;

    it('starts a cron experiment once across two replicas at its time, and ends it at its duration once', async () => {
      const e = await approved({ name: 'nightly-latency' });
      const [a, b] = [replica(), replica()];
      // 01:59: not yet
      clock = Date.parse('2026-12-05T01:59:00.000Z');
      await healthy(0.9);
      expect(await a.tick()).toEqual({ ended: 0, started: 0, refused: 0 });
      expect(await runs(e.id)).toEqual([]);

      // 02:00:20: both replicas tick at the same time; one claims the 02:00 start
      clock = Date.parse('2026-12-05T02:00:20.000Z');
      const both = await Promise.all([a.tick(), b.tick()]);
      expect(both.map(r => r.started).sort()).toEqual([0, 1]);
      expect(both.map(r => r.refused)).toEqual([0, 0]);
      expect(starts).toEqual([
        { id: e.id, startedAt: '2026-12-05T02:00:20.000Z' },
      ]);
      expect(await state(e.id)).toBe('running');
      const [run] = await runs(e.id);
      expect(run).toMatchObject({
        trigger: 'schedule',
        scheduledFor: '2026-12-05T02:00:00.000Z',
        state: 'running',
        startedAt: '2026-12-05T02:00:20.000Z',
        endsAt: '2026-12-05T02:10:20.000Z',
        finishedAt: null,
      });
      // a later tick within the same minute (and within the lateness) starts nothing again
      clock += 30_000;
      expect((await b.tick()).started).toBe(0);
      expect(await runs(e.id)).toHaveLength(1);

      // readiness counts experiments that ran to the end: none yet
      expect(await stores.chaos.runs.completedExperiments(ENTITY, 100)).toBe(0);
      // 02:10:19: one second before its end, still running
      clock = Date.parse('2026-12-05T02:10:19.000Z');
      expect((await a.tick()).ended).toBe(0);
      expect(await state(e.id)).toBe('running');

      // 02:10:20: its end; both replicas tick, one ends it and halts the engine
      clock = Date.parse('2026-12-05T02:10:20.000Z');
      const ended = await Promise.all([a.tick(), b.tick()]);
      expect(ended.map(r => r.ended).sort()).toEqual([0, 1]);
      expect(ends).toEqual([
        { id: e.id, reason: 'its duration (10m) is over' },
      ]);
      // a cron experiment goes back to approved for its next night; its run is completed
      const after = (await stores.chaos.get(e.id))!;
      expect(after.state).toBe('approved');
      expect(after.finishedAt).toBe('2026-12-05T02:10:20.000Z');
      expect((await runs(e.id))[0]).toMatchObject({
        state: 'completed',
        reason: 'its duration (10m) is over',
        finishedAt: '2026-12-05T02:10:20.000Z',
      });

      // back to approved, it counts for readiness through its completed run
      expect(await stores.chaos.runs.completedExperiments(ENTITY, 100)).toBe(1);
      // the next night runs again (a new run row, a new engine call)
      clock = Date.parse('2026-12-06T02:00:05.000Z');
      await healthy(0.9);
      expect((await b.tick()).started).toBe(1);
      expect(starts).toHaveLength(2);
      expect((await runs(e.id)).map(r => r.state)).toEqual([
        'running',
        'completed',
      ]);
    });

    it('records a refused scheduled start with its reason: a burning SLO, too little budget, a run still going', async () => {
      const e = await approved({
        name: 'hourly-latency',
        duration: '60m',
        schedule: { type: 'cron', cron: '0 * * * *' },
      });
      const s = replica();
      // 02:00: the SLO is burning
      clock = Date.parse('2026-12-05T02:00:00.000Z');
      await status('burning', 0.8);
      expect(await s.tick()).toEqual({ ended: 0, started: 0, refused: 1 });
      expect(starts).toEqual([]);
      expect(await state(e.id)).toBe('approved');
      expect((await runs(e.id))[0]).toMatchObject({
        trigger: 'schedule',
        state: 'refused',
        reason: `${SLO} is burning (page 14.4x 1h&5m); chaos must respect business SLOs`,
        startedAt: null,
      });
      // 03:00: healthy but 30% left, the experiment needs 50%
      clock = Date.parse('2026-12-05T03:00:00.000Z');
      await healthy(0.3);
      expect((await s.tick()).refused).toBe(1);
      expect((await runs(e.id))[0].reason).toBe(
        `${SLO} has 30% of its error budget left; the experiment needs at least 50%`,
      );
      // 04:00: started; 05:00: the 60-minute run ends at 05:00 exactly, so the 05:00 start goes ahead after it
      clock = Date.parse('2026-12-05T04:00:00.000Z');
      await healthy(0.9);
      expect((await s.tick()).started).toBe(1);
      clock = Date.parse('2026-12-05T05:00:00.000Z');
      expect(await s.tick()).toEqual({ ended: 1, started: 1, refused: 0 });
      // a manual start that overlaps a cron time: the scheduled start is refused, naming the running run
      const m = await approved({
        name: 'manual-overlap',
        duration: '90m',
        schedule: { type: 'cron', cron: '30 * * * *' },
      });
      expect(
        await stores.chaos.transition(
          m.id,
          ['approved'],
          'running',
          { startedAt: clock, budgetAtStart: 0.9 },
          clock,
        ),
      ).toBe(true);
      clock = Date.parse('2026-12-05T05:30:00.000Z');
      expect((await s.tick()).refused).toBe(1);
      expect((await runs(m.id))[0]).toMatchObject({
        state: 'refused',
        reason: 'the experiment is running (its previous run has not ended)',
      });
    });

    it("refuses a scheduled start in a region no live runner watches, naming the region, and starts once the region's runner reports", async () => {
      const e = await approved({
        name: 'regional-nightly',
        regions: ['eu-west', 'us-east'],
      });
      // the synthetics runners' reports, read from the database as the portal's start reads them
      const monitor: RegionMonitor = async regions =>
        regionMonitoring(regions, await stores.synthetics.runners(), clock);
      const s = replica(undefined, monitor);
      const stale = presenceStaleAfterMs(60);
      // a replica runs eu-west; nobody has ever run us-east
      clock = Date.parse('2026-12-05T02:00:00.000Z');
      await healthy(0.9);
      await stores.synthetics.reportRunner(['eu-west'], clock - 1_000, stale);
      expect(await s.tick()).toEqual({ ended: 0, started: 0, refused: 1 });
      expect(starts).toEqual([]);
      expect(await state(e.id)).toBe('approved');
      expect((await runs(e.id))[0]).toMatchObject({
        state: 'refused',
        reason:
          'blastRadius.regions.1: us-east has no reachable runner (no backend replica runs us-east (set reliability.synthetics.region: us-east on one)); chaos starts only where its steady state is watched',
        startedAt: null,
      });
      // the next night: us-east's runner reports; eu-west's last report is a day old
      clock = Date.parse('2026-12-06T02:00:00.000Z');
      await healthy(0.9);
      await stores.synthetics.reportRunner(['us-east'], clock - 1_000, stale);
      expect((await s.tick()).refused).toBe(1);
      expect((await runs(e.id))[0].reason).toMatch(
        /^blastRadius\.regions\.0: eu-west has no reachable runner \(no runner for eu-west since 2026-12-05T01:59:59\.000Z: the replica that ran it stopped reporting\)/,
      );
      // the night after: both regions watched (eu-west back), the start goes ahead
      clock = Date.parse('2026-12-07T02:00:00.000Z');
      await healthy(0.9);
      await stores.synthetics.reportRunner(
        ['eu-west', 'us-east'],
        clock - 1_000,
        stale,
      );
      expect((await s.tick()).started).toBe(1);
      expect(await state(e.id)).toBe('running');
    });

    it('runs on a schedule only outside production by default; the config may allow an environment', async () => {
      const prod = await approved({
        name: 'prod-nightly',
        environment: 'production',
      });
      clock = Date.parse('2026-12-05T02:00:00.000Z');
      await healthy(0.9);
      expect((await replica().tick()).refused).toBe(1);
      expect(await state(prod.id)).toBe('approved');
      expect((await runs(prod.id))[0]).toMatchObject({
        state: 'refused',
        reason:
          'scheduled runs are not allowed in production (reliability.chaos.schedule.environments: by default every environment but production)',
      });
      expect(starts).toEqual([]);
      // with the environments listed, production is allowed and staging is not
      const staging = await approved({ name: 'staging-nightly' });
      clock = Date.parse('2026-12-06T02:00:00.000Z');
      await healthy(0.9);
      expect(await replica(['production']).tick()).toEqual({
        ended: 0,
        started: 1,
        refused: 1,
      });
      expect(await state(prod.id)).toBe('running');
      expect((await runs(staging.id))[0].reason).toBe(
        'scheduled runs are not allowed in staging (reliability.chaos.schedule.environments)',
      );
    });

    it('ends a manual run at its duration on another replica, skips cron times missed by more than the lateness, and closes runs the guard aborted', async () => {
      // a one-off experiment started by hand, its run recorded; the replica that started it is gone
      const once = await approved({
        name: 'one-off',
        duration: '5m',
        schedule: { type: 'once' },
      });
      const startedAt = clock;
      await stores.chaos.transition(
        once.id,
        ['approved'],
        'running',
        { startedAt, budgetAtStart: 0.9 },
        clock,
      );
      await stores.chaos.runs.manual(once.id, startedAt, startedAt + 5 * MIN);
      clock = startedAt + 5 * MIN;
      await healthy(0.85);
      expect((await replica().tick()).ended).toBe(1);
      const done = (await stores.chaos.get(once.id))!;
      expect(done.state).toBe('completed');
      // the budget the run spent, from the steady-state SLO's last evaluation
      expect(done.budgetSpent).toBeCloseTo(0.05, 9);
      expect((await runs(once.id))[0]).toMatchObject({
        trigger: 'manual',
        state: 'completed',
        reason: 'its duration (5m) is over',
      });

      // the backend was down at 02:00 and comes back at 02:06: the 02:00 start is skipped, not run late
      const late = await approved({ name: 'late-nightly' });
      clock = Date.parse('2026-12-05T02:00:00.000Z') + SCHEDULE_LATENESS_MS + 1;
      await healthy(0.9);
      expect((await replica().tick()).started).toBe(0);
      expect(await runs(late.id)).toEqual([]);

      // a cron time before the approval of this version is not run
      clock = Date.parse('2026-12-07T02:01:00.000Z');
      await stores.chaos.update(late.id, {
        baseVersion: 1,
        experiment: late.experiment,
        author: 'user:default/mei',
        now: clock,
      });
      await stores.chaos.transition(
        late.id,
        ['draft'],
        'approved',
        { approvedBy: 'user:default/ana' },
        clock,
      );
      expect((await replica().tick()).started).toBe(0);

      // the guard aborts a scheduled run: the run is closed as aborted, with the guard's reason
      clock = Date.parse('2026-12-08T02:00:00.000Z');
      await healthy(0.9);
      expect((await replica().tick()).started).toBe(1);
      await stores.chaos.transition(
        late.id,
        ['running'],
        'aborted',
        {
          finishedAt: clock + MIN,
          abortReason: 'guard: burn rate 20x over 5m',
        },
        clock + MIN,
      );
      clock += 2 * MIN;
      await replica().tick();
      expect((await runs(late.id))[0]).toMatchObject({
        state: 'aborted',
        reason: 'guard: burn rate 20x over 5m',
      });
      // an aborted experiment is not started again by its schedule
      clock = Date.parse('2026-12-09T02:00:00.000Z');
      expect((await replica().tick()).started).toBe(0);
    });
  },
);

describe('reliability.chaos.schedule', () => {
  const read = (schedule?: object) =>
    readReliabilityConfig(
      new ConfigReader({
        reliability: schedule ? { chaos: { schedule } } : {},
      }),
    ).chaos.schedule;

  it('defaults to every environment but production, every 30 seconds', () => {
    expect(read()).toEqual({ environments: undefined, intervalSeconds: 30 });
    expect(
      read({ environments: ['staging', 'production'], intervalSeconds: 5 }),
    ).toEqual({ environments: ['staging', 'production'], intervalSeconds: 5 });
  });

  it('refuses an interval outside 1 to 300 seconds, naming the key', () => {
    expect(() => read({ intervalSeconds: 301 })).toThrow(
      'reliability.chaos.schedule.intervalSeconds: must be a number from 0 to 300, got 301',
    );
    expect(read({ intervalSeconds: 0 }).intervalSeconds).toBe(1);
  });
});
