import { z } from 'zod';
import { entityRefParam } from '../model/params';
import { pageParams } from '../model/pagination';
import { durationMs, parseDuration } from '../math/duration';

/** The kinds of load test an SRE practice names (plus k6's average-load "load"). @public */
export const CAPACITY_TEST_TYPES = [
  'smoke',
  'load',
  'spike',
  'stress',
  'soak',
] as const;
/** @public */
export type CapacityTestType = (typeof CAPACITY_TEST_TYPES)[number];

/** POST /capacity/runs: a k6 end-of-test summary with what CI knows of the run. @public */
export const capacityRunRequestSchema = z
  .object({
    entityRef: entityRefParam,
    testType: z.enum(CAPACITY_TEST_TYPES, {
      errorMap: () => ({
        message: `must be one of ${CAPACITY_TEST_TYPES.join(', ')}`,
      }),
    }),
    commit: z
      .string({ required_error: 'is required' })
      .trim()
      .regex(
        /^[A-Za-z0-9._/-]{1,80}$/,
        'must be a commit sha or ref (letters, digits, . _ / -; at most 80)',
      ),
    /** The JSON of `k6 run --summary-export`, or the data object handleSummary gets. */
    summary: z.record(z.unknown(), {
      required_error: 'is required',
      invalid_type_error: 'must be the JSON object of a k6 end-of-test summary',
    }),
    /** The highest requests per second the run reached (k6's summary holds only the average rate). */
    maxRps: z.number().positive('must be above 0').max(100_000_000).optional(),
    /** Peak CPU of the service under test, when the run measured it. */
    cpuPercent: z
      .number()
      .min(0)
      .max(100_000, 'must be at most 100000 (1000 cores)')
      .optional(),
    /** When the run started (default: when it is posted). */
    startedAt: z
      .string()
      .refine(
        v => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)),
        'must be an ISO-8601 timestamp such as 2026-11-22T10:00:00Z',
      )
      .optional(),
  })
  .strict();

/** What the suite reads from a k6 summary. @public */
export interface K6Figures {
  p95Ms: number;
  p99Ms: number | null;
  avgMs: number | null;
  /** http_reqs' rate: requests per second over the whole run. */
  rps: number;
  requests: number;
  /** http_req_failed's rate, 0..1. */
  errorRate: number;
  durationSeconds: number | null;
  vusMax: number | null;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/**
 * Reads a k6 end-of-test summary in either documented shape: `handleSummary(data)` (`metrics.<name>.values`) or
 * `--summary-export` (`metrics.<name>` holding the values). http_req_duration's p(95) and http_reqs are required;
 * a problem names the field.
 * @public
 */
export function readK6Summary(
  summary: unknown,
): { ok: true; value: K6Figures } | { ok: false; error: string } {
  if (!isObject(summary) || !isObject(summary.metrics))
    return {
      ok: false,
      error:
        'summary.metrics: is required (the JSON of k6 --summary-export or handleSummary)',
    };
  const metrics = summary.metrics;
  const values = (name: string): Record<string, unknown> | undefined => {
    const m = metrics[name];
    if (!isObject(m)) return undefined;
    return isObject(m.values) ? m.values : m;
  };
  const duration = values('http_req_duration');
  const p95 = finite(duration?.['p(95)']);
  if (p95 === undefined)
    return {
      ok: false,
      error:
        "summary.metrics.http_req_duration: needs p(95) (k6's default summaryTrendStats include it)",
    };
  const reqs = values('http_reqs');
  const count = finite(reqs?.count);
  const rate = finite(reqs?.rate);
  if (count === undefined || rate === undefined)
    return {
      ok: false,
      error: 'summary.metrics.http_reqs: needs count and rate',
    };
  const failed = values('http_req_failed');
  // handleSummary: values.rate; --summary-export: value (and passes = failed requests)
  const errorRate = finite(failed?.rate) ?? finite(failed?.value) ?? 0;
  const state = isObject(summary.state) ? summary.state : {};
  const runMs = finite(state.testRunDurationMs);
  const vus = values('vus_max');
  return {
    ok: true,
    value: {
      p95Ms: p95,
      p99Ms: finite(duration?.['p(99)']) ?? null,
      avgMs: finite(duration?.avg) ?? null,
      rps: rate,
      requests: count,
      errorRate: Math.min(1, Math.max(0, errorRate)),
      durationSeconds: runMs === undefined ? null : runMs / 1000,
      vusMax: finite(vus?.max) ?? finite(vus?.value) ?? null,
    },
  };
}

/** The annotation naming an entity's latency objective for load tests: `reliability.io/latency-p95: 1s`. @public */
export const ANNOTATION_LATENCY_P95 = 'reliability.io/latency-p95';

/** The p95 latency target from the annotation, in ms; null when absent, an error when unreadable. @public */
export function latencyTargetMs(
  annotations: Record<string, string> | undefined,
): { ms: number | null; problem?: string } {
  const text = annotations?.[ANNOTATION_LATENCY_P95];
  if (text === undefined) return { ms: null };
  const ms = /^(\d+(?:\.\d+)?)ms$/.exec(text.trim());
  if (ms) return { ms: Number(ms[1]) };
  const d = parseDuration(text);
  if (d && ['s', 'm'].includes(d.unit)) return { ms: durationMs(d) };
  return {
    ms: null,
    problem: `${ANNOTATION_LATENCY_P95}: must be a latency such as 300ms or 1s, got '${text.slice(
      0,
      40,
    )}'`,
  };
}

/** @public */
export type CapacityVerdict = 'pass' | 'fail' | 'unknown';

/** The capacity rule: the build fails when p95 latency is above the SLO. @public */
export function capacityVerdict(
  p95Ms: number,
  targetMs: number | null,
): { verdict: CapacityVerdict; reason: string } {
  if (targetMs === null)
    return {
      verdict: 'unknown',
      reason: `no latency objective: annotate the entity with ${ANNOTATION_LATENCY_P95} (e.g. 300ms)`,
    };
  return p95Ms > targetMs
    ? {
        verdict: 'fail',
        reason: `p95 ${Number(
          p95Ms.toFixed(1),
        )} ms is above the latency SLO of ${targetMs} ms`,
      }
    : {
        verdict: 'pass',
        reason: `p95 ${Number(
          p95Ms.toFixed(1),
        )} ms is within the latency SLO of ${targetMs} ms`,
      };
}

/** A stored run, as the API answers it. @public */
export interface CapacityRun extends K6Figures {
  id: number;
  entityRef: string;
  testType: CapacityTestType;
  commit: string;
  startedAt: string;
  maxRps: number | null;
  cpuPercent: number | null;
  /** The latency objective the verdict used, in ms. */
  targetMs: number | null;
  verdict: CapacityVerdict;
  reason: string;
  recordedBy: string;
}

/** A reason to doubt the entity holds its traffic. @public */
export interface CapacityWarning {
  code: 'stress-headroom' | 'burst-headroom' | 'no-stress-test' | 'last-failed';
  message: string;
}

const rps = (n: number) =>
  n >= 100 ? `${Math.round(n)}` : `${Number(n.toFixed(1))}`;

/**
 * The headroom rule: capacity for 2x the normal daily peak (the last stress test's max RPS) and 4x bursts
 * (the last spike test's). `peakRps` is the busiest minute of the entity's SLI traffic.
 * @public
 */
export function capacityWarnings(o: {
  lastStress: CapacityRun | null;
  lastSpike: CapacityRun | null;
  last: CapacityRun | null;
  peakRps: number | null;
}): CapacityWarning[] {
  const out: CapacityWarning[] = [];
  if (o.last?.verdict === 'fail')
    out.push({
      code: 'last-failed',
      message: `The last ${o.last.testType} test (${o.last.commit}) failed: ${o.last.reason}.`,
    });
  if (o.peakRps === null || o.peakRps <= 0) return out;
  if (!o.lastStress)
    out.push({
      code: 'no-stress-test',
      message: `No stress test yet: prove ${rps(
        2 * o.peakRps,
      )} RPS, twice the daily peak of ${rps(o.peakRps)} RPS.`,
    });
  else {
    const reached = o.lastStress.maxRps ?? o.lastStress.rps;
    if (reached < 2 * o.peakRps) {
      out.push({
        code: 'stress-headroom',
        message: `The last stress test reached ${rps(
          reached,
        )} RPS, below twice the daily peak (${rps(2 * o.peakRps)} RPS of ${rps(
          o.peakRps,
        )}).`,
      });
    }
  }
  if (o.lastSpike) {
    const reached = o.lastSpike.maxRps ?? o.lastSpike.rps;
    if (reached < 4 * o.peakRps)
      out.push({
        code: 'burst-headroom',
        message: `The last spike test reached ${rps(
          reached,
        )} RPS, below a 4x burst (${rps(4 * o.peakRps)} RPS).`,
      });
  }
  return out;
}

/** GET /capacity/runs. @public */
export const capacityListQuerySchema = z
  .object({ entityRef: entityRefParam, ...pageParams })
  .strict();

/** GET /capacity/runs: a page of runs (newest first), the headroom and the latency target. @public */
export interface CapacityListResponse {
  items: CapacityRun[];
  nextCursor?: string;
  targetMs: number | null;
  targetProblem?: string;
  /** The busiest minute of the entity's SLI traffic in the last 7 days, in requests per second. */
  peakRps: number | null;
  warnings: CapacityWarning[];
}
