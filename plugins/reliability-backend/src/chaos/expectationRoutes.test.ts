// Chaos expectations through the plugin, on SQLite and PostgreSQL: a portal start ended by the
// reliability-chaos-schedule task at its duration has its expectations in GET /chaos/:id/runs (a rule that never
// fired: not met, one follow-up action item; the burn: met), and POST /chaos/:id/runs/:runId/incident links the run
// to a closed incident's review (its action items get the follow-up once), refusing a caller without
// reliability.chaos.update, an open incident, a run of another experiment and bad input naming the field.
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { component, ingestSlo } from '../__testUtils__/entities';

jest.setTimeout(90_000);

const OWNER = 'user:default/mei';
const REVIEWER = 'user:default/ana';
const STRANGER = 'user:default/stranger';
const MIN = 60_000;

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('chaos expectations through the plugin on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('shows the checked expectations on the run and links the run to an incident review', async () => {
    const scheduler = manualScheduler();
    // the stranger may read but not change chaos experiments
    const decide = (name: string, options: any) =>
      name === 'reliability.chaos.update' &&
      options?.credentials?.principal?.userEntityRef === STRANGER
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW;
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            component('checkout'),
            ingestSlo('checkout-success', 'checkout'),
          ],
        }),
        mockServices.database.factory({
          knex: await databases.init(databaseId),
        }),
        mockServices.permissions.mock({
          authorize: async (requests, options) =>
            requests.map(r => ({
              result: decide(r.permission.name, options),
            })) as any,
          authorizeConditional: async (requests, options) =>
            requests.map(r => ({
              result: decide(r.permission.name, options),
            })) as any,
        }).factory,
      ],
    });
    await scheduler.evaluate();
    const as = (user: string) => ({
      get: (p: string) =>
        request(server)
          .get(`/api/reliability${p}`)
          .set('Authorization', mockCredentials.user.header(user)),
      post: (p: string, body: unknown = {}) =>
        request(server)
          .post(`/api/reliability${p}`)
          .set('Authorization', mockCredentials.user.header(user))
          .send(body as object),
    });
    const events = (at: number) =>
      request(server)
        .post('/api/reliability/sli-events')
        .set('Authorization', mockCredentials.service.header())
        .send({
          events: [
            {
              slo: 'default/checkout-success',
              timestamp: new Date(at).toISOString(),
              good: 10_000,
              total: 10_000,
            },
          ],
        });

    // the linter names a broken expectation's path
    const bad = await as(OWNER).post('/chaos/lint', {
      entityRef: 'component:default/checkout',
      experiment: {
        expectations: [{ type: 'slo-burn-below', threshold: 0 }],
      },
    });
    expect(bad.body.violations).toContainEqual({
      field: 'expectations.0.threshold',
      rule: 'schema',
      message: 'must be above 0',
    });

    const created = await as(OWNER).post('/chaos', {
      entityRef: 'component:default/checkout',
      experiment: {
        name: 'psp-brownout',
        hypothesis: 'the fix fires and checkout keeps its SLO',
        target: { namespace: 'payments', deployment: 'payment-svc' },
        blastRadius: { trafficPercent: 5 },
        steadyState: { slo: 'default/checkout-success' },
        injection: { type: 'latency', ms: 300 },
        duration: '10m',
        environment: 'staging',
        owner: 'group:default/payments-sre',
        abortConditions: [{ type: 'budget-spent', percent: 50, within: '90s' }],
        expectations: [
          { type: 'remediation-fires', rule: 'checkout-fix', within: '2m' },
          { type: 'slo-burn-below', threshold: 1 },
        ],
      },
    });
    expect([created.status, created.body.error?.message]).toEqual([
      201,
      undefined,
    ]);
    const id = created.body.id as number;
    expect(
      (await as(REVIEWER).post(`/chaos/${id}/approve`)).body.error,
    ).toBeUndefined();
    expect(
      (await events(Math.floor(Date.now() / MIN) * MIN - 30_000)).status,
    ).toBe(202);
    await scheduler.evaluate();
    const started = await as(OWNER).post(`/chaos/${id}/start`);
    expect([started.status, started.body.error?.message]).toEqual([
      200,
      undefined,
    ]);
    // traffic during the run, all good
    expect((await events(Date.now())).status).toBe(202);
    const endsAt = Date.parse(started.body.startedAt) + 10 * MIN;
    const running = await as(OWNER).get(`/chaos/${id}/runs`);
    expect(running.body.items[0]).toMatchObject({
      state: 'running',
      expectations: null,
      evaluatedAt: null,
      followUp: [],
      incidentId: null,
    });

    const clock = jest.spyOn(Date, 'now');
    try {
      clock.mockReturnValue(endsAt);
      await scheduler.run('reliability-chaos-schedule');
    } finally {
      clock.mockRestore();
    }
    const [run] = (await as(OWNER).get(`/chaos/${id}/runs`)).body.items;
    expect(run).toMatchObject({
      state: 'completed',
      evaluatedAt: new Date(endsAt).toISOString(),
    });
    expect(
      run.expectations.map((r: any) => [r.index, r.type, r.outcome]),
    ).toEqual([
      [0, 'remediation-fires', 'not-met'],
      [1, 'slo-burn-below', 'met'],
    ]);
    expect(run.expectations[1].evidence).toMatchObject({
      source: 'slo-counts',
      summary: expect.stringContaining('0 bad of 10000 events, burn 0x'),
    });
    expect(run.followUp).toEqual([
      {
        expectation: 0,
        title: `Chaos run #${run.id} of psp-brownout: expected remediation rule checkout-fix fires within 2m, not met`,
        owner: 'group:default/payments-sre',
        due: new Date(endsAt + 14 * 24 * 60 * MIN).toISOString().slice(0, 10),
      },
    ]);

    // an incident: open, its review does not exist yet
    const incident = await as(OWNER).post('/incidents', {
      entityRef: 'component:default/checkout',
      title: 'PSP brownout',
      severity: 'SEV2',
    });
    expect(incident.status).toBe(201);
    const link = (user: string, body: unknown, runId = run.id, exp = id) =>
      as(user).post(`/chaos/${exp}/runs/${runId}/incident`, body);
    const open = await link(OWNER, { incidentId: incident.body.id });
    expect([open.status, open.body.error.message]).toEqual([
      409,
      `Incident ${incident.body.id} is active: its review (action items) is written at close; link the run once it is closed`,
    ]);
    const closed = await as(OWNER).post(
      `/incidents/${incident.body.id}/close`,
      {
        impact: 'checkout slow for 20 minutes',
        rootCauses: ['the PSP browned out'],
        actionItems: [
          { title: 'Add a PSP timeout', owner: 'mei', due: '2026-12-20' },
        ],
      },
    );
    expect([closed.status, closed.body.error?.message]).toEqual([
      200,
      undefined,
    ]);

    // bad input names the field; a stranger may not; another experiment's run and an unknown incident are 404
    const badBody = await link(OWNER, { incidentId: 'seven' });
    expect([badBody.status, badBody.body.error.message]).toEqual([
      400,
      expect.stringContaining('incidentId'),
    ]);
    expect((await link(OWNER, { incidentId: 1, extra: 1 })).status).toBe(400);
    expect(
      (await link(STRANGER, { incidentId: incident.body.id })).status,
    ).toBe(403);
    expect((await link(OWNER, { incidentId: 999_999 })).status).toBe(404);
    expect(
      (await link(OWNER, { incidentId: incident.body.id }, run.id + 1000))
        .status,
    ).toBe(404);

    // linked: the review gets the follow-up's item, once however often it is linked
    for (let i = 0; i < 2; i++) {
      const ok = await link(OWNER, { incidentId: incident.body.id });
      expect([ok.status, ok.body.error?.message]).toEqual([200, undefined]);
      expect(ok.body).toMatchObject({
        id: run.id,
        incidentId: incident.body.id,
      });
    }
    const review = await as(OWNER).get(`/incidents/${incident.body.id}`);
    expect(review.body.actionItems.map((a: any) => a.title)).toEqual([
      'Add a PSP timeout',
      run.followUp[0].title,
    ]);
    expect(
      (await as(OWNER).get(`/chaos/${id}/runs`)).body.items[0].incidentId,
    ).toBe(incident.body.id);
  });
});
