import { Knex } from 'knex';
import type {
  CapacityRun,
  CapacityTestType,
} from '@reliability-suite/plugin-reliability-common';
import { insertedId, numOrNull as num } from '../database/rows';
import type { WriteFence } from '../database/writeFence';

const TABLE = 'reliability_capacity_runs';
const NEWEST = [
  { column: 'started_at', order: 'desc' as const },
  { column: 'id', order: 'desc' as const },
];

/** Load-test runs per entity. */
export class CapacityStore {
  constructor(private readonly db: Knex) {}

  private row(r: any): CapacityRun {
    return {
      id: Number(r.id),
      entityRef: r.entity_ref,
      testType: r.test_type,
      commit: r.commit,
      startedAt: new Date(Number(r.started_at)).toISOString(),
      p95Ms: Number(r.p95_ms),
      p99Ms: num(r.p99_ms),
      avgMs: num(r.avg_ms),
      rps: Number(r.rps),
      maxRps: num(r.max_rps),
      requests: Number(r.requests),
      errorRate: Number(r.error_rate),
      durationSeconds: num(r.duration_s),
      vusMax: num(r.vus_max),
      cpuPercent: num(r.cpu_percent),
      targetMs: num(r.target_ms),
      verdict: r.verdict,
      reason: r.reason,
      recordedBy: r.recorded_by,
    };
  }

  async create(
    run: Omit<CapacityRun, 'id' | 'startedAt'> & { startedAt: number },
    now: number,
    fence?: WriteFence,
  ): Promise<CapacityRun> {
    return this.db.transaction(async tx => {
      const inserted = await tx(TABLE)
        .insert({
          entity_ref: run.entityRef,
          test_type: run.testType,
          commit: run.commit,
          started_at: run.startedAt,
          p95_ms: run.p95Ms,
          p99_ms: run.p99Ms,
          avg_ms: run.avgMs,
          rps: run.rps,
          max_rps: run.maxRps,
          requests: run.requests,
          error_rate: run.errorRate,
          duration_s: run.durationSeconds,
          vus_max: run.vusMax,
          cpu_percent: run.cpuPercent,
          target_ms: run.targetMs,
          verdict: run.verdict,
          reason: run.reason,
          recorded_by: run.recordedBy,
          recorded_at: now,
        })
        .returning('id');
      const created = this.row(
        await tx(TABLE)
          .where({ id: insertedId(inserted) })
          .first(),
      );
      if (fence) await fence(tx, created);
      return created;
    });
  }

  /** One page of the entity's runs, newest first. */
  async list(
    entityRef: string,
    limit: number,
    offset: number,
  ): Promise<CapacityRun[]> {
    return (
      await this.db(TABLE)
        .where('entity_ref', entityRef)
        .orderBy(NEWEST)
        .limit(limit)
        .offset(offset)
    ).map(r => this.row(r));
  }

  /** The latest run of each kind asked for, and the latest of all. */
  async latest(
    entityRef: string,
    types: CapacityTestType[],
  ): Promise<{
    last: CapacityRun | null;
    byType: Map<CapacityTestType, CapacityRun>;
  }> {
    const [last, ...typed] = await Promise.all([
      this.db(TABLE).where('entity_ref', entityRef).orderBy(NEWEST).first(),
      ...types.map(t =>
        this.db(TABLE)
          .where({ entity_ref: entityRef, test_type: t })
          .orderBy(NEWEST)
          .first(),
      ),
    ]);
    const byType = new Map<CapacityTestType, CapacityRun>();
    typed.forEach((r, i) => r && byType.set(types[i], this.row(r)));
    return { last: last ? this.row(last) : null, byType };
  }

  /** Each entity's latest load test (epoch ms), one page of entities at a time. */
  async lastRunPerEntity(
    limit: number,
    offset: number,
    verdict?: CapacityRun['verdict'],
  ): Promise<{ entityRef: string; at: number }[]> {
    const rows = await this.db(TABLE)
      .modify(q => {
        if (verdict) q.where('verdict', verdict);
      })
      .groupBy('entity_ref')
      .select('entity_ref')
      .max({ at: 'started_at' })
      .orderBy('entity_ref')
      .limit(limit)
      .offset(offset);
    return rows.map((r: any) => ({
      entityRef: r.entity_ref,
      at: Number(r.at),
    }));
  }
}
