import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The self-healing metrics an SRE team watches, in a registry of their own (served at GET /api/reliability/metrics):
 * selfheal_attempt_total, selfheal_success_total and selfheal_latency_seconds (each call's duration),
 * labelled by action, entity and rule; plus selfheal_circuit_open per rule (no hosts: targets stay out of metrics) and selfheal_escalations_total.
 */
export class RemediationMetrics {
  readonly registry = new Registry();
  readonly attempts = new Counter({
    name: 'selfheal_attempt_total',
    help: 'Remediation attempts (calls to the target)',
    labelNames: ['action', 'entity', 'rule'],
    registers: [this.registry],
  });
  readonly successes = new Counter({
    name: 'selfheal_success_total',
    help: 'Remediation attempts that succeeded',
    labelNames: ['action', 'entity', 'rule'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'selfheal_latency_seconds',
    help: 'Duration of each call to a remediation target',
    labelNames: ['action', 'entity', 'rule'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly escalations = new Counter({
    name: 'selfheal_escalations_total',
    help: 'Rules that reached their attempt limit and escalated',
    labelNames: ['action', 'entity', 'rule'],
    registers: [this.registry],
  });
  readonly deduplicated = new Counter({
    name: 'selfheal_deduplicated_total',
    help: 'Triggers dropped as repeats of one already recorded',
    labelNames: ['rule'],
    registers: [this.registry],
  });
  readonly circuitOpen = new Gauge({
    name: 'selfheal_circuit_open',
    help: "1 while the circuit breaker of a rule's target is open (labelled by rule and action, never by host)",
    labelNames: ['rule', 'action'],
    registers: [this.registry],
  });
}

/** The Prometheus alert rules that watch self-healing itself (looping, a low success rate, slow actions), as a rule file. */
export const SELFHEAL_ALERT_RULES = `groups:
  - name: reliability-selfheal
    rules:
      - alert: SelfHealingLooping
        expr: sum by (rule, entity) (increase(selfheal_attempt_total[10m])) >= 3
        labels:
          severity: page
        annotations:
          summary: "Remediation {{ $labels.rule }} on {{ $labels.entity }} made {{ $value }} attempts in 10 minutes"
      - alert: SelfHealingSuccessRateLow
        expr: |
          sum by (action, entity) (increase(selfheal_success_total[1h]))
            / sum by (action, entity) (increase(selfheal_attempt_total[1h])) < 0.8
        for: 10m
        labels:
          severity: ticket
        annotations:
          summary: "Remediation {{ $labels.action }} on {{ $labels.entity }} succeeds in under 80% of attempts"
      - alert: SelfHealingSlow
        expr: histogram_quantile(0.95, sum by (le, action) (rate(selfheal_latency_seconds_bucket[10m]))) > 2
        for: 10m
        labels:
          severity: ticket
        annotations:
          summary: "Remediation {{ $labels.action }} p95 latency is {{ $value }}s (over 2s)"
`;
