import { readFileSync } from 'fs';
import path from 'path';
import { parse } from 'yaml';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import {
  RELIABILITY_ACTIONS,
  STANDARD_FAILURE_MODES,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { ingestSlo } from '../__testUtils__/entities';
import { startTarget } from '../__testUtils__/targets';

jest.setTimeout(120_000);

const OWNER = 'user:default/mei';
const REVIEWER = 'user:default/ana';
const STRANGER = 'user:default/stranger';
const MIN = 60_000;

const checkout: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'checkout', namespace: 'default' },
  spec: { owner: 'group:default/payments-sre', system: 'shop' },
  relations: [{ type: 'ownedBy', targetRef: 'group:default/payments-sre' }],
};
const RUNBOOK = [
  '# Checkout',
  '## Symptoms',
  'Alerts: SLOBurnRate{slo="default/checkout-success"}',
  '- the PSP browns out',
  '## Mitigations',
  'Alerts: CheckoutDown',
  '- roll back the last deploy',
  '',
].join('\n');
const experiment = () => {
  const e = parse(
    readFileSync(
      path.join(
        __dirname,
        '../../../../catalog/chaos/experiments/latency_checkout.yaml',
      ),
      'utf8',
    ),
  );
  // the budget guard only: no Prometheus here
  e.abortConditions = e.abortConditions.filter(
    (c: { type: string }) => c.type !== 'promql',
  );
  return e;
};

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('actions for AI agents on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;
  let target: Awaited<ReturnType<typeof startTarget>>;
  let chaosId: number;

  const header = (who: string) =>
    who === 'service'
      ? mockCredentials.service.header()
      : mockCredentials.user.header(who);
  const rest = (who: string) => ({
    get: (p: string) =>
      request(server)
        .get(`/api/reliability${p}`)
        .set('Authorization', header(who)),
    post: (p: string, body: object = {}) =>
      request(server)
        .post(`/api/reliability${p}`)
        .set('Authorization', header(who))
        .send(body),
    put: (p: string, body: object) =>
      request(server)
        .put(`/api/reliability${p}`)
        .set('Authorization', header(who))
        .send(body),
  });
  /** Invokes an action as Backstage's actions service does (the registry's invoke route of the plugin). */
  const invoke = (who: string, name: string, input: object) =>
    request(server)
      .post(
        `/api/reliability/.backstage/actions/v1/actions/reliability:${name}/invoke`,
      )
      .set('Authorization', header(who))
      .send(input);
  const ingest = (t: number, good: number, total: number) =>
    rest('service').post('/sli-events', {
      events: [
        {
          slo: 'default/checkout-success',
          timestamp: new Date(t).toISOString(),
          good,
          total,
        },
      ],
    });

  /** A step of the set-up that must answer `status` (it throws with the answer otherwise). */
  const setUp = async (
    what: string,
    status: number,
    call: () => Promise<request.Response>,
  ) => {
    const res = await call();
    if (res.status !== status)
      throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };

  beforeAll(async () => {
    target = await startTarget();
    scheduler = manualScheduler();
    const knex = await databases.init(databaseId);
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [checkout, ingestSlo('checkout-success', 'checkout')],
        }),
        mockServices.database.factory({ knex }),
        // resource permissions: the owner (and services); approving chaos: the reviewer; basic ones: everyone
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(r => {
              const user = (credentials.principal as { userEntityRef?: string })
                .userEntityRef;
              if (r.permission.name === 'reliability.chaos.approve')
                return {
                  result:
                    user === REVIEWER
                      ? AuthorizeResult.ALLOW
                      : AuthorizeResult.DENY,
                };
              if (r.permission.type === 'resource')
                return {
                  result:
                    !user || user === OWNER
                      ? AuthorizeResult.ALLOW
                      : AuthorizeResult.DENY,
                };
              return { result: AuthorizeResult.ALLOW };
            }) as any,
          authorizeConditional: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              alerting: { pendingFor: '0' },
              remediation: {
                fastCheck: { intervalSeconds: 0 },
                rules: [
                  {
                    id: 'checkout-restart',
                    entityRef: 'component:default/checkout',
                    description: 'Restart checkout',
                    match: ['alertname="ManualRun"'],
                    triggers: ['manual'],
                    action: 'webhook',
                    params: {
                      url: `${target.url}/restart`,
                      body: { service: 'checkout' },
                    },
                  },
                ],
              },
            },
          },
        }),
      ],
    });
    server = backend.server;
    await scheduler.evaluate(); // registers the SLO
    await scheduler.run('reliability-synthetics-presence'); // a runner watches every region

    // four days ago a million healthy checkouts (the budget is large, and outside every alert window); then a
    // chaos run starts on that budget, and the owners write the runbook
    await setUp('healthy traffic', 202, () =>
      ingest(Date.now() - 4 * 24 * 60 * MIN, 1_000_000, 1_000_000),
    );
    await scheduler.evaluate();
    chaosId = (
      await setUp('a chaos experiment', 201, () =>
        rest(OWNER).post('/chaos', {
          entityRef: 'component:default/checkout',
          experiment: experiment(),
        }),
      )
    ).body.id;
    await setUp('its approval', 200, () =>
      rest(REVIEWER).post(`/chaos/${chaosId}/approve`),
    );
    await setUp('its start', 200, () =>
      rest(OWNER).post(`/chaos/${chaosId}/started`),
    );
    await setUp('the runbook', 200, () =>
      rest(OWNER).put('/runbooks/component/default/checkout', {
        baseVersion: 0,
        markdown: RUNBOOK,
        failureModes: [...STANDARD_FAILURE_MODES],
      }),
    );
    // half of the last complete minute's checkouts fail: a 50x burn over every alert window, the four rules fire
    const lastMinute = Math.floor(Date.now() / MIN) * MIN - 30_000;
    await setUp('the burn', 202, () => ingest(lastMinute, 500, 1000));
    await scheduler.evaluate();
  });

  afterAll(async () => {
    await target?.close();
  });

  it('lists the eleven actions with their attributes and JSON schemas', async () => {
    const res = await request(server)
      .get('/api/reliability/.backstage/actions/v1/actions')
      .set('Authorization', header(STRANGER));
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(
      res.body.actions.map((a: any) => [a.name, a]),
    );
    expect(Object.keys(byName).sort()).toEqual(
      Object.values(RELIABILITY_ACTIONS).sort(),
    );
    expect(byName['get-slo-status'].attributes).toEqual({
      readOnly: true,
      destructive: false,
      idempotent: true,
    });
    expect(byName['run-remediation'].attributes).toMatchObject({
      readOnly: false,
      destructive: true,
    });
    expect(byName['abort-chaos-run'].attributes.destructive).toBe(true);
    expect(byName['record-change'].attributes.destructive).toBe(false);
    // the agent sees the schema's own fields and which are required
    expect(byName['run-remediation'].schema.input).toMatchObject({
      type: 'object',
      required: ['ruleId'],
      properties: {
        ruleId: { type: 'string' },
        dryRun: { type: 'boolean' },
        confirm: { type: 'boolean' },
      },
    });
    expect(byName['get-slo-status'].schema.input.required).toEqual(['slo']);
  });

  it('reads: status, what burns, why, the runbook section, the gate and readiness', async () => {
    const status = await invoke(STRANGER, 'get-slo-status', {
      slo: 'default/checkout-success',
    });
    expect(status.status).toBe(200);
    expect(status.body.output.slo).toMatchObject({
      ref: 'default/checkout-success',
      status: { state: expect.any(String) },
    });
    expect(status.body.output.slo.status.budgetRemaining).toBeLessThan(1);
    expect(status.body.output.link).toBe(
      '/catalog/default/component/checkout/reliability/slo/checkout-success',
    );
    expect(
      (await invoke(OWNER, 'get-slo-status', { slo: 'default/nope' })).status,
    ).toBe(404);

    // what burns: everywhere, for the entity, for its team; another team has nothing
    const everywhere = (await invoke(STRANGER, 'list-burning', {})).body.output;
    expect(everywhere.items.map((a: any) => a.slo?.ref)).toContain(
      'default/checkout-success',
    );
    const forEntity = (
      await invoke(OWNER, 'list-burning', {
        entityRef: 'component:default/checkout',
        limit: 1,
      })
    ).body.output;
    expect(forEntity.items).toHaveLength(1);
    expect(forEntity.items[0]).toMatchObject({
      entityRef: 'component:default/checkout',
      owner: 'group:default/payments-sre',
      state: 'firing',
      link: '/catalog/default/component/checkout/reliability/slo/checkout-success',
    });
    expect(forEntity.nextCursor).toEqual(expect.any(String));
    const next = (
      await invoke(OWNER, 'list-burning', {
        entityRef: 'component:default/checkout',
        limit: 1,
        cursor: forEntity.nextCursor,
      })
    ).body.output;
    expect(next.items[0].key).not.toBe(forEntity.items[0].key);
    expect(
      (
        await invoke(OWNER, 'list-burning', {
          owner: 'group:default/payments-sre',
        })
      ).body.output.items.length,
    ).toBe(everywhere.items.length);
    expect(
      (await invoke(OWNER, 'list-burning', { owner: 'group:default/search' }))
        .body.output.items,
    ).toEqual([]);

    // a change, then the explanation: windows with their alerts, the change, the chaos run, the runbook section
    const change = await invoke(OWNER, 'record-change', {
      entityRef: 'component:default/checkout',
      kind: 'deploy',
      version: 'v42',
      at: new Date(Math.floor(Date.now() / MIN) * MIN - 5 * MIN).toISOString(),
    });
    expect(change.status).toBe(200);
    expect(change.body.output.change).toMatchObject({
      version: 'v42',
      source: OWNER,
    });
    const why = (
      await invoke(STRANGER, 'explain-burn', {
        slo: 'default/checkout-success',
      })
    ).body.output;
    expect(why.slo).toMatchObject({
      ref: 'default/checkout-success',
      entityRef: 'component:default/checkout',
    });
    const fast = why.windows.find((w: any) => w.rule === 'page 14.4x 1h&5m');
    expect(fast.alert).toMatchObject({ state: 'firing' });
    expect(why.changes[0]).toMatchObject({
      version: 'v42',
      link: '/catalog/default/component/checkout/reliability/slo/checkout-success',
    });
    expect(why.changes[0].budgetSpentInHourAfter).toBeGreaterThan(0);
    expect(why.chaosRuns).toEqual([
      expect.objectContaining({
        id: chaosId,
        state: 'running',
        link: `/reliability/chaos/${chaosId}`,
      }),
    ]);
    expect(why.runbook).toMatchObject({
      entityRef: 'component:default/checkout',
      section: 'symptoms',
      body: expect.stringContaining('the PSP browns out'),
      link: '/reliability/runbooks/component/default/checkout#symptoms',
    });

    // the runbook section for another alert
    const section = (
      await invoke(STRANGER, 'get-runbook-section', {
        entityRef: 'component:default/checkout',
        alertname: 'CheckoutDown',
      })
    ).body.output;
    expect(section.section).toMatchObject({
      id: 'mitigations',
      link: '/reliability/runbooks/component/default/checkout#mitigations',
    });

    // the gate: the burn spent part of the budget, the gate still answers for it
    const gate = (
      await invoke(STRANGER, 'get-deploy-gate', {
        entityRef: 'component:default/checkout',
      })
    ).body.output;
    expect(gate).toMatchObject({
      allow: expect.any(Boolean),
      slos: [expect.objectContaining({ ref: 'default/checkout-success' })],
    });
    const rest_ = (
      await rest(STRANGER).get('/gate?entityRef=component:default/checkout')
    ).body;
    expect(gate.allow).toBe(rest_.allow);
    // the deploy gate as pipelines read it: open, and the override in force (none here)
    expect([gate.open, gate.override]).toEqual([rest_.open, null]);
    expect(typeof gate.open).toBe('boolean');

    const readiness = (
      await invoke(OWNER, 'get-readiness', {
        entityRef: 'component:default/checkout',
      })
    ).body.output;
    expect(readiness).toMatchObject({
      score: expect.any(Number),
      link: '/catalog/default/component/checkout/reliability',
    });
  });

  it('bad input is refused naming the field and the rule', async () => {
    const cases: [string, object, RegExp][] = [
      ['get-slo-status', { slo: 'checkout' }, /slo: must be an SLO ref/],
      ['get-slo-status', {}, /slo: is required/],
      [
        'list-burning',
        { entityRef: 'checkout' },
        /entityRef: must be a full entity ref/,
      ],
      ['list-burning', { limit: 0 }, /limit: must be at least 1/],
      ['get-deploy-gate', { entityRef: 1 }, /entityRef: /],
      [
        'add-incident-timeline-entry',
        { incidentId: 'one', text: 'x' },
        /incidentId: must be a number/,
      ],
      [
        'run-remediation',
        { ruleId: 'checkout-restart', confirm: 'yes' },
        /confirm: must be true or false/,
      ],
      [
        'abort-chaos-run',
        { experimentId: 1, extra: true },
        /Unrecognized key\(s\) in object: 'extra'/,
      ],
      [
        'record-change',
        { entityRef: 'component:default/checkout', kind: 'coffee' },
        /kind: must be one of/,
      ],
    ];
    for (const [name, input, message] of cases) {
      const res = await invoke(OWNER, name, input);
      expect([name, res.status]).toEqual([name, 400]);
      expect(res.body.error.message).toMatch(/^Invalid input: /);
      expect(res.body.error.message).toMatch(message);
    }
    expect(target.calls).toEqual([]);
  });

  it('run-remediation: a proposal, a dry run, then the owner runs it once; a stranger is refused, nothing run', async () => {
    const input = { ruleId: 'checkout-restart' };
    const proposal = await invoke(OWNER, 'run-remediation', input);
    expect(proposal.status).toBe(200);
    expect(proposal.body.output).toMatchObject({
      outcome: 'proposed',
      execution: null,
      description: expect.stringContaining(
        'Would run remediation rule checkout-restart on component:default/checkout now: its webhook action',
      ),
    });
    expect(proposal.body.output.description).toMatch(/confirm: true/);

    const dry = await invoke(OWNER, 'run-remediation', {
      ...input,
      dryRun: true,
      confirm: true,
    });
    expect(dry.body.output.outcome).toBe('dry-run');
    expect(dry.body.output.description).toMatch(/^Dry run, nothing called\./);
    expect(dry.body.output.description).toContain(`${target.url}/restart`);
    expect(target.calls).toEqual([]);

    for (const body of [
      input,
      { ...input, dryRun: true },
      { ...input, confirm: true },
    ]) {
      const refused = await invoke(STRANGER, 'run-remediation', body);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(
        /Missing permission reliability\.remediation\.execute on component:default\/checkout/,
      );
    }
    // services may not run it (the route takes users only)
    expect(
      (await invoke('service', 'run-remediation', { ...input, confirm: true }))
        .status,
    ).toBe(401);
    expect(
      (
        await invoke(OWNER, 'run-remediation', {
          ruleId: 'nope',
          confirm: true,
        })
      ).body.error.message,
    ).toMatch(/ruleId: no remediation rule 'nope'/);
    expect(target.calls).toEqual([]);

    const done = await invoke(OWNER, 'run-remediation', {
      ...input,
      confirm: true,
    });
    expect(done.status).toBe(200);
    expect(done.body.output).toMatchObject({
      outcome: 'done',
      execution: { ruleId: 'checkout-restart', state: 'succeeded' },
    });
    expect(target.calls.map(c => [c.method, c.url])).toEqual([
      ['POST', '/restart'],
    ]);
    expect(JSON.parse(target.calls[0].body)).toEqual({ service: 'checkout' });
  });

  it('abort-chaos-run: proposal and dry run change nothing; a stranger is refused; the owner aborts', async () => {
    const proposal = (
      await invoke(OWNER, 'abort-chaos-run', { experimentId: chaosId })
    ).body.output;
    expect(proposal).toMatchObject({
      outcome: 'proposed',
      description: expect.stringContaining(
        `Would abort chaos experiment ${chaosId} (latency-checkout) on component:default/checkout`,
      ),
    });
    const dry = (
      await invoke(OWNER, 'abort-chaos-run', {
        experimentId: chaosId,
        reason: 'checkout burns',
        dryRun: true,
        confirm: true,
      })
    ).body.output;
    expect(dry.outcome).toBe('dry-run');
    expect(dry.description).toMatch(
      /^Dry run, nothing done\. .*reason "checkout burns"/,
    );
    expect((await rest(OWNER).get(`/chaos/${chaosId}`)).body.state).toBe(
      'running',
    );

    const refused = await invoke(STRANGER, 'abort-chaos-run', {
      experimentId: chaosId,
      confirm: true,
    });
    expect(refused.status).toBe(403);
    expect(
      (await invoke(STRANGER, 'abort-chaos-run', { experimentId: chaosId }))
        .status,
    ).toBe(403);
    expect((await rest(OWNER).get(`/chaos/${chaosId}`)).body.state).toBe(
      'running',
    );
    expect(
      (await invoke(OWNER, 'abort-chaos-run', { experimentId: 999_999 }))
        .status,
    ).toBe(404);

    const done = (
      await invoke(OWNER, 'abort-chaos-run', {
        experimentId: chaosId,
        reason: 'checkout burns',
        confirm: true,
      })
    ).body.output;
    expect(done).toMatchObject({
      outcome: 'done',
      experiment: { state: 'aborted', abortReason: 'checkout burns' },
    });
    // aborted once: a second confirmed abort is refused, and a proposal says it would be
    expect(
      (
        await invoke(OWNER, 'abort-chaos-run', {
          experimentId: chaosId,
          confirm: true,
        })
      ).status,
    ).toBe(409);
    expect(
      (await invoke(OWNER, 'abort-chaos-run', { experimentId: chaosId })).body
        .output.description,
    ).toMatch(/Would refuse: .* is aborted/);
  });

  it('incidents and changes: users declare and write the timeline; the change needs its permission', async () => {
    const declared = await invoke(OWNER, 'declare-incident', {
      entityRef: 'component:default/checkout',
      title: 'Checkout burns its budget',
      severity: 'SEV2',
    });
    expect(declared.status).toBe(200);
    const id = declared.body.output.incident.id;
    expect(declared.body.output).toMatchObject({
      incident: { title: 'Checkout burns its budget', severity: 'SEV2' },
      link: `/reliability/incidents/${id}`,
    });
    expect(
      (
        await invoke('service', 'declare-incident', {
          entityRef: 'component:default/checkout',
          title: 'x',
          severity: 'SEV3',
        })
      ).status,
    ).toBe(401);
    const entry = await invoke(OWNER, 'add-incident-timeline-entry', {
      incidentId: id,
      text: 'Rolled back v42',
    });
    expect(entry.status).toBe(200);
    expect(entry.body.output.incident.events.at(-1)).toMatchObject({
      kind: 'timeline',
      author: OWNER,
      text: 'Rolled back v42',
    });
    const incident = (await rest(OWNER).get(`/incidents/${id}`)).body;
    expect(incident.events.map((e: any) => e.text)).toContain(
      'Rolled back v42',
    );
    expect(
      (
        await invoke(OWNER, 'add-incident-timeline-entry', {
          incidentId: 999_999,
          text: 'x',
        })
      ).status,
    ).toBe(404);

    const strangerChange = await invoke(STRANGER, 'record-change', {
      entityRef: 'component:default/checkout',
      kind: 'deploy',
    });
    expect(strangerChange.status).toBe(403);
    expect(strangerChange.body.error.message).toMatch(
      /reliability\.changes\.record/,
    );
  });
});
