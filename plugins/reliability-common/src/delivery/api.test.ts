import {
  deliveryQuerySchema,
  deliveryTargetRef,
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
