import {
  formatJsonPointer,
  parseJsonPointer,
  resolveJsonPointer,
} from './jsonPointer';
import {
  genericWebhookConfigSchema,
  genericWebhookMapping,
  mapGenericWebhook,
} from './generic';
import {
  pagerDutyLabels,
  pagerDutySignatures,
  pagerDutyWebhookSchema,
} from './pagerduty';
import { parseMatcher, matchesLabels } from '../matchers/matchers';

describe('JSON pointer (RFC 6901)', () => {
  // the examples of RFC 6901 section 5
  const doc = {
    foo: ['bar', 'baz'],
    '': 0,
    'a/b': 1,
    'c%d': 2,
    'e^f': 3,
    'g|h': 4,
    'i\\j': 5,
    'k"l': 6,
    ' ': 7,
    'm~n': 8,
  };
  it.each([
    ['', doc],
    ['/foo', ['bar', 'baz']],
    ['/foo/0', 'bar'],
    ['/', 0],
    ['/a~1b', 1],
    ['/c%d', 2],
    ['/e^f', 3],
    ['/g|h', 4],
    ['/i\\j', 5],
    ['/k"l', 6],
    ['/ ', 7],
    ['/m~0n', 8],
  ])('resolves %p', (text, expected) => {
    const r = parseJsonPointer(text);
    if (!r.ok) throw new Error(r.error);
    expect(resolveJsonPointer(doc, r.value)).toEqual(expected);
    expect(formatJsonPointer(r.value)).toBe(text);
  });

  it.each(['/foo/01', '/foo/-', '/foo/2', '/nope', '/foo/0/x', '/toString'])(
    'refers to nothing at %p',
    text => {
      const r = parseJsonPointer(text);
      if (!r.ok) throw new Error(r.error);
      expect(resolveJsonPointer(doc, r.value)).toBeUndefined();
    },
  );

  it.each([
    ['alert/id', /must be empty or start with '\/'/],
    ['/a~2', /'~' must be followed by 0 or 1/],
    ['/a~', /'~' must be followed by 0 or 1/],
    ['/a'.repeat(33), /at most 32 reference tokens/],
  ])('refuses %p', (text, message) => {
    const r = parseJsonPointer(text);
    expect(r).toEqual({ ok: false, error: expect.stringMatching(message) });
  });
});

describe('generic webhook mapping', () => {
  const config = genericWebhookConfigSchema.parse({
    secret: 'a-secret-of-16-chars',
    idPath: '/alert/id',
    labels: {
      severity: '/alert/severity',
      'payload.custom_details.service': '/alert/tags/service',
      count: '/alert/count',
      missing: '/alert/nope',
    },
    annotations: { summary: '/alert/title' },
    entityRefPath: '/alert/entity',
  });

  it('fills defaults', () => {
    expect(config.signatureHeader).toBe('X-Signature-256');
    expect(config.signaturePrefix).toBe('sha256=');
    expect(config.toleranceSeconds).toBe(300);
  });

  it('maps scalars at the pointers to labels, leaves out what is missing', () => {
    const m = mapGenericWebhook(genericWebhookMapping(config), {
      alert: {
        id: 42,
        severity: 'critical',
        tags: { service: 'checkout' },
        count: 3,
        title: 'checkout burns',
        entity: 'component:default/checkout',
      },
    });
    expect(m).toEqual({
      ok: true,
      id: '42',
      labels: {
        severity: 'critical',
        'payload.custom_details.service': 'checkout',
        count: '3',
      },
      annotations: { summary: 'checkout burns' },
      entityRef: 'component:default/checkout',
    });
  });

  it('names the id pointer when the id is missing', () => {
    const m = mapGenericWebhook(genericWebhookMapping(config), {
      alert: { id: { nested: true } },
    });
    expect(m).toEqual({
      ok: false,
      error: expect.stringMatching(/\/alert\/id/),
    });
  });

  it('refuses a bad label name or pointer naming its path', () => {
    const r = genericWebhookConfigSchema.safeParse({
      secret: 'a-secret-of-16-chars',
      idPath: '/id',
      labels: { sev: 'severity', '9x': '/a' },
    });
    expect(r.success).toBe(false);
    const paths = (r.error?.issues ?? []).map(i => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['labels.sev', 'labels.9x']));
    expect(
      genericWebhookConfigSchema.safeParse({
        secret: 'short',
        idPath: '/id',
        labels: {},
      }).success,
    ).toBe(false);
  });
});

describe('PagerDuty V3 webhook labels', () => {
  const event = pagerDutyWebhookSchema.parse({
    event: {
      id: '01DEN1HNQBVYQ2ZHUBF4UVJZZ6',
      event_type: 'incident.triggered',
      resource_type: 'incident',
      occurred_at: '2026-12-05T10:00:00.000Z',
      agent: { id: 'PLH1HKV', summary: 'Mei', type: 'user_reference' },
      data: {
        id: 'PGR0VU2',
        type: 'incident',
        title: 'checkout burns its budget',
        status: 'triggered',
        urgency: 'high',
        incident_key: 'slo:checkout',
        html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
        service: {
          id: 'PF9KMXH',
          summary: 'checkout',
          type: 'service_reference',
        },
        priority: { id: 'P1', summary: 'P1' },
        body: {
          cef_details: { severity: 'error' },
          details: {
            impact: 'slo_breach',
            'team name': 'sre',
            n: 2,
            o: { x: 1 },
          },
        },
      },
    },
  });

  it('exposes the seed-style condition fields as labels rules match', () => {
    const { labels, annotations } = pagerDutyLabels(event);
    expect(labels).toEqual({
      event_type: 'incident.triggered',
      service: 'checkout',
      urgency: 'high',
      priority: 'P1',
      incident_key: 'slo:checkout',
      status: 'triggered',
      'payload.severity': 'error',
      'payload.custom_details.impact': 'slo_breach',
      'payload.custom_details.team_name': 'sre',
      'payload.custom_details.n': '2',
    });
    expect(annotations.summary).toBe('checkout burns its budget');
    const match = [
      'payload.severity="error"',
      'payload.custom_details.impact="slo_breach"',
    ].map(t => {
      const r = parseMatcher(t);
      if (!r.ok) throw new Error(r.error);
      return r.value;
    });
    expect(matchesLabels(match, labels)).toBe(true);
    expect(
      matchesLabels(match, { ...labels, 'payload.severity': 'warning' }),
    ).toBe(false);
  });

  it('reads every v1= signature of a rotated header', () => {
    expect(pagerDutySignatures('v1=aa,v1=bb, v2=cc')).toEqual(['aa', 'bb']);
    expect(pagerDutySignatures(undefined)).toEqual([]);
  });
});
