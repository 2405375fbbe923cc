import { Knex } from 'knex';
import {
  durationMs,
  parseDuration,
  SyntheticJourney,
  SyntheticJourneyRecord,
  SyntheticRun,
} from '@reliability-suite/plugin-reliability-common';
import { insertedId } from '../database/rows';
import type { JourneyResult } from './SyntheticRunner';

const JOURNEYS = 'reliability_synthetic_journeys';
const SCHEDULE = 'reliability_synthetic_schedule';
const RUNS = 'reliability_synthetic_runs';
const EVIDENCE = 'reliability_synthetic_evidence';
const RUNNERS = 'reliability_synthetic_runners';
/** The region of a runner that serves every region. */
export const ALL_REGIONS = '*';

/** A region a runner reported serving: when, and how long that report counts. */
export interface RunnerPresence {
  region: string;
  seenAt: number;
  staleAfterMs: number;
}
/** Pairs per claim statement: well under both databases' bind-variable limits. */
const CHUNK = 200;

/** A journey and region a runner holds until it records the run. */
export interface ClaimedRun {
  journeyId: number;
  entityRef: string;
  journey: SyntheticJourney;
  region: string;
  /** When it was due (the run's place in the schedule). */
  dueAt: number;
}

/** What a runner records for one run: the journey's result, and where it ran. */
export interface RunRecord extends JourneyResult {
  journeyId: number;
  entityRef: string;
  journey: string;
  region: string;
}

const frequencyMs = (frequency: string) =>
  durationMs(parseDuration(frequency)!);

/**
 * Synthetic journeys, their schedule per region, runs and evidence. Reads never write; claiming due runs is one
 * conditional update per pair, so two runners never hold the same journey and region at once.
 */
export class SyntheticStore {
  constructor(private readonly db: Knex) {}

  private journey(r: any): SyntheticJourney {
    return {
      name: r.name,
      regions: JSON.parse(r.regions),
      frequency: r.frequency,
      deadlineMs: Number(r.deadline_ms),
      steps: JSON.parse(r.steps),
    };
  }

  private toRecord(r: any): Omit<SyntheticJourneyRecord, 'latest'> {
    return {
      id: Number(r.id),
      entityRef: r.entity_ref,
      ...this.journey(r),
      updatedAt: new Date(Number(r.updated_at)).toISOString(),
      updatedBy: r.updated_by,
    };
  }

  private run(r: any, evidence?: any): SyntheticRun {
    return {
      id: Number(r.id),
      journey: r.journey,
      entityRef: r.entity_ref,
      region: r.region,
      startedAt: new Date(Number(r.started_at)).toISOString(),
      durationMs: Number(r.duration_ms),
      success: Boolean(r.success),
      error: r.error ?? null,
      warnings: JSON.parse(r.warnings),
      steps: evidence ? JSON.parse(evidence.steps) : null,
      screenshot: Boolean(evidence?.has_screenshot),
      har: Boolean(evidence?.has_har),
    };
  }

  /** Keeps the schedule in step with the journey's regions: new regions are due now, dropped ones go. */
  private async syncSchedule(
    tx: Knex.Transaction,
    journeyId: number,
    regions: string[],
    now: number,
  ) {
    await tx(SCHEDULE)
      .where('journey_id', journeyId)
      .whereNotIn('region', regions)
      .delete();
    await tx(SCHEDULE)
      .insert(
        regions.map(region => ({
          journey_id: journeyId,
          region,
          next_run_at: now,
          lease_until: 0,
        })),
      )
      .onConflict(['journey_id', 'region'])
      .ignore();
  }

  private async upsert(
    tx: Knex.Transaction,
    entityRef: string,
    j: SyntheticJourney,
    by: string,
    now: number,
    keepSteps: boolean,
  ): Promise<{ id: number; added: boolean }> {
    const existing = await tx(JOURNEYS)
      .where({ entity_ref: entityRef, name: j.name })
      .first();
    const columns = {
      regions: JSON.stringify(j.regions),
      frequency: j.frequency,
      frequency_ms: frequencyMs(j.frequency),
      deadline_ms: j.deadlineMs,
      updated_at: now,
      updated_by: by,
    };
    if (existing) {
      await tx(JOURNEYS)
        .where('id', existing.id)
        .update({
          ...columns,
          ...(keepSteps ? {} : { steps: JSON.stringify(j.steps) }),
        });
      // a new frequency takes effect at once
      if (Number(existing.frequency_ms) !== columns.frequency_ms)
        await tx(SCHEDULE)
          .where('journey_id', existing.id)
          .update({ next_run_at: now });
      await this.syncSchedule(tx, Number(existing.id), j.regions, now);
      return { id: Number(existing.id), added: false };
    }
    const id = insertedId(
      await tx(JOURNEYS)
        .insert({
          entity_ref: entityRef,
          name: j.name,
          steps: JSON.stringify(j.steps),
          ...columns,
        })
        .returning('id'),
    )!;
    await this.syncSchedule(tx, id, j.regions, now);
    return { id, added: true };
  }

  /** Creates or replaces one journey (steps included). */
  async put(
    entityRef: string,
    journey: SyntheticJourney,
    by: string,
    now: number,
  ): Promise<{ id: number; added: boolean }> {
    return this.db.transaction(tx =>
      this.upsert(tx, entityRef, journey, by, now, false),
    );
  }

  /**
   * The registry (regions, frequency, deadline per journey), in one transaction: journeys already defined keep
   * their steps, new ones start without steps (they are listed, and not run, until their steps are defined).
   */
  async importRegistry(
    entityRef: string,
    journeys: Omit<SyntheticJourney, 'steps'>[],
    by: string,
    now: number,
  ): Promise<{ added: number; updated: number }> {
    return this.db.transaction(async tx => {
      let added = 0;
      for (const j of journeys)
        if (
          (await this.upsert(tx, entityRef, { ...j, steps: [] }, by, now, true))
            .added
        )
          added++;
      return { added, updated: journeys.length - added };
    });
  }

  async remove(entityRef: string, name: string): Promise<boolean> {
    return this.db.transaction(async tx => {
      const row = await tx(JOURNEYS)
        .where({ entity_ref: entityRef, name })
        .first();
      if (!row) return false;
      const runIds = tx(RUNS).where('journey_id', row.id).select('id');
      await tx(EVIDENCE).whereIn('run_id', runIds).delete();
      await tx(RUNS).where('journey_id', row.id).delete();
      await tx(SCHEDULE).where('journey_id', row.id).delete();
      await tx(JOURNEYS).where('id', row.id).delete();
      return true;
    });
  }

  async get(
    entityRef: string,
    name: string,
  ): Promise<Omit<SyntheticJourneyRecord, 'latest'> | undefined> {
    const row = await this.db(JOURNEYS)
      .where({ entity_ref: entityRef, name })
      .first();
    return row ? this.toRecord(row) : undefined;
  }

  /** One page of an entity's journeys by name, each with its latest run per region. */
  async list(
    entityRef: string,
    limit: number,
    offset: number,
    name?: string,
  ): Promise<SyntheticJourneyRecord[]> {
    let q = this.db(JOURNEYS).where('entity_ref', entityRef);
    if (name) q = q.where('name', name);
    const rows = await q.orderBy('name').limit(limit).offset(offset);
    if (!rows.length) return [];
    const ids = rows.map(r => Number(r.id));
    const latestIds = this.db(RUNS)
      .whereIn('journey_id', ids)
      .groupBy('journey_id', 'region')
      .max({ id: 'id' });
    const latest = await this.db(RUNS).whereIn('id', latestIds);
    return rows.map(r => {
      const rec = this.toRecord(r);
      const byRegion: SyntheticJourneyRecord['latest'] = Object.fromEntries(
        rec.regions.map(region => [region, null]),
      );
      for (const l of latest) {
        if (Number(l.journey_id) !== rec.id || !(l.region in byRegion))
          continue;
        const run = this.run(l);
        byRegion[l.region] = {
          startedAt: run.startedAt,
          success: run.success,
          durationMs: run.durationMs,
          error: run.error,
          warnings: run.warnings,
        };
      }
      return { ...rec, latest: byRegion };
    });
  }

  /**
   * Claims up to `limit` due runs (earliest first): each pair's next run moves one frequency on (or past now, when
   * runs were missed), and the runner holds it until `now + deadline + graceMs`. A pair another runner claimed
   * first is skipped. Journeys without steps are not run. `regions` limits the claim to the regions this runner serves.
   */
  async claimDue(
    now: number,
    limit: number,
    graceMs: number,
    regions?: string[],
  ): Promise<ClaimedRun[]> {
    let q = this.db(SCHEDULE)
      .join(JOURNEYS, `${JOURNEYS}.id`, `${SCHEDULE}.journey_id`)
      .where(`${SCHEDULE}.next_run_at`, '<=', now)
      .where(`${SCHEDULE}.lease_until`, '<=', now)
      .whereNot(`${JOURNEYS}.steps`, '[]')
      .orderBy(`${SCHEDULE}.next_run_at`)
      .limit(limit)
      .select(`${SCHEDULE}.region`, `${SCHEDULE}.next_run_at`, `${JOURNEYS}.*`);
    if (regions) q = q.whereIn(`${SCHEDULE}.region`, regions);
    const due = await q;
    const claimed: ClaimedRun[] = [];
    for (let i = 0; i < due.length; i += CHUNK) {
      await this.db.transaction(async tx => {
        for (const r of due.slice(i, i + CHUNK)) {
          const dueAt = Number(r.next_run_at);
          const every = Number(r.frequency_ms);
          const next = dueAt + every > now ? dueAt + every : now + every;
          const n = await tx(SCHEDULE)
            .where({ journey_id: r.id, region: r.region, next_run_at: dueAt })
            .where('lease_until', '<=', now)
            .update({
              next_run_at: next,
              lease_until: now + Number(r.deadline_ms) + graceMs,
            });
          if (n)
            claimed.push({
              journeyId: Number(r.id),
              entityRef: r.entity_ref,
              journey: this.journey(r),
              region: r.region,
              dueAt,
            });
        }
      });
    }
    return claimed;
  }

  /** Records a run with its evidence and releases the pair; answers the run's id. */
  async record(run: RunRecord): Promise<number> {
    return this.db.transaction(async tx => {
      const id = insertedId(
        await tx(RUNS)
          .insert({
            journey_id: run.journeyId,
            entity_ref: run.entityRef,
            journey: run.journey,
            region: run.region,
            started_at: run.startedAt,
            duration_ms: Math.round(run.durationMs),
            success: run.success,
            error: run.error,
            warnings: JSON.stringify(run.warnings),
          })
          .returning('id'),
      )!;
      await tx(EVIDENCE).insert({
        run_id: id,
        steps: JSON.stringify(run.steps),
        screenshot: run.screenshot ?? null,
        har: run.har ?? null,
      });
      await tx(SCHEDULE)
        .where({ journey_id: run.journeyId, region: run.region })
        .update({ lease_until: 0 });
      return id;
    });
  }

  /** One page of runs, newest first, with their evidence where it is still kept. */
  async runs(
    q: {
      entityRef: string;
      journey?: string;
      region?: string;
      failedOnly?: boolean;
    },
    limit: number,
    offset: number,
  ): Promise<SyntheticRun[]> {
    let query = this.db(RUNS)
      .leftJoin(EVIDENCE, `${EVIDENCE}.run_id`, `${RUNS}.id`)
      .where(`${RUNS}.entity_ref`, q.entityRef)
      .orderBy(`${RUNS}.id`, 'desc')
      .limit(limit)
      .offset(offset)
      .select(
        `${RUNS}.*`,
        `${EVIDENCE}.steps`,
        this.db.raw(`(${EVIDENCE}.screenshot is not null) as has_screenshot`),
        this.db.raw(`(${EVIDENCE}.har is not null) as has_har`),
      );
    if (q.journey) query = query.where(`${RUNS}.journey`, q.journey);
    if (q.region) query = query.where(`${RUNS}.region`, q.region);
    if (q.failedOnly) query = query.where(`${RUNS}.success`, false);
    const rows = await query;
    return rows.map(r =>
      this.run(r, r.steps === null || r.steps === undefined ? undefined : r),
    );
  }

  /** Whether the journey has any run yet. */
  async hasRuns(journeyId: number): Promise<boolean> {
    return Boolean(
      await this.db(RUNS).where('journey_id', journeyId).first('id'),
    );
  }

  /** A run's screenshot (PNG) or HAR, when still kept. */
  async evidence(
    entityRef: string,
    runId: number,
    what: 'screenshot' | 'har',
  ): Promise<Buffer | string | undefined> {
    const row = await this.db(EVIDENCE)
      .join(RUNS, `${RUNS}.id`, `${EVIDENCE}.run_id`)
      .where({ [`${RUNS}.id`]: runId, [`${RUNS}.entity_ref`]: entityRef })
      .first(`${EVIDENCE}.${what} as v`);
    return row?.v ?? undefined;
  }

  /** Outcome and duration of a journey's runs since `from` (for the charts), at most `max` of the newest. */
  async outcomes(
    entityRef: string,
    journey: string,
    from: number,
    max: number,
  ): Promise<
    {
      startedAt: number;
      region: string;
      success: boolean;
      durationMs: number;
    }[]
  > {
    const rows = await this.db(RUNS)
      .where({ entity_ref: entityRef, journey })
      .where('started_at', '>=', from)
      .orderBy('started_at', 'desc')
      .limit(max)
      .select('started_at', 'region', 'success', 'duration_ms');
    return rows.map(r => ({
      startedAt: Number(r.started_at),
      region: r.region,
      success: Boolean(r.success),
      durationMs: Number(r.duration_ms),
    }));
  }

  /**
   * Pruning: runs older than `before` go, and evidence is kept for the newest `keepEvidence` runs of each journey and
   * region only. Answers how many of each were deleted.
   */
  async prune(
    before: number,
    keepEvidence: number,
  ): Promise<{ runs: number; evidence: number }> {
    const evidence = await this.db(EVIDENCE)
      .whereIn(
        'run_id',
        this.db
          .from(
            this.db(RUNS)
              .select(
                'id',
                this.db.raw(
                  'row_number() over (partition by journey_id, region order by id desc) as rn',
                ),
              )
              .as('ranked'),
          )
          .where('rn', '>', keepEvidence)
          .select('id'),
      )
      .delete();
    const old = this.db(RUNS).where('started_at', '<', before).select('id');
    const oldEvidence = await this.db(EVIDENCE).whereIn('run_id', old).delete();
    const runs = await this.db(RUNS).where('started_at', '<', before).delete();
    return { runs, evidence: evidence + oldEvidence };
  }

  /** A runner reports the regions it serves (`*`: every region): one upsert per region, the latest report wins. */
  async reportRunner(
    regions: string[],
    now: number,
    staleAfterMs: number,
  ): Promise<void> {
    if (!regions.length) return;
    await this.db(RUNNERS)
      .insert(
        regions.map(region => ({
          region,
          seen_at: now,
          stale_after_ms: staleAfterMs,
        })),
      )
      .onConflict('region')
      .merge(['seen_at', 'stale_after_ms']);
  }

  /** Every region a runner ever reported, with its last report (a short list: one row per region). */
  async runners(): Promise<RunnerPresence[]> {
    const rows = await this.db(RUNNERS).select().limit(1_000);
    return rows.map(r => ({
      region: r.region,
      seenAt: Number(r.seen_at),
      staleAfterMs: Number(r.stale_after_ms),
    }));
  }
}
