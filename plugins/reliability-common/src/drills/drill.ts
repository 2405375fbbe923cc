import { z } from 'zod';
import { entityRefParam } from '../model/params';
import { pageParams } from '../model/pagination';
import { durationMs, parseDuration } from '../math/duration';
import { CsvError, parseCsv, toCsv } from '../csv/csv';

/** What was drilled. @public */
export const DRILL_KINDS = [
  'regional-failover',
  'point-in-time-restore',
  'backup-restore',
] as const;
/** @public */
export type DrillKind = (typeof DRILL_KINDS)[number];

/** A cloud region such as `ap-sg`, `us-east` or `eu-west-1`. */
const REGION_RE = /^[a-z]{2,12}(-[a-z0-9]{1,16}){1,3}$/;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

const region = z
  .string({
    required_error: 'is required',
    invalid_type_error: 'must be a region such as ap-sg or us-east-1',
  })
  .trim()
  .regex(
    REGION_RE,
    'must be a region such as ap-sg or us-east-1 (lowercase letters and digits, joined by -)',
  );

/** A calendar day `YYYY-MM-DD` (or an ISO-8601 timestamp, whose day counts), as epoch ms of its start (UTC). @public */
export const drillDate = z
  .string({
    required_error: 'is required',
    invalid_type_error: 'must be a date such as 2025-09-10',
  })
  .trim()
  .transform((v, ctx) => {
    const m = DAY_RE.exec(v);
    let t = NaN;
    if (m) t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    else if (/^\d{4}-\d{2}-\d{2}T/.test(v)) t = Date.parse(v);
    // Date.UTC rolls 2025-02-30 over to March: a real day reads back the same
    if (
      !Number.isFinite(t) ||
      (m && new Date(t).toISOString().slice(0, 10) !== v) ||
      t < Date.UTC(2000, 0, 1) ||
      t > Date.UTC(2100, 0, 1)
    ) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: 'must be a date such as 2025-09-10',
      });
      return z.NEVER;
    }
    return t;
  });

const seconds = (what: string) =>
  z
    .number({ invalid_type_error: `must be a number of seconds (${what})` })
    .nonnegative('must be >= 0')
    .max(10 * 365 * 86_400, 'is too large');

/**
 * One failover drill: when, what, from and to which region, how long it took, whether it worked, the measured RTO
 * and RPO, the replication lag, the steps taken, notes and evidence links. The input schema; the API answers
 * {@link DrillRecord}. @public
 */
export const drillSchema = z
  .object({
    date: drillDate,
    kind: z
      .enum(DRILL_KINDS, {
        errorMap: () => ({
          message: `must be one of ${DRILL_KINDS.join(', ')}`,
        }),
      })
      .default('regional-failover'),
    region,
    toRegion: region.optional(),
    durationMin: z
      .number({
        required_error: 'is required',
        invalid_type_error: 'must be a number of minutes',
      })
      .nonnegative('must be >= 0')
      .max(100_000, 'must be at most 100000 minutes'),
    success: z.boolean({
      required_error: 'is required',
      invalid_type_error: 'must be true or false',
    }),
    rtoSeconds: seconds('the measured recovery time').optional(),
    rpoSeconds: seconds('the measured data-loss window').optional(),
    replicationLagSeconds: seconds('the replication lag').optional(),
    steps: z
      .array(
        z.string().trim().min(1).max(1_000, 'must be at most 1000 characters'),
      )
      .max(50, 'must list at most 50 steps')
      .default([]),
    notes: z.string().max(4_000, 'must be at most 4000 characters').default(''),
    evidence: z
      .array(z.string().url('must be a URL').max(2_000))
      .max(20, 'must list at most 20 links')
      .default([]),
  })
  .strict();

/** @public */
export type DrillInput = z.input<typeof drillSchema>;
/** @public */
export type Drill = z.infer<typeof drillSchema>;

/** A stored drill, as the API answers it. @public */
export interface DrillRecord extends Omit<Drill, 'date'> {
  id: number;
  entityRef: string;
  /** The day of the drill, `YYYY-MM-DD`. */
  date: string;
  /** The recovery time the drill measured: `rtoSeconds`, or its duration when only that was recorded. */
  measuredRtoSeconds: number;
  recordedBy: string;
  recordedAt: string;
}

/** The entity's recovery targets, from its annotations. @public */
export interface DrillTargets {
  /** `reliability.io/rto`, e.g. `5m`. */
  rtoSeconds: number | null;
  /** `reliability.io/rpo`, e.g. `60s`. */
  rpoSeconds: number | null;
}

/** @public */
export const ANNOTATION_RTO = 'reliability.io/rto';
/** @public */
export const ANNOTATION_RPO = 'reliability.io/rpo';

/** Reads the RTO and RPO annotations (fixed durations); a bad value is reported, not guessed. @public */
export function drillTargets(annotations: Record<string, string> | undefined): {
  targets: DrillTargets;
  problems: string[];
} {
  const problems: string[] = [];
  const read = (key: string): number | null => {
    const text = annotations?.[key];
    if (text === undefined) return null;
    const d = parseDuration(text);
    if (!d || !['s', 'm', 'h', 'd'].includes(d.unit)) {
      problems.push(
        `${key}: must be a duration such as 60s, 5m or 4h, got '${text.slice(
          0,
          40,
        )}'`,
      );
      return null;
    }
    return durationMs(d) / 1000;
  };
  return {
    targets: {
      rtoSeconds: read(ANNOTATION_RTO),
      rpoSeconds: read(ANNOTATION_RPO),
    },
    problems,
  };
}

/** A reason the entity's failover proof is stale or failing. @public */
export interface DrillWarning {
  code: 'none' | 'stale' | 'failed' | 'rto-missed' | 'rpo-missed';
  message: string;
}

const minutes = (s: number) => {
  if (s % 60 === 0) return `${s / 60} min`;
  return s < 600 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`;
};

/**
 * What should worry the owner: no successful drill within `maxAgeMs` (a quarter by default), or a last drill that
 * failed or missed its RTO or RPO. `last` is the latest drill, `lastSuccess` the latest successful one.
 * @public
 */
export function drillWarnings(o: {
  last: DrillRecord | null;
  lastSuccess: DrillRecord | null;
  targets: DrillTargets;
  now: number;
  maxAgeMs: number;
}): DrillWarning[] {
  const out: DrillWarning[] = [];
  const days = Math.round(o.maxAgeMs / DAY_MS);
  if (!o.last)
    return [
      {
        code: 'none',
        message:
          'No failover drill recorded yet: drill regional failover and restores every quarter.',
      },
    ];
  if (!o.lastSuccess || o.now - Date.parse(o.lastSuccess.date) > o.maxAgeMs) {
    out.push({
      code: 'stale',
      message: `No successful drill in the last ${days} days${
        o.lastSuccess ? ` (the last one: ${o.lastSuccess.date})` : ''
      }.`,
    });
  }
  const where = `${o.last.date}, ${o.last.region}${
    o.last.toRegion ? ` to ${o.last.toRegion}` : ''
  }`;
  if (!o.last.success)
    out.push({ code: 'failed', message: `The last drill (${where}) failed.` });
  if (
    o.targets.rtoSeconds !== null &&
    o.last.measuredRtoSeconds > o.targets.rtoSeconds
  ) {
    out.push({
      code: 'rto-missed',
      message: `The last drill (${where}) took ${minutes(
        o.last.measuredRtoSeconds,
      )}, over the RTO of ${minutes(o.targets.rtoSeconds)}.`,
    });
  }
  if (
    o.targets.rpoSeconds !== null &&
    o.last.rpoSeconds !== undefined &&
    o.last.rpoSeconds > o.targets.rpoSeconds
  ) {
    out.push({
      code: 'rpo-missed',
      message: `The last drill (${where}) lost ${minutes(
        o.last.rpoSeconds,
      )} of data, over the RPO of ${minutes(o.targets.rpoSeconds)}.`,
    });
  }
  return out;
}

/** The columns of the drill log registry, then the optional ones. @public */
export const DRILL_CSV_REQUIRED = [
  'date',
  'region',
  'duration_min',
  'success',
  'notes',
] as const;
/** @public */
export const DRILL_CSV_COLUMNS = [
  ...DRILL_CSV_REQUIRED,
  'kind',
  'to_region',
  'rto_s',
  'rpo_s',
  'replication_lag_s',
  'steps',
  'evidence',
] as const;

/** At most this many drills per CSV file. @public */
export const MAX_DRILL_CSV_ROWS = 5_000;

const number = (text: string) => {
  if (text === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
};
/** A CSV cell that spells a boolean, as the boolean (other text is left for the schema to refuse). */
const BOOLEAN_CELLS = new Map<string, boolean>([
  ['true', true],
  ['false', false],
]);
const list = (text: string, sep: string) =>
  text === ''
    ? []
    : text
        .split(sep)
        .map(s => s.trim())
        .filter(Boolean);

/**
 * The drill log (`date,region,duration_min,success,notes`, plus the optional columns) as drills: all of
 * them, or every broken row with its line and column, so nothing is half-imported. `steps` are separated by `;`
 * and `evidence` links by spaces.
 * @public
 */
export function parseDrillCsv(
  text: string,
  options: { now?: number } = {},
): { ok: true; drills: Drill[] } | { ok: false; errors: CsvError[] } {
  const csv = parseCsv(text, {
    required: DRILL_CSV_REQUIRED,
    known: DRILL_CSV_COLUMNS,
    maxRows: MAX_DRILL_CSV_ROWS,
  });
  if (!csv.ok) return csv;
  const drills: Drill[] = [];
  const errors: CsvError[] = [];
  const column: Record<string, string> = {
    date: 'date',
    region: 'region',
    toRegion: 'to_region',
    durationMin: 'duration_min',
    success: 'success',
    notes: 'notes',
    kind: 'kind',
    rtoSeconds: 'rto_s',
    rpoSeconds: 'rpo_s',
    replicationLagSeconds: 'replication_lag_s',
    steps: 'steps',
    evidence: 'evidence',
  };
  for (const { line, cells } of csv.rows) {
    const success = cells.success.toLowerCase();
    const input = {
      date: cells.date,
      region: cells.region,
      durationMin: number(cells.duration_min),
      success: BOOLEAN_CELLS.get(success) ?? cells.success,
      notes: cells.notes,
      kind: cells.kind || undefined,
      toRegion: cells.to_region || undefined,
      rtoSeconds: number(cells.rto_s ?? ''),
      rpoSeconds: number(cells.rpo_s ?? ''),
      replicationLagSeconds: number(cells.replication_lag_s ?? ''),
      steps: list(cells.steps ?? '', ';'),
      evidence: list(cells.evidence ?? '', ' '),
    };
    const r = drillSchema.safeParse(input);
    if (
      r.success &&
      options.now !== undefined &&
      r.data.date > options.now + DAY_MS
    )
      errors.push({
        line,
        field: 'date',
        message: `must not be in the future, got '${cells.date}'`,
      });
    else if (r.success) drills.push(r.data);
    else {
      for (const issue of r.error.issues) {
        const key = String(issue.path[0] ?? '');
        const field = column[key] ?? key;
        const value = (cells as Record<string, string | undefined>)[field];
        const message =
          issue.message === 'Expected number, received nan' ||
          (typeof (input as any)[key] === 'number' &&
            Number.isNaN((input as any)[key]))
            ? 'must be a number'
            : issue.message;
        errors.push({
          line,
          field,
          message:
            value !== undefined && value !== ''
              ? `${message}, got '${value.slice(0, 40)}'`
              : message,
        });
      }
    }
    if (errors.length >= 50) break;
  }
  return errors.length ? { ok: false, errors } : { ok: true, drills };
}

/** Drills as CSV, every column (the registry's first), newest first as given. @public */
export function drillsToCsv(drills: readonly DrillRecord[]): string {
  return toCsv(
    DRILL_CSV_COLUMNS,
    drills.map(d => [
      d.date,
      d.region,
      d.durationMin,
      d.success,
      d.notes,
      d.kind,
      d.toRegion,
      d.rtoSeconds,
      d.rpoSeconds,
      d.replicationLagSeconds,
      d.steps.join('; '),
      d.evidence.join(' '),
    ]),
  );
}

/** The errors of a refused CSV as one message: `line 3, success: must be true or false; ...`. @public */
export function csvErrorsMessage(
  errors: readonly CsvError[],
  max = 10,
): string {
  const shown = errors
    .slice(0, max)
    .map(e => `line ${e.line}${e.field ? `, ${e.field}` : ''}: ${e.message}`);
  return `${shown.join('; ')}${
    errors.length > max ? `; and ${errors.length - max} more` : ''
  }`;
}

/** POST /drills. @public */
export const drillCreateRequestSchema = z
  .object({ entityRef: entityRefParam, drill: z.unknown() })
  .strict();

/** GET /drills, GET /drills/export, POST /drills/import (query). @public */
export const drillListQuerySchema = z
  .object({ entityRef: entityRefParam, ...pageParams })
  .strict();
/** @public */
export const drillEntityQuerySchema = z
  .object({ entityRef: entityRefParam })
  .strict();

/** GET /drills: one page of the entity's drills, newest first, with its targets and warnings. @public */
export interface DrillListResponse {
  items: DrillRecord[];
  nextCursor?: string;
  targets: DrillTargets;
  /** Problems with the entity's RTO/RPO annotations. */
  targetProblems: string[];
  warnings: DrillWarning[];
  last: DrillRecord | null;
}

/** The day of an epoch ms, `YYYY-MM-DD`. @public */
export const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
