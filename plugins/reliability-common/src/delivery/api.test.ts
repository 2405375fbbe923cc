import {
  deliveryAlertKeySchema,
  deliveryQuerySchema,
  deliveryTargetRef,
  incidentDedupKey,
  sloAlertDedupKey,
} from './api';

describe('deliveryTargetRef', () => {
  it('reads kind:name, a bare kind, and leaves backstage-owners to the notifications', () => {
    expect(
      deliveryTargetRef({
        name: 'payments-pager',
        target: 'pagerduty:payments',
      }),
    ).toEqual({ kind: 'pagerduty', name: 'payments' });
    expect(
      deliveryTargetRef({ name: 'chat', target: 'slack:#payments-oncall' }),
    ).toEqual({ kind: 'slack', name: 'payments-oncall' });
    expect(
      deliveryTargetRef({
        name: 'pd-on-call-notification',
        target: 'pagerduty',
      }),
    ).toEqual({ kind: 'pagerduty', name: 'pd-on-call-notification' });
    expect(deliveryTargetRef({ name: 'devs-email', target: 'email' })).toEqual({
      kind: undefined,
      name: 'devs-email',
    });
    expect(deliveryTargetRef({ name: 'x', target: 'Slack:@' })).toEqual({
      kind: 'slack',
      name: 'x',
    });
    expect(
      deliveryTargetRef({ name: 'owners', target: 'backstage-owners' }),
    ).toBeUndefined();
  });
});

describe('sloAlertDedupKey', () => {
  it('is one short ASCII key per alert, apart for another SLO or rule', () => {
    const a = { id: 17, sloRef: 'default/checkout', rule: 'page 14.4x 1h&5m' };
    expect(sloAlertDedupKey(a)).toMatch(/^reliability-17-[0-9a-f]{8}$/);
    expect(sloAlertDedupKey(a)).toBe(sloAlertDedupKey({ ...a }));
    expect(sloAlertDedupKey({ ...a, rule: 'no_data' })).not.toBe(
      sloAlertDedupKey(a),
    );
    expect(sloAlertDedupKey({ ...a, id: 18 })).not.toBe(sloAlertDedupKey(a));
    expect(
      sloAlertDedupKey({
        ...a,
        id: Number.MAX_SAFE_INTEGER,
        sloRef: 'x'.repeat(5000),
      }).length,
    ).toBeLessThanOrEqual(64);
  });
});

describe('incidentDedupKey', () => {
  it('is one short ASCII key per incident, apart from alerts and from another database’s incident of the same id', () => {
    const i = {
      id: 12,
      entityRef: 'component:default/checkout',
      declaredAt: '2026-12-05T10:00:00.000Z',
    };
    const key = incidentDedupKey(i);
    expect(key).toMatch(/^reliability-incident-12-[0-9a-f]{8}$/);
    expect(incidentDedupKey({ ...i })).toBe(key);
    expect(
      incidentDedupKey({ ...i, entityRef: 'Component:default/Checkout' }),
    ).toBe(key);
    expect(
      incidentDedupKey({ ...i, declaredAt: '2026-12-05T10:00:01.000Z' }),
    ).not.toBe(key);
    expect(incidentDedupKey({ ...i, id: 13 })).not.toBe(key);
    expect(
      incidentDedupKey({
        ...i,
        id: Number.MAX_SAFE_INTEGER,
        entityRef: 'x'.repeat(5000),
      }).length,
    ).toBeLessThanOrEqual(64);
    // the portal's acknowledgement takes both kinds of key, and nothing else
    expect(deliveryAlertKeySchema.safeParse(key).success).toBe(true);
    expect(
      deliveryAlertKeySchema.safeParse('reliability-17-0a1b2c3d').success,
    ).toBe(true);
    for (const bad of [
      'reliability-incident--0a1b2c3d',
      'reliability-incident-12-0A1B2C3D',
      'incident-12-0a1b2c3d',
      `${key}x`,
    ]) {
      const r = deliveryAlertKeySchema.safeParse(bad);
      expect(r.success).toBe(false);
      expect(JSON.stringify(r)).toContain('must be an alert key');
    }
  });
});

describe('deliveryQuerySchema', () => {
  it('names the field and the rule', () => {
    const r = deliveryQuerySchema.safeParse({ state: 'lost' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r)).toContain(
      'must be one of queued, sending, delivered, failed',
    );
    expect(deliveryQuerySchema.safeParse({ extra: '1' }).success).toBe(false);
    expect(deliveryQuerySchema.safeParse({ limit: '1001' }).success).toBe(
      false,
    );
  });
});
