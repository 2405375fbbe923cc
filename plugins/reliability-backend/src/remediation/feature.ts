import { hostname } from 'os';
// eslint-disable-next-line no-restricted-syntax -- an owner's rules file is read by the platform rules' own reader, which takes a Config
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { randomUUID } from 'crypto';
import {
  CHAOS_ABORT_ALERT,
  CHAOS_START_ALERT,
  ChaosExperimentRecord,
  chaosScopeLabels,
} from '@reliability-suite/plugin-reliability-common';
import type { RemediationAction } from '@reliability-suite/plugin-reliability-node';
import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { RemediationStore } from './RemediationStore';
import type { EscalationStore } from './EscalationStore';
import { featureFlagAction } from './actions/featureFlag';
import { createKubernetesAction } from './actions/kubernetes';
import { webhookAction } from './actions/webhook';
import { RemediationMetrics } from './metrics';
import { RemediationEngine } from './RemediationEngine';
import { remediationRoutes } from './routes';
import { buildRemediationRules, RemediationRule } from './rules';
import { sloAlertTrigger } from './triggers';
import { OwnerRules, readOwnerRulesPolicy } from './ownerRules';
import { ownerRulesRoutes } from './ownerRulesRoutes';

/**
 * Self-healing: the actions (built in, and those modules add), the rules, the engine and its dispatch task, and the
 * routes. It runs the rules that match the suite's own alerts (AlertFired), a chaos experiment's start
 * (ChaosStarted: the engine calls) and abort (ChaosAborted: the halt), and says when an execution succeeds or
 * escalates (RemediationSucceeded, RemediationEscalated).
 */
export function createRemediationFeature(
  ctx: FeatureContext<{
    remediation: RemediationStore;
    escalations: EscalationStore;
  }>,
  extensions: { actions: RemediationAction[] },
  deps: {
    /** Secret hygiene's port: a target refused a rule's credentials (401/403); absent, nothing is recorded. */
    authFailed?: (e: {
      rule: RemediationRule;
      status: 401 | 403;
    }) => Promise<void>;
  } = {},
) {
  const { config: rc, stores, events } = ctx;
  const actions = new Map<string, RemediationAction>();
  for (const action of [
    webhookAction,
    featureFlagAction,
    createKubernetesAction(rc.remediation.clusters),
    ...extensions.actions,
  ]) {
    if (actions.has(action.id))
      throw new Error(`Two remediation actions have the id '${action.id}'`);
    actions.set(action.id, action);
  }
  const metrics = new RemediationMetrics();
  const engine = new RemediationEngine({
    store: stores.remediation,
    escalations: stores.escalations,
    rules: buildRemediationRules(rc.remediation.rules, actions, ctx.redactor),
    actions,
    logger: ctx.logger.child({ component: 'remediation' }),
    redactor: ctx.redactor,
    auditor: ctx.auditor,
    metrics,
    holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    breaker: rc.remediation.breaker,
    leaseGraceMs: rc.remediation.leaseGraceMs,
    onEscalated: async ({ rule, detail }) => {
      await events.publish('RemediationEscalated', { rule, detail });
    },
    onSucceeded: async ({ rule, detail, at }) => {
      await events.publish('RemediationSucceeded', { rule, detail, at });
    },
    backoff: rc.remediation.backoff,
    onAuthFailed: deps.authFailed,
  });

  // rules entities' owners write (annotation reliability.io/remediation-rules), within the platform's policy; each
  // replica loads them itself, on the task's schedule, and swaps the engine's owner rules whole
  const ownerRulesPolicy = readOwnerRulesPolicy(
    new ConfigReader({ reliability: (rc.raw ?? {}) as JsonObject }),
  );
  const ownerRules = new OwnerRules({
    catalog: ctx.catalog,
    auth: ctx.auth,
    urlReader: ctx.urlReader,
    actions,
    redactor: ctx.redactor,
    logger: ctx.logger.child({ component: 'remediation-owner-rules' }),
    policy: ownerRulesPolicy,
    apply: rules => engine.setOwnerRules(rules),
  });

  // the suite's own alerts run the remediation rules that match them
  events.subscribe('AlertFired', async ({ alert, slo }) => {
    await engine.submit(sloAlertTrigger(alert, slo, Date.now()));
  });
  // an aborted experiment (guard or kill switch) raises its own alert; the remediation rules that match it call the
  // halt (a webhook, a Litmus ChaosEngine patch, a Chaos Mesh pause), recorded once per experiment
  // (the trigger ids name the run by its start: a scheduled experiment runs again, and each run is halted once)
  const halt = async (
    e: ChaosExperimentRecord,
    reason: string,
    severity: 'page' | 'info',
  ) => {
    await engine.submit({
      kind: 'alert',
      id: `chaos:${e.id}:${runKey(e)}abort`,
      labels: {
        alertname: CHAOS_ABORT_ALERT,
        severity,
        experiment: e.name,
        entity: e.entityRef,
        slo: e.experiment.steadyState.slo,
        environment: e.experiment.environment,
        ...chaosScopeLabels(e.experiment),
      },
      annotations: {
        summary: `Chaos experiment ${e.name} ${
          severity === 'page' ? 'aborted' : 'ended'
        }: ${reason}`,
      },
      entityRef: e.entityRef,
      receivedAt: Date.now(),
    });
  };
  events.subscribe('ChaosAborted', ({ experiment: e, reason }) =>
    halt(e, reason, 'page'),
  );
  // the end of a run's duration halts the engine the same way, without paging
  events.subscribe('ChaosEnded', ({ experiment: e, reason }) =>
    halt(e, reason, 'info'),
  );
  // a start from the portal raises its own alert; the rules that match it call the engine (a Gremlin-style attack
  // webhook, a Litmus ChaosEngine or Chaos Mesh object created from the experiment), once per run
  events.subscribe('ChaosStarted', async ({ experiment: e }) => {
    const results = await engine.submit({
      kind: 'alert',
      id: `chaos:${e.id}:${runKey(e)}start`,
      labels: {
        alertname: CHAOS_START_ALERT,
        severity: 'info',
        experiment: e.name,
        entity: e.entityRef,
        slo: e.experiment.steadyState.slo,
        environment: e.experiment.environment,
        ...chaosScopeLabels(e.experiment),
      },
      annotations: {
        summary: `Chaos experiment ${e.name} started from the portal`,
        experiment: JSON.stringify(e.experiment),
      },
      entityRef: e.entityRef,
      receivedAt: Date.now(),
    });
    return results.map(r => r.ruleId);
  });

  return {
    engine,
    metrics,
    ownerRules,
    tasks: [
      scheduledTask(
        'reliability-remediation-dispatch',
        'local',
        {
          frequency: { seconds: rc.remediation.dispatchIntervalSeconds },
          timeout: { minutes: 10 },
          initialDelay: { seconds: 3 },
        },
        () => engine.dispatch(),
      ),
      // 'local': the loaded rules live in each replica's memory, so every replica refreshes its own
      scheduledTask(
        'reliability-remediation-owner-rules',
        'local',
        {
          frequency: { milliseconds: ownerRulesPolicy.refreshIntervalMs },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 5 },
        },
        () => ownerRules.refresh(),
      ),
    ],
    // Prometheus scrapes the selfheal_* metrics without a Backstage token (behind reliability.metrics.token if set)
    unauthenticated: ['/metrics'],
    routes: (router, { guards }) => {
      remediationRoutes(router, {
        guards,
        remediation: engine,
        metrics,
        metricsToken: rc.metricsToken,
      });
      ownerRulesRoutes(router, { guards, ownerRules });
    },
    readinessFacts: async entityRef => {
      const [executions, escalations] = await Promise.all([
        stores.remediation.list({ entityRef, limit: 20 }),
        stores.escalations.list({
          entityRefs: [entityRef],
          state: 'open',
          limit: 100,
        }),
      ]);
      const settled = executions.find(
        e => e.state === 'succeeded' || e.state === 'failed',
      );
      return {
        remediation: {
          rules: engine.rulesFor(entityRef).length,
          openEscalations: escalations.length,
          lastOutcome: settled
            ? (settled.state as 'succeeded' | 'failed')
            : null,
        },
      };
    },
  } satisfies Feature & Record<string, unknown>;
}

/** The remediation feature's ports. */
export type RemediationFeature = ReturnType<typeof createRemediationFeature>;

/** A run of an experiment, by its start: `<epoch ms>:` (empty before the first start, as trigger ids were). */
function runKey(e: ChaosExperimentRecord): string {
  return e.startedAt ? `${Date.parse(e.startedAt)}:` : '';
}
