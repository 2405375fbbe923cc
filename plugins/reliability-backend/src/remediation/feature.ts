import { hostname } from 'os';
import { randomUUID } from 'crypto';
import {
  CHAOS_ABORT_ALERT,
  CHAOS_START_ALERT,
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
import { buildRemediationRules } from './rules';
import { sloAlertTrigger } from './triggers';

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
  });

  // the suite's own alerts run the remediation rules that match them
  events.subscribe('AlertFired', async ({ alert, slo }) => {
    await engine.submit(sloAlertTrigger(alert, slo, Date.now()));
  });
  // an aborted experiment (guard or kill switch) raises its own alert; the remediation rules that match it call the
  // halt (a webhook, a Litmus ChaosEngine patch, a Chaos Mesh pause), recorded once per experiment
  events.subscribe('ChaosAborted', async ({ experiment: e, reason }) => {
    await engine.submit({
      kind: 'alert',
      id: `chaos:${e.id}:abort`,
      labels: {
        alertname: CHAOS_ABORT_ALERT,
        severity: 'page',
        experiment: e.name,
        entity: e.entityRef,
        slo: e.experiment.steadyState.slo,
        environment: e.experiment.environment,
      },
      annotations: { summary: `Chaos experiment ${e.name} aborted: ${reason}` },
      entityRef: e.entityRef,
      receivedAt: Date.now(),
    });
  });
  // a start from the portal raises its own alert; the rules that match it call the engine (a Gremlin-style attack
  // webhook, a Litmus ChaosEngine or Chaos Mesh object created from the experiment), once per run
  events.subscribe('ChaosStarted', async ({ experiment: e }) => {
    const results = await engine.submit({
      kind: 'alert',
      id: `chaos:${e.id}:start`,
      labels: {
        alertname: CHAOS_START_ALERT,
        severity: 'info',
        experiment: e.name,
        entity: e.entityRef,
        slo: e.experiment.steadyState.slo,
        environment: e.experiment.environment,
        injection: e.experiment.injection.type,
        namespace: e.experiment.target.namespace,
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
    ],
    // Prometheus scrapes the selfheal_* metrics without a Backstage token (behind reliability.metrics.token if set)
    unauthenticated: ['/metrics'],
    routes: (router, { guards }) =>
      remediationRoutes(router, {
        guards,
        remediation: engine,
        metrics,
        metricsToken: rc.metricsToken,
      }),
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
