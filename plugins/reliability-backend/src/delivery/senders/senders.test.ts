import { createHmac } from 'crypto';
import http from 'http';
import { AddressInfo } from 'net';
import { FAKE_KEYS, startFakeVendors } from '../testing/fakeVendors';
import type { DeliveryMessage } from './types';
import { send } from '.';
import { webhookSignature } from './webhook';

type Fakes = Awaited<ReturnType<typeof startFakeVendors>>;

const message = (over: Partial<DeliveryMessage> = {}): DeliveryMessage => ({
  deliveryId: 42,
  alertKey: 'reliability-7-2d958596',
  alertId: 7,
  sloRef: 'default/checkout-availability',
  entityRef: 'component:default/checkout',
  transition: 'fired',
  payload: {
    summary: 'checkout-availability page 14.4x 1h&5m',
    severity: 'ticket',
    rule: 'ticket 3x 1d&2h',
    sloName: 'checkout-availability',
    details: { burnRate: 3.2 },
    firedAt: Date.parse('2026-12-05T10:00:00Z'),
    resolvedAt: null,
  },
  ...over,
});
const options = { timeoutMs: 2000, now: Date.now };

describe('the senders against the vendors’ documented answers', () => {
  let fakes: Fakes;
  beforeEach(async () => {
    fakes = await startFakeVendors();
  });
  afterEach(() => fakes.close());

  it('Opsgenie: a wrong key is 401 for good, 429 is retried, acknowledge goes by alias', async () => {
    const target = {
      name: 'ops',
      kind: 'opsgenie' as const,
      apiKey: 'wrong-key-0000',
      baseUrl: fakes.urls.opsgenie,
    };
    expect(await send(target, message(), options)).toEqual({
      ok: false,
      retry: false,
      status: 401,
      error: expect.stringContaining(
        'Opsgenie answered HTTP 401: {"message":"Could not authenticate"',
      ),
      retryAfterMs: undefined,
    });
    const good = { ...target, apiKey: FAKE_KEYS.opsgenieApiKey };
    fakes.force('opsgenie', {
      status: 429,
      body: '{"message":"Rate limit exceeded","took":0.0,"requestId":"r"}',
      headers: { 'retry-after': '3' },
    });
    expect(await send(good, message(), options)).toMatchObject({
      ok: false,
      retry: true,
      status: 429,
      retryAfterMs: 3000,
    });
    expect(await send(good, message(), options)).toEqual({
      ok: true,
      status: 202,
    });
    expect(fakes.of('opsgenie').at(-1)!.json).toMatchObject({
      priority: 'P3',
      alias: 'reliability-7-2d958596',
      message: '[ticket] checkout-availability fired: ticket 3x 1d&2h',
    });
    expect(
      await send(good, message({ transition: 'acknowledged' }), options),
    ).toEqual({ ok: true, status: 202 });
    expect(fakes.of('opsgenie').at(-1)!).toMatchObject({
      path: '/v2/alerts/reliability-7-2d958596/acknowledge',
      query: 'identifierType=alias',
    });
  });

  it('Slack: an unknown hook is 404 no_service, a 200 that is not ok is refused', async () => {
    const target = {
      name: 'chat',
      kind: 'slack' as const,
      url: `${fakes.base}/services/T0/B0/revoked`,
    };
    expect(await send(target, message(), options)).toMatchObject({
      ok: false,
      retry: false,
      status: 404,
      error: 'Slack answered HTTP 404: no_service',
    });
    fakes.force('slack', { status: 200, body: 'invalid_token' });
    expect(
      await send({ ...target, url: fakes.urls.slack }, message(), options),
    ).toMatchObject({ ok: false, retry: false, status: 200 });
    fakes.force('slack', { status: 500, body: 'rollup_error' });
    expect(
      await send({ ...target, url: fakes.urls.slack }, message(), options),
    ).toMatchObject({ ok: false, retry: true, status: 500 });
  });

  it('Teams: an Office 365 connector gets a MessageCard; a refused payload is 400 for good', async () => {
    const target = {
      name: 'sre',
      kind: 'teams' as const,
      url: fakes.urls.teams,
      format: 'messageCard' as const,
    };
    expect(
      await send(target, message({ transition: 'resolved' }), options),
    ).toEqual({ ok: true, status: 202 });
    expect(fakes.of('teams')[0].json).toMatchObject({
      '@type': 'MessageCard',
      themeColor: '107C10',
      title: '[ticket] checkout-availability resolved: ticket 3x 1d&2h',
    });
    fakes.force('teams', {
      status: 400,
      body: 'Bad payload received by generic incoming webhook.',
      contentType: 'text/plain',
    });
    expect(await send(target, message(), options)).toMatchObject({
      ok: false,
      retry: false,
      status: 400,
    });
  });

  it('webhook: the signature is the HMAC of "<timestamp>.<body>"; a receiver with another secret refuses it', async () => {
    const target = {
      name: 'hooks',
      kind: 'webhook' as const,
      url: fakes.urls.webhook,
      secret: FAKE_KEYS.webhookSecret,
    };
    expect(await send(target, message(), options)).toEqual({
      ok: true,
      status: 200,
    });
    const [call] = fakes.of('webhook');
    const ts = String(call.headers['x-reliability-timestamp']);
    expect(call.headers['x-reliability-signature']).toBe(
      `sha256=${createHmac('sha256', FAKE_KEYS.webhookSecret)
        .update(`${ts}.${call.body}`)
        .digest('hex')}`,
    );
    expect(webhookSignature('k', '1', 'b')).toBe(
      `sha256=${createHmac('sha256', 'k').update('1.b').digest('hex')}`,
    );
    expect(call.headers['x-reliability-delivery']).toBe('42');
    expect(
      await send(
        { ...target, secret: 'another-secret-0123456789' },
        message(),
        options,
      ),
    ).toMatchObject({ ok: false, retry: false, status: 401 });
  });

  it('no answer: a refused connection and a timeout are retried', async () => {
    const url = fakes.urls.webhook;
    await fakes.close();
    const target = {
      name: 'hooks',
      kind: 'webhook' as const,
      url,
      secret: FAKE_KEYS.webhookSecret,
    };
    expect(await send(target, message(), options)).toMatchObject({
      ok: false,
      retry: true,
      status: null,
      error: 'Webhook: ECONNREFUSED',
    });
    fakes = await startFakeVendors();
    // a receiver that never answers
    const silent = http.createServer(() => undefined);
    await new Promise<void>(r => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      expect(
        await send(
          { ...target, url: `http://127.0.0.1:${port}/hooks/x` },
          message(),
          { ...options, timeoutMs: 200 },
        ),
      ).toMatchObject({
        ok: false,
        retry: true,
        status: null,
        error: 'Webhook: no answer within 200 ms',
      });
    } finally {
      silent.closeAllConnections();
      await new Promise(r => silent.close(r));
    }
  });
});
