import { z } from 'zod';
import { actionIdParam } from '../model/actionParams';
import { pageParams } from '../model/pagination';
import { entityRefParam } from '../model/params';

/** The roles of a lite incident playbook. @public */
export const INCIDENT_ROLES = ['commander', 'ops', 'comms', 'scribe'] as const;
/** @public */
export type IncidentRole = (typeof INCIDENT_ROLES)[number];
/** @public */
export const INCIDENT_ROLE_TITLES: Record<IncidentRole, string> = {
  commander: 'Incident Commander',
  ops: 'Ops',
  comms: 'Comms',
  scribe: 'Scribe',
};

/** @public */
export const INCIDENT_STATUSES = [
  'investigating',
  'identified',
  'monitoring',
  'resolved',
] as const;
/** @public */
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** @public */
export interface IncidentEvent {
  id: number;
  at: string;
  author: string;
  kind: 'declared' | 'timeline' | 'status' | 'roles' | 'closed';
  status?: IncidentStatus;
  text: string;
}

/** An action item of the post-incident review, followed up after close. @public */
export interface IncidentActionItem {
  title: string;
  /** Who does it: an entity ref (`user:default/jane`, `group:default/payments-sre`) or a name (`jane`: a user). */
  owner: string;
  /** The due date, `YYYY-MM-DD` (UTC): the item is overdue from the day after. */
  due: string;
  /** When it was marked done (ISO), and by whom; absent while open. */
  doneAt?: string;
  doneBy?: string;
  /** When its owner was told it is overdue (ISO): once per item. */
  notifiedAt?: string;
}

/** When an action item due on `due` (`YYYY-MM-DD`, UTC) becomes overdue: the start of the next day (epoch ms). @public */
export function actionItemOverdueFrom(due: string): number {
  return Date.parse(`${due}T00:00:00.000Z`) + 86_400_000;
}

/** Whether an action item is overdue at `now` (ms): open, and its due day is over. @public */
export function actionItemOverdue(
  item: IncidentActionItem,
  now: number,
): boolean {
  return !item.doneAt && now >= actionItemOverdueFrom(item.due);
}

/** The entity ref an action item's owner names: a ref as given, a bare name as a user; undefined for free text. @public */
export function actionItemOwnerRef(owner: string): string | undefined {
  const o = owner.trim().toLocaleLowerCase('en-US');
  const colon = o.indexOf(':');
  const kind = colon < 0 ? 'user' : o.slice(0, colon);
  const rest = o.slice(colon + 1);
  const slash = rest.indexOf('/');
  const namespace = slash < 0 ? 'default' : rest.slice(0, slash);
  const name = rest.slice(slash + 1);
  // the characters the catalog allows in each part; one class per part, nothing to backtrack over
  const part = /^[a-z0-9_.-]{1,253}$/;
  return part.test(kind) && part.test(namespace) && part.test(name)
    ? `${kind}:${namespace}/${name}`
    : undefined;
}

/** PATCH /incidents/:id/action-items/:position: mark an action item done, or open again. @public */
export const actionItemPatchSchema = z
  .object({
    done: z.boolean({
      required_error: 'is required',
      invalid_type_error: 'must be true or false',
    }),
  })
  .strict();

/** Mean time to restore over resolved incidents, grouped per service (the incident's entity) or per team (its owner). @public */
export const MTTR_GROUPS = ['service', 'team'] as const;
/** @public */
export type MttrGroup = (typeof MTTR_GROUPS)[number];
/** The MTTR window's bounds and default, in days. @public */
export const MTTR_WINDOW_DAYS = { min: 1, max: 365, default: 90 } as const;

/** GET /incidents/mttr. @public */
export const mttrQuerySchema = z
  .object({
    by: z
      .enum(MTTR_GROUPS, {
        errorMap: () => ({
          message: `must be one of ${MTTR_GROUPS.join(', ')}`,
        }),
      })
      .optional(),
    days: z.coerce
      .number({ invalid_type_error: 'must be a number of days' })
      .int('must be a whole number of days')
      .min(MTTR_WINDOW_DAYS.min, `must be at least ${MTTR_WINDOW_DAYS.min}`)
      .max(MTTR_WINDOW_DAYS.max, `must be at most ${MTTR_WINDOW_DAYS.max}`)
      .optional(),
    ...pageParams,
  })
  .strict();

/** One service's or team's MTTR over the window. @public */
export interface MttrRow {
  /** The service's entity ref, or the team's (its owner group). */
  entityRef: string;
  /** Resolved incidents in the window. */
  incidents: number;
  /** Mean milliseconds from declared to resolved. */
  mttrMs: number;
  /** The longest of them. */
  maxMs: number;
  /** Per team: how many of its services had resolved incidents. */
  services?: number;
}

/** GET /incidents/mttr: rows with the most incidents first. @public */
export interface MttrResponse {
  by: MttrGroup;
  days: number;
  /** The window's start (ISO): incidents resolved since. */
  since: string;
  items: MttrRow[];
  nextCursor?: string;
  /** Per team: more services had incidents than one answer reads; the teams count the busiest of them. */
  truncated?: boolean;
}

/** The kinds of link an incident holds. @public */
export const INCIDENT_LINK_KINDS = [
  'dashboard',
  'logs',
  'pull-request',
  'other',
] as const;
/** @public */
export type IncidentLinkKind = (typeof INCIDENT_LINK_KINDS)[number];
/** A link an incident holds: a dashboard, logs, a pull request. @public */
export interface IncidentLink {
  kind: IncidentLinkKind;
  title: string;
  url: string;
}
/** At most this many links per incident. @public */
export const INCIDENT_MAX_LINKS = 50;
/** Status-update cadence bounds and default, in minutes. @public */
export const INCIDENT_CADENCE = { min: 5, max: 120, default: 30 } as const;

/** When the next status update of an active incident is due (ISO), from its last update and cadence. @public */
export function nextUpdateDueAt(
  lastUpdateAt: string,
  cadenceMinutes: number,
): string {
  return new Date(
    Date.parse(lastUpdateAt) + cadenceMinutes * 60_000,
  ).toISOString();
}

/** "next update due in 12 min" / "update overdue by 4 min" at `now` (ms). @public */
export function updateDueText(dueAt: string, now: number): string {
  const ms = Date.parse(dueAt) - now;
  const minutes = Math.ceil(Math.abs(ms) / 60_000);
  return ms >= 0
    ? `next update due in ${minutes} min`
    : `update overdue by ${Math.max(1, Math.floor(-ms / 60_000))} min`;
}

/** An incident: declared from an alert or by hand, worked through its roles and timeline, closed with its PIR data. @public */
export interface Incident {
  id: number;
  entityRef: string;
  title: string;
  severity: 'SEV1' | 'SEV2' | 'SEV3';
  state: 'active' | 'closed';
  status: IncidentStatus;
  roles: Partial<Record<IncidentRole, string>>;
  declaredBy: string;
  declaredAt: string;
  resolvedAt: string | null;
  closedAt: string | null;
  /** Milliseconds from declared to resolved (or closed). */
  mttrMs: number | null;
  /** What set it off, e.g. the alert `default/checkout-success page 14.4x 1h&5m`. */
  trigger: string | null;
  impact: string | null;
  rootCauses: string[];
  actionItems: IncidentActionItem[];
  events: IncidentEvent[];
  // The follow-up fields are always sent by this server; optional for answers of an older one.
  /** Dashboards, logs, pull requests. */
  links?: IncidentLink[];
  /** Minutes between status updates. */
  updateCadenceMinutes?: number;
  /** The last status update (declared or a status change). */
  lastUpdateAt?: string;
  /** When the next status update is due; null once resolved or closed. */
  nextUpdateDueAt?: string | null;
  /** The follow-up task found the update overdue (and told the Comms role holder) since the last update. */
  updateOverdue?: boolean;
}

const text = (max: number) =>
  z
    .string({
      required_error: 'is required',
      invalid_type_error: 'must be a string',
    })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);
const person = z
  .string({ invalid_type_error: 'must be a string' })
  .trim()
  .max(400, 'must be at most 400 characters');
const rolesSchema = z
  .object(
    Object.fromEntries(
      INCIDENT_ROLES.map(r => [r, person.optional()]),
    ) as Record<IncidentRole, z.ZodOptional<typeof person>>,
  )
  .strict();

const cadence = z
  .number({
    required_error: 'is required',
    invalid_type_error: 'must be a number of minutes',
  })
  .int('must be a whole number of minutes')
  .min(INCIDENT_CADENCE.min, `must be at least ${INCIDENT_CADENCE.min} minutes`)
  .max(INCIDENT_CADENCE.max, `must be at most ${INCIDENT_CADENCE.max} minutes`);

/** PATCH /incidents/:id. @public */
export const patchIncidentSchema = z
  .object({ updateCadenceMinutes: cadence })
  .strict();

/** POST /incidents/:id/links: an http(s) link. @public */
export const incidentLinkSchema = z
  .object({
    kind: z.enum(INCIDENT_LINK_KINDS, {
      errorMap: () => ({
        message: `must be one of ${INCIDENT_LINK_KINDS.join(', ')}`,
      }),
    }),
    title: text(200),
    url: z
      .string({
        required_error: 'is required',
        invalid_type_error: 'must be a string',
      })
      .trim()
      .max(2000, 'must be at most 2000 characters')
      .refine(u => {
        try {
          const p = new URL(u).protocol;
          return p === 'http:' || p === 'https:';
        } catch {
          return false;
        }
      }, 'must be an http(s) URL'),
  })
  .strict();

/** POST /incidents. @public */
export const declareIncidentSchema = z
  .object({
    updateCadenceMinutes: cadence.optional(),
    entityRef: entityRefParam,
    title: text(200),
    severity: z.enum(['SEV1', 'SEV2', 'SEV3'], {
      errorMap: () => ({ message: 'must be SEV1, SEV2 or SEV3' }),
    }),
    roles: rolesSchema.optional(),
    trigger: z.string().max(500, 'must be at most 500 characters').optional(),
  })
  .strict();

/** POST /incidents/:id/timeline. @public */
export const timelineEntrySchema = z.object({ text: text(4000) }).strict();

/** POST /incidents/:id/status. @public */
export const statusUpdateSchema = z
  .object({
    status: z.enum(INCIDENT_STATUSES, {
      errorMap: () => ({
        message: `must be one of ${INCIDENT_STATUSES.join(', ')}`,
      }),
    }),
    text: text(4000),
  })
  .strict();

/** PUT /incidents/:id/roles. @public */
export const incidentRolesSchema = rolesSchema;

const isoDate = z
  .string({ required_error: 'is required' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-01');

/** POST /incidents/:id/close. @public */
export const closeIncidentSchema = z
  .object({
    impact: text(4000),
    rootCauses: z
      .array(text(1000), {
        required_error: 'is required',
        invalid_type_error: 'must be a list',
      })
      .min(1, 'needs at least one root cause'),
    actionItems: z
      .array(
        z.object({ title: text(500), owner: text(400), due: isoDate }).strict(),
        { invalid_type_error: 'must be a list' },
      )
      .max(100, 'must hold at most 100 items'),
  })
  .strict();

/** GET /incidents. @public */
export const incidentsQuerySchema = z
  .object({
    state: z
      .enum(['active', 'closed'], {
        errorMap: () => ({ message: 'must be active or closed' }),
      })
      .optional(),
    entityRef: entityRefParam.optional(),
    ...pageParams,
  })
  .strict();

/** `1h 5m`, `3d 2h`, `45s`. @public */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
  ];
  const shown = parts
    .filter(([n]) => n > 0)
    .slice(0, 2)
    .map(([n, u]) => `${n}${u}`);
  return shown.length ? shown.join(' ') : `${s}s`;
}

/** The incident as Markdown for the post-incident review. @public */
export function incidentToMarkdown(i: Incident): string {
  const lines = [
    `# ${i.title}`,
    '',
    `- **Entity:** ${i.entityRef}`,
    `- **Severity:** ${i.severity}`,
    `- **State:** ${i.state} (${i.status})`,
    `- **Declared:** ${i.declaredAt} by ${i.declaredBy}`,
    `- **Resolved:** ${i.resolvedAt ?? '—'}`,
    `- **MTTR:** ${i.mttrMs === null ? '—' : formatElapsed(i.mttrMs)}`,
    ...(i.trigger ? [`- **Trigger:** ${i.trigger}`] : []),
    '',
    '## Roles',
    '',
    ...INCIDENT_ROLES.map(
      r => `- **${INCIDENT_ROLE_TITLES[r]}:** ${i.roles[r] || '—'}`,
    ),
    '',
    '## Impact',
    '',
    i.impact ?? '—',
    '',
    '## Root causes',
    '',
    ...(i.rootCauses.length ? i.rootCauses.map(c => `- ${c}`) : ['—']),
    '',
    '## Timeline',
    '',
    '| Time (UTC) | Who | What |',
    '|---|---|---|',
    ...i.events.map(
      e =>
        `| ${e.at} | ${e.author} | ${
          e.kind === 'status' ? `**${e.status}**: ` : ''
        }${e.text.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    ),
    '',
    '## Action items',
    '',
    ...(i.actionItems.length
      ? [
          '| Action | Owner | Due | Done |',
          '|---|---|---|---|',
          ...i.actionItems.map(
            a =>
              `| ${a.title.replace(/\|/g, '\\|')} | ${a.owner.replace(
                /\|/g,
                '\\|',
              )} | ${a.due} | ${a.doneAt ? a.doneAt.slice(0, 10) : '—'} |`,
          ),
        ]
      : ['—']),
    '',
  ];
  return lines.join('\n');
}

// ---- the incident actions for AI agents (reliability-backend actions/) ----

/** declare-incident: as POST /incidents. @public */
export const declareIncidentActionInput = declareIncidentSchema;
/** declare-incident and add-incident-timeline-entry answer the incident and its page. @public */
export const incidentActionOutput = z.object({
  incident: z.object({ id: z.number(), title: z.string() }).passthrough(),
  link: z.string(),
});

/** add-incident-timeline-entry: as POST /incidents/:id/timeline. @public */
export const timelineEntryActionInput = z
  .object({ incidentId: actionIdParam, text: text(4000) })
  .strict();
/** add-incident-timeline-entry answers the incident with its events, the new entry last. @public */
export const timelineEntryActionOutput = incidentActionOutput;
