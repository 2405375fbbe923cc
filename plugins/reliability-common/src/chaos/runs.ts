import { z } from 'zod';
import { parseExpression } from 'cron-parser';
import { pageParams } from '../model/pagination';
import type { ChaosExpectation } from './experiment';

/**
 * Runs of a chaos experiment: each start (from the portal, or by its cron schedule) and each scheduled start that
 * was refused, with why.
 */

/** Where one run is. `starting`: a replica claimed the scheduled start and is checking it. @public */
export type ChaosRunState =
  | 'starting'
  | 'running'
  | 'completed'
  | 'aborted'
  | 'refused';

/** One run of an experiment, as GET /chaos/:id/runs answers it. @public */
export interface ChaosRun {
  id: number;
  experimentId: number;
  /** `schedule`: started by the experiment's cron; `manual`: from the portal or the engine. */
  trigger: 'schedule' | 'manual';
  /** The cron time this run was for (scheduled runs). */
  scheduledFor: string | null;
  state: ChaosRunState;
  /** Why it was refused, aborted or ended. */
  reason: string | null;
  startedAt: string | null;
  /** When its duration ends: the run is ended then, whatever happens. */
  endsAt: string | null;
  finishedAt: string | null;
  /** Each of the experiment's expectations as found when the run ended; null until then (or for a refused start). */
  expectations?: ChaosExpectationResult[] | null;
  /** When the expectations were checked. */
  evaluatedAt?: string | null;
  /** The follow-up of a run with unmet expectations: one action item per unmet expectation, for the owners. */
  followUp?: ChaosFollowUpItem[];
  /** The incident whose review this run is linked to: its action items get the follow-up's items. */
  incidentId?: number | null;
}

/** What an expectation came to. `unknown`: it could not be read (no Prometheus, no traffic, an error). @public */
export type ChaosExpectationOutcome = 'met' | 'not-met' | 'unknown';

/** One expectation of a run, checked, with what was read. @public */
export interface ChaosExpectationResult {
  /** Its place in the experiment's `expectations` (0-based). */
  index: number;
  type: ChaosExpectation['type'];
  /** What was expected, in words. */
  expected: string;
  outcome: ChaosExpectationOutcome;
  evidence: {
    /** Where it was read: remediation's executions, the SLO's Prometheus, or the suite's SLO counts. */
    source: 'remediation-executions' | 'prometheus' | 'slo-counts';
    /** What was found, in words (values included). */
    summary: string;
    /** The PromQL expression as sent (breakers). */
    query?: string;
    /** Values read, with their instants (at most 120). */
    values?: { at: string; value: number | null }[];
    /** The remediation execution that fired. */
    executionId?: number;
    /** Where to look: the execution, the query. */
    links?: { title: string; url: string }[];
  };
}

/** An action item of a run's follow-up: an unmet expectation for the experiment's owner. @public */
export interface ChaosFollowUpItem {
  /** The unmet expectation's place in the experiment (0-based). */
  expectation: number;
  title: string;
  /** The experiment's owner. */
  owner: string;
  /** `YYYY-MM-DD` (UTC). */
  due: string;
}

/** An unmet expectation's action item is due this many days after the run ends. @public */
export const CHAOS_FOLLOW_UP_DUE_DAYS = 14;

/** POST /chaos/:id/runs/:runId/incident: links a run to a closed incident's review. @public */
export const chaosRunIncidentLinkSchema = z
  .object({
    incidentId: z
      .number({
        required_error: 'is required',
        invalid_type_error: 'must be a number',
      })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(2_147_483_647, 'must be at most 2147483647'),
  })
  .strict();

/** An expectation in words, as runs and action items say it. @public */
export function describeChaosExpectation(x: ChaosExpectation): string {
  switch (x.type) {
    case 'remediation-fires':
      return `remediation rule ${x.rule} fires within ${x.within}`;
    case 'breaker-opens':
      return `breaker ${x.breaker} opens within ${x.within} (${x.op} ${x.threshold})`;
    default:
      return `the SLO's burn rate stays under ${x.threshold}x ${
        x.window === 'run' ? 'over the run' : `in every ${x.window} of the run`
      }`;
  }
}

/** GET /chaos/:id/runs. @public */
export const chaosRunsQuerySchema = z.object({ ...pageParams }).strict();

/** GET /chaos/:id/runs: a page of runs, newest first, and the next scheduled start. @public */
export interface ChaosRunsResponse {
  items: ChaosRun[];
  nextCursor?: string;
  /** The next cron time, when the experiment is approved and has a cron schedule; null otherwise. */
  nextRunAt: string | null;
  /** Why scheduled starts will be refused whatever the SLO says (its environment is not allowed), else null. */
  scheduleBlocked: string | null;
}

/** The default environments scheduled runs may not touch: every environment but production runs on a schedule. @public */
export function chaosScheduleAllows(
  environment: string,
  allowed: readonly string[] | undefined,
  productionEnvironments: readonly string[],
): boolean {
  return allowed
    ? allowed.includes(environment)
    : !productionEnvironments.includes(environment);
}

/** The latest time at or before `at` that a five-field cron expression (UTC) fires; undefined when it does not parse. @public */
export function cronPreviousFire(cron: string, at: number): number | undefined {
  try {
    // cron-parser's prev() is strictly before currentDate: ask from one ms later to include `at` itself
    return parseExpression(cron, { utc: true, currentDate: new Date(at + 1) })
      .prev()
      .getTime();
  } catch {
    return undefined;
  }
}

/** The first time after `at` that a five-field cron expression (UTC) fires; undefined when it does not parse. @public */
export function cronNextFire(cron: string, at: number): number | undefined {
  try {
    return parseExpression(cron, { utc: true, currentDate: new Date(at) })
      .next()
      .getTime();
  } catch {
    return undefined;
  }
}
