import { z } from 'zod';
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

/** @public */
export interface IncidentActionItem {
  title: string;
  owner: string;
  due: string;
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

/** POST /incidents. @public */
export const declareIncidentSchema = z
  .object({
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
          '| Action | Owner | Due |',
          '|---|---|---|',
          ...i.actionItems.map(
            a => `| ${a.title.replace(/\|/g, '\\|')} | ${a.owner} | ${a.due} |`,
          ),
        ]
      : ['—']),
    '',
  ];
  return lines.join('\n');
}
