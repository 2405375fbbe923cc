import {
  actionItemOverdue,
  actionItemOverdueFrom,
  actionItemOwnerRef,
  actionItemPatchSchema,
  Incident,
  incidentToMarkdown,
  mttrQuerySchema,
} from './incident';

describe('incident action items', () => {
  it('is overdue from the start of the day after its due date (UTC), unless done', () => {
    const item = { title: 'Add jitter', owner: 'jane', due: '2026-12-07' };
    expect(new Date(actionItemOverdueFrom('2026-12-07')).toISOString()).toBe(
      '2026-12-08T00:00:00.000Z',
    );
    expect(actionItemOverdue(item, Date.parse('2026-12-07T23:59:59Z'))).toBe(
      false,
    );
    expect(actionItemOverdue(item, Date.parse('2026-12-08T00:00:00Z'))).toBe(
      true,
    );
    expect(
      actionItemOverdue(
        { ...item, doneAt: '2026-12-09T00:00:00Z' },
        Date.parse('2026-12-10T00:00:00Z'),
      ),
    ).toBe(false);
  });

  it('reads the owner as an entity ref: a ref as given, a bare name as a user, free text as none', () => {
    expect(actionItemOwnerRef('group:default/payments-sre')).toBe(
      'group:default/payments-sre',
    );
    expect(actionItemOwnerRef(' Jane ')).toBe('user:default/jane');
    expect(actionItemOwnerRef('user:Jane')).toBe('user:default/jane');
    expect(actionItemOwnerRef('team-a/bob')).toBe('user:team-a/bob');
    expect(actionItemOwnerRef('Jane Doe')).toBeUndefined();
    expect(actionItemOwnerRef('group:default/')).toBeUndefined();
    expect(actionItemOwnerRef('a:b/c/d')).toBeUndefined();
    expect(actionItemOwnerRef(`${'x'.repeat(300)}`)).toBeUndefined();
  });

  it('takes done as a boolean, naming the field otherwise', () => {
    expect(actionItemPatchSchema.parse({ done: true })).toEqual({ done: true });
    const bad = actionItemPatchSchema.safeParse({ done: 'yes' });
    expect(!bad.success && bad.error.issues[0]).toMatchObject({
      path: ['done'],
      message: 'must be true or false',
    });
    expect(actionItemPatchSchema.safeParse({ done: true, x: 1 }).success).toBe(
      false,
    );
  });

  it('bounds the MTTR window and names the groups', () => {
    expect(mttrQuerySchema.parse({ by: 'team', days: '30' })).toEqual({
      by: 'team',
      days: 30,
    });
    const issues = (q: object) => {
      const r = mttrQuerySchema.safeParse(q);
      return r.success
        ? []
        : r.error.issues.map(i => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ by: 'system' })).toEqual([
      'by: must be one of service, team',
    ]);
    expect(issues({ days: '0' })).toEqual(['days: must be at least 1']);
    expect(issues({ days: '366' })).toEqual(['days: must be at most 365']);
    expect(issues({ days: '1.5' })).toEqual([
      'days: must be a whole number of days',
    ]);
  });

  it('exports the action items with the day each was done', () => {
    const incident: Incident = {
      id: 7,
      entityRef: 'component:default/checkout',
      title: 'Checkout errors',
      severity: 'SEV2',
      state: 'closed',
      status: 'resolved',
      roles: {},
      declaredBy: 'user:default/guest',
      declaredAt: '2026-11-21T12:03:00Z',
      resolvedAt: '2026-11-21T13:03:00Z',
      closedAt: '2026-11-21T14:00:00Z',
      mttrMs: 3_600_000,
      trigger: null,
      impact: '3% failed',
      rootCauses: ['PSP brownout'],
      events: [],
      actionItems: [
        { title: 'Add jitter', owner: 'a|b', due: '2026-12-01' },
        {
          title: 'Alert on 5xx',
          owner: 'group:default/payments-sre',
          due: '2026-12-02',
          doneAt: '2026-11-30T09:00:00.000Z',
        },
      ],
    };
    const md = incidentToMarkdown(incident);
    expect(md).toContain(
      [
        '| Action | Owner | Due | Done |',
        '|---|---|---|---|',
        '| Add jitter | a\\|b | 2026-12-01 | — |',
        '| Alert on 5xx | group:default/payments-sre | 2026-12-02 | 2026-11-30 |',
      ].join('\n'),
    );
  });
});
