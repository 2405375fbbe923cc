import { z } from 'zod';
import { entityRefParam } from '../api/types';
import { pageParams } from '../pagination/pagination';
import { durationMs, parseDuration } from '../math/duration';
import { CsvError, parseCsv } from '../csv/csv';

const NAME = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
const REGION = /^[a-z]{2,12}(-[a-z0-9]{1,16}){1,3}$/;
const text = (max: number) => z.string({ required_error: 'is required', invalid_type_error: 'must be text' }).max(max, `must be at most ${max} characters`);
/** A template such as `https://shop.example/cart/{{cartId}}`: values extracted by earlier steps, and `{{secrets.NAME}}`. */
const template = (max: number) => text(max).min(1, 'is required');

const jsonPath = text(300).refine(v => v.startsWith('$'), 'must be a JSONPath starting with $ (such as $.items[0].id)');

/** What a response must show. @public */
export const syntheticAssertionSchema = z.union([
  z.object({ jsonPath, equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(), exists: z.boolean().optional() }).strict(),
  z.object({ contains: text(1_000).min(1) }).strict(),
  z.object({ notContains: text(1_000).min(1) }).strict(),
]);

/** A value taken from a response for later steps (`{{name}}`). @public */
export const syntheticExtractSchema = z.union([
  z.object({ name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,40}$/, 'must be a name such as cartId'), jsonPath }).strict(),
  z.object({ name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,40}$/, 'must be a name such as cartId'), header: text(200).min(1) }).strict(),
]);

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/** The steps of a journey: HTTP requests, and deep checks of TLS and DNS. @public */
export const syntheticStepSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('http'),
      name: text(80).min(1, 'is required'),
      method: z.enum(HTTP_METHODS, { errorMap: () => ({ message: `must be one of ${HTTP_METHODS.join(', ')}` }) }).default('GET'),
      url: template(2_000),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a header name'), template(2_000)).default({}),
      body: z.union([text(100_000), z.record(z.unknown())]).optional(),
      /** The status it must answer (default: any 2xx). */
      expectStatus: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1).max(20)]).optional(),
      assert: z.array(syntheticAssertionSchema).max(20, 'must list at most 20 assertions').default([]),
      extract: z.array(syntheticExtractSchema).max(20, 'must list at most 20 values').default([]),
    })
    .strict(),
  z
    .object({
      type: z.literal('tls'),
      name: text(80).min(1, 'is required'),
      host: z.string().regex(/^[a-zA-Z0-9.-]{1,253}$/, 'must be a host name'),
      port: z.number().int().min(1).max(65535).default(443),
      /** A certificate expiring within this many days is a warning (not a failure). */
      warnDays: z.number().int().min(1).max(365).default(14),
      /** Accept a chain the runner's trust store does not (a private CA); expiry is still checked. */
      allowUntrusted: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      type: z.literal('dns'),
      name: text(80).min(1, 'is required'),
      hostname: z.string().regex(/^[a-zA-Z0-9.-]{1,253}$/, 'must be a host name'),
      /** Addresses the name must resolve to (any of them present passes). */
      expect: z.array(z.string().max(64)).max(20).optional(),
    })
    .strict(),
]);

/** @public */
export type SyntheticStep = z.infer<typeof syntheticStepSchema>;

const frequency = z
  .string({ required_error: 'is required' })
  .refine(v => {
    const d = parseDuration(v);
    return Boolean(d && ['s', 'm', 'h'].includes(d.unit) && durationMs(d) >= 30_000 && durationMs(d) <= 86_400_000);
  }, 'must be a duration between 30s and 24h, such as 5m');

/** A synthetic journey of an entity: where and how often it runs, its deadline, and its steps. @public */
export const syntheticJourneySchema = z
  .object({
    name: z.string({ required_error: 'is required' }).regex(NAME, 'must be lowercase letters, digits, _ and - (at most 63), such as checkout_full'),
    regions: z.array(z.string().regex(REGION, 'must be a region such as ap-sg or us-east')).min(1, 'needs at least one region').max(20),
    frequency,
    /** The whole journey must finish within this; a hung journey is cut here. */
    deadlineMs: z.number({ required_error: 'is required', invalid_type_error: 'must be a number of milliseconds' }).int().min(100, 'must be at least 100').max(300_000, 'must be at most 300000'),
    steps: z.array(syntheticStepSchema).max(20, 'must list at most 20 steps').default([]),
  })
  .strict();

/** @public */
export type SyntheticJourney = z.infer<typeof syntheticJourneySchema>;

/** PUT /synthetics/journeys: one journey of an entity (created or replaced). @public */
export const syntheticJourneyRequestSchema = z.object({ entityRef: entityRefParam, journey: z.unknown() }).strict();

/** GET /synthetics, /synthetics/runs. @public */
export const syntheticListQuerySchema = z.object({ entityRef: entityRefParam, journey: z.string().regex(NAME).optional(), ...pageParams }).strict();
/** @public */
export const syntheticEntityQuerySchema = z.object({ entityRef: entityRefParam }).strict();

/** The result of one step. @public */
export interface SyntheticStepResult {
  name: string;
  type: SyntheticStep['type'];
  ok: boolean;
  /** Started this long after the journey started, and took this long (a waterfall). */
  startMs: number;
  durationMs: number;
  status?: number;
  error?: string;
  warning?: string;
  /** The start of the response, redacted. */
  excerpt?: string;
}

/** One run of a journey in one region. @public */
export interface SyntheticRun {
  id: number;
  journey: string;
  entityRef: string;
  region: string;
  startedAt: string;
  durationMs: number;
  success: boolean;
  /** Why it failed: the first failed step, or the deadline. */
  error: string | null;
  warnings: string[];
  steps: SyntheticStepResult[];
}

/** A journey as the API answers it, with its latest run per region. @public */
export interface SyntheticJourneyRecord extends SyntheticJourney {
  id: number;
  entityRef: string;
  updatedAt: string;
  updatedBy: string;
  latest: Record<string, Pick<SyntheticRun, 'startedAt' | 'success' | 'durationMs' | 'error' | 'warnings'> | null>;
}

/** The seed's synthetic registry: `journey,region,frequency,deadline_ms`. @public */
export const SYNTHETIC_CSV_COLUMNS = ['journey', 'region', 'frequency', 'deadline_ms'] as const;

/**
 * The seed's registry as journeys (their regions, frequency and deadline; steps come from the journey's own
 * definition): one row per journey and region, rows of a journey merged. Every broken row named by line and column.
 * @public
 */
export function parseSyntheticRegistryCsv(csvText: string): { ok: true; journeys: Omit<SyntheticJourney, 'steps'>[] } | { ok: false; errors: CsvError[] } {
  const csv = parseCsv(csvText, { required: SYNTHETIC_CSV_COLUMNS, known: SYNTHETIC_CSV_COLUMNS, maxRows: 2_000 });
  if (!csv.ok) return csv;
  const errors: CsvError[] = [];
  const byName = new Map<string, Omit<SyntheticJourney, 'steps'> & { line: number }>();
  for (const { line, cells } of csv.rows) {
    const deadline = /^\d+$/.test(cells.deadline_ms) ? Number(cells.deadline_ms) : NaN;
    const r = syntheticJourneySchema.omit({ steps: true }).safeParse({ name: cells.journey, regions: [cells.region], frequency: cells.frequency, deadlineMs: deadline });
    if (!r.success) {
      const column: Record<string, string> = { name: 'journey', regions: 'region', frequency: 'frequency', deadlineMs: 'deadline_ms' };
      for (const issue of r.error.issues) {
        const field = column[String(issue.path[0])] ?? String(issue.path[0]);
        errors.push({ line, field, message: Number.isNaN(deadline) && field === 'deadline_ms' ? `must be a whole number of milliseconds, got '${cells.deadline_ms.slice(0, 40)}'` : issue.message });
      }
      continue;
    }
    const seen = byName.get(r.data.name);
    if (!seen) byName.set(r.data.name, { ...r.data, line });
    else if (seen.frequency !== r.data.frequency || seen.deadlineMs !== r.data.deadlineMs) {
      errors.push({ line, field: 'journey', message: `${r.data.name} has frequency ${seen.frequency} and deadline ${seen.deadlineMs} ms on line ${seen.line}; a journey has one of each` });
    } else if (!seen.regions.includes(r.data.regions[0])) seen.regions.push(r.data.regions[0]);
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, journeys: [...byName.values()].map(({ line: _line, ...j }) => j) };
}

/**
 * Whether a host may be called: an exact name, or `*.example.com` for its subdomains (not the apex), compared without
 * case; IPv6 literals in brackets compare as written. @public
 */
export function hostAllowed(host: string, allowlist: readonly string[]): boolean {
  const h = host.toLocaleLowerCase('en-US').replace(/\.$/, '');
  return allowlist.some(entry => {
    const e = entry.toLocaleLowerCase('en-US');
    return e.startsWith('*.') ? h.endsWith(e.slice(1)) && h.length > e.length - 1 : h === e;
  });
}
