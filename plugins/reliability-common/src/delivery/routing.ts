import { parseEntityRef } from '@backstage/catalog-model';
import { z } from 'zod';
import {
  QuietHours,
  WEEKDAYS,
  Weekday,
  isIanaTimeZone,
  parseClockTime,
} from './quietHours';

/**
 * Routing as code: which configured delivery targets an alert of the suite goes to, per owner group or per entity
 * and per severity, with quiet hours and escalation. The policy is validated when it is loaded (a bad policy is
 * refused, naming the path); `routeAlert` is the pure decision the delivery service applies.
 */

/** One severity's targets in a routing policy. @public */
export interface DeliveryRoute {
  /** The alert severity this route is for; `*` is added to every severity's routes. */
  severity: 'page' | 'ticket' | '*';
  /** Configured target names (`reliability.delivery.targets.<name>`). */
  targets: string[];
  /**
   * Whether these targets hold notifications back during quiet hours. Default: the severity is not `page`
   * (on-call pages ignore quiet hours; customer-facing and ticket routes respect them); for a `*` route, the
   * severity of the alert being routed.
   */
  respectQuietHours?: boolean;
  /** Escalation steps: minutes (cumulative, increasing) after the page was delivered without acknowledgement. */
  escalation?: { afterMinutes: number; targets: string[] }[];
}

/** A routing policy for an owner group or an entity. @public */
export interface DeliveryRoutingPolicy {
  name: string;
  /** A group ref or an entity ref, in full form kind:namespace/name. */
  match: { owner: string } | { entity: string };
  routes: DeliveryRoute[];
  quietHours?: QuietHours;
}

/** `reliability.delivery.routing`. @public */
export interface DeliveryRouting {
  policies: DeliveryRoutingPolicy[];
}

/** Limits of a routing policy. @public */
export const DELIVERY_ROUTING_LIMITS = {
  policies: 500,
  routes: 20,
  targets: 10,
  escalationSteps: 5,
  maxAfterMinutes: 1440,
  nameLength: 63,
} as const;

/** A target or policy name: letters, digits, - and _, starting with a letter or digit (checked without regex). */
function isName(v: string): boolean {
  if (v.length === 0 || v.length > DELIVERY_ROUTING_LIMITS.nameLength)
    return false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    const alnum =
      (c >= 'a' && c <= 'z') ||
      (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9');
    if (!alnum && (i === 0 || (c !== '-' && c !== '_'))) return false;
  }
  return true;
}

const NAME_RULE = `letters, digits, - and _, at most ${DELIVERY_ROUTING_LIMITS.nameLength}`;

const nameSchema = z
  .string({
    required_error: 'is required',
    invalid_type_error: 'must be a string',
  })
  .refine(isName, { message: `must be ${NAME_RULE}` });

const targetsSchema = z
  .array(nameSchema, {
    required_error: 'is required',
    invalid_type_error: 'must be a list of target names',
  })
  .min(1, 'must name at least one target')
  .max(
    DELIVERY_ROUTING_LIMITS.targets,
    `at most ${DELIVERY_ROUTING_LIMITS.targets} targets`,
  )
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (seen.has(n))
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [i],
          message: `${n} is listed twice`,
        });
      seen.add(n);
    });
  });

const clockSchema = z
  .string({
    required_error: 'is required',
    invalid_type_error: 'must be HH:MM',
  })
  .refine(v => parseClockTime(v) !== undefined, {
    message: 'must be HH:MM (00:00 to 23:59)',
  });

const quietHoursSchema: z.ZodType<QuietHours> = z
  .object(
    {
      timeZone: z
        .string({
          required_error: 'is required',
          invalid_type_error: 'must be an IANA time zone',
        })
        .refine(isIanaTimeZone, {
          message: 'must be an IANA time zone such as Europe/Berlin',
        }),
      days: z
        .array(
          z.enum(WEEKDAYS, {
            errorMap: () => ({
              message: `must be one of ${WEEKDAYS.join(', ')}`,
            }),
          }),
          {
            required_error: 'is required',
            invalid_type_error: 'must be a list of days',
          },
        )
        .min(1, 'must list at least one day')
        .max(7, 'at most 7 days'),
      start: clockSchema,
      end: clockSchema,
    },
    { invalid_type_error: 'must be an object' },
  )
  .strict()
  .superRefine((q, ctx) => {
    const seen = new Set<Weekday>();
    q.days.forEach((d, i) => {
      if (seen.has(d))
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['days', i],
          message: `${d} is listed twice`,
        });
      seen.add(d);
    });
    if (seen.size === 7 && q.start === q.end)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['end'],
        message:
          'a 24 h window on every day never ends; list fewer days or shorten the window',
      });
  });

const escalationSchema = z
  .array(
    z
      .object(
        {
          afterMinutes: z
            .number({
              required_error: 'is required',
              invalid_type_error: 'must be a number of minutes',
            })
            .int('must be a whole number of minutes')
            .min(1, 'must be at least 1')
            .max(
              DELIVERY_ROUTING_LIMITS.maxAfterMinutes,
              `must be at most ${DELIVERY_ROUTING_LIMITS.maxAfterMinutes}`,
            ),
          targets: targetsSchema,
        },
        { invalid_type_error: 'must be an object' },
      )
      .strict(),
    { invalid_type_error: 'must be a list of steps' },
  )
  .max(
    DELIVERY_ROUTING_LIMITS.escalationSteps,
    `at most ${DELIVERY_ROUTING_LIMITS.escalationSteps} steps`,
  )
  .superRefine((steps, ctx) => {
    for (let i = 1; i < steps.length; i++) {
      if (steps[i].afterMinutes <= steps[i - 1].afterMinutes)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [i, 'afterMinutes'],
          message: `must be greater than the step before (${
            steps[i - 1].afterMinutes
          })`,
        });
    }
  });

const routeSchema: z.ZodType<DeliveryRoute> = z
  .object(
    {
      severity: z.enum(['page', 'ticket', '*'], {
        errorMap: () => ({ message: 'must be page, ticket or *' }),
      }),
      targets: targetsSchema,
      respectQuietHours: z
        .boolean({ invalid_type_error: 'must be true or false' })
        .optional(),
      escalation: escalationSchema.optional(),
    },
    { invalid_type_error: 'must be an object' },
  )
  .strict();

/** Checks a full entity ref `kind:namespace/name`; returns the rule it breaks, or undefined. */
function refProblem(ref: unknown, groupOnly: boolean): string | undefined {
  const rule = groupOnly
    ? 'must be a group ref in full form, such as group:default/payments-sre'
    : 'must be an entity ref in full form, such as component:default/checkout';
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 255)
    return rule;
  let parsed;
  try {
    parsed = parseEntityRef(ref);
  } catch {
    return rule;
  }
  const full = `${parsed.kind}:${parsed.namespace}/${parsed.name}`;
  if (full !== ref) return rule;
  if (groupOnly && parsed.kind.toLocaleLowerCase('en-US') !== 'group')
    return rule;
  return undefined;
}

type Match = DeliveryRoutingPolicy['match'];

const matchSchema = z.custom<Match>().superRefine((m: unknown, ctx) => {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'must be an object with owner or entity',
    });
    return;
  }
  const keys = Object.keys(m);
  const known = keys.filter(k => k === 'owner' || k === 'entity');
  for (const k of keys)
    if (k !== 'owner' && k !== 'entity')
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [k],
        message: 'is not a match key (owner or entity)',
      });
  if (known.length !== 1) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'must have exactly one of owner or entity',
    });
    return;
  }
  const key = known[0];
  const problem = refProblem(
    (m as Record<string, unknown>)[key],
    key === 'owner',
  );
  if (problem)
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: [key],
      message: problem,
    });
});

const policySchema: z.ZodType<DeliveryRoutingPolicy> = z
  .object(
    {
      name: nameSchema,
      match: matchSchema,
      routes: z
        .array(routeSchema, {
          required_error: 'is required',
          invalid_type_error: 'must be a list of routes',
        })
        .min(1, 'must have at least one route')
        .max(
          DELIVERY_ROUTING_LIMITS.routes,
          `at most ${DELIVERY_ROUTING_LIMITS.routes} routes`,
        ),
      quietHours: quietHoursSchema.optional(),
    },
    { invalid_type_error: 'must be an object' },
  )
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.routes.forEach((r, i) => {
      if (seen.has(r.severity))
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['routes', i, 'severity'],
          message: `a second route for severity ${r.severity}`,
        });
      seen.add(r.severity);
      if (r.severity === '*' && r.escalation)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['routes', i, 'escalation'],
          message: 'escalation belongs to a route of one severity, not *',
        });
    });
  });

/** A policy's match as a comparable key; undefined for a match that is itself invalid (reported by its schema). */
function matchKey(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const { owner, entity } = m as Record<string, unknown>;
  if (typeof owner === 'string' && entity === undefined)
    return `owner ${owner.toLocaleLowerCase('en-US')}`;
  if (typeof entity === 'string' && owner === undefined)
    return `entity ${entity.toLocaleLowerCase('en-US')}`;
  return undefined;
}

/**
 * The zod schema of `reliability.delivery.routing`: bounded sizes, IANA time zones, HH:MM times, full entity refs,
 * unique policy names and matches.
 * @public
 */
export const deliveryRoutingSchema: z.ZodType<DeliveryRouting> = z
  .object(
    {
      policies: z
        .array(policySchema, {
          required_error: 'is required',
          invalid_type_error: 'must be a list of policies',
        })
        .max(
          DELIVERY_ROUTING_LIMITS.policies,
          `at most ${DELIVERY_ROUTING_LIMITS.policies} policies`,
        ),
    },
    { invalid_type_error: 'must be an object with policies' },
  )
  .strict()
  .superRefine((r, ctx) => {
    const names = new Map<string, number>();
    const matches = new Map<string, number>();
    r.policies.forEach((p, i) => {
      const n = names.get(p.name);
      if (n !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['policies', i, 'name'],
          message: `the same name as policies[${n}]`,
        });
      else names.set(p.name, i);
      const k = matchKey(p.match);
      if (k === undefined) return;
      const m = matches.get(k);
      if (m !== undefined)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['policies', i, 'match'],
          message: `the same match as policies[${m}]`,
        });
      else matches.set(k, i);
    });
  });

/** Renders a zod path as `policies[2].quietHours.timeZone`; the root is `(root)`. */
function renderPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out || '(root)';
}

/**
 * Validates a routing policy. Each error reads `policies[2].quietHours.timeZone: <rule>` (`(root): <rule>` for the
 * whole value).
 * @public
 */
export function parseDeliveryRouting(
  raw: unknown,
): { ok: true; routing: DeliveryRouting } | { ok: false; errors: string[] } {
  const r = deliveryRoutingSchema.safeParse(raw);
  if (r.success) return { ok: true, routing: r.data };
  const errors = r.error.issues.map(i => {
    const message =
      i.code === z.ZodIssueCode.unrecognized_keys
        ? `${i.keys.join(', ')}: not a known key`
        : i.message;
    return `${renderPath(i.path)}: ${message}`;
  });
  return { ok: false, errors: [...new Set(errors)] };
}

/** One target an alert is routed to. @public */
export interface RoutedTarget {
  name: string;
  respectQuietHours: boolean;
}

/** Where an alert goes, by the policy that matched it. @public */
export interface RoutedAlert {
  /** The policy's name. */
  policy: string;
  /** Empty when the policy has no route for the alert's severity: the policy sends it nowhere. */
  targets: RoutedTarget[];
  quietHours?: QuietHours;
  /** From the route of the alert's exact severity; `afterMs` counts from the page's delivery. */
  escalation: { afterMs: number; targets: string[] }[];
}

const lower = (s: string) => s.toLocaleLowerCase('en-US');

/**
 * Routes an alert: a policy matching the entity wins over one matching an owner group; among equals the first
 * listed. The routes of the alert's severity and the `*` routes give the targets, deduplicated (a target that both
 * respects and ignores quiet hours ignores them); escalation comes from the route of the exact severity.
 * Undefined when no policy matches.
 * @public
 */
export function routeAlert(
  routing: DeliveryRouting,
  alert: { entityRef: string; owners: string[]; severity: string },
): RoutedAlert | undefined {
  const entity = lower(alert.entityRef);
  const owners = new Set(alert.owners.map(lower));
  const policy =
    routing.policies.find(
      p => 'entity' in p.match && lower(p.match.entity) === entity,
    ) ??
    routing.policies.find(
      p => 'owner' in p.match && owners.has(lower(p.match.owner)),
    );
  if (!policy) return undefined;
  const targets = new Map<string, boolean>();
  let escalation: RoutedAlert['escalation'] = [];
  for (const route of policy.routes) {
    if (route.severity !== alert.severity && route.severity !== '*') continue;
    const severity = route.severity === '*' ? alert.severity : route.severity;
    const respect = route.respectQuietHours ?? severity !== 'page';
    for (const name of route.targets)
      targets.set(name, (targets.get(name) ?? true) && respect);
    if (route.severity === alert.severity && route.escalation)
      escalation = route.escalation.map(s => ({
        afterMs: s.afterMinutes * 60_000,
        targets: [...s.targets],
      }));
  }
  return {
    policy: policy.name,
    targets: [...targets].map(([name, respectQuietHours]) => ({
      name,
      respectQuietHours,
    })),
    ...(policy.quietHours ? { quietHours: policy.quietHours } : {}),
    escalation,
  };
}
