import { z } from 'zod';
import {
  BackstageCredentials,
  BackstageUserPrincipal,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { ResourcePermission } from '@backstage/plugin-permission-common';
import {
  ChaosExperiment,
  ChaosExperimentRecord,
  ChaosLintResult,
  ChaosExportFormat,
  ChaosPolicy,
  ChaosRun,
  ChaosRunsResponse,
  ChaosState,
  DEFAULT_CHAOS_POLICY,
  Page,
  chaosCreateRequestSchema,
  chaosListQuerySchema,
  chaosResultSchema,
  chaosUpdateRequestSchema,
  cronNextFire,
  decodeCursor,
  durationMs,
  lintChaosExperiment,
  exportChaosExperiment,
  pageOf,
  reliabilityChaosApprovePermission,
  reliabilityChaosUpdatePermission,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { EntityAccess } from '../catalog/entityAccess';
import { SloRegistry } from '../slos';
import type { SloStatusReader } from '../slos';
import { ChaosStore } from './ChaosStore';
import type { HaltSubmitter, StartSubmitter } from './ChaosGuard';
import { regionRefusal, startRefusal } from './startGuard';
import type { RegionMonitor } from './startGuard';
import type { ChaosRunReview, IncidentReviews } from './ChaosRunReview';
import { isoOrNull } from '../database/rows';

export interface ChaosServiceOptions {
  store: ChaosStore;
  registry: SloRegistry;
  slos: SloStatusReader;
  access: CatalogAccess;
  /** Permission decisions on the experiment's entity. */
  entities: EntityAccess;
  policy?: ChaosPolicy;
  /** Whether a Prometheus is configured, for PromQL abort conditions. */
  prometheus?: boolean;
  /** The backend's base URL, for the Chaos Toolkit export's steady-state probe. */
  backendBaseUrl?: string;
  /** Calls the experiment's halt (through the remediation engine) when it is aborted. */
  halt?: HaltSubmitter;
  /** Calls the experiment's engine (through the remediation engine) when the portal starts it. */
  engineStart?: StartSubmitter;
  /** Why scheduled runs in an environment are refused whatever the SLO says (the scheduler's rule), or null. */
  scheduleRefusal?: (environment: string) => string | null;
  /** Whether a live runner watches each region an experiment names; absent: regions are not checked. */
  regions?: RegionMonitor;
  /** What a refused approval is told (the setting that opens approvals of production entities). */
  approveHint?: string;
  /** Incident reviews a run may be linked to, and the review of ended runs that adds its follow-up to them. */
  incidents?: IncidentReviews;
  review?: ChaosRunReview;
  now?: () => number;
}

/**
 * Chaos experiments as callers see them: linting, designing (versions), the lifecycle draft → approved → running →
 * completed | aborted, and the start guard that keeps experiments off SLOs that are burning or short of budget.
 */
export class ChaosService {
  private readonly now: () => number;
  private readonly policy: ChaosPolicy;

  constructor(private readonly o: ChaosServiceOptions) {
    this.now = o.now ?? Date.now;
    this.policy = o.policy ?? DEFAULT_CHAOS_POLICY;
  }

  /** The linter with what the suite knows of the entity: its SLOs. */
  async lint(body: {
    entityRef?: string;
    experiment?: unknown;
  }): Promise<ChaosLintResult> {
    const sloRefs = body.entityRef
      ? (
          await this.o.registry.forEntity(
            body.entityRef.toLocaleLowerCase('en-US'),
          )
        ).map(s => s.def.ref)
      : undefined;
    return lintChaosExperiment(body.experiment, {
      sloRefs,
      policy: this.policy,
      prometheus: this.o.prometheus,
    });
  }

  /** Lints, or refuses with every violation named (400). */
  private async valid(
    entityRef: string,
    experiment: unknown,
  ): Promise<ChaosExperiment> {
    const r = await this.lint({ entityRef, experiment });
    if (!r.ok)
      throw new InputError(
        `Invalid experiment: ${r.violations
          .map(v => `${v.field}: ${v.message}`)
          .join('; ')}`,
      );
    return r.experiment;
  }

  private must(
    credentials: BackstageCredentials,
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
  ) {
    return this.o.entities.must(permission, entityRef, credentials);
  }

  async list(
    query: z.infer<typeof chaosListQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<Page<ChaosExperimentRecord>> {
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const rows = await this.o.store.list({
      entityRef: query.entityRef?.toLocaleLowerCase('en-US'),
      limit: limit + 1,
      offset,
    });
    const page = pageOf(rows, offset, limit, true);
    const visible = await this.o.access.filter(
      page.items.map(e => e.entityRef),
      credentials,
    );
    return { ...page, items: page.items.filter(e => visible(e.entityRef)) };
  }

  /** An experiment on an entity the caller may read: unknown and hidden ones are both 404. */
  async get(
    id: number,
    credentials: BackstageCredentials,
  ): Promise<ChaosExperimentRecord> {
    const e = await this.o.store.get(id);
    if (
      !e ||
      !(await this.o.access.visible([e.entityRef], credentials)).has(
        e.entityRef,
      )
    )
      throw new NotFoundError(`No chaos experiment ${id}`);
    return e;
  }

  /** One page of an experiment's versions, newest first. */
  async versions(
    id: number,
    query: { limit?: number; cursor?: string },
    credentials: BackstageCredentials,
  ) {
    await this.get(id, credentials);
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    return pageOf(
      await this.o.store.versions(id, limit + 1, offset),
      offset,
      limit,
      true,
    );
  }

  /** One page of an experiment's runs, newest first, with its next scheduled start. */
  async runs(
    id: number,
    query: { limit?: number; cursor?: string },
    credentials: BackstageCredentials,
  ): Promise<ChaosRunsResponse> {
    const e = await this.get(id, credentials);
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const page = pageOf(
      await this.o.store.runs.list(id, limit + 1, offset),
      offset,
      limit,
      true,
    );
    const schedule = e.experiment.schedule;
    const cron = schedule.type === 'cron' ? schedule.cron : undefined;
    return {
      ...page,
      nextRunAt:
        cron && (e.state === 'approved' || e.state === 'running')
          ? isoOrNull(cronNextFire(cron, this.now()))
          : null,
      scheduleBlocked: cron
        ? this.o.scheduleRefusal?.(e.experiment.environment) ?? null
        : null,
    };
  }

  /**
   * Links a run to a closed incident's review: the run's follow-up items (unmet expectations, now or when it ends)
   * become action items of that review. Needs the right to change the experiment's entity's experiments and to see
   * the incident's entity; 404 for a run of another experiment or an incident not seen, 409 for an open incident.
   */
  async linkIncident(
    id: number,
    runId: number,
    incidentId: number,
    credentials: BackstageCredentials,
  ): Promise<ChaosRun> {
    const e = await this.get(id, credentials);
    await this.must(credentials, reliabilityChaosUpdatePermission, e.entityRef);
    const incident = await this.o.incidents?.get(incidentId);
    if (
      !incident ||
      !(await this.o.access.visible([incident.entityRef], credentials)).has(
        incident.entityRef,
      )
    )
      throw new NotFoundError(`No incident ${incidentId}`);
    if (incident.state !== 'closed')
      throw new ConflictError(
        `Incident ${incidentId} is ${incident.state}: its review (action items) is written at close; link the run once it is closed`,
      );
    if (!(await this.o.store.runs.linkIncident(id, runId, incidentId)))
      throw new NotFoundError(`Chaos experiment ${id} has no run ${runId}`);
    const run = (await this.o.store.runs.get(runId))!;
    // a run already checked: its follow-up goes to the review now (once per item, whoever links it again)
    if (run.followUp?.length)
      await this.o.review?.toIncident(e, incidentId, run.followUp);
    return run;
  }

  /**
   * Moves an experiment from one of `from` to `to` in one conditional update and answers it; 409 naming its state
   * when it was not in `from` (another caller moved it first).
   */
  private async move(
    id: number,
    from: ChaosState[],
    to: ChaosState,
    fields: Parameters<ChaosStore['transition']>[3],
    refusal: string,
  ): Promise<ChaosExperimentRecord> {
    if (!(await this.o.store.transition(id, from, to, fields, this.now()))) {
      throw new ConflictError(
        `Chaos experiment ${id} is ${
          (await this.o.store.get(id))?.state ?? 'gone'
        }: ${refusal}`,
      );
    }
    return (await this.o.store.get(id))!;
  }

  /** A new draft: the author must be allowed to write the entity's experiments, and the linter must pass. */
  async create(
    body: z.infer<typeof chaosCreateRequestSchema>,
    credentials: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<ChaosExperimentRecord> {
    const entityRef = body.entityRef.toLocaleLowerCase('en-US');
    if (!(await this.o.access.visible([entityRef], credentials)).has(entityRef))
      throw new NotFoundError(`No entity ${entityRef}`);
    await this.must(credentials, reliabilityChaosUpdatePermission, entityRef);
    const author = credentials.principal.userEntityRef;
    const experiment = await this.valid(
      entityRef,
      withAuthor(body.experiment, author),
    );
    const created = await this.o.store.create({
      entityRef,
      experiment,
      author,
      now: this.now(),
    });
    if (!created)
      throw new ConflictError(
        `${entityRef} already has a chaos experiment named ${experiment.name}`,
      );
    return created;
  }

  /** A new version (back to draft: a changed experiment is approved again). */
  async update(
    id: number,
    body: z.infer<typeof chaosUpdateRequestSchema>,
    credentials: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<ChaosExperimentRecord> {
    const current = await this.get(id, credentials);
    await this.must(
      credentials,
      reliabilityChaosUpdatePermission,
      current.entityRef,
    );
    const experiment = await this.valid(
      current.entityRef,
      withAuthor(body.experiment, current.author),
    );
    if (experiment.name !== current.name)
      throw new InputError(
        `Invalid experiment: name: cannot change (${current.name}); create a new experiment instead`,
      );
    const r = await this.o.store.update(id, {
      baseVersion: body.baseVersion,
      experiment,
      author: credentials.principal.userEntityRef,
      now: this.now(),
    });
    if (r === 'state')
      throw new ConflictError(
        `Chaos experiment ${id} is ${current.state}: only drafts and approved experiments can be edited`,
      );
    if (r === 'conflict')
      throw new ConflictError(
        `Chaos experiment ${id} changed since version ${body.baseVersion} (now ${current.version}); reload and edit again`,
      );
    return r;
  }

  /** Approval: by someone with reliability.chaos.approve who is not the author, of a draft that still lints. */
  async approve(
    id: number,
    credentials: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<ChaosExperimentRecord> {
    const current = await this.get(id, credentials);
    await this.o.entities.must(
      reliabilityChaosApprovePermission,
      current.entityRef,
      credentials,
      this.o.approveHint,
    );
    const approver = credentials.principal.userEntityRef;
    if (
      approver.toLocaleLowerCase('en-US') ===
      current.author.toLocaleLowerCase('en-US')
    ) {
      throw new NotAllowedError(
        `Chaos experiment ${id} was written by ${current.author}: someone else must approve it`,
      );
    }
    const experiment = await this.valid(current.entityRef, {
      ...current.experiment,
      approver,
    });
    return this.move(
      id,
      ['draft'],
      'approved',
      { approvedBy: approver, experiment },
      'only a draft can be approved',
    );
  }

  /**
   * Starts an approved experiment. `by: 'portal'` also calls the engine through the remediation rules that match
   * the ChaosExperimentStarted alert (`engineCalls` names them); `by: 'engine'` is the engine reporting it started.
   * The start guard refuses while the steady-state SLO is burning, exhausted, not yet evaluated, or below its
   * least budget, and when a region it names has no live runner watching it.
   */
  async start(
    id: number,
    by: 'portal' | 'engine',
    credentials: BackstageCredentials,
  ): Promise<ChaosExperimentRecord & { engineCalls?: string[] }> {
    const current = await this.get(id, credentials);
    await this.must(
      credentials,
      reliabilityChaosUpdatePermission,
      current.entityRef,
    );
    if (current.state !== 'approved')
      throw new ConflictError(
        `Chaos experiment ${id} is ${current.state}: only an approved experiment can start`,
      );
    const steady = current.experiment.steadyState;
    const status = (await this.o.slos.getStatuses([steady.slo])).get(
      steady.slo,
    );
    const refusal =
      startRefusal(current, status) ??
      (await regionRefusal(current, this.o.regions));
    if (refusal) throw new ConflictError(`Not started: ${refusal}`);
    const running = await this.move(
      id,
      ['approved'],
      'running',
      { startedAt: this.now(), budgetAtStart: status!.budgetRemaining },
      'it was started or changed meanwhile',
    );
    // its run, for the run history; the timed end ends it at its duration
    const startedAt = Date.parse(running.startedAt!);
    await this.o.store.runs.manual(
      id,
      startedAt,
      startedAt + durationMs(running.experiment.duration),
    );
    if (by === 'engine' || !this.o.engineStart) return running;
    // only the caller that made the transition calls the engine
    return { ...running, engineCalls: await this.o.engineStart(running) };
  }

  /** Stops a running experiment (kill switch or guard) and records why and the budget the run spent. */
  async abort(
    id: number,
    reason: string,
    credentials: BackstageCredentials,
  ): Promise<ChaosExperimentRecord> {
    const current = await this.get(id, credentials);
    await this.must(
      credentials,
      reliabilityChaosUpdatePermission,
      current.entityRef,
    );
    const aborted = await this.move(
      id,
      ['running'],
      'aborted',
      {
        finishedAt: this.now(),
        abortReason: reason,
        budgetSpent: await this.spent(current),
      },
      'only a running experiment can be aborted',
    );
    // the kill switch halts at once; only the caller that made the transition halts
    await this.o.halt?.(current, reason);
    return aborted;
  }

  /** Ends a running experiment with its result: whether the hypothesis held, observations and links. */
  async complete(
    id: number,
    result: z.infer<typeof chaosResultSchema>,
    credentials: BackstageCredentials,
  ): Promise<ChaosExperimentRecord> {
    const current = await this.get(id, credentials);
    await this.must(
      credentials,
      reliabilityChaosUpdatePermission,
      current.entityRef,
    );
    const experiment = { ...current.experiment, result };
    return this.move(
      id,
      ['running'],
      'completed',
      {
        finishedAt: this.now(),
        budgetSpent: await this.spent(current),
        experiment,
      },
      'only a running experiment can be completed',
    );
  }

  /**
   * The experiment for an engine: Litmus ChaosEngines, Chaos Mesh objects or an Istio VirtualService (YAML), or a
   * Chaos Toolkit experiment (JSON); 400 naming the field when the engine cannot express it.
   */
  async export(
    id: number,
    format: ChaosExportFormat,
    credentials: BackstageCredentials,
  ): Promise<{
    filename: string;
    type: 'yaml' | 'json';
    value: Record<string, unknown>;
  }> {
    const e = await this.get(id, credentials);
    const r = exportChaosExperiment(e.experiment, format, {
      backendBaseUrl: this.o.backendBaseUrl ?? 'http://localhost:7007',
      entityRef: e.entityRef,
    });
    if (!r.ok)
      throw new InputError(
        `Chaos experiment ${e.name} cannot be exported to ${format}: ${r.error}`,
      );
    const suffix = {
      litmus: 'chaosengine.yaml',
      'chaos-mesh': 'chaos-mesh.yaml',
      'chaos-toolkit': 'chaostoolkit.json',
      istio: 'istio.yaml',
    }[format];
    return {
      filename: `${e.name}.${suffix}`,
      type: format === 'chaos-toolkit' ? 'json' : 'yaml',
      value: r.value,
    };
  }

  /** The share of the whole budget spent since the start, from the steady-state SLO's last evaluation. */
  private async spent(e: ChaosExperimentRecord): Promise<number | null> {
    const status = (
      await this.o.slos.getStatuses([e.experiment.steadyState.slo])
    ).get(e.experiment.steadyState.slo);
    if (e.budgetAtStart === null || !status || status.budgetRemaining === null)
      return null;
    return Math.max(0, e.budgetAtStart - status.budgetRemaining);
  }
}

/** The author is the signed-in user, whatever the document says. */
function withAuthor(experiment: unknown, author: string): unknown {
  return typeof experiment === 'object' &&
    experiment !== null &&
    !Array.isArray(experiment)
    ? { ...experiment, author }
    : experiment;
}
