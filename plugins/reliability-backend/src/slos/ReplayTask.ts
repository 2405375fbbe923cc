import { createHash } from 'crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  burnRate,
  durationMs,
  SloDefinition,
  sliRatio,
  windowBudgetRemaining,
} from '@reliability-suite/plugin-reliability-common';
import type {
  SliHistoryPoint,
  SliSource,
} from '@reliability-suite/plugin-reliability-node';
import type { StoredHistoryPoint } from './stores';
import type { SloHistoryStore } from './stores/SloHistoryStore';
import { finite } from './counting';

const MIN = 60_000;
/** The lookback of the stored points' burn rate and SLI. */
export const REPLAY_LOOKBACK = '1h';

/** Bounds of the replay (defaults: see DEFAULT_REPLAY_LIMITS). */
export interface ReplayLimits {
  /** At most this many points per range query. */
  pointsPerQuery: number;
  /** At most this many points per SLO over its window: the step is the window divided by it (whole minutes). */
  maxPointsPerSlo: number;
  /** At most this many points written per run of the task (all SLOs together). */
  maxPointsPerRun: number;
  /** The first retry after a failure; doubled on each failure up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_REPLAY_LIMITS: ReplayLimits = {
  pointsPerQuery: 500,
  maxPointsPerSlo: 2_000,
  maxPointsPerRun: 2_000,
  baseBackoffMs: 60_000,
  maxBackoffMs: 3_600_000,
};

/** The SLOs a replay serves: Prometheus-backed, with a rolling window, not a composite. */
export function replayable(slo: SloDefinition): boolean {
  return (
    (slo.indicator.sourceType ?? '').toLocaleLowerCase('en-US') ===
      'prometheus' &&
    slo.window.kind === 'rolling' &&
    !slo.composite
  );
}

/** The hash of an SLO's definition: a change of it replays the SLO again. */
export function definitionHash(slo: SloDefinition): string {
  return createHash('sha256').update(JSON.stringify(slo)).digest('hex');
}

/** A series point from the counts of the window and of the lookback, as the charts and the evaluation count them. */
export function pointFromCounts(
  slo: SloDefinition,
  p: SliHistoryPoint,
  windowMs: number,
): Omit<StoredHistoryPoint, 'replayed'> {
  return {
    t: p.t,
    budgetRemaining: p.window
      ? finite(
          windowBudgetRemaining(p.window, slo.target, windowMs, slo.budgeting),
        )
      : null,
    burnRate: p.lookback ? finite(burnRate(p.lookback, slo.target)) : null,
    sli: p.lookback ? sliRatio(p.lookback) : null,
  };
}

export interface ReplayTaskOptions {
  /** The registered SLOs (SloRegistry.all: reads the registry, does not sync it; the evaluation tick does). */
  slos: () => Promise<{ def: SloDefinition }[]>;
  /** The Prometheus source; without one there is nothing to replay. */
  source?: Pick<SliSource, 'history'>;
  store: SloHistoryStore;
  logger: LoggerService;
  /** The redaction step for the failure text kept and logged (the plugin's Redactor). */
  redact?: (text: string) => string;
  limits?: Partial<ReplayLimits>;
  now?: () => number;
}

/**
 * The replay of Prometheus-backed SLOs' history: when such an SLO is first seen or its definition changes, the points
 * of its charts over its window are computed from range queries (the source's `history`, as the charts' reads do)
 * and stored marked `replayed`, so the charts have a past from the first minute. A task of its own, scheduled apart
 * from the evaluation tick: one SLO at a time, in parts of at most `pointsPerQuery` points, at most
 * `maxPointsPerRun` points per run; a replay left unfinished goes on at the next run. A failed part is logged at warn
 * (redacted) and tried again with exponential backoff; the SLO's status does not depend on it.
 */
export class ReplayTask {
  private readonly limits: ReplayLimits;
  private readonly now: () => number;

  constructor(private readonly o: ReplayTaskOptions) {
    this.limits = { ...DEFAULT_REPLAY_LIMITS, ...o.limits };
    this.now = o.now ?? Date.now;
  }

  /** The step of an SLO's replay: its window over maxPointsPerSlo, in whole minutes. */
  stepOf(windowMs: number): number {
    return Math.max(
      MIN,
      Math.ceil(windowMs / this.limits.maxPointsPerSlo / MIN) * MIN,
    );
  }

  /** One run: starts the replays of new or changed SLOs, then works on the due ones, one at a time, within the bounds. */
  async run(): Promise<{ points: number; slos: number; failed: number }> {
    const source = this.o.source;
    if (!source?.history) return { points: 0, slos: 0, failed: 0 };
    const now = this.now();
    const slos = (await this.o.slos())
      .map(s => s.def)
      .filter(replayable)
      .sort((a, b) => a.ref.localeCompare(b.ref));
    let states = await this.o.store.replays();
    let begun = false;
    for (const slo of slos) {
      const hash = definitionHash(slo);
      if (states.get(slo.ref)?.defHash === hash) continue;
      const windowMs = durationMs(slo.window.duration);
      const stepMs = this.stepOf(windowMs);
      const to = Math.floor(now / stepMs) * stepMs;
      await this.o.store.beginReplay(
        { sloRef: slo.ref, defHash: hash, from: to - windowMs, to, stepMs },
        now,
      );
      begun = true;
    }
    if (begun) states = await this.o.store.replays();
    let budget = this.limits.maxPointsPerRun;
    let points = 0;
    let done = 0;
    let failed = 0;
    for (const slo of slos) {
      const state = states.get(slo.ref);
      if (!state || state.state !== 'pending' || state.nextAt > now) continue;
      if (budget <= 0) break;
      const windowMs = durationMs(slo.window.duration);
      let cursor = state.cursor ?? state.from - state.stepMs;
      try {
        while (budget > 0 && cursor < state.to) {
          const n = Math.min(this.limits.pointsPerQuery, budget);
          const from = cursor + state.stepMs;
          const to = Math.min(state.to, from + (n - 1) * state.stepMs);
          const got = await source.history(slo, {
            from,
            to,
            stepMs: state.stepMs,
            lookbackMs: durationMs(REPLAY_LOOKBACK),
            windowMs,
          });
          const part = got
            .filter(p => p.t >= from && p.t <= to)
            .map(p => pointFromCounts(slo, p, windowMs))
            .filter(p => p.budgetRemaining !== null || p.burnRate !== null);
          points += await this.o.store.writeReplayed(
            slo.ref,
            state.defHash,
            part,
            to,
            to >= state.to,
            this.now(),
          );
          budget -= Math.round((to - from) / state.stepMs) + 1;
          cursor = to;
        }
        if (cursor >= state.to) done++;
      } catch (e) {
        failed++;
        const text = this.redact((e as Error).message ?? String(e));
        const wait = Math.min(
          this.limits.maxBackoffMs,
          this.limits.baseBackoffMs * 2 ** state.attempts,
        );
        await this.o.store.replayFailed(slo.ref, text, now + wait, this.now());
        this.o.logger.warn(
          `The replay of ${slo.ref}'s history failed (attempt ${
            state.attempts + 1
          }; tried again in ${Math.round(wait / 1000)} s): ${text}`,
        );
      }
    }
    if (points || failed)
      this.o.logger.info(
        `Replayed ${points} history points; ${done} SLO replays finished, ${failed} failed`,
      );
    return { points, slos: done, failed };
  }

  private redact(text: string): string {
    return this.o.redact ? this.o.redact(text) : text;
  }
}

/** Evaluated points are stored at instants that are multiples of this (one point per SLO every 5 minutes). */
export const EVALUATED_POINT_EVERY_MS = 5 * MIN;

/**
 * The points a tick's evaluation stores for the replayable SLOs (at a multiple of EVALUATED_POINT_EVERY_MS only): the
 * budget left, the 1h burn rate and the SLI it implies. A failure is logged at warn; the tick goes on.
 */
export function evaluatedHistoryWriter(
  store: Pick<SloHistoryStore, 'writeEvaluated'>,
  logger: LoggerService,
) {
  return async (
    slos: SloDefinition[],
    results: ReadonlyMap<
      string,
      {
        status: {
          budgetRemaining: number | null;
          burnRates: Record<string, number | null>;
        };
      }
    >,
    now: number,
  ): Promise<number> => {
    const t = Math.floor(now / MIN) * MIN;
    if (t % EVALUATED_POINT_EVERY_MS !== 0) return 0;
    const items = slos.filter(replayable).flatMap(slo => {
      const status = results.get(slo.ref)?.status;
      if (!status || status.budgetRemaining === null) return [];
      const br = status.burnRates[REPLAY_LOOKBACK] ?? null;
      return [
        {
          sloRef: slo.ref,
          point: {
            t,
            budgetRemaining: status.budgetRemaining,
            burnRate: br,
            sli: br === null ? null : 1 - br * (1 - slo.target),
          },
        },
      ];
    });
    try {
      await store.writeEvaluated(items);
      return items.length;
    } catch (e) {
      logger.warn(`Storing evaluated history points failed: ${e}`);
      return 0;
    }
  };
}
