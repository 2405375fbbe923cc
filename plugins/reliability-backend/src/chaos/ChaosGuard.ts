import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ChaosAbortCondition,
  ChaosExperimentRecord,
  durationMs,
  scopeChaosQuery,
  SloDefinition,
  windowAt,
} from '@reliability-suite/plugin-reliability-common';
import { SloRegistry } from '../slos';
import type { SloReads } from '../slos';
import { ChaosStore } from './ChaosStore';

const MIN = 60_000;

/** What the guard asks of the remediation engine: the halt, recorded once per experiment (its outbox and lease). */
export type HaltSubmitter = (
  experiment: ChaosExperimentRecord,
  reason: string,
) => Promise<void>;

/**
 * What a start from the portal asks of the remediation engine: the engine's start, recorded once per run. Answers
 * the rules it went to (none: no rule calls an engine for this experiment, so the team starts it themselves).
 */
export type StartSubmitter = (
  experiment: ChaosExperimentRecord,
) => Promise<string[]>;

/**
 * Evaluates a PromQL expression at an instant on the Prometheus the SLO reads (its `metricSourceRef`, else the
 * first configured instance); null when the result is empty. Absent when no Prometheus is configured.
 */
export type PromqlEvaluator = (
  slo: SloDefinition,
  query: string,
  t: number,
) => Promise<number | null>;

export interface ChaosGuardOptions {
  store: ChaosStore;
  registry: SloRegistry;
  /** The SLOs' counts, read from their sources. */
  reads: SloReads;
  logger: LoggerService;
  halt: HaltSubmitter;
  promql?: PromqlEvaluator;
  now?: () => number;
}

/**
 * The safety switch, run every few seconds (reliability.chaos.guardInterval, default 10s): for each running
 * experiment, reads its steady-state SLO's counts up to the end of the current minute and checks its abort
 * conditions. A condition with `for` must hold that long (since when it holds is kept in the database, so a tick
 * on another replica goes on counting). On a breach the experiment moves running -> aborted in one conditional
 * update, so of two replicas only one wins, and only the winner submits the halt.
 */
export class ChaosGuard {
  private readonly now: () => number;

  constructor(private readonly o: ChaosGuardOptions) {
    this.now = o.now ?? Date.now;
  }

  async run(): Promise<{ checked: number; aborted: number }> {
    const running = await this.o.store.list({
      states: ['running'],
      limit: 500,
      offset: 0,
    });
    let aborted = 0;
    for (const e of running) {
      try {
        if (await this.check(e)) aborted++;
      } catch (err) {
        this.o.logger.warn(
          `Chaos guard: experiment ${e.id} (${e.entityRef} ${
            e.name
          }) could not be checked: ${(err as Error).message}`,
        );
      }
    }
    return { checked: running.length, aborted };
  }

  private async check(e: ChaosExperimentRecord): Promise<boolean> {
    const now = this.now();
    const slo = await this.o.registry.byRef(e.experiment.steadyState.slo);
    if (!slo)
      return this.abort(
        e,
        `its steady-state SLO ${e.experiment.steadyState.slo} is gone from the catalog`,
        now,
      );
    const held = await this.o.store.guardState(e.id);
    const next: Record<string, number> = {};
    for (const [i, c] of e.experiment.abortConditions.entries()) {
      let breach: string | null;
      try {
        breach = await this.breached(c, slo.def, e, now);
      } catch (err) {
        // one condition that cannot be read (Prometheus down) does not stop the others; its clock starts over
        this.o.logger.warn(
          `Chaos guard: experiment ${e.id} (${e.entityRef} ${
            e.name
          }), abort condition ${i + 1}: ${(err as Error).message}`,
        );
        continue;
      }
      if (breach === null) continue;
      const since = held[i] ?? now;
      next[i] = since;
      const forMs = c.type === 'budget-spent' ? 0 : durationMs(c.for);
      if (now - since >= forMs)
        return this.abort(
          e,
          `abort condition ${i + 1} (${describe(c)}): ${breach}`,
          now,
        );
    }
    if (JSON.stringify(next) !== JSON.stringify(held))
      await this.o.store.setGuardState(e.id, next);
    return false;
  }

  /** The measured value when the condition is breached now, else null. */
  private async breached(
    c: ChaosAbortCondition,
    slo: SloDefinition,
    e: ChaosExperimentRecord,
    now: number,
  ): Promise<string | null> {
    // counts up to the end of the current minute: events of this minute count at once
    const end = Math.ceil((now + 1) / MIN) * MIN;
    const budget = 1 - slo.target;
    if (c.type === 'burn-rate') {
      const [w] = await this.o.reads.counts(slo, [
        { start: end - durationMs(c.window), end },
      ]);
      if (!w.total) return null;
      const rate = (w.total - w.good) / w.total / budget;
      return rate >= c.threshold
        ? `burn rate ${rate.toFixed(1)}x over ${c.window}`
        : null;
    }
    if (c.type === 'budget-spent') {
      const started = Date.parse(e.startedAt ?? new Date(now).toISOString());
      const win = windowAt(slo.window, now);
      const [recent, whole] = await this.o.reads.counts(slo, [
        {
          start: Math.max(
            Math.floor(started / MIN) * MIN,
            end - durationMs(c.within),
          ),
          end,
        },
        { start: win.start, end },
      ]);
      const allowed = whole.total * budget;
      if (!allowed) return null;
      const spent = (recent.total - recent.good) / allowed;
      return spent * 100 >= c.percent
        ? `${(spent * 100).toFixed(1)}% of the error budget spent within ${
            c.within
          }`
        : null;
    }
    // a PromQL expression crossing its threshold, on the Prometheus the steady-state SLO reads
    if (!this.o.promql)
      throw new Error(
        `abort condition ${describe(
          c,
        )} needs a Prometheus instance (reliability.prometheus.instances)`,
      );
    // scoped to what the experiment hits: {{regions}} and {{namespaces}} filled from its blast radius
    const scoped = scopeChaosQuery(c.query, e.experiment);
    if (!scoped.ok) throw new Error(`its query ${scoped.error}`);
    const value = await this.o.promql(slo, scoped.query, now);
    if (value === null) return null;
    return crosses(value, c.op, c.threshold)
      ? `the query's value is ${Number(value.toPrecision(6))}`
      : null;
  }

  private async abort(
    e: ChaosExperimentRecord,
    reason: string,
    now: number,
  ): Promise<boolean> {
    const won = await this.o.store.transition(
      e.id,
      ['running'],
      'aborted',
      { finishedAt: now, abortReason: `guard: ${reason}` },
      now,
    );
    if (!won) return false;
    this.o.logger.warn(
      `Chaos experiment ${e.id} (${e.entityRef} ${e.name}) aborted by the guard: ${reason}`,
    );
    await this.o.halt(e, reason);
    return true;
  }
}

function crosses(
  value: number,
  op: '>' | '>=' | '<' | '<=',
  threshold: number,
): boolean {
  if (op === '>') return value > threshold;
  if (op === '>=') return value >= threshold;
  if (op === '<') return value < threshold;
  return value <= threshold;
}

function describe(c: ChaosAbortCondition): string {
  if (c.type === 'burn-rate')
    return `burn rate >= ${c.threshold}x over ${c.window} for ${c.for}`;
  if (c.type === 'budget-spent')
    return `>= ${c.percent}% of the budget within ${c.within}`;
  const q = c.query.length > 200 ? `${c.query.slice(0, 200)}…` : c.query;
  return `${q} ${c.op} ${c.threshold} for ${c.for}`;
}
