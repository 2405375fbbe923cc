// Chaos expectations checked when a run ends (its duration over, or aborted), on SQLite and PostgreSQL: met and not
// met for each kind with a controllable clock, unknown when nothing can be read, one action item per unmet
// expectation whichever of two replicas ends the run, and a linked incident review getting those items once.
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import {
  ChaosExperimentRecord,
  chaosExperimentSchema,
  ChaosFollowUpItem,
  SloDefinition,
} from '@reliability-suite/plugin-reliability-common';
import { Knex } from 'knex';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import type { ReliabilityStores } from '../wiring/ReliabilityDatabase';
import { ChaosScheduler } from './ChaosScheduler';
import { ChaosExpectations } from './ChaosExpectations';
import { ChaosRunReview } from './ChaosRunReview';

jest.setTimeout(60_000);

const MIN = 60_000;
const T0 = Date.parse('2026-12-05T01:00:00.000Z');
const ENTITY = 'component:default/checkout';
const SLO = 'default/checkout-success';
const SLO_DEF = { ref: SLO, target: 0.99 } as SloDefinition;
const RULE = 'payment-worker-restart';
const BREAKER = 'max(payment_breaker_state{breaker="psp"})';

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'chaos expectations on %p',
  databaseId => {
    let knex: Knex;
    let stores: ReliabilityStores;
    let clock: number;
    /** The breaker gauge at an instant (the fake Prometheus), and the bad share of each minute (the SLO's counts). */
    let gauge: (t: number) => number | null;
    let badShare: (minuteStart: number) => number;
    let traffic: boolean;
    let prometheus: boolean;
    let notices: { runId: number; items: ChaosFollowUpItem[] }[];
    let queries: number;

    const expectations = () =>
      new ChaosExpectations({
        executions: stores.remediation,
        slo: async ref => (ref === SLO ? SLO_DEF : undefined),
        counts: async (_slo, intervals) =>
          intervals.map(w => {
            if (!traffic) return { good: 0, total: 0 };
            let good = 0;
            let total = 0;
            for (let m = w.start; m < w.end; m += MIN) {
              total += 1000;
              good += 1000 - Math.round(1000 * badShare(m));
            }
            return { good, total };
          }),
        promql: async (slo, query, t) => {
          expect([slo.ref, query]).toEqual([SLO, BREAKER]);
          queries++;
          if (!prometheus) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
          return gauge(t);
        },
        link: (ref, anchor) => `/catalog/${ref}#${anchor}`,
      });

    /** A replica: its own scheduler and review over the shared database and clock. */
    const replica = () => {
      const review = new ChaosRunReview({
        store: stores.chaos,
        expectations: expectations(),
        notices: {
          chaosExpectationsUnmet: async a => {
            notices.push({ runId: a.runId, items: a.items });
          },
        },
        incidents: stores.incidents,
        logger: mockServices.logger.mock(),
        now: () => clock,
      });
      return new ChaosScheduler({
        store: stores.chaos,
        slos: stores.slos.statuses,
        logger: mockServices.logger.mock(),
        engineStart: async () => [],
        end: async () => {},
        productionEnvironments: ['production'],
        review: () => review.review(),
        now: () => clock,
      });
    };

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      stores = (await ReliabilityDatabase.create(knex)).stores();
      clock = T0;
      gauge = () => 0;
      badShare = () => 0;
      traffic = true;
      prometheus = true;
      notices = [];
      queries = 0;
    });

    /** An experiment with these expectations, started by hand at T0 for 10 minutes (a manual run). */
    async function running(
      expect_: unknown[],
      name = 'psp-brownout',
    ): Promise<ChaosExperimentRecord> {
      const experiment = chaosExperimentSchema.parse({
        name,
        hypothesis: 'the breaker opens and checkout browns out to pay later',
        target: { namespace: 'shop', labels: { app: 'payments' } },
        blastRadius: { trafficPercent: 10 },
        steadyState: { slo: SLO, minBudgetRemaining: 0.5 },
        injections: [
          { type: 'latency', ms: 3000 },
          { type: 'error-rate', percent: 50 },
        ],
        duration: '10m',
        environment: 'staging',
        owner: 'group:default/payments-sre',
        abortConditions: [{ type: 'budget-spent', percent: 5, within: '90s' }],
        expectations: expect_,
      });
      const e = (await stores.chaos.create({
        entityRef: ENTITY,
        experiment,
        author: 'user:default/mei',
        now: T0,
      }))!;
      await stores.chaos.transition(e.id, ['draft'], 'approved', {}, T0);
      await stores.chaos.transition(
        e.id,
        ['approved'],
        'running',
        { startedAt: T0, budgetAtStart: 0.9 },
        T0,
      );
      await stores.chaos.runs.manual(e.id, T0, T0 + 10 * MIN);
      return (await stores.chaos.get(e.id))!;
    }

    const execution = (at: number, dryRun = false) =>
      stores.remediation.record({
        dedupKey: `k${at}${dryRun}`,
        ruleId: RULE,
        entityRef: ENTITY,
        action: 'webhook',
        target: 'http://127.0.0.1:8015/ops/restart',
        triggerKind: 'alert',
        triggerId: `t${at}`,
        labels: {},
        annotations: {},
        lockKey: 'webhook:ops',
        state: dryRun ? 'dry_run' : 'succeeded',
        dryRun,
        actor: null,
        createdAt: at,
      });

    /** Two replicas tick at once, past the run's end. */
    async function endRun(id: number) {
      clock = T0 + 10 * MIN + 5_000;
      await Promise.all([replica().tick(), replica().tick()]);
      const [run] = await stores.chaos.runs.list(id, 10, 0);
      return run;
    }

    const ALL = [
      { type: 'remediation-fires', rule: RULE, within: '2m' },
      {
        type: 'breaker-opens',
        breaker: 'psp',
        query: BREAKER,
        within: '1m',
      },
      { type: 'slo-burn-below', threshold: 1, window: '1m' },
    ];

    it('records each kind met, with its evidence, and no follow-up', async () => {
      const e = await running(ALL);
      await execution(T0 + 30_000);
      gauge = t => (t >= T0 + 40_000 ? 1 : 0);
      badShare = () => 0.005; // 0.5x the budget each minute
      const run = await endRun(e.id);
      expect(run.state).toBe('completed');
      expect(run.evaluatedAt).toBe(new Date(clock).toISOString());
      expect(run.expectations!.map(r => [r.type, r.outcome])).toEqual([
        ['remediation-fires', 'met'],
        ['breaker-opens', 'met'],
        ['slo-burn-below', 'met'],
      ]);
      const [fired, breaker, burn] = run.expectations!;
      expect(fired.evidence).toMatchObject({
        source: 'remediation-executions',
        summary: expect.stringContaining('created 30s after the start'),
        links: [
          {
            title: `Execution ${fired.evidence.executionId}`,
            url: `/catalog/${ENTITY}#selfHealing`,
          },
        ],
      });
      // read every 5 s from the start until it opened at +40 s
      expect(breaker.evidence.query).toBe(BREAKER);
      expect(breaker.evidence.values!.map(v => v.value)).toEqual([
        0, 0, 0, 0, 0, 0, 0, 0, 1,
      ]);
      expect(breaker.evidence.summary).toBe(
        'psp opened 40s after the start: the query read 1 (>= 1)',
      );
      // ten minutes and the minute the end falls in: eleven 1m windows, each at 0.5x
      expect(burn.evidence.values).toHaveLength(11);
      expect(burn.evidence.summary).toContain('burn 0.5x over the run');
      expect(run.followUp).toEqual([]);
      expect(notices).toEqual([]);
    });

    it('turns each unmet kind into one action item, once across two replicas, and tells the owners once', async () => {
      const e = await running(ALL);
      // a dry run inside the window and a real run after it do not count
      await execution(T0 + 20_000, true);
      await execution(T0 + 3 * MIN);
      gauge = t => (t >= T0 + 2 * MIN ? 1 : 0); // opens, but after 1m
      badShare = m => (m === T0 + 4 * MIN ? 0.05 : 0.001); // one minute at 5x
      const run = await endRun(e.id);
      expect(run.expectations!.map(r => r.outcome)).toEqual([
        'not-met',
        'not-met',
        'not-met',
      ]);
      expect(run.expectations![0].evidence.summary).toBe(
        `no execution of ${RULE} (other than a dry run) was created between 2026-12-05T01:00:00.000Z and 2026-12-05T01:02:00.000Z`,
      );
      expect(run.expectations![1].evidence.values).toHaveLength(13);
      expect(run.expectations![2].evidence.summary).toContain(
        'worst 5x in the window ending 2026-12-05T01:05:00.000Z',
      );
      expect(run.followUp).toEqual(
        [0, 1, 2].map(i => ({
          expectation: i,
          title: `Chaos run #${run.id} of psp-brownout: expected ${
            run.expectations![i].expected
          }, not met`,
          owner: 'group:default/payments-sre',
          due: '2026-12-19',
        })),
      );
      expect(notices).toEqual([{ runId: run.id, items: run.followUp }]);
      // later ticks change nothing
      clock += MIN;
      await Promise.all([replica().tick(), replica().tick()]);
      expect((await stores.chaos.runs.get(run.id))!.followUp).toHaveLength(3);
      expect(notices).toHaveLength(1);
    });

    it('makes exactly one action item of one unmet expectation', async () => {
      const e = await running([
        { type: 'remediation-fires', rule: RULE, within: '1m' },
        { type: 'slo-burn-below', threshold: 2 },
      ]);
      badShare = () => 0.01; // 1x over the run: met
      const run = await endRun(e.id);
      expect(run.expectations!.map(r => r.outcome)).toEqual(['not-met', 'met']);
      expect(run.followUp!.map(i => i.expectation)).toEqual([0]);
      expect(notices.map(n => n.items.length)).toEqual([1]);
    });

    it('says unknown, with no action item, when nothing can be read', async () => {
      const e = await running(ALL.slice(1));
      prometheus = false;
      traffic = false;
      const run = await endRun(e.id);
      expect(
        run.expectations!.map(r => [r.outcome, r.evidence.summary]),
      ).toEqual([
        [
          'unknown',
          "could not be read (the Prometheus query failed); see the backend's log",
        ],
        [
          'unknown',
          `${SLO} counted no events between 2026-12-05T01:00:00.000Z and 2026-12-05T01:11:00.000Z`,
        ],
      ]);
      // the error text (an address) is not in the evidence
      expect(JSON.stringify(run.expectations)).not.toContain('127.0.0.1');
      expect(run.followUp).toEqual([]);
      expect(notices).toEqual([]);
      // the breaker's query answering nothing at every instant is unknown too
      const f = await running(ALL.slice(1, 2), 'psp-gauge-gone');
      prometheus = true;
      gauge = () => null;
      clock = T0;
      const again = await endRun(f.id);
      expect(again.expectations![0]).toMatchObject({
        outcome: 'unknown',
        evidence: {
          summary: 'the query returned nothing at the 13 instants read',
        },
      });
      expect(queries).toBeGreaterThan(13);
    });

    it('checks a run the kill switch aborted, over what it ran', async () => {
      const e = await running([
        { type: 'slo-burn-below', threshold: 1 },
        { type: 'remediation-fires', rule: RULE, within: '2m' },
      ]);
      await execution(T0 + 90_000);
      badShare = m => (m < T0 + 3 * MIN ? 0.02 : 0);
      // aborted at +3m (the kill switch): the next tick closes the run as aborted and checks it
      clock = T0 + 3 * MIN;
      await stores.chaos.transition(
        e.id,
        ['running'],
        'aborted',
        { finishedAt: clock, abortReason: 'kill switch' },
        clock,
      );
      await Promise.all([replica().tick(), replica().tick()]);
      const [run] = await stores.chaos.runs.list(e.id, 10, 0);
      expect([run.state, run.reason]).toEqual(['aborted', 'kill switch']);
      // three minutes at 2x: the burn over what ran is 2x, not diluted by the seven minutes that did not run
      expect(run.expectations!.map(r => r.outcome)).toEqual(['not-met', 'met']);
      expect(run.expectations![0].evidence.summary).toContain(
        'burn 2x over the run',
      );
      expect(run.followUp).toHaveLength(1);
    });

    it("adds the follow-up to a linked incident's review once", async () => {
      const incident = await stores.incidents.declare({
        entityRef: ENTITY,
        title: 'PSP brownout',
        severity: 'SEV2',
        roles: {},
        author: 'user:default/ana',
        now: T0 - 60 * MIN,
      });
      await stores.incidents.close(
        incident.id,
        'user:default/ana',
        {
          impact: 'checkout slow',
          rootCauses: ['psp'],
          actionItems: [
            { title: 'Add a PSP timeout', owner: 'ana', due: '2026-12-10' },
          ],
        },
        T0 - 30 * MIN,
      );
      const e = await running([
        { type: 'remediation-fires', rule: RULE, within: '1m' },
      ]);
      const [open] = await stores.chaos.runs.list(e.id, 10, 0);
      // a run of another experiment is not linked
      expect(
        await stores.chaos.runs.linkIncident(e.id + 1, open.id, incident.id),
      ).toBe(false);
      expect(
        await stores.chaos.runs.linkIncident(e.id, open.id, incident.id),
      ).toBe(true);
      const run = await endRun(e.id);
      expect(run.incidentId).toBe(incident.id);
      const items = (await stores.incidents.get(incident.id))!.actionItems;
      expect(items.map(i => i.title)).toEqual([
        'Add a PSP timeout',
        run.followUp![0].title,
      ]);
      expect(items[1]).toMatchObject({
        owner: 'group:default/payments-sre',
        due: '2026-12-19',
      });
      // adding the same items again (linking again) adds nothing
      expect(
        await stores.incidents.addActionItems(
          incident.id,
          run.followUp!.map(i => ({
            title: i.title,
            owner: i.owner,
            due: i.due,
          })),
          'reliability chaos',
          clock,
        ),
      ).toBe(0);
      // an open incident has no review yet
      const active = await stores.incidents.declare({
        entityRef: ENTITY,
        title: 'another',
        severity: 'SEV3',
        roles: {},
        author: 'user:default/ana',
        now: clock,
      });
      expect(
        await stores.incidents.addActionItems(active.id, [], 'x', clock),
      ).toBeUndefined();
    });
  },
);
