import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  alertPolicyOf,
  ruleId,
  type RemediationExecution,
  type SloDefinition,
} from '@reliability-suite/plugin-reliability-common';
import { Counter, Registry } from 'prom-client';
import type { FiredAlert } from '../events/ReliabilityEvents';
import { Redactor } from '../redaction/Redactor';
import type { IncomingTrigger } from './RemediationEngine';
import type { RemediationRule } from './rules';
import { sloAlertTrigger } from './triggers';

/** How many of the entity's newest executions `outcome` reads to find the alert's own. */
const EXECUTIONS_READ = 100;
/** How many of the SLO's newest alerts `outcome` reads to find the alert's state. */
const ALERTS_READ = 50;

/** What delivery asks of self-healing (DeliveryServiceOptions.selfHealing). */
export interface SelfHealing {
  /** How long a covered page is held before `outcome` is asked. */
  graceMs: number;
  /** Whether a fired alert's page waits: a page alert that a remediation rule matches. */
  covers(alert: FiredAlert, slo: SloDefinition): Promise<boolean>;
  /**
   * After the grace: healed when an execution for the alert succeeded and the alert has resolved; `tried` names each
   * execution (rule, action, result), redacted, one line each.
   */
  outcome(alert: {
    id: number;
    sloRef: string;
  }): Promise<{ healed: boolean; tried: string[] }>;
  /** A page nobody got: counted in selfheal_pages_avoided_total (once per alert). */
  avoided(alert: {
    id: number;
    sloRef: string;
    alertKey: string;
  }): Promise<void>;
  /**
   * Whether any page alert of this SLO would be covered: the SLOs the fast check evaluates (slos/FastCheck). Pure:
   * every replica answers the same for the same SLO and rules.
   */
  coversSlo(slo: SloDefinition): boolean;
  /** The entities that have remediation rules (the only ones whose SLOs can be covered). */
  entityRefs(): string[];
}

export interface SelfHealingOptions {
  /** The remediation engine's matching (the rules an incoming trigger runs). */
  engine: {
    matching(trigger: IncomingTrigger): RemediationRule[];
    rulesFor(entityRef?: string): RemediationRule[];
  };
  /** The SLO registry's read: the entity an SLO measures (where its executions are recorded). */
  slos: {
    byRef(ref: string): Promise<{ def: SloDefinition } | undefined>;
  };
  /** The remediation store's read of executions, newest first. */
  executions: {
    list(filter: {
      entityRef?: string;
      limit?: number;
    }): Promise<RemediationExecution[]>;
  };
  /** The alerts store's read, newest first (reads never write). */
  alerts: {
    list(filter: {
      sloRefs?: string[];
      limit?: number;
    }): Promise<{ id: number; state: string }[]>;
  };
  /** The suite's metrics registry (RemediationMetrics.registry, served at GET /metrics). */
  metrics: Registry;
  /** `reliability.remediation.selfHealing.graceSeconds` (ReliabilityConfig.remediation.selfHealing.graceMs). */
  graceMs: number;
  redactor?: Redactor;
  logger?: LoggerService;
  now?: () => number;
}

/** The alert an SLO's page rule would raise, for asking which rules match it before it exists. */
const probe = (slo: SloDefinition, rule: string): FiredAlert => ({
  id: 0,
  sloRef: slo.ref,
  rule,
  severity: 'page',
  details: {},
});

/** The counter of pages avoided, on the suite's registry (made once per registry). */
function avoidedCounter(registry: Registry): Counter<'slo'> {
  const name = 'selfheal_pages_avoided_total';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'slo'>;
  return new Counter({
    name,
    help: 'Pages of the suite own alerts that nobody got: a remediation fixed the burn within the grace period',
    labelNames: ['slo'],
    registers: [registry],
  });
}

/** One execution as one line: rule, action, result (and why, when it did not succeed), redacted and bounded. */
function summary(e: RemediationExecution, redactor: Redactor): string {
  const why = e.state !== 'succeeded' && e.detail ? `: ${e.detail}` : '';
  const attempts = e.attempts.length
    ? `, ${e.attempts.length} attempt${e.attempts.length === 1 ? '' : 's'}`
    : '';
  return redactor
    .text(`${e.ruleId} (${e.action}) ${e.state}${attempts}${why}`, 300)
    .replace(/[\r\n]+/g, ' ');
}

/**
 * Self-healing that spares a human: delivery holds the page of a page-severity alert that a remediation rule matches
 * for `graceMs`, then asks `outcome`. When the fix succeeded and the alert resolved in that time, the page is not
 * sent, and `avoided` counts it. Reads only: the engine's rules, the executions and the alerts as stored.
 */
export function createSelfHealing(o: SelfHealingOptions): SelfHealing {
  const redactor = o.redactor ?? new Redactor();
  const now = o.now ?? Date.now;
  const counter = avoidedCounter(o.metrics);
  // avoided() counts an alert once, whoever calls twice (bounded memory: the newest keys only)
  const counted = new Set<string>();
  const matches = (alert: FiredAlert, slo: SloDefinition) =>
    o.engine.matching(sloAlertTrigger(alert, slo, now())).length > 0;

  return {
    graceMs: o.graceMs,
    async covers(alert, slo) {
      return o.graceMs > 0 && alert.severity === 'page' && matches(alert, slo);
    },
    entityRefs() {
      return [...new Set(o.engine.rulesFor().map(r => r.entityRef))];
    },
    coversSlo(slo) {
      return alertPolicyOf(slo).rules.some(
        r => r.severity === 'page' && matches(probe(slo, ruleId(r)), slo),
      );
    },
    async outcome(alert) {
      const slo = await o.slos.byRef(alert.sloRef);
      if (!slo) return { healed: false, tried: [] };
      const triggerId = `alert:${alert.id}`;
      const [executions, alerts] = await Promise.all([
        o.executions.list({
          entityRef: slo.def.componentRef,
          limit: EXECUTIONS_READ,
        }),
        o.alerts.list({ sloRefs: [alert.sloRef], limit: ALERTS_READ }),
      ]);
      const own = executions
        .filter(e => e.triggerId === triggerId && !e.dryRun)
        .reverse();
      const fixed = own.some(e => e.state === 'succeeded');
      const resolved =
        alerts.find(a => a.id === alert.id)?.state === 'resolved';
      return {
        healed: fixed && resolved,
        tried: own.map(e => summary(e, redactor)),
      };
    },
    async avoided(alert) {
      if (counted.has(alert.alertKey)) return;
      counted.add(alert.alertKey);
      if (counted.size > 10_000)
        counted.delete(counted.values().next().value as string);
      counter.inc({ slo: alert.sloRef });
      o.logger?.info(
        `Page of alert ${alert.id} (${
          alert.sloRef
        }) avoided: a remediation fixed the burn within ${Math.round(
          o.graceMs / 1000,
        )} s`,
      );
    },
  };
}
