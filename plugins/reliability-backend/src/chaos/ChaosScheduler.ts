import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ChaosExperimentRecord,
  chaosScheduleAllows,
  cronPreviousFire,
  durationMs,
} from '@reliability-suite/plugin-reliability-common';
import type { SloStatusReader } from '../slos';
import { ChaosStore } from './ChaosStore';
import type { HaltSubmitter, StartSubmitter } from './ChaosGuard';
import { regionRefusal, startRefusal } from './startGuard';
import type { RegionMonitor } from './startGuard';

/** A cron time older than this when first seen (the backend was down) is skipped, not started late. */
export const SCHEDULE_LATENESS_MS = 5 * 60_000;
/** At most this many experiments are looked at per tick (oldest change first among those due). */
const LIMIT = 500;

export interface ChaosSchedulerOptions {
  store: ChaosStore;
  slos: SloStatusReader;
  logger: LoggerService;
  /** Calls the experiment's engine (the remediation rules that match ChaosExperimentStarted). */
  engineStart: StartSubmitter;
  /** Calls the experiment's halt when its duration ends (the rules that match ChaosExperimentAborted). */
  end: HaltSubmitter;
  /** Where scheduled runs may start; undefined: every environment but the production ones. */
  environments?: string[];
  productionEnvironments: string[];
  /** Whether a live runner watches each region an experiment names; absent: regions are not checked. */
  regions?: RegionMonitor;
  /** Checks the expectations of runs that ended (ChaosRunReview), after this tick ended and closed runs. */
  review?: () => Promise<number>;
  now?: () => number;
}

/**
 * Chaos that runs and stops by itself, one tick of a task every few seconds (any replica may run it):
 *
 * - ends every running experiment whose duration is over (manual or scheduled): one conditional update moves it
 *   to completed (a cron experiment back to approved, for its next time), and only the replica that made it calls
 *   the halt. The end time comes from the database, so a replica that died mid-run changes nothing;
 * - starts approved experiments whose cron time has come: the start is claimed by inserting the run's row
 *   (experiment, cron time) under a unique key, so two replicas never both start it; the environment must allow
 *   scheduled runs, and the start guard (the same as a manual start) must pass, else the run is recorded as
 *   refused with why;
 * - closes runs whose experiment moved on (the guard or the kill switch aborted it, someone completed it);
 * - checks the expectations of the runs that ended (ChaosRunReview: recorded once, whichever replica ends a run).
 */
export class ChaosScheduler {
  private readonly now: () => number;

  constructor(private readonly o: ChaosSchedulerOptions) {
    this.now = o.now ?? (() => Date.now());
  }

  async tick(): Promise<{ ended: number; started: number; refused: number }> {
    const ended = await this.endDue();
    const { started, refused } = await this.startDue();
    await this.closeRuns();
    // every run that ended, by this tick or by the guard, the kill switch or a hand: its expectations checked
    await this.o.review?.();
    return { ended, started, refused };
  }

  /** Why scheduled runs of an experiment in this environment are refused whatever its SLO says, or null. */
  environmentRefusal(environment: string): string | null {
    return chaosScheduleAllows(
      environment,
      this.o.environments,
      this.o.productionEnvironments,
    )
      ? null
      : `scheduled runs are not allowed in ${environment} (reliability.chaos.schedule.environments${
          this.o.environments
            ? ''
            : ': by default every environment but production'
        })`;
  }

  private async endDue(): Promise<number> {
    const now = this.now();
    const running = await this.o.store.list({
      states: ['running'],
      limit: LIMIT,
      offset: 0,
    });
    let ended = 0;
    for (const e of running) {
      const started = Date.parse(e.startedAt ?? '');
      if (!Number.isFinite(started)) continue;
      if (now < started + durationMs(e.experiment.duration)) continue;
      try {
        if (await this.end(e, now)) ended++;
      } catch (err) {
        this.o.logger.warn(
          `Chaos schedule: experiment ${e.id} (${e.entityRef} ${
            e.name
          }) could not be ended: ${(err as Error).message}`,
        );
      }
    }
    return ended;
  }

  private async end(e: ChaosExperimentRecord, now: number): Promise<boolean> {
    const reason = `its duration (${e.experiment.duration}) is over`;
    const cron = e.experiment.schedule.type === 'cron';
    const won = await this.o.store.transition(
      e.id,
      ['running'],
      cron ? 'approved' : 'completed',
      { finishedAt: now, budgetSpent: await this.spent(e) },
      now,
    );
    if (!won) return false;
    await this.o.store.runs.finish(e.id, 'completed', reason, now);
    this.o.logger.info(
      `Chaos experiment ${e.id} (${e.entityRef} ${e.name}) ended: ${reason}`,
    );
    // only the replica that made the transition halts the engine
    await this.o.end(e, reason);
    return true;
  }

  private async startDue(): Promise<{ started: number; refused: number }> {
    const now = this.now();
    const candidates = await this.o.store.list({
      states: ['approved', 'running'],
      limit: LIMIT,
      offset: 0,
    });
    let started = 0;
    let refused = 0;
    for (const e of candidates) {
      const schedule = e.experiment.schedule;
      if (schedule.type !== 'cron') continue;
      const fire = cronPreviousFire(schedule.cron, now);
      if (fire === undefined || fire < now - SCHEDULE_LATENESS_MS) continue;
      // a cron time before the approval of this version is not this version's
      if (e.approvedAt && fire < Date.parse(e.approvedAt)) continue;
      const runId = await this.o.store.runs.claim(e.id, fire, now);
      if (runId === undefined) continue; // this cron time is taken (another replica, or an earlier tick)
      try {
        const refusal = await this.start(e, runId, now);
        if (refusal === null) started++;
        else {
          refused++;
          await this.o.store.runs.refuse(runId, refusal, now);
          this.o.logger.info(
            `Chaos experiment ${e.id} (${e.entityRef} ${e.name}): scheduled start refused: ${refusal}`,
          );
        }
      } catch (err) {
        refused++;
        await this.o.store.runs.refuse(
          runId,
          `the start failed: ${(err as Error).message}`,
          now,
        );
        this.o.logger.warn(
          `Chaos experiment ${e.id} (${e.entityRef} ${
            e.name
          }): scheduled start failed: ${(err as Error).message}`,
        );
      }
    }
    return { started, refused };
  }

  /** Starts a claimed scheduled run: null when started, else why not. */
  private async start(
    e: ChaosExperimentRecord,
    runId: number,
    now: number,
  ): Promise<string | null> {
    const env = this.environmentRefusal(e.experiment.environment);
    if (env) return env;
    if (e.state !== 'approved')
      return `the experiment is ${e.state} (its previous run has not ended)`;
    const slo = e.experiment.steadyState.slo;
    const status = (await this.o.slos.getStatuses([slo])).get(slo);
    const refusal =
      startRefusal(e, status) ?? (await regionRefusal(e, this.o.regions));
    if (refusal) return refusal;
    const won = await this.o.store.transition(
      e.id,
      ['approved'],
      'running',
      { startedAt: now, budgetAtStart: status!.budgetRemaining },
      now,
    );
    if (!won) return 'the experiment was started or changed meanwhile';
    await this.o.store.runs.started(
      runId,
      now,
      now + durationMs(e.experiment.duration),
    );
    const running = (await this.o.store.get(e.id))!;
    const calls = await this.o.engineStart(running);
    this.o.logger.info(
      `Chaos experiment ${e.id} (${e.entityRef} ${
        e.name
      }) started by its schedule${
        calls.length ? ` (engine calls: ${calls.join(', ')})` : ''
      }`,
    );
    return null;
  }

  /** Closes open runs whose experiment is no longer running that run. */
  private async closeRuns(): Promise<void> {
    const now = this.now();
    for (const run of await this.o.store.runs.open(LIMIT)) {
      const e = await this.o.store.get(run.experimentId);
      const same =
        e?.state === 'running' &&
        (run.startedAt === null || run.startedAt === e.startedAt);
      if (same) continue;
      if (run.state === 'starting') {
        // a claim whose replica stopped before it started anything: left alone while a start may be under way
        if (Date.parse(run.scheduledFor ?? '') > now - SCHEDULE_LATENESS_MS)
          continue;
        await this.o.store.runs.close(
          run.id,
          'refused',
          'the replica that claimed this start stopped before starting it',
          now,
        );
        continue;
      }
      if (e?.state === 'aborted' && e.startedAt === run.startedAt)
        await this.o.store.runs.close(run.id, 'aborted', e.abortReason, now);
      else
        await this.o.store.runs.close(
          run.id,
          'completed',
          e ? `ended by hand (${e.state})` : 'the experiment is gone',
          now,
        );
    }
  }

  /** The share of the whole budget spent since the start, from the steady-state SLO's last evaluation. */
  private async spent(e: ChaosExperimentRecord): Promise<number | null> {
    const slo = e.experiment.steadyState.slo;
    const status = (await this.o.slos.getStatuses([slo])).get(slo);
    if (e.budgetAtStart === null || !status || status.budgetRemaining === null)
      return null;
    return Math.max(0, e.budgetAtStart - status.budgetRemaining);
  }
}
