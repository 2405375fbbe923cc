import {
  ChaosExpectation,
  ChaosExpectationResult,
  ChaosExperimentRecord,
  ChaosFollowUpItem,
  ChaosRun,
  CHAOS_FOLLOW_UP_DUE_DAYS,
  describeChaosExpectation,
  durationMs,
  scopeChaosQuery,
  SloDefinition,
  ReliabilityTabRoute,
} from '@reliability-suite/plugin-reliability-common';
import type { PromqlEvaluator } from './ChaosGuard';

const MIN = 60_000;
/** At most this many instants are read per breaker, and this many windows per burn expectation. */
export const MAX_EXPECTATION_SAMPLES = 120;
/** A breaker's query is read at least this far apart. */
const MIN_STEP_MS = 5_000;

/** Remediation's executions, as expectations read them (a port: remediation's store keeps its tables). */
export interface RemediationFirings {
  /** The first execution of a rule that is not a dry run, created in [from, to] (epoch ms). */
  firstOf(
    ruleId: string,
    from: number,
    to: number,
  ): Promise<
    | { id: number; entityRef: string; state: string; createdAt: number }
    | undefined
  >;
}

export interface ChaosExpectationsOptions {
  executions: RemediationFirings;
  /** The steady-state SLO's definition (null: gone from the catalog). */
  slo: (ref: string) => Promise<SloDefinition | undefined>;
  /** The SLO's counts over intervals (the suite's own evaluation). */
  counts: (
    slo: SloDefinition,
    intervals: { start: number; end: number }[],
  ) => Promise<{ good: number; total: number }[]>;
  /** Absent when no Prometheus is configured: breaker expectations are then unknown. */
  promql?: PromqlEvaluator;
  /** Where the entity's Reliability tab is, for links to an execution. */
  link: (entityRef: string, route?: ReliabilityTabRoute) => string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const round = (n: number) => Number(n.toPrecision(4));

/**
 * Checks what a run expected once it has ended: every expectation of its experiment becomes met, not met or unknown,
 * with what was read. Reads only (remediation's executions, the SLO's Prometheus, the SLO's counts).
 */
export class ChaosExpectations {
  constructor(private readonly o: ChaosExpectationsOptions) {}

  async check(
    e: ChaosExperimentRecord,
    run: ChaosRun,
  ): Promise<ChaosExpectationResult[]> {
    const start = Date.parse(run.startedAt ?? '');
    const end = Date.parse(run.finishedAt ?? run.endsAt ?? '');
    const list = e.experiment.expectations ?? [];
    const out: ChaosExpectationResult[] = [];
    for (const [index, x] of list.entries()) {
      const base = {
        index,
        type: x.type,
        expected: describeChaosExpectation(x),
      };
      if (!Number.isFinite(start) || !Number.isFinite(end)) {
        out.push({
          ...base,
          outcome: 'unknown',
          evidence: {
            source: sourceOf(x),
            summary: 'the run has no start or end time',
          },
        });
        continue;
      }
      try {
        out.push({ ...base, ...(await this.one(x, e, start, end)) });
      } catch {
        // an error text may carry a source's address: the evidence says what could not be read, not why
        out.push({
          ...base,
          outcome: 'unknown',
          evidence: {
            source: sourceOf(x),
            summary: `could not be read (${
              sourceOf(x) === 'prometheus'
                ? 'the Prometheus query failed'
                : 'the read failed'
            }); see the backend's log`,
          },
        });
      }
    }
    return out;
  }

  private async one(
    x: ChaosExpectation,
    e: ChaosExperimentRecord,
    start: number,
    end: number,
  ): Promise<Pick<ChaosExpectationResult, 'outcome' | 'evidence'>> {
    if (x.type === 'remediation-fires') {
      const until = start + durationMs(x.within);
      const hit = await this.o.executions.firstOf(x.rule, start, until);
      if (!hit)
        return {
          outcome: 'not-met',
          evidence: {
            source: 'remediation-executions',
            summary: `no execution of ${
              x.rule
            } (other than a dry run) was created between ${iso(
              start,
            )} and ${iso(until)}`,
          },
        };
      return {
        outcome: 'met',
        evidence: {
          source: 'remediation-executions',
          summary: `execution ${hit.id} of ${x.rule} (${hit.entityRef}, ${
            hit.state
          }) was created ${Math.round(
            (hit.createdAt - start) / 1000,
          )}s after the start`,
          executionId: hit.id,
          values: [{ at: iso(hit.createdAt), value: hit.createdAt - start }],
          links: [
            {
              title: `Execution ${hit.id}`,
              url: this.o.link(hit.entityRef, 'selfHealing'),
            },
          ],
        },
      };
    }
    const slo = await this.o.slo(e.experiment.steadyState.slo);
    if (!slo)
      return {
        outcome: 'unknown',
        evidence: {
          source: sourceOf(x),
          summary: `the steady-state SLO ${e.experiment.steadyState.slo} is gone from the catalog`,
        },
      };
    if (x.type === 'breaker-opens') return this.breaker(x, e, slo, start);
    return this.burn(x, slo, start, end);
  }

  /** The breaker's query read from the start up to `within`, until it satisfies `op threshold`. */
  private async breaker(
    x: Extract<ChaosExpectation, { type: 'breaker-opens' }>,
    e: ChaosExperimentRecord,
    slo: SloDefinition,
    start: number,
  ): Promise<Pick<ChaosExpectationResult, 'outcome' | 'evidence'>> {
    const scoped = scopeChaosQuery(x.query, e.experiment);
    const query = scoped.ok ? scoped.query : x.query;
    if (!this.o.promql || !scoped.ok)
      return {
        outcome: 'unknown',
        evidence: {
          source: 'prometheus',
          query,
          summary: scoped.ok
            ? 'no Prometheus is configured (reliability.prometheus.instances)'
            : `the query ${scoped.error}`,
        },
      };
    const span = durationMs(x.within);
    const step = Math.max(
      MIN_STEP_MS,
      Math.ceil(span / (MAX_EXPECTATION_SAMPLES - 1)),
    );
    const values: { at: string; value: number | null }[] = [];
    for (let t = start; t <= start + span; t += step) {
      const value = await this.o.promql(slo, query, t);
      values.push({ at: iso(t), value });
      if (value !== null && crosses(value, x.op, x.threshold))
        return {
          outcome: 'met',
          evidence: {
            source: 'prometheus',
            query,
            values,
            summary: `${x.breaker} opened ${Math.round(
              (t - start) / 1000,
            )}s after the start: the query read ${round(value)} (${x.op} ${
              x.threshold
            })`,
          },
        };
    }
    const read = values.filter(v => v.value !== null);
    if (!read.length)
      return {
        outcome: 'unknown',
        evidence: {
          source: 'prometheus',
          query,
          values,
          summary: `the query returned nothing at the ${values.length} instants read`,
        },
      };
    return {
      outcome: 'not-met',
      evidence: {
        source: 'prometheus',
        query,
        values,
        summary: `${x.breaker} did not open within ${x.within}: ${
          read.length
        } readings, none ${x.op} ${x.threshold} (highest ${round(
          Math.max(...read.map(v => v.value!)),
        )})`,
      },
    };
  }

  /** The burn rate of the steady-state SLO over the run, per window or whole. */
  private async burn(
    x: Extract<ChaosExpectation, { type: 'slo-burn-below' }>,
    slo: SloDefinition,
    start: number,
    end: number,
  ): Promise<Pick<ChaosExpectationResult, 'outcome' | 'evidence'>> {
    const from = Math.floor(start / MIN) * MIN;
    const to = Math.max(from + MIN, Math.ceil(end / MIN) * MIN);
    let size = x.window === 'run' ? to - from : durationMs(x.window);
    if ((to - from) / size > MAX_EXPECTATION_SAMPLES)
      size = Math.ceil((to - from) / MAX_EXPECTATION_SAMPLES / MIN) * MIN;
    const windows: { start: number; end: number }[] = [];
    for (let s = from; s < to; s += size)
      windows.push({ start: s, end: Math.min(to, s + size) });
    const counts = await this.o.counts(slo, windows);
    const budget = 1 - slo.target;
    const values = windows.map((w, i) => {
      const c = counts[i];
      return {
        at: iso(w.end),
        value: c && c.total > 0 ? (c.total - c.good) / c.total / budget : null,
      };
    });
    const total = counts.reduce((n, c) => n + c.total, 0);
    const bad = counts.reduce((n, c) => n + (c.total - c.good), 0);
    const read = values.filter(v => v.value !== null);
    if (!read.length || !(budget > 0))
      return {
        outcome: 'unknown',
        evidence: {
          source: 'slo-counts',
          values,
          summary: `${slo.ref} counted no events between ${iso(from)} and ${iso(
            to,
          )}`,
        },
      };
    const worst = read.reduce((a, b) => (b.value! > a.value! ? b : a));
    const summary = `${slo.ref}: ${bad} bad of ${total} events, burn ${round(
      bad / total / budget,
    )}x over the run${
      windows.length > 1
        ? `; worst ${round(worst.value!)}x in the window ending ${worst.at}`
        : ''
    } (threshold ${x.threshold}x)`;
    return {
      outcome: worst.value! < x.threshold ? 'met' : 'not-met',
      evidence: { source: 'slo-counts', values, summary },
    };
  }
}

/** One action item per unmet expectation, for the experiment's owner. */
export function followUpItems(
  e: ChaosExperimentRecord,
  run: ChaosRun,
  results: ChaosExpectationResult[],
  now: number,
): ChaosFollowUpItem[] {
  const due = iso(now + CHAOS_FOLLOW_UP_DUE_DAYS * 86_400_000).slice(0, 10);
  return results
    .filter(r => r.outcome === 'not-met')
    .map(r => ({
      expectation: r.index,
      title: `Chaos run #${run.id} of ${e.name}: expected ${r.expected}, not met`,
      owner: e.experiment.owner,
      due,
    }));
}

function sourceOf(
  x: ChaosExpectation,
): ChaosExpectationResult['evidence']['source'] {
  if (x.type === 'remediation-fires') return 'remediation-executions';
  return x.type === 'breaker-opens' ? 'prometheus' : 'slo-counts';
}

function crosses(
  value: number,
  op: '>' | '>=' | '<' | '<=' | '==',
  threshold: number,
): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    default:
      return value === threshold;
  }
}
