import { z } from 'zod';
import { entityRefParam } from '../api/types';
import { pageParams } from '../pagination/pagination';
import { durationMs, parseDuration } from '../math/duration';
import { CsvError, parseCsv } from '../csv/csv';
import { REDACTED, redactText } from '../redaction/redact';
import { percentile } from '../math/percentile';
import type { SloDefinition } from '../openslo/definition';

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

/** One action of a browser step (playwright-core on the machine's Chromium). @public */
export const syntheticBrowserActionSchema = z.union([
  z.object({ goto: template(2_000) }).strict(),
  z.object({ fill: text(300).min(1, 'must name a selector'), value: template(2_000) }).strict(),
  z.object({ click: text(300).min(1, 'must name a selector') }).strict(),
  z.object({ expectText: text(1_000).min(1, 'is required') }).strict(),
]);

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/** The steps of a journey: HTTP requests, and deep checks of TLS and DNS. @public */
export const syntheticStepSchema = z.discriminatedUnion(
  'type',
  [
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
      type: z.literal('browser'),
      name: text(80).min(1, 'is required'),
      /** Navigate, fill, click, expect text; runs only where `reliability.synthetics.browser.enabled` is true. */
      actions: z.array(syntheticBrowserActionSchema).min(1, 'needs at least one action').max(30, 'must list at most 30 actions'),
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
  ],
  { errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union_discriminator' ? 'must be http, tls, dns or browser' : ctx.defaultError }) },
);

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
  /** Time to the response's headers (HTTP steps). */
  ttfbMs?: number;
  /** The URL called, redacted (HTTP steps, the last hop of redirects). */
  url?: string;
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
  /** The evidence, kept for the last runs only (pruned by a scheduled task): null once pruned. */
  steps: SyntheticStepResult[] | null;
  /** Whether a screenshot / HAR of a browser step is kept (GET /synthetics/runs/:id/screenshot, /har). */
  screenshot: boolean;
  har: boolean;
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

/** GET /synthetics: an entity's journeys with their latest run per region. @public */
export interface SyntheticJourneyListResponse {
  items: SyntheticJourneyRecord[];
  nextCursor?: string;
  /** Hosts journeys may call (`reliability.synthetics.allowedHosts`), so the page can say why a step was refused. */
  allowedHosts: string[];
  browserEnabled: boolean;
}

/** GET /synthetics/runs: runs newest first. @public */
export interface SyntheticRunListResponse {
  items: SyntheticRun[];
  nextCursor?: string;
}

/** GET /synthetics/series query. @public */
export const syntheticSeriesQuerySchema = z
  .object({
    entityRef: entityRefParam,
    journey: z.string({ required_error: 'is required' }).regex(NAME, 'must be a journey name'),
    range: z.enum(['24h', '7d', '30d'], { errorMap: () => ({ message: 'must be one of 24h, 7d, 30d' }) }).default('24h'),
  })
  .strict();

/** One bucket of a journey's runs in one region. @public */
export interface SyntheticSeriesPoint {
  t: number;
  region: string;
  runs: number;
  /** Share of runs that succeeded within the deadline, 0..1. */
  successRate: number;
  /** 95th percentile of the runs' durations (nearest rank). */
  p95Ms: number;
}

/** GET /synthetics/series: success rate and p95 per bucket and region. @public */
export interface SyntheticSeriesResponse {
  journey: string;
  bucketMs: number;
  deadlineMs: number;
  points: SyntheticSeriesPoint[];
}

const SERIES_BUCKET: Record<'24h' | '7d' | '30d', { rangeMs: number; bucketMs: number }> = {
  '24h': { rangeMs: 86_400_000, bucketMs: 3_600_000 },
  '7d': { rangeMs: 7 * 86_400_000, bucketMs: 6 * 3_600_000 },
  '30d': { rangeMs: 30 * 86_400_000, bucketMs: 86_400_000 },
};

/** The range and bucket size of a series. @public */
export function syntheticSeriesRange(range: '24h' | '7d' | '30d'): { rangeMs: number; bucketMs: number } {
  return SERIES_BUCKET[range];
}

/** Code-unit order of two texts (-1, 0 or 1), as `<` compares them. */
const compareText = (a: string, b: string): number => (a < b ? -1 : Number(a > b));

/**
 * Runs bucketed per region: success rate and p95 duration per bucket (buckets aligned to `bucketMs` since the epoch),
 * ordered by time then region. Linear in the runs, plus a sort per bucket.
 * @public
 */
export function syntheticSeries(runs: { startedAt: number; region: string; success: boolean; durationMs: number }[], bucketMs: number): SyntheticSeriesPoint[] {
  const buckets = new Map<string, { t: number; region: string; ok: number; durations: number[] }>();
  for (const r of runs) {
    const t = Math.floor(r.startedAt / bucketMs) * bucketMs;
    const key = `${t}|${r.region}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { t, region: r.region, ok: 0, durations: [] }));
    if (r.success) b.ok++;
    b.durations.push(r.durationMs);
  }
  return [...buckets.values()]
    .sort((a, b) => a.t - b.t || compareText(a.region, b.region))
    .map(b => ({ t: b.t, region: b.region, runs: b.durations.length, successRate: b.ok / b.durations.length, p95Ms: percentile(b.durations, 95) ?? 0 }));
}

/** A piece of a template: literal text, or a `{{name}}` / `{{secrets.NAME}}` reference. @public */
export type TemplatePart = { text: string } | { ref: string };

/**
 * Splits a template into literal text and `{{...}}` references, scanning once (no regular expression on user text).
 * An unclosed `{{` is literal text.
 * @public
 */
export function parseTemplate(source: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let from = 0;
  while (from < source.length) {
    const open = source.indexOf('{{', from);
    const close = open < 0 ? -1 : source.indexOf('}}', open + 2);
    if (open < 0 || close < 0) {
      parts.push({ text: source.slice(from) });
      break;
    }
    if (open > from) parts.push({ text: source.slice(from, open) });
    parts.push({ ref: source.slice(open + 2, close).trim() });
    from = close + 2;
  }
  return parts;
}

/**
 * Fills a template with the values extracted by earlier steps and the configured secrets (`{{secrets.NAME}}`).
 * An unknown name is an error naming it; secrets are looked up, never stored with the journey.
 * @public
 */
export function renderJourneyTemplate(
  source: string,
  vars: Readonly<Record<string, string>>,
  secrets: Readonly<Record<string, string>>,
): { ok: true; value: string; usedSecrets: string[] } | { ok: false; error: string } {
  let out = '';
  const usedSecrets: string[] = [];
  for (const part of parseTemplate(source)) {
    if ('text' in part) {
      out += part.text;
      continue;
    }
    if (part.ref.startsWith('secrets.')) {
      const name = part.ref.slice('secrets.'.length);
      const v = Object.prototype.hasOwnProperty.call(secrets, name) ? secrets[name] : undefined;
      if (v === undefined) return { ok: false, error: `uses {{${part.ref.slice(0, 60)}}}, which is not in reliability.synthetics.secrets` };
      usedSecrets.push(v);
      out += v;
    } else {
      const v = Object.prototype.hasOwnProperty.call(vars, part.ref) ? vars[part.ref] : undefined;
      if (v === undefined) return { ok: false, error: `uses {{${part.ref.slice(0, 60)}}}, which no earlier step extracted` };
      out += v;
    }
  }
  return { ok: true, value: out, usedSecrets };
}

/** JSON keys whose values never reach an excerpt (compared in lower case, as substrings). */
const SENSITIVE_KEYS = ['token', 'password', 'secret', 'otp', 'authorization', 'cookie', 'session', 'apikey', 'api_key', 'card', 'cvv'];

/**
 * The start of a response body as evidence: JSON bodies with the values of sensitive keys (token, password, otp,
 * session, card…) replaced, every known secret replaced, URL credentials and queries removed, at most `maxLength`.
 * @public
 */
export function redactExcerpt(body: string, secrets: Iterable<string>, maxLength = 1_000): string {
  let redacted = body;
  const trimmed = body.trimStart();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && body.length <= 256_000) {
    try {
      const walk = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(walk);
        if (v && typeof v === 'object') {
          return Object.fromEntries(
            Object.entries(v).map(([k, x]) => [k, SENSITIVE_KEYS.some(s => k.toLocaleLowerCase('en-US').includes(s)) && x !== null && typeof x !== 'object' ? REDACTED : walk(x)]),
          );
        }
        return v;
      };
      redacted = JSON.stringify(walk(JSON.parse(body)));
    } catch {
      // not JSON after all: redacted as text
    }
  }
  return redactText(redacted, secrets, maxLength);
}

/**
 * `metricSource.type` of an SLI fed by a synthetic journey (compared without case): `spec.journey` names the
 * journey of the SLO's component, `spec.region` optionally one region. Good = success within the deadline.
 * @public
 */
export const SYNTHETIC_SOURCE_TYPE = 'synthetic';

/** GET /synthetics/runs. @public */
export const syntheticRunsQuerySchema = z
  .object({
    entityRef: entityRefParam,
    journey: z.string().regex(NAME, 'must be a journey name').optional(),
    region: z.string().regex(REGION, 'must be a region such as ap-sg').optional(),
    failed: z.enum(['true', 'false'], { errorMap: () => ({ message: 'must be true or false' }) }).transform(v => v === 'true').optional(),
    ...pageParams,
  })
  .strict();

/** DELETE /synthetics/journeys. @public */
export const syntheticJourneyKeySchema = z.object({ entityRef: entityRefParam, journey: z.string({ required_error: 'is required' }).regex(NAME, 'must be a journey name') }).strict();

/** The journey (and optional region) a Synthetic SLI counts: `metricSource.spec.journey` / `.region`. @public */
export function syntheticSliOf(def: SloDefinition): { journey: string; region?: string } | undefined {
  if ((def.indicator.sourceType ?? '').toLocaleLowerCase('en-US') !== SYNTHETIC_SOURCE_TYPE) return undefined;
  const spec = (def.indicator.total.spec ?? {}) as Record<string, unknown>;
  if (typeof spec.journey !== 'string') return undefined;
  return { journey: spec.journey, region: typeof spec.region === 'string' ? spec.region : undefined };
}
