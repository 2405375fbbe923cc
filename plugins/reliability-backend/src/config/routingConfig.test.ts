import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';
import { ConfigReader } from '@backstage/config';
import { JsonValue } from '@backstage/types';
import {
  quietHoursAt,
  RoutedAlert,
  routeAlert,
} from '@reliability-suite/plugin-reliability-common';
import { readDeliveryRouting } from './routingConfig';

const config = (delivery: JsonValue) =>
  new ConfigReader({ reliability: { delivery } });

const policy = (over: Record<string, unknown> = {}) => ({
  name: 'payments',
  match: { owner: 'group:default/payments-sre' },
  routes: [{ severity: 'page', targets: ['oncall'] }],
  ...over,
});

describe('readDeliveryRouting', () => {
  it('reads no policies when there is no routing', () => {
    expect(readDeliveryRouting(new ConfigReader({}))).toEqual({ policies: [] });
    expect(readDeliveryRouting(config({ targets: {} }))).toEqual({
      policies: [],
    });
  });

  it('reads a good policy', () => {
    expect(
      readDeliveryRouting(config({ routing: { policies: [policy()] } })),
    ).toEqual({ policies: [policy()] });
  });

  it('refuses a bad policy at load, listing every problem under its config path', () => {
    const bad = {
      routing: {
        policies: [
          policy({
            quietHours: {
              timeZone: 'Europe/Nowhere',
              days: ['mon'],
              start: '20:00',
              end: '8:00',
            },
          }),
          policy({ match: { entity: 'checkout' } }),
        ],
      },
    };
    expect(() => readDeliveryRouting(config(bad))).toThrow(
      [
        'reliability.delivery.routing.policies[0].quietHours.timeZone: must be an IANA time zone such as Europe/Berlin',
        'reliability.delivery.routing.policies[0].quietHours.end: must be HH:MM (00:00 to 23:59)',
        'reliability.delivery.routing.policies[1].match.entity: must be an entity ref in full form, such as component:default/checkout',
        'reliability.delivery.routing.policies[1].name: the same name as policies[0]',
      ].join('\n'),
    );
    expect(() => readDeliveryRouting(config({ routing: [] }))).toThrow(
      /^reliability\.delivery\.routing: must be an object with policies$/,
    );
  });

  it('refuses a target that reliability.delivery.targets does not name, when told the names', () => {
    const routing = {
      policies: [
        policy({
          routes: [
            {
              severity: 'page',
              targets: ['oncall', 'typo'],
              escalation: [{ afterMinutes: 5, targets: ['lead'] }],
            },
          ],
        }),
      ],
    };
    expect(() => readDeliveryRouting(config({ routing }), ['oncall'])).toThrow(
      [
        'reliability.delivery.routing.policies[0].routes[0].targets[1]: no target typo in reliability.delivery.targets',
        'reliability.delivery.routing.policies[0].routes[0].escalation[0].targets[0]: no target lead in reliability.delivery.targets',
      ].join('\n'),
    );
    expect(
      readDeliveryRouting(config({ routing }), ['oncall', 'typo', 'lead'])
        .policies,
    ).toHaveLength(1);
  });
});

/**
 * SRE-201 as the demo writes it: the commented routing block of the repository's app-config.yaml (commented out
 * because the demo configures no delivery target), uncommented and read as the backend reads config.
 */
describe('SRE-201: the demo routing in app-config.yaml', () => {
  const repo = path.resolve(__dirname, '../../../..');
  const lines = fs
    .readFileSync(path.join(repo, 'app-config.yaml'), 'utf8')
    .split('\n');
  const begin = lines.indexOf('  # --- SRE-201 routing (begin) ---');
  const end = lines.indexOf('  # --- SRE-201 routing (end) ---');
  const block = lines.slice(begin, end);
  const yaml = block
    .slice(block.indexOf('  # delivery:'))
    .map(l => l.slice('  # '.length))
    .join('\n');

  const routing = readDeliveryRouting(
    new ConfigReader({ reliability: parse(yaml) }),
    ['payments-oncall', 'payments-channel', 'shop-status'],
  );
  /** Checkout's alert, as the suite raises it: its owner is payments-sre (catalog/components.yaml). */
  const route = (severity: string) =>
    routeAlert(routing, {
      entityRef: 'component:default/checkout',
      owners: ['group:default/payments-sre'],
      severity,
    })!;
  /** When a target would send: now, or when quiet hours end. */
  const sendsAt = (r: RoutedAlert, target: string, at: number) => {
    const t = r.targets.find(x => x.name === target);
    if (!t) throw new Error(`${target} is not routed`);
    if (!t.respectQuietHours || !r.quietHours) return at;
    const q = quietHoursAt(r.quietHours, at);
    return q.quiet ? q.endsAt : at;
  };

  it('is in app-config.yaml', () => {
    expect(begin).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(begin);
    expect(routing.policies.map(p => p.name)).toEqual(['payments-sre']);
  });

  it('at 23:00 Berlin a ticket to the customer-facing target is held until 08:00 Berlin; a page to on-call is not', () => {
    const at = Date.UTC(2026, 0, 14, 22); // Wednesday 2026-01-14 23:00 CET
    const eight = Date.UTC(2026, 0, 15, 7); // Thursday 08:00 CET
    const ticket = route('ticket');
    expect(ticket.targets.map(t => t.name)).toEqual([
      'payments-channel',
      'shop-status',
    ]);
    expect(sendsAt(ticket, 'shop-status', at)).toBe(eight);
    expect(sendsAt(ticket, 'payments-channel', at)).toBe(eight);

    const page = route('page');
    expect(page.targets.map(t => t.name)).toEqual([
      'payments-oncall',
      'shop-status',
    ]);
    expect(sendsAt(page, 'payments-oncall', at)).toBe(at);
    // the customer-facing status of a page is held too
    expect(sendsAt(page, 'shop-status', at)).toBe(eight);
  });

  it('in summer time too (23:00 CEST is held until 08:00 CEST), and nothing is held at noon', () => {
    const at = Date.UTC(2026, 6, 1, 21); // 23:00 CEST
    expect(sendsAt(route('ticket'), 'shop-status', at)).toBe(
      Date.UTC(2026, 6, 2, 6),
    );
    const noon = Date.UTC(2026, 6, 1, 10);
    expect(sendsAt(route('ticket'), 'shop-status', noon)).toBe(noon);
    expect(sendsAt(route('page'), 'payments-oncall', noon)).toBe(noon);
  });

  it('routes only checkout owner group alerts', () => {
    expect(
      routeAlert(routing, {
        entityRef: 'component:default/search',
        owners: ['group:default/search-team'],
        severity: 'page',
      }),
    ).toBeUndefined();
  });
});
