import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { alertPolicyOf, ReadinessFacts, ReadinessResponse, readinessScore } from '@internal/plugin-reliability-common';
import { EntityAccess } from '../catalog/entityAccess';
import { SloRegistry } from '../slos';
import { ReliabilityStores } from '../database/ReliabilityDatabase';
import { RemediationEngine } from '../remediation/RemediationEngine';

export interface ReadinessServiceOptions {
  entities: EntityAccess;
  registry: SloRegistry;
  stores: Pick<ReliabilityStores, 'runbooks' | 'synthetics' | 'drills' | 'capacity' | 'remediation' | 'escalations' | 'chaos'>;
  remediation: Pick<RemediationEngine, 'rulesFor'>;
  now?: () => number;
}

/**
 * A service's readiness: the facts of each checklist item gathered from the features' stores (in parallel, one
 * bounded query each), scored by -common's `readinessScore`. Reads never write.
 */
export class ReadinessService {
  constructor(private readonly o: ReadinessServiceOptions) {}

  async facts(entityRef: string, annotations: Record<string, string>): Promise<ReadinessFacts> {
    const { stores } = this.o;
    const [slos, portalRunbook, journeys, drills, capacity, executions, escalations, chaos] = await Promise.all([
      this.o.registry.forEntity(entityRef),
      annotations['reliability.io/runbook'] ? Promise.resolve(undefined) : stores.runbooks.latest(entityRef),
      stores.synthetics.list(entityRef, 100, 0),
      stores.drills.latest(entityRef),
      stores.capacity.list(entityRef, 1, 0),
      stores.remediation.list({ entityRef, limit: 20 }),
      stores.escalations.list({ entityRefs: [entityRef], state: 'open', limit: 100 }),
      stores.chaos.list({ entityRef, states: ['completed'], limit: 100, offset: 0 }),
    ]);
    const settled = executions.find(e => e.state === 'succeeded' || e.state === 'failed');
    const runbookAnnotation = annotations['reliability.io/runbook'];
    let runbook: ReadinessFacts['runbook'] = null;
    if (runbookAnnotation) runbook = { where: runbookAnnotation };
    else if (portalRunbook) runbook = { where: `written in the portal (v${portalRunbook.version})` };
    return {
      entityRef,
      annotations,
      slos: slos.map(s => ({ ref: s.def.ref, policySource: alertPolicyOf(s.def).source })),
      runbook,
      journeys: journeys.map(j => {
        const times = Object.values(j.latest).flatMap(l => (l ? [Date.parse(l.startedAt)] : []));
        return { name: j.name, steps: j.steps.length, lastRunAt: times.length ? Math.max(...times) : null };
      }),
      drill: { lastSuccessAt: drills.lastSuccess ? Date.parse(drills.lastSuccess.date) : null },
      capacity: { lastRunAt: capacity[0] ? Date.parse(capacity[0].startedAt) : null },
      remediation: {
        rules: this.o.remediation.rulesFor(entityRef).length,
        openEscalations: escalations.length,
        lastOutcome: settled ? (settled.state as 'succeeded' | 'failed') : null,
      },
      chaos: { completed: chaos.length },
    };
  }

  async get(entityRef: string, credentials: BackstageCredentials): Promise<ReadinessResponse> {
    const ref = entityRef.toLocaleLowerCase('en-US');
    const annotations = await this.o.entities.annotations(ref, credentials);
    return readinessScore(await this.facts(ref, annotations), (this.o.now ?? Date.now)());
  }
}
