import {
  DeliveryRouting,
  DELIVERY_ROUTING_LIMITS,
  parseDeliveryRouting,
  routeAlert,
} from './routing';

const good = (): any => ({
  policies: [
    {
      name: 'payments',
      match: { owner: 'group:default/payments-sre' },
      routes: [
        {
          severity: 'page',
          targets: ['pd-payments'],
          escalation: [
            { afterMinutes: 5, targets: ['pd-payments-lead'] },
            { afterMinutes: 15, targets: ['pd-head'] },
          ],
        },
        { severity: 'ticket', targets: ['slack-payments'] },
        { severity: '*', targets: ['status-page'], respectQuietHours: true },
      ],
      quietHours: {
        timeZone: 'Europe/Berlin',
        days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
        start: '20:00',
        end: '08:00',
      },
    },
    {
      name: 'checkout-only',
      match: { entity: 'component:default/checkout' },
      routes: [{ severity: 'page', targets: ['pd-checkout'] }],
    },
  ],
});

function errorsOf(raw: unknown): string[] {
  const r = parseDeliveryRouting(raw);
  if (r.ok) throw new Error('expected the routing to be refused');
  return r.errors;
}

/** Applies `edit` to a good routing and returns the errors. */
function errorsAfter(edit: (r: any) => void): string[] {
  const r = good();
  edit(r);
  return errorsOf(r);
}

describe('parseDeliveryRouting', () => {
  it('accepts a good routing and an empty one', () => {
    const r = parseDeliveryRouting(good());
    expect(r).toEqual({ ok: true, routing: good() });
    expect(parseDeliveryRouting({ policies: [] })).toEqual({
      ok: true,
      routing: { policies: [] },
    });
  });

  it.each<[string, (r: any) => void, string]>([
    [
      'not an object',
      r => (r.policies = 'x'),
      'policies: must be a list of policies',
    ],
    [
      'an unknown key',
      r => (r.policies[0].quiteHours = {}),
      'policies[0]: quiteHours: not a known key',
    ],
    [
      'a bad policy name',
      r => (r.policies[0].name = 'pay ments'),
      'policies[0].name: must be letters, digits, - and _, at most 63',
    ],
    [
      'no name',
      r => delete r.policies[1].name,
      'policies[1].name: is required',
    ],
    [
      'a match with both keys',
      r => (r.policies[0].match.entity = 'component:default/x'),
      'policies[0].match: must have exactly one of owner or entity',
    ],
    [
      'a match with neither',
      r => (r.policies[0].match = {}),
      'policies[0].match: must have exactly one of owner or entity',
    ],
    [
      'a match that is a string',
      r => (r.policies[0].match = 'group:default/x'),
      'policies[0].match: must be an object with owner or entity',
    ],
    [
      'an unknown match key',
      r => (r.policies[0].match.team = 'x'),
      'policies[0].match.team: is not a match key (owner or entity)',
    ],
    [
      'an owner that is not a group',
      r => (r.policies[0].match.owner = 'user:default/jane'),
      'policies[0].match.owner: must be a group ref in full form, such as group:default/payments-sre',
    ],
    [
      'an owner without namespace',
      r => (r.policies[0].match.owner = 'group:payments-sre'),
      'policies[0].match.owner: must be a group ref in full form, such as group:default/payments-sre',
    ],
    [
      'an entity without kind',
      r => (r.policies[1].match.entity = 'default/checkout'),
      'policies[1].match.entity: must be an entity ref in full form, such as component:default/checkout',
    ],
    [
      'no routes',
      r => (r.policies[0].routes = []),
      'policies[0].routes: must have at least one route',
    ],
    [
      'a bad severity',
      r => (r.policies[0].routes[1].severity = 'critical'),
      'policies[0].routes[1].severity: must be page, ticket or *',
    ],
    [
      'two routes of one severity',
      r => (r.policies[0].routes[1].severity = 'page'),
      'policies[0].routes[1].severity: a second route for severity page',
    ],
    [
      'no targets',
      r => (r.policies[0].routes[0].targets = []),
      'policies[0].routes[0].targets: must name at least one target',
    ],
    [
      'a bad target name',
      r => (r.policies[0].routes[1].targets = ['ok', 'no/slash']),
      'policies[0].routes[1].targets[1]: must be letters, digits, - and _, at most 63',
    ],
    [
      'a target twice',
      r => (r.policies[0].routes[1].targets = ['a', 'a']),
      'policies[0].routes[1].targets[1]: a is listed twice',
    ],
    [
      'too many targets',
      r =>
        (r.policies[0].routes[1].targets = Array.from(
          { length: 11 },
          (_, i) => `t${i}`,
        )),
      'policies[0].routes[1].targets: at most 10 targets',
    ],
    [
      'respectQuietHours not a boolean',
      r => (r.policies[0].routes[2].respectQuietHours = 'yes'),
      'policies[0].routes[2].respectQuietHours: must be true or false',
    ],
    [
      'escalation minutes zero',
      r => (r.policies[0].routes[0].escalation[0].afterMinutes = 0),
      'policies[0].routes[0].escalation[0].afterMinutes: must be at least 1',
    ],
    [
      'escalation minutes over a day',
      r => (r.policies[0].routes[0].escalation[1].afterMinutes = 1441),
      'policies[0].routes[0].escalation[1].afterMinutes: must be at most 1440',
    ],
    [
      'escalation minutes fractional',
      r => (r.policies[0].routes[0].escalation[0].afterMinutes = 2.5),
      'policies[0].routes[0].escalation[0].afterMinutes: must be a whole number of minutes',
    ],
    [
      'escalation not increasing',
      r => (r.policies[0].routes[0].escalation[1].afterMinutes = 5),
      'policies[0].routes[0].escalation[1].afterMinutes: must be greater than the step before (5)',
    ],
    [
      'escalation step without targets',
      r => (r.policies[0].routes[0].escalation[1].targets = []),
      'policies[0].routes[0].escalation[1].targets: must name at least one target',
    ],
    [
      'too many escalation steps',
      r =>
        (r.policies[0].routes[0].escalation = [1, 2, 3, 4, 5, 6].map(m => ({
          afterMinutes: m,
          targets: ['x'],
        }))),
      'policies[0].routes[0].escalation: at most 5 steps',
    ],
    [
      'escalation on a * route',
      r =>
        (r.policies[0].routes[2].escalation = [
          { afterMinutes: 5, targets: ['x'] },
        ]),
      'policies[0].routes[2].escalation: escalation belongs to a route of one severity, not *',
    ],
    [
      'a made-up time zone',
      r => (r.policies[0].quietHours.timeZone = 'Europe/Atlantis'),
      'policies[0].quietHours.timeZone: must be an IANA time zone such as Europe/Berlin',
    ],
    [
      'an offset for a time zone',
      r => (r.policies[0].quietHours.timeZone = '+01:00'),
      'policies[0].quietHours.timeZone: must be an IANA time zone such as Europe/Berlin',
    ],
    [
      'a bad day',
      r => (r.policies[0].quietHours.days = ['mon', 'monday']),
      'policies[0].quietHours.days[1]: must be one of mon, tue, wed, thu, fri, sat, sun',
    ],
    [
      'no days',
      r => (r.policies[0].quietHours.days = []),
      'policies[0].quietHours.days: must list at least one day',
    ],
    [
      'a day twice',
      r => (r.policies[0].quietHours.days = ['mon', 'mon']),
      'policies[0].quietHours.days[1]: mon is listed twice',
    ],
    [
      'a bad start',
      r => (r.policies[0].quietHours.start = '8pm'),
      'policies[0].quietHours.start: must be HH:MM (00:00 to 23:59)',
    ],
    [
      'a bad end',
      r => (r.policies[0].quietHours.end = '24:00'),
      'policies[0].quietHours.end: must be HH:MM (00:00 to 23:59)',
    ],
    [
      'quiet all the time',
      r => (r.policies[0].quietHours.end = '20:00'),
      'policies[0].quietHours.end: a 24 h window on every day never ends; list fewer days or shorten the window',
    ],
    [
      'two policies with one name',
      r => (r.policies[1].name = 'payments'),
      'policies[1].name: the same name as policies[0]',
    ],
    [
      'two policies with one match',
      r => (r.policies[1].match = { owner: 'group:default/payments-sre' }),
      'policies[1].match: the same match as policies[0]',
    ],
  ])('refuses %s, naming the path', (_what, edit, error) => {
    expect(errorsAfter(edit)).toContain(error);
  });

  it('refuses a value that is not an object at the root', () => {
    expect(errorsOf('nope')).toEqual([
      '(root): must be an object with policies',
    ]);
  });

  it('refuses more than 500 policies and more than 20 routes', () => {
    const many = {
      policies: Array.from(
        { length: DELIVERY_ROUTING_LIMITS.policies + 1 },
        (_, i) => ({
          name: `p${i}`,
          match: { entity: `component:default/c${i}` },
          routes: [{ severity: 'page', targets: ['pd'] }],
        }),
      ),
    };
    expect(errorsOf(many)).toContain('policies: at most 500 policies');
    const r = good();
    r.policies[0].routes = Array.from({ length: 21 }, () => ({
      severity: 'page',
      targets: ['x'],
    }));
    expect(errorsOf(r)).toContain('policies[0].routes: at most 20 routes');
  });

  it('reports every problem at once', () => {
    const r = good();
    r.policies[0].quietHours.timeZone = 'Nowhere/City';
    r.policies[1].routes[0].targets = [];
    expect(errorsOf(r)).toEqual([
      'policies[0].quietHours.timeZone: must be an IANA time zone such as Europe/Berlin',
      'policies[1].routes[0].targets: must name at least one target',
    ]);
  });
});

describe('routeAlert', () => {
  const routing = (): DeliveryRouting => {
    const r = parseDeliveryRouting(good());
    if (!r.ok) throw new Error(r.errors.join('\n'));
    return r.routing;
  };

  it('routes a page by the owner group: page targets ignore quiet hours, the * status target respects them, escalation in ms', () => {
    expect(
      routeAlert(routing(), {
        entityRef: 'component:default/search',
        owners: ['group:default/payments-sre'],
        severity: 'page',
      }),
    ).toEqual({
      policy: 'payments',
      targets: [
        { name: 'pd-payments', respectQuietHours: false },
        { name: 'status-page', respectQuietHours: true },
      ],
      quietHours: good().policies[0].quietHours,
      escalation: [
        { afterMs: 5 * 60_000, targets: ['pd-payments-lead'] },
        { afterMs: 15 * 60_000, targets: ['pd-head'] },
      ],
    });
  });

  it('routes a ticket to the ticket and * routes, respecting quiet hours by default, without escalation', () => {
    expect(
      routeAlert(routing(), {
        entityRef: 'component:default/search',
        owners: ['Group:Default/Payments-SRE'],
        severity: 'ticket',
      }),
    ).toMatchObject({
      policy: 'payments',
      targets: [
        { name: 'slack-payments', respectQuietHours: true },
        { name: 'status-page', respectQuietHours: true },
      ],
      escalation: [],
    });
  });

  it('prefers the entity policy to the owner policy, whatever the order', () => {
    const r = routing();
    const alert = {
      entityRef: 'component:default/checkout',
      owners: ['group:default/payments-sre'],
      severity: 'page',
    };
    expect(routeAlert(r, alert)?.policy).toBe('checkout-only');
    expect(
      routeAlert({ policies: [...r.policies].reverse() }, alert)?.policy,
    ).toBe('checkout-only');
  });

  it('among owner policies, the first listed wins', () => {
    const r = routing();
    r.policies.push({
      name: 'platform',
      match: { owner: 'group:default/platform' },
      routes: [{ severity: '*', targets: ['platform-chat'] }],
    });
    const alert = {
      entityRef: 'component:default/search',
      owners: ['group:default/platform', 'group:default/payments-sre'],
      severity: 'ticket',
    };
    expect(routeAlert(r, alert)?.policy).toBe('payments');
    r.policies.reverse();
    expect(routeAlert(r, alert)?.policy).toBe('platform');
  });

  it('dedupes targets; one that both respects and ignores quiet hours ignores them', () => {
    const r: DeliveryRouting = {
      policies: [
        {
          name: 'p',
          match: { entity: 'component:default/x' },
          routes: [
            {
              severity: '*',
              targets: ['both', 'quiet'],
              respectQuietHours: true,
            },
            { severity: 'page', targets: ['oncall', 'both'] },
          ],
        },
      ],
    };
    expect(
      routeAlert(r, {
        entityRef: 'component:default/x',
        owners: [],
        severity: 'page',
      })?.targets,
    ).toEqual([
      { name: 'both', respectQuietHours: false },
      { name: 'quiet', respectQuietHours: true },
      { name: 'oncall', respectQuietHours: false },
    ]);
  });

  it('a * route without respectQuietHours follows the alert severity', () => {
    const r: DeliveryRouting = {
      policies: [
        {
          name: 'p',
          match: { entity: 'component:default/x' },
          routes: [{ severity: '*', targets: ['any'] }],
        },
      ],
    };
    const at = (severity: string) =>
      routeAlert(r, { entityRef: 'component:default/x', owners: [], severity })
        ?.targets;
    expect(at('page')).toEqual([{ name: 'any', respectQuietHours: false }]);
    expect(at('ticket')).toEqual([{ name: 'any', respectQuietHours: true }]);
  });

  it('a matching policy without a route for the severity routes nowhere; no policy is undefined', () => {
    const r = routing();
    expect(
      routeAlert(r, {
        entityRef: 'component:default/checkout',
        owners: [],
        severity: 'ticket',
      }),
    ).toEqual({ policy: 'checkout-only', targets: [], escalation: [] });
    expect(
      routeAlert(r, {
        entityRef: 'component:default/search',
        owners: ['group:default/other'],
        severity: 'page',
      }),
    ).toBeUndefined();
  });
});
