import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { ChangeStore } from './ChangeStore';
import type { RemediationRuleRef } from '../events/ReliabilityEvents';
import type { SloFeature } from '../slos';
import { ChangeService } from './ChangeService';
import { changeRoutes } from './routes';

/** What a remediation changed, as a change of its rule's entity: a flag flip or a restart (else nothing). */
export function changeKindOf(
  rule: Pick<RemediationRuleRef, 'action' | 'params'>,
): 'flag' | 'restart' | undefined {
  if (rule.action === 'feature-flag') return 'flag';
  if (
    rule.action === 'kubernetes' &&
    (rule.params.operation === 'rollout-restart' ||
      rule.params.operation === 'create-job')
  )
    return 'restart';
  return undefined;
}

/**
 * Changes of an entity (deploys, config pushes, flag flips) with the budget burned after each; a successful
 * remediation that flips a flag or restarts a workload is recorded as one (RemediationSucceeded), and every recorded
 * change is published (ChangeRecorded).
 */
export function createChangeFeature(
  ctx: FeatureContext<{ changes: ChangeStore }>,
  deps: { slos: SloFeature },
) {
  const changes = new ChangeService({
    store: ctx.stores.changes,
    entities: ctx.entities,
    registry: deps.slos.registry,
    reads: deps.slos.reads,
    logger: ctx.logger,
    events: ctx.events,
  });
  ctx.events.subscribe('RemediationSucceeded', async ({ rule, detail, at }) => {
    const kind = changeKindOf(rule);
    if (kind)
      await changes.recordRemediation({
        entityRef: rule.entityRef,
        kind,
        ruleId: rule.id,
        summary: detail,
        at,
      });
  });
  return {
    /** The service, for the actions that call it (actions/). */
    changes,
    routes: (router, { guards }) => changeRoutes(router, { guards, changes }),
  } satisfies Feature & Record<string, unknown>;
}
