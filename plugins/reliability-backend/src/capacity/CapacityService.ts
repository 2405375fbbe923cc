import type { WriteFence } from '../database/writeFence';
import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  capacityListQuerySchema,
  CapacityListResponse,
  CapacityRun,
  capacityRunRequestSchema,
  capacityVerdict,
  capacityWarnings,
  decodeCursor,
  latencyTargetMs,
  pageOf,
  readK6Summary,
  reliabilityCapacityRecordPermission,
} from '@reliability-suite/plugin-reliability-common';
import { callerName, EntityAccess } from '../catalog/entityAccess';
import { SloRegistry } from '../slos';
import type { SliPeakRate } from '../slos';
import { CapacityStore } from './CapacityStore';

const DAY = 86_400_000;

export interface CapacityServiceOptions {
  store: CapacityStore;
  entities: EntityAccess;
  registry: SloRegistry;
  slos: SliPeakRate;
  now?: () => number;
}

/** Load tests: CI posts k6 summaries and gets a verdict; the tab reads the trend and the headroom. */
export class CapacityService {
  private readonly now: () => number;

  constructor(private readonly o: CapacityServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  private entity(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Record<string, string>> {
    return this.o.entities.annotations(entityRef, credentials);
  }

  /** A run from CI: its figures, and the verdict against the entity's latency SLO (fail: p95 above it). */
  async record(
    body: z.infer<typeof capacityRunRequestSchema>,
    credentials: BackstageCredentials,
    fence?: WriteFence,
  ): Promise<CapacityRun> {
    const entityRef = body.entityRef.toLocaleLowerCase('en-US');
    const annotations = await this.o.entities.forWrite(
      reliabilityCapacityRecordPermission,
      entityRef,
      credentials,
    );
    const figures = readK6Summary(body.summary);
    if (!figures.ok) throw new InputError(`Invalid body: ${figures.error}`);
    const target = latencyTargetMs(annotations);
    const { verdict, reason } = capacityVerdict(figures.value.p95Ms, target.ms);
    const now = this.now();
    return this.o.store.create(
      {
        ...figures.value,
        entityRef,
        testType: body.testType,
        commit: body.commit,
        startedAt: body.startedAt ? Date.parse(body.startedAt) : now,
        maxRps: body.maxRps ?? null,
        cpuPercent: body.cpuPercent ?? null,
        targetMs: target.ms,
        verdict,
        reason: target.problem ? `${reason} (${target.problem})` : reason,
        recordedBy: callerName(credentials),
      },
      now,
      fence,
    );
  }

  /** A page of runs, with the latency target, the daily peak from the SLI traffic and the headroom warnings. */
  async list(
    query: z.infer<typeof capacityListQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<CapacityListResponse> {
    const entityRef = query.entityRef.toLocaleLowerCase('en-US');
    const target = latencyTargetMs(await this.entity(entityRef, credentials));
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const sloRefs = (await this.o.registry.forEntity(entityRef)).map(
      s => s.def.ref,
    );
    const [rows, latest, peakRps] = await Promise.all([
      this.o.store.list(entityRef, limit + 1, offset),
      this.o.store.latest(entityRef, ['stress', 'spike']),
      this.o.slos.peakRate(sloRefs, this.now() - 7 * DAY),
    ]);
    const warnings = capacityWarnings({
      lastStress: latest.byType.get('stress') ?? null,
      lastSpike: latest.byType.get('spike') ?? null,
      last: latest.last,
      peakRps,
    });
    return {
      ...pageOf(rows, offset, limit, true),
      targetMs: target.ms,
      ...(target.problem ? { targetProblem: target.problem } : {}),
      peakRps,
      warnings,
    };
  }
}
