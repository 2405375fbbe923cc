import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { syntheticJourneySchema } from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';
import { ownersAndServices } from '../__testUtils__/permissions';
import { component } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';
import { SyntheticRunner } from './SyntheticRunner';
import { canarySignature } from './canary';

jest.setTimeout(60_000);

const KEY = 'canary-key-5be1d0c2';
const OWNER = 'user:default/mei';

/** The webhook step against the suite's own canary route, on a real test backend (no Backstage token on the call). */
describe('webhook step and the canary route', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let url: string;

  beforeAll(async () => {
    const scheduler = manualScheduler();
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({ entities: [component('checkout')] }),
        ownersAndServices(OWNER, 'reliability.synthetics.update'),
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
              synthetics: {
                allowedHosts: ['127.0.0.1'],
                secrets: { canaryKey: KEY },
              },
            },
          },
        }),
      ],
    }));
    url = `http://127.0.0.1:${server.port()}/api/reliability/synthetics/canary`;
  });
  afterAll(() => server.stop());

  const journey = () =>
    syntheticJourneySchema.parse({
      name: 'canary',
      regions: ['ap-sg'],
      frequency: '5m',
      deadlineMs: 5_000,
      steps: [{ type: 'webhook', name: 'Canary', url, secret: 'canaryKey' }],
    });

  it('a signed call comes back signed with its nonce, timed as a round trip', async () => {
    const runner = new SyntheticRunner({
      allowedHosts: ['127.0.0.1'],
      secrets: { canaryKey: KEY },
    });
    const r = await runner.run(journey());
    expect(r.error).toBeNull();
    expect(r.steps[0]).toMatchObject({
      type: 'webhook',
      ok: true,
      status: 200,
    });
    expect(r.steps[0].durationMs).toBeGreaterThan(0);
    expect(r.steps[0].excerpt).toMatch(
      /^\{"nonce":"[0-9a-f-]{36}","receivedAt":"/,
    );
  });

  it('a runner holding another value for the key is refused (401), and neither value is shown', async () => {
    const runner = new SyntheticRunner({
      allowedHosts: ['127.0.0.1'],
      secrets: { canaryKey: 'the-wrong-key-88a1' },
    });
    const r = await runner.run(journey());
    expect(r.error).toBe(
      "step 'Canary': the canary answered 401, expected 200",
    );
    expect(JSON.stringify(r)).not.toMatch(
      /the-wrong-key-88a1|canary-key-5be1d0c2/,
    );
  });

  it('the route names a missing header, refuses an old timestamp, an unknown key and a body that is not JSON', async () => {
    const post = (headers: Record<string, string>, body = '{"nonce":"n-1"}') =>
      request(server)
        .post('/api/reliability/synthetics/canary')
        .set({ 'content-type': 'application/json', ...headers })
        .send(body);
    const now = String(Math.floor(Date.now() / 1000));
    const signed = (
      ts: string,
      body: string,
      key = KEY,
      name = 'canaryKey',
    ) => ({
      'x-reliability-key': name,
      'x-reliability-timestamp': ts,
      'x-reliability-signature': canarySignature(key, ts, body),
    });

    const ok = await post(signed(now, '{"nonce":"n-1"}'));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toMatchObject({ nonce: 'n-1' });
    expect(ok.headers['x-reliability-signature']).toBe(
      canarySignature(KEY, ok.headers['x-reliability-timestamp'], ok.text),
    );

    const missing = await post({ 'x-reliability-key': 'canaryKey' });
    expect(missing.status).toBe(401);
    expect(missing.body.error.message).toBe(
      'x-reliability-timestamp: is required (the canary answers signed calls only)',
    );
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const stale = await post(signed(old, '{"nonce":"n-1"}'));
    expect(stale.status).toBe(401);
    expect(stale.body.error.message).toBe(
      "x-reliability-timestamp: must be within 5 minutes of the canary's clock",
    );
    const unknown = await post(signed(now, '{"nonce":"n-1"}', KEY, 'OTP'));
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe(
      'x-reliability-signature: does not sign the body under the named key',
    );
    const tampered = await post(
      signed(now, '{"nonce":"n-1"}'),
      '{"nonce":"n-2"}',
    );
    expect(tampered.status).toBe(401);
    const notJson = await post(signed(now, 'nope'), 'nope');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toBe('Invalid body: must be JSON');
    const noNonce = await post(signed(now, '{}'), '{}');
    expect(noNonce.body.error.message).toBe(
      'Invalid body.nonce: must be text of 1 to 100 characters',
    );
  });

  it('a journey naming a secret that is not configured is refused by field', async () => {
    const res = await request(server)
      .put('/api/reliability/synthetics/journeys')
      .set('Authorization', mockCredentials.user.header(OWNER))
      .send({
        entityRef: 'component:default/checkout',
        journey: {
          name: 'deep',
          regions: ['ap-sg'],
          frequency: '5m',
          deadlineMs: 5_000,
          steps: [
            { type: 'webhook', name: 'Canary', url, secret: 'nope' },
            {
              type: 'queue',
              name: 'Q',
              engine: 'redis',
              host: 'redis.example.com',
              passwordSecret: 'alsoNope',
            },
          ],
        },
      });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'Invalid journey: steps.0.secret: nope is not in reliability.synthetics.secrets; steps.1.host: redis.example.com is not on reliability.synthetics.allowedHosts; steps.1.passwordSecret: alsoNope is not in reliability.synthetics.secrets',
    );
  });
});
