import { readFileSync } from 'fs';
import path from 'path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import type { SchedulerServiceTaskInvocationDefinition } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import techInsightsPlugin from '@backstage-community/plugin-tech-insights-backend';
// the real reliability backend, whose REST API the retriever reads (in a test only)
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import reliabilityPlugin from '@reliability-suite/plugin-reliability-backend';
import { READINESS_ITEMS } from '@reliability-suite/plugin-reliability-common';
import request from 'supertest';
import techInsightsModuleReliability, {
  RELIABILITY_FACT_RETRIEVER_ID,
  readinessFactName,
  reliabilityChecks,
  techInsightsModuleReliabilityChecks,
} from './index';

jest.setTimeout(90_000);

const OWNER = 'user:default/mei';
const k6Summary = JSON.parse(
  readFileSync(
    path.join(
      __dirname,
      '../../reliability-common/src/capacity/__fixtures__/k6-handle-summary.json',
    ),
    'utf8',
  ),
);

const component = (
  name: string,
  annotations: Record<string, string> = {},
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: {
    owner: 'group:default/sre',
    type: 'service',
    lifecycle: 'production',
  },
});
const ingestSlo = (name: string, service: string): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default' },
  spec: {
    service,
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
          total: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
        },
      },
    },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99 }],
  },
  relations: [{ type: 'measures', targetRef: `component:default/${service}` }],
});

/** A scheduler that runs a task only when the test asks, as the real one would on its schedule. */
function manualScheduler() {
  const tasks = new Map<string, SchedulerServiceTaskInvocationDefinition>();
  return {
    factory: mockServices.scheduler.mock({
      scheduleTask: async task => {
        tasks.set(task.id, task);
      },
    }).factory,
    ids: () => [...tasks.keys()],
    run: async (id: string) => {
      const task = tasks.get(id);
      if (!task) throw new Error(`No task ${id} is scheduled`);
      await task.fn(new AbortController().signal);
    },
  };
}

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('the reliability facts and checks in Tech Insights on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  async function boot(options: { checks?: JsonObject } = {}) {
    const knex = await databases.init(databaseId);
    const scheduler = manualScheduler();
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        techInsightsPlugin,
        techInsightsModuleReliability,
        techInsightsModuleReliabilityChecks,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            component('checkout', {
              'reliability.io/rto': '5m',
              'reliability.io/rpo': '60s',
              'reliability.io/runbook': 'https://runbooks.example/checkout',
              'reliability.io/degradation': 'breakers, brownout, load-shedding',
              'reliability.io/latency-p95': '1s',
            }),
            component('inventory'),
            ingestSlo('checkout-success', 'checkout'),
            ingestSlo('checkout-latency', 'checkout'),
          ],
        }),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              evaluation: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 24 },
                },
              },
            },
            techInsights: {
              factRetrievers: {
                [RELIABILITY_FACT_RETRIEVER_ID]: {
                  cadence: '0 * * * *',
                  lifecycle: { maxItems: 5 },
                },
              },
              ...(options.checks
                ? { factChecker: { checks: options.checks } }
                : {}),
            },
          },
        }),
      ],
    });
    return { server, scheduler };
  }

  const checkout = 'component:default/checkout';

  it('stores the facts of every component and runs the checks on them', async () => {
    const { server, scheduler } = await boot();
    await scheduler.run('reliability-evaluate');
    const t = new Date(Date.now() - 10 * 60_000).toISOString();
    // checkout-success spends 80% of its budget and meets its objective; checkout-latency misses it
    const ingested = await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', mockCredentials.service.header())
      .send({
        events: [
          {
            slo: 'default/checkout-success',
            timestamp: t,
            good: 9_920,
            total: 10_000,
          },
          {
            slo: 'default/checkout-latency',
            timestamp: t,
            good: 9_500,
            total: 10_000,
          },
        ],
      });
    expect([ingested.status, ingested.body]).toEqual([202, expect.anything()]);
    const drillDay = new Date(Date.now() - 3 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    expect(
      (
        await request(server)
          .post('/api/reliability/drills')
          .set('Authorization', mockCredentials.user.header(OWNER))
          .send({
            entityRef: checkout,
            drill: {
              date: drillDay,
              region: 'ap-sg',
              durationMin: 4,
              success: true,
            },
          })
      ).status,
    ).toBe(201);
    expect(
      (
        await request(server)
          .post('/api/reliability/capacity/runs')
          .set('Authorization', mockCredentials.service.header())
          .send({
            entityRef: checkout,
            testType: 'stress',
            commit: 'abc',
            summary: k6Summary,
          })
      ).status,
    ).toBe(201);
    await scheduler.run('reliability-evaluate');

    expect(scheduler.ids()).toContain(RELIABILITY_FACT_RETRIEVER_ID);
    await scheduler.run(RELIABILITY_FACT_RETRIEVER_ID);

    const latest = async (entity: string) =>
      request(server)
        .get('/api/tech-insights/facts/latest')
        .query({ entity, 'ids[]': RELIABILITY_FACT_RETRIEVER_ID })
        .set('Authorization', mockCredentials.user.header(OWNER));
    const res = await latest(checkout);
    expect(res.status).toBe(200);
    const facts = res.body[RELIABILITY_FACT_RETRIEVER_ID].facts;
    // the readiness facts are what GET /readiness answers, item by item (whatever the checklist holds)
    const readiness = await request(server)
      .get(`/api/reliability/readiness?entityRef=${checkout}`)
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(readiness.status).toBe(200);
    const itemStates: Record<string, string> = Object.fromEntries(
      readiness.body.items.map((i: { id: string; state: string }) => [
        i.id,
        i.state,
      ]),
    );
    expect(Object.keys(itemStates).sort()).toEqual(
      READINESS_ITEMS.map(i => i.id).sort(),
    );
    expect(facts).toMatchObject({
      readinessScore: readiness.body.score,
      readinessPassed: readiness.body.passed,
      readinessApplicable: readiness.body.applicable,
      ...Object.fromEntries(
        READINESS_ITEMS.map(i => [
          readinessFactName(i.id),
          itemStates[i.id] !== 'failed',
        ]),
      ),
    });
    // some pass and some fail, so the mapping is not all one way
    expect([
      facts.readinessJourneySlos,
      facts.readinessSynthetics,
      facts.readinessChaos,
    ]).toEqual([true, false, false]);
    expect(facts.readinessScore).toBeGreaterThan(0);
    expect(facts.readinessScore).toBeLessThan(100);
    expect(facts).toMatchObject({
      sloCount: 2,
      slosWithData: 2,
      slosMeetingObjective: 1,
      sloCompliance: 0.5,
      slosBudgetExhausted: 1,
      frozen: true,
      lastDrillAt: `${drillDay}T00:00:00.000Z`,
      lastDrillSucceeded: true,
      daysSinceLastDrill: 3,
      lastLoadTestVerdict: expect.stringMatching(/^(pass|fail|unknown)$/),
      daysSinceLastLoadTest: 0,
      lastChaosRunAt: null,
      lastChaosRunState: null,
      daysSinceLastChaosRun: null,
    });
    expect(facts.minBudgetRemaining).toBeLessThan(0);
    expect(facts.freezeReason).toMatch(/checkout/);
    expect(Date.parse(facts.lastLoadTestAt)).toBeGreaterThan(
      Date.now() - 86_400_000,
    );

    // the component without SLOs gets a row too: nothing in place
    const inventory = (await latest('component:default/inventory')).body[
      RELIABILITY_FACT_RETRIEVER_ID
    ].facts;
    expect(inventory).toMatchObject({
      readinessScore: 0,
      sloCount: 0,
      sloCompliance: null,
      minBudgetRemaining: null,
      frozen: false,
      lastDrillAt: null,
      lastLoadTestAt: null,
    });
    // the SLO entities are not components: no row
    expect(
      (await latest('slo:default/checkout-success')).body[
        RELIABILITY_FACT_RETRIEVER_ID
      ],
    ).toBeUndefined();

    const checks = await request(server)
      .get('/api/tech-insights/checks')
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(checks.body.map((c: { id: string }) => c.id).sort()).toEqual(
      reliabilityChecks.map(c => c.id).sort(),
    );
    const run = await request(server)
      .post('/api/tech-insights/checks/run/default/component/checkout')
      .set('Authorization', mockCredentials.user.header(OWNER))
      .send({});
    expect(run.status).toBe(200);
    const results = Object.fromEntries(
      run.body.map((r: { check: { id: string }; result: boolean }) => [
        r.check.id,
        r.result,
      ]),
    );
    expect(results).toEqual({
      ...Object.fromEntries(
        READINESS_ITEMS.map(i => [
          `reliability-readiness-${i.id}`,
          itemStates[i.id] !== 'failed',
        ]),
      ),
      'reliability-not-frozen': false,
      'reliability-slos-meet-objective': false,
    });
  });

  it('keeps the configured checks beside ours, a configured one replacing ours by id', async () => {
    const { server } = await boot({
      checks: {
        'reliability-not-frozen': {
          type: 'json-rules-engine',
          name: 'Our own freeze rule',
          description: 'replaced',
          factIds: [RELIABILITY_FACT_RETRIEVER_ID],
          rule: {
            conditions: {
              all: [{ fact: 'frozen', operator: 'equal', value: false }],
            },
          },
        },
        'budget-above-half': {
          type: 'json-rules-engine',
          name: 'Half the budget left',
          description: 'The least budget left is at least half',
          factIds: [RELIABILITY_FACT_RETRIEVER_ID],
          rule: {
            conditions: {
              all: [
                {
                  fact: 'minBudgetRemaining',
                  operator: 'greaterThanInclusive',
                  value: 0.5,
                },
              ],
            },
          },
        },
      },
    });
    const checks = await request(server)
      .get('/api/tech-insights/checks')
      .set('Authorization', mockCredentials.user.header(OWNER));
    const byId = Object.fromEntries(
      checks.body.map((c: { id: string; name: string }) => [c.id, c.name]),
    );
    expect(Object.keys(byId)).toHaveLength(reliabilityChecks.length + 1);
    expect(byId['reliability-not-frozen']).toBe('Our own freeze rule');
    expect(byId['budget-above-half']).toBe('Half the budget left');
  });
});
