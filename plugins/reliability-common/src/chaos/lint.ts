import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { durationMs, parseDuration } from '../math/duration';
import { cronShortestGapMs } from '../math/cron';
import {
  ChaosExperiment,
  chaosExperimentSchema,
  DESTRUCTIVE_INJECTIONS,
  MAX_CHAOS_EXPECTATIONS,
  migrateChaosExperiment,
  rawInjections,
  TRAFFIC_INJECTIONS,
} from './experiment';
import { scopeChaosQuery } from './export';

/** One broken rule, naming the field. @public */
export interface ChaosViolation {
  /** The field, as a path into the experiment: `blastRadius.trafficPercent`. */
  field: string;
  /** The rule: `schema`, `max-traffic`, `blast-radius`, `abort-condition`, `steady-state`, `duration`, `schedule`, `approver`, `rollback`, `expectation`. */
  rule: string;
  message: string;
}

/** The guardrails experiments are held to. @public */
export interface ChaosPolicy {
  /** The largest share of requests an experiment may hit (`max_traffic`, 10% by default; `trafficPercent`, Istio). */
  maxTrafficPercent: number;
  /** The largest share of pods (`podPercent`: Litmus, Chaos Mesh); `maxTrafficPercent` when absent. */
  maxPodPercent?: number;
  /** Per environment, different limits (e.g. 50% in staging). */
  environments?: Record<
    string,
    { maxTrafficPercent?: number; maxPodPercent?: number }
  >;
  minDurationMs: number;
  maxDurationMs: number;
  /** A cron schedule may not run more often than this. */
  minCronIntervalMs: number;
  /** Environments where a run needs an approver who is not the author. */
  productionEnvironments: string[];
}

/** @public */
export const DEFAULT_CHAOS_POLICY: ChaosPolicy = {
  maxTrafficPercent: 10,
  minDurationMs: 30_000,
  maxDurationMs: 3_600_000,
  minCronIntervalMs: 3_600_000,
  productionEnvironments: ['production', 'prod'],
};

/** What the linter knows of the experiment's entity. @public */
export interface ChaosLintContext {
  /** The entity's SLOs (`namespace/name`): the steady state must be one of them. Unchecked when absent. */
  sloRefs?: readonly string[];
  /** Whether a Prometheus is configured to evaluate PromQL abort conditions. Unchecked when absent. */
  prometheus?: boolean;
  policy?: ChaosPolicy;
}

/** @public */
export type ChaosLintResult =
  | { ok: true; experiment: ChaosExperiment; violations: [] }
  | { ok: false; experiment?: ChaosExperiment; violations: ChaosViolation[] };

/** At most this many schema violations are listed. @public */
export const MAX_SCHEMA_VIOLATIONS = 50;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const pct = (n: number) => `${Number(n.toFixed(2))}%`;

/**
 * Lints an experiment: its schema and the guardrails, every violation at once, each naming its field. The
 * guardrails are checked on what can be read even when the schema fails, so a form shows every error together.
 * @public
 */
export function lintChaosExperiment(
  input: unknown,
  context: ChaosLintContext = {},
): ChaosLintResult {
  const policy = context.policy ?? DEFAULT_CHAOS_POLICY;
  const violations: ChaosViolation[] = [];
  const parsed = chaosExperimentSchema.safeParse(input);
  if (!parsed.success) {
    // a hostile document can break a rule per list item: the first MAX_SCHEMA_VIOLATIONS say enough
    for (const issue of parsed.error.issues.slice(0, MAX_SCHEMA_VIOLATIONS)) {
      violations.push({
        field: issue.path.map(String).join('.') || '(experiment)',
        rule: 'schema',
        message: issue.message,
      });
    }
  }
  // guardrails read the experiment as loaded (older files migrated as the schema reads them)
  const migrated = migrateChaosExperiment(input);
  const e = isObject(migrated) ? migrated : {};
  const env = typeof e.environment === 'string' ? e.environment : '';

  // blast radius within max_traffic for the environment, for what each share counts: requests or pods
  const envPolicy = policy.environments?.[env];
  const trafficLimit = envPolicy?.maxTrafficPercent ?? policy.maxTrafficPercent;
  const limits = {
    trafficPercent: { limit: trafficLimit, of: 'of requests' },
    podPercent: {
      limit: envPolicy?.maxPodPercent ?? policy.maxPodPercent ?? trafficLimit,
      of: 'of pods',
    },
  };
  const blast = isObject(e.blastRadius) ? e.blastRadius : {};
  for (const key of ['trafficPercent', 'podPercent'] as const) {
    const v = blast[key];
    const { limit, of } = limits[key];
    if (typeof v === 'number' && v > limit) {
      violations.push({
        field: `blastRadius.${key}`,
        rule: 'max-traffic',
        message: `must be at most ${pct(limit)} ${of}${
          env ? ` in ${env}` : ''
        } (max_traffic), got ${pct(v)}`,
      });
    }
  }

  // faults that act on pods are scoped by a share of pods: a share of requests says nothing of them
  const faults = rawInjections(e);
  const podFaults = faults
    .map(f => (isObject(f) ? f.type : undefined))
    .filter(
      (t): t is string =>
        typeof t === 'string' && !TRAFFIC_INJECTIONS.includes(t),
    );
  if (podFaults.length && blast.podPercent === undefined) {
    violations.push({
      field: 'blastRadius.podPercent',
      rule: 'blast-radius',
      message: `is required: ${[...new Set(podFaults)].join(
        ', ',
      )} acts on pods, and trafficPercent is a share of requests (only the Istio export honours it)`,
    });
  }

  // regions given as namespaces name a namespace for every region of the blast radius
  const target = isObject(e.target) ? e.target : {};
  if (isObject(target.regionNamespaces) && Array.isArray(blast.regions)) {
    const missing = blast.regions
      .slice(0, 20)
      .filter(
        r =>
          typeof r === 'string' &&
          !Object.prototype.hasOwnProperty.call(target.regionNamespaces, r),
      );
    if (missing.length)
      violations.push({
        field: 'target.regionNamespaces',
        rule: 'blast-radius',
        message: `needs a namespace for every region of the blast radius; missing ${missing.join(
          ', ',
        )}`,
      });
  }

  // at least one abort condition
  if (!Array.isArray(e.abortConditions) || e.abortConditions.length === 0) {
    violations.push({
      field: 'abortConditions',
      rule: 'abort-condition',
      message:
        'needs at least one abort condition: chaos must respect business SLOs',
    });
  }

  // PromQL conditions parse (Prometheus's own grammar) and have a Prometheus to run on
  if (Array.isArray(e.abortConditions)) {
    e.abortConditions.slice(0, 20).forEach((c, i) => {
      if (
        !isObject(c) ||
        c.type !== 'promql' ||
        typeof c.query !== 'string' ||
        c.query.length > 4_000
      )
        return;
      // placeholders ({{regions}}, {{namespaces}}) are filled with what the experiment hits before parsing
      const scoped = scopeChaosQuery(c.query, {
        target: isObject(e.target) ? e.target : undefined,
        blastRadius: isObject(e.blastRadius) ? e.blastRadius : undefined,
      });
      const problem = scoped.ok ? promqlProblem(scoped.query) : scoped.error;
      if (problem)
        violations.push({
          field: `abortConditions.${i}.query`,
          rule: 'abort-condition',
          message: problem,
        });
      else if (context.prometheus === false) {
        violations.push({
          field: `abortConditions.${i}.query`,
          rule: 'abort-condition',
          message:
            'needs a Prometheus instance (reliability.prometheus.instances) to be evaluated; use a burn-rate or budget-spent condition',
        });
      }
    });
  }

  // expectations: within no longer than the run (checked when it ends), breaker queries parse and can be evaluated
  const runMs =
    typeof e.duration === 'string' ? safeDurationMs(e.duration) : undefined;
  if (Array.isArray(e.expectations)) {
    e.expectations.slice(0, MAX_CHAOS_EXPECTATIONS).forEach((x, i) => {
      if (!isObject(x)) return;
      const w =
        typeof x.within === 'string' ? safeDurationMs(x.within) : undefined;
      if (w !== undefined && runMs !== undefined && w > runMs)
        violations.push({
          field: `expectations.${i}.within`,
          rule: 'expectation',
          message: `must be at most the experiment's duration (${e.duration}): expectations are checked when the run ends, got ${x.within}`,
        });
      if (
        x.type !== 'breaker-opens' ||
        typeof x.query !== 'string' ||
        x.query.length > 4_000
      )
        return;
      const scoped = scopeChaosQuery(x.query, {
        target: isObject(e.target) ? e.target : undefined,
        blastRadius: isObject(e.blastRadius) ? e.blastRadius : undefined,
      });
      const problem = scoped.ok ? promqlProblem(scoped.query) : scoped.error;
      if (problem)
        violations.push({
          field: `expectations.${i}.query`,
          rule: 'expectation',
          message: problem,
        });
      else if (context.prometheus === false)
        violations.push({
          field: `expectations.${i}.query`,
          rule: 'expectation',
          message:
            'needs a Prometheus instance (reliability.prometheus.instances) to be evaluated',
        });
    });
  }

  // the steady state is an SLO of this entity
  const steady = isObject(e.steadyState) ? e.steadyState : {};
  if (
    context.sloRefs &&
    typeof steady.slo === 'string' &&
    !context.sloRefs.includes(steady.slo)
  ) {
    const known = context.sloRefs.length
      ? `one of ${context.sloRefs.slice(0, 10).join(', ')}`
      : 'an SLO of this entity, which has none yet';
    violations.push({
      field: 'steadyState.slo',
      rule: 'steady-state',
      message: `must be ${known}; ${steady.slo} is not`,
    });
  }

  // duration within bounds
  if (typeof e.duration === 'string') {
    const d = parseDuration(e.duration);
    if (d && ['s', 'm', 'h', 'd'].includes(d.unit)) {
      const ms = durationMs(d);
      if (ms < policy.minDurationMs || ms > policy.maxDurationMs) {
        violations.push({
          field: 'duration',
          rule: 'duration',
          message: `must be between ${policy.minDurationMs / 1000}s and ${
            policy.maxDurationMs / 60_000
          }m, got ${e.duration}`,
        });
      }
    }
  }

  // a cron schedule parses and does not run too often
  const schedule = isObject(e.schedule) ? e.schedule : undefined;
  if (
    schedule?.type === 'cron' &&
    typeof schedule.cron === 'string' &&
    schedule.cron.length <= 100
  ) {
    const problem = cronProblem(schedule.cron, policy.minCronIntervalMs);
    if (problem)
      violations.push({
        field: 'schedule.cron',
        rule: 'schedule',
        message: problem,
      });
  }

  // production runs need an approver who is not the author
  if (policy.productionEnvironments.includes(env)) {
    if (typeof e.approver !== 'string' || !e.approver) {
      violations.push({
        field: 'approver',
        rule: 'approver',
        message: `is required in ${env}: someone other than the author approves production runs`,
      });
    } else if (
      typeof e.author === 'string' &&
      e.author.toLocaleLowerCase('en-US') ===
        e.approver.toLocaleLowerCase('en-US')
    ) {
      violations.push({
        field: 'approver',
        rule: 'approver',
        message: `must not be the author (${e.author})`,
      });
    }
  }

  // destructive injections need rollback steps
  const destructive = faults
    .map(f => (isObject(f) ? f.type : undefined))
    .filter(t => DESTRUCTIVE_INJECTIONS.includes(t as never));
  if (
    destructive.length &&
    (!Array.isArray(e.rollback) || e.rollback.length === 0)
  ) {
    violations.push({
      field: 'rollback',
      rule: 'rollback',
      message: `needs rollback steps: ${[...new Set(destructive)]
        .map(String)
        .join(', ')} ${destructive.length > 1 ? 'are' : 'is'} destructive`,
    });
  }

  if (parsed.success && violations.length === 0)
    return { ok: true, experiment: parsed.data, violations: [] };
  return {
    ok: false,
    ...(parsed.success ? { experiment: parsed.data } : {}),
    violations,
  };
}

/** Milliseconds of a fixed duration (`s`, `m`, `h`, `d`), else undefined. */
function safeDurationMs(text: string): number | undefined {
  if (text.length > 16) return undefined;
  const d = parseDuration(text);
  return d && ['s', 'm', 'h', 'd'].includes(d.unit) ? durationMs(d) : undefined;
}

/** Where a PromQL expression stops parsing, or undefined when it parses. */
function promqlProblem(query: string): string | undefined {
  let at = -1;
  promqlParser.parse(query).iterate({
    enter: node => {
      if (at < 0 && node.type.isError) at = node.from;
      return at < 0;
    },
  });
  if (at < 0) return undefined;
  const near = query.slice(at, at + 20);
  return `is not valid PromQL: unexpected ${
    near ? `'${near}'` : 'end of the expression'
  } at character ${at + 1}`;
}

/** Why a cron schedule is refused, or undefined when it is fine. */
function cronProblem(cron: string, minIntervalMs: number): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5)
    return `must be a 5-field cron expression (minute hour day month weekday), got ${fields.length} fields`;
  const shortest = cronShortestGapMs(cron);
  if (shortest === undefined) return 'is not a valid cron expression';
  if (shortest === Infinity)
    return 'never runs more than once: check its day and month fields';
  if (shortest < minIntervalMs)
    return `must not run more often than every ${
      minIntervalMs / 60_000
    } minutes, runs every ${Math.round(shortest / 60_000)}`;
  return undefined;
}
