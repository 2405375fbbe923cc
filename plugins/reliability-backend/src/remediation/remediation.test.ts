import { createHmac } from 'crypto';
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
import { closedPort, eventually, startTarget } from '../__testUtils__/targets';

jest.setTimeout(120_000);

const SECRET = 'am-shared-secret-for-tests';
const HMAC = 'hmac-secret-0123456789abcdef';
const OWNER = 'user:default/owner';
const STRANGER = 'user:default/stranger';

const amAlert = (
  fingerprint: string,
  labels: Record<string, string>,
  startsAt = '2026-11-22T10:00:00.000Z',
) => ({
  status: 'firing',
  labels,
  annotations: { summary: 'burning' },
  startsAt,
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://127.0.0.1:9090/graph',
  fingerprint,
});
const notification = (alerts: ReturnType<typeof amAlert>[]) => ({
  version: '4',
  groupKey: '{}:{alertname="CheckoutHighErrorRate"}',
  status: 'firing',
  receiver: 'backstage',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://127.0.0.1:9093',
  alerts,
});
const checkoutLabels = {
  alertname: 'CheckoutHighErrorRate',
  severity: 'error',
  impact: 'slo_breach',
  env: 'prod',
  service: 'checkout',
};

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())('remediation on %p', databaseId => {
  let target: Awaited<ReturnType<typeof startTarget>>;
  let flaky: Awaited<ReturnType<typeof startTarget>>;
  let refusing: Awaited<ReturnType<typeof startTarget>>;
  let downPort: number;

  beforeAll(async () => {
    target = await startTarget();
    flaky = await startTarget((_c, res) => {
      res.writeHead(503).end('busy');
    });
    refusing = await startTarget((_c, res) => {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"error":"invalid signature"}');
    });
    downPort = await closedPort();
  });
  afterAll(async () => {
    await target.close();
    await flaky.close();
    await refusing.close();
  });
  beforeEach(() => {
    target.calls.length = 0;
    flaky.calls.length = 0;
  });

  async function backend(knex?: any) {
    const db = knex ?? (await databases.init(databaseId));
    const b = await startTestBackend({
      features: [
        reliabilityPlugin,
        catalogServiceMock.factory({
          entities: ['checkout', 'search', 'inventory'].map(name => ({
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: { name, namespace: 'default' },
            spec: { owner: 'sre' },
          })),
        }),
        mockServices.database.factory({ knex: db }),
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(r => ({
              result:
                !('resourceRef' in r) ||
                !r.resourceRef ||
                (credentials.principal as { userEntityRef?: string })
                  .userEntityRef === OWNER
                  ? AuthorizeResult.ALLOW
                  : AuthorizeResult.DENY,
            })) as any,
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              alertmanager: { sharedSecret: SECRET },
              evaluation: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 24 },
                },
              },
              remediation: {
                backoff: { base: '10ms', cap: '40ms' },
                breaker: { failureThreshold: 3, openFor: '1m' },
                rules: [
                  {
                    id: 'checkout-multibuy-rollback',
                    entityRef: 'component:default/checkout',
                    match: ['severity="error"', 'impact="slo_breach"'],
                    action: 'webhook',
                    params: {
                      url: `${target.url}/api/v1/flags/checkout-multibuy/off?token=not-stored`,
                      hmacSecret: HMAC,
                      body: {
                        flag: 'checkout-multibuy',
                        env: '{{env}}',
                        summary: '{{annotations.summary}}',
                        labels: '{{labels}}',
                      },
                    },
                    lockKey: 'rollback:{{env}}',
                    cooldown: '10m',
                    maxAttempts: 3,
                    retries: 2,
                    timeout: '2s',
                  },
                  {
                    id: 'search-restart',
                    entityRef: 'component:default/search',
                    match: ['alertname="SearchDown"'],
                    action: 'webhook',
                    params: { url: `http://127.0.0.1:${downPort}/restart` },
                    maxAttempts: 10,
                    retries: 2,
                    timeout: '1s',
                  },
                  {
                    id: 'inventory-flush',
                    entityRef: 'component:default/inventory',
                    match: ['alertname="InventoryCacheThrash"'],
                    action: 'webhook',
                    params: { url: `${flaky.url}/flush` },
                    maxAttempts: 2,
                    retries: 5,
                    cooldown: '0s',
                  },
                  {
                    id: 'inventory-reindex',
                    entityRef: 'component:default/inventory',
                    match: ['alertname="InventoryStale"'],
                    action: 'webhook',
                    params: {
                      url: `${refusing.url}/reindex`,
                      hmacSecret: 'rotated-away-PLANTED-0123456789',
                    },
                    maxAttempts: 1,
                    cooldown: '0s',
                  },
                ],
              },
            },
          },
        }),
      ],
    });
    return { server: b.server, backend: b, knex: db };
  }

  const deliver = (server: any, body: object) =>
    request(server)
      .post('/api/reliability/alertmanager/webhook')
      .set('Authorization', `Bearer ${SECRET}`)
      .send(body);
  const history = async (server: any, entityRef: string) =>
    (
      await request(server)
        .get('/api/reliability/remediations')
        .query({ entityRef })
    ).body;
  const settled = (server: any, entityRef: string, n = 1) =>
    eventually(async () => {
      const h = await history(server, entityRef);
      return h.items.length >= n &&
        h.items.every((i: any) => !['queued', 'running'].includes(i.state))
        ? h
        : undefined;
    });

  it('runs the fix once for 100 concurrent deliveries, signed, and records 99 duplicates', async () => {
    const { server } = await backend();
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        deliver(
          server,
          notification([amAlert('00000000000000a1', checkoutLabels)]),
        ),
      ),
    );
    expect(results.map(r => r.status)).toEqual(Array(100).fill(200));
    const h = await settled(server, 'component:default/checkout');
    expect(target.calls).toHaveLength(1);
    expect(h.items).toHaveLength(1);
    const [exec] = h.items;
    expect(exec).toMatchObject({
      ruleId: 'checkout-multibuy-rollback',
      state: 'succeeded',
      trigger: 'alertmanager',
      duplicates: 99,
      lockKey: 'rollback:prod',
    });
    expect(exec.attempts).toEqual([
      expect.objectContaining({ n: 1, outcome: 'succeeded' }),
    ]);
    expect(exec.target).toBe(
      `POST ${target.url}/api/v1/flags/checkout-multibuy/off`,
    );
    expect(h.summary).toMatchObject({
      executions: 1,
      succeeded: 1,
      failed: 0,
      deduplicated: 99,
      successRate: 1,
    });

    // the target can verify the signature and deduplicate on the idempotency key
    const call = target.calls[0];
    const expected = `sha256=${createHmac('sha256', HMAC)
      .update(`${call.headers['x-reliability-timestamp']}.${call.body}`)
      .digest('hex')}`;
    expect(call.headers['x-reliability-signature']).toBe(expected);
    expect(call.headers['idempotency-key']).toBe(String(exec.id));
    expect(JSON.parse(call.body)).toEqual({
      flag: 'checkout-multibuy',
      env: 'prod',
      summary: 'burning',
      labels: checkoutLabels,
    });
    expect(JSON.stringify(h)).not.toContain(HMAC);
    expect(JSON.stringify(h)).not.toContain('not-stored');

    // a different alert for the same env within the cooldown does not run the fix again
    await deliver(
      server,
      notification([
        amAlert('00000000000000a2', checkoutLabels, '2026-11-22T10:05:00.000Z'),
      ]),
    );
    const h2 = await settled(server, 'component:default/checkout', 2);
    expect(h2.items[0]).toMatchObject({
      state: 'skipped',
      detail: expect.stringContaining('cooldown'),
    });
    expect(target.calls).toHaveLength(1);

    const metrics = await request(server).get('/api/reliability/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain(
      'selfheal_attempt_total{action="webhook",entity="component:default/checkout",rule="checkout-multibuy-rollback"} 1',
    );
    expect(metrics.text).toContain(
      'selfheal_success_total{action="webhook",entity="component:default/checkout",rule="checkout-multibuy-rollback"} 1',
    );
    expect(metrics.text).toMatch(
      /selfheal_latency_seconds_count\{action="webhook",entity="component:default\/checkout",rule="checkout-multibuy-rollback"\} 1/,
    );
    expect(metrics.text).toContain(
      'selfheal_deduplicated_total{rule="checkout-multibuy-rollback"} 99',
    );
  });

  it('two backends on one database run a fix once between them', async () => {
    const a = await backend();
    const b = await backend(a.knex);
    const body = notification([
      amAlert('00000000000000b1', { ...checkoutLabels, env: 'eu' }),
    ]);
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        deliver(i % 2 ? a.server : b.server, body),
      ),
    );
    const h = await settled(a.server, 'component:default/checkout');
    expect(target.calls).toHaveLength(1);
    expect(h.items).toHaveLength(1);
    expect(h.items[0]).toMatchObject({ state: 'succeeded', duplicates: 99 });
    await b.backend.stop();
  });

  it('retries a dead target a bounded number of times, then opens the breaker', async () => {
    const { server } = await backend();
    await deliver(
      server,
      notification([amAlert('00000000000000c1', { alertname: 'SearchDown' })]),
    );
    const h = await settled(server, 'component:default/search');
    expect(h.items[0].state).toBe('failed');
    expect(h.items[0].attempts.map((a: any) => a.outcome)).toEqual([
      'failed',
      'failed',
      'failed',
    ]);
    expect(h.items[0].detail).toMatch(
      /Failed after 3 attempt\(s\).*ECONNREFUSED/,
    );
    // the next alert finds the circuit open: nothing is called, and history says why
    await deliver(
      server,
      notification([
        amAlert(
          '00000000000000c2',
          { alertname: 'SearchDown' },
          '2026-11-22T11:00:00.000Z',
        ),
      ]),
    );
    const h2 = await settled(server, 'component:default/search', 2);
    expect(h2.items[0]).toMatchObject({
      state: 'failed',
      attempts: [],
      detail: expect.stringContaining('circuit breaker'),
    });
    const metrics = (await request(server).get('/api/reliability/metrics'))
      .text;
    expect(metrics).toContain(
      'selfheal_attempt_total{action="webhook",entity="component:default/search",rule="search-restart"} 3',
    );
    expect(metrics).not.toContain(
      'selfheal_success_total{action="webhook",entity="component:default/search"',
    );
    expect(metrics).toContain(
      'selfheal_circuit_open{rule="search-restart",action="webhook"} 1',
    );
    expect(metrics).not.toContain('127.0.0.1');
  });

  it('escalates when the attempt budget is spent instead of looping', async () => {
    const { server } = await backend();
    await deliver(
      server,
      notification([
        amAlert('00000000000000d1', { alertname: 'InventoryCacheThrash' }),
      ]),
    );
    const h = await settled(server, 'component:default/inventory');
    expect(flaky.calls).toHaveLength(2);
    expect(h.items[0]).toMatchObject({
      state: 'escalated',
      detail: expect.stringContaining(
        "2 attempts in 10m reached the rule's limit of 2",
      ),
    });
    // the escalation is the rule's own record, listed with its history; the SLO alerts stay SLO alerts
    expect(h.escalations).toEqual([
      expect.objectContaining({
        ruleId: 'inventory-flush',
        entityRef: 'component:default/inventory',
        state: 'open',
        attempts: 2,
        attemptWindow: '10m',
      }),
    ]);
    expect(
      (
        await request(server)
          .get('/api/reliability/alerts')
          .query({ state: 'firing' })
      ).body.items,
    ).toEqual([]);
    await deliver(
      server,
      notification([
        amAlert(
          '00000000000000d2',
          { alertname: 'InventoryCacheThrash' },
          '2026-11-22T12:00:00.000Z',
        ),
      ]),
    );
    const h2 = await settled(server, 'component:default/inventory', 2);
    expect(h2.items[0].state).toBe('escalated');
    expect(flaky.calls).toHaveLength(2);
  });

  it('Run now: owners only, dry run calls nothing, unknown rules and bad bodies are 4xx', async () => {
    const { server } = await backend();
    const run = (user: string, body: object) =>
      request(server)
        .post('/api/reliability/remediations/run')
        .set('Authorization', mockCredentials.user.header(user))
        .send(body);

    const denied = await run(STRANGER, {
      ruleId: 'checkout-multibuy-rollback',
      labels: { env: 'staging' },
    });
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(
      /reliability.remediation.execute on component:default\/checkout/,
    );
    expect((await run(OWNER, { ruleId: 'nope' })).status).toBe(404);
    const bad = await run(OWNER, {
      ruleId: 'checkout-multibuy-rollback',
      dryRun: 'yes',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/dryRun: must be true or false/);
    expect(
      (await run(OWNER, { ruleId: 'checkout-multibuy-rollback', extra: 1 }))
        .status,
    ).toBe(400);
    // reserved labels cannot move a run to another entity or lock key
    for (const key of ['entity', 'slo', 'rule', 'alertname']) {
      const reserved = await run(OWNER, {
        ruleId: 'checkout-multibuy-rollback',
        labels: { env: 'staging', [key]: 'component:default/other' },
      });
      expect(reserved.status).toBe(400);
      expect(reserved.body.error.message).toContain(
        `labels.${key}: is reserved`,
      );
    }
    expect(target.calls).toHaveLength(0);

    const dry = await run(OWNER, {
      ruleId: 'checkout-multibuy-rollback',
      dryRun: true,
      labels: { env: 'staging' },
    });
    expect(dry.status).toBe(202);
    expect(dry.body).toMatchObject({
      state: 'dry_run',
      dryRun: true,
      actor: OWNER,
      detail: expect.stringContaining('under lock rollback:staging'),
    });
    expect(target.calls).toHaveLength(0);

    // a label of any length makes a lock key of any length: stored as its digest, never a 500
    const longLock = await run(OWNER, {
      ruleId: 'checkout-multibuy-rollback',
      dryRun: true,
      labels: { env: 'e'.repeat(1024) },
    });
    expect(longLock.status).toBe(202);
    expect(longLock.body.detail).toMatch(/under lock sha256:[0-9a-f]{64}/);

    const missingLabel = await run(OWNER, {
      ruleId: 'checkout-multibuy-rollback',
    });
    expect(missingLabel.body).toMatchObject({
      state: 'skipped',
      detail: expect.stringContaining('needs label(s) env'),
    });
    expect(target.calls).toHaveLength(0);

    const real = await run(OWNER, {
      ruleId: 'checkout-multibuy-rollback',
      labels: { env: 'staging' },
    });
    expect(real.status).toBe(202);
    expect(real.body).toMatchObject({
      state: 'succeeded',
      trigger: 'manual',
      actor: OWNER,
    });
    expect(target.calls).toHaveLength(1);
  });

  it("a target refusing the rule's credentials (401) names its secret in secret hygiene, never the value", async () => {
    const { server } = await backend();
    const run = await request(server)
      .post('/api/reliability/remediations/run')
      .set('Authorization', mockCredentials.user.header(OWNER))
      .send({ ruleId: 'inventory-reindex' });
    expect(run.status).toBe(202);
    expect(run.body.state).toBe('failed');
    expect(refusing.calls).toHaveLength(1);
    const secrets = await request(server)
      .get('/api/reliability/secrets')
      .set('Authorization', mockCredentials.user.header(OWNER));
    expect(secrets.status).toBe(200);
    const path = 'reliability.remediation.rules[3].params.hmacSecret';
    expect(
      secrets.body.items.find((s: { secret: string }) => s.secret === path),
    ).toMatchObject({
      lastAuthFailure: {
        status: 401,
        where: 'remediation rule inventory-reindex (webhook)',
      },
    });
    expect(JSON.stringify(secrets.body)).not.toContain('PLANTED');
    expect(JSON.stringify(run.body)).not.toContain('PLANTED');
  });

  it('serves the self-healing alert rules', async () => {
    const { server } = await backend();
    const res = await request(server).get(
      '/api/reliability/remediations/prometheus-rules',
    );
    expect(res.status).toBe(200);
    expect(res.text).toContain('increase(selfheal_attempt_total[10m])) >= 3');
    expect(res.text).toContain('< 0.8');
    expect(res.text).toContain('histogram_quantile(0.95');
  });
});
