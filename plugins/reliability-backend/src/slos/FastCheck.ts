import { LoggerService } from '@backstage/backend-plugin-api';
import {
  SloDefinition,
  alertConditions,
  alertPolicyOf,
} from '@reliability-suite/plugin-reliability-common';
import type { FiredAlert } from '../events/ReliabilityEvents';
import type { ActiveCondition, SloAlertStates } from './EvaluationTask';
import type { EvaluationResult, Evaluator } from './Evaluator';
import type { RegisteredSlo } from './SloRegistry';

/** `reliability.remediation.fastCheck` (ReliabilityConfig.remediation.fastCheck). */
export interface FastCheckConfig {
  /** How often the fast check runs; 0 turns it off (the full tick then drives every alert). */
  intervalSeconds: number;
  /** How long a page condition of a covered SLO holds before it fires, unless its rule says (OpenSLO alertAfter). */
  pendingMs: number;
  /** At most this many SLOs are checked fast (the first by ref); the others stay with the full tick. */
  maxSlos: number;
}

/** What the fast check needs of remediation: which SLOs a rule would act on, and the entities rules are for. */
export interface RemediationCoverage {
  /** Whether a page alert of this SLO would run a remediation rule (pure: every replica answers the same). */
  coversSlo(slo: SloDefinition): boolean;
  /** The entities that have remediation rules (the only ones whose SLOs can be covered). */
  entityRefs(): string[];
}

/**
 * The SLOs the fast check drives: those remediation covers, the first `maxSlos` by ref. The full tick and the fast
 * check both ask this of the same SLOs and rules, so each SLO's alerts have exactly one writer.
 */
export function fastCheckedRefs(
  slos: SloDefinition[],
  coverage: RemediationCoverage,
  maxSlos: number,
): Set<string> {
  return new Set(
    slos
      .filter(s => coverage.coversSlo(s))
      .map(s => s.ref)
      .sort()
      .slice(0, maxSlos),
  );
}

/** The alert conditions an evaluation raises for each SLO (as the full tick builds them). */
export function conditionsOf(
  results: Map<string, EvaluationResult>,
  byRef: Map<string, SloDefinition>,
): ActiveCondition[] {
  return [...results].flatMap(([sloRef, r]) =>
    alertConditions(
      r.reason ? { ...r.status, reason: r.reason } : r.status,
      alertPolicyOf(byRef.get(sloRef) ?? {}),
      byRef.get(sloRef)?.exhaustionAlert,
    ).map(c => ({ sloRef, ...c })),
  );
}

export interface FastCheckOptions {
  registry: { forEntity(entityRef: string): Promise<RegisteredSlo[]> };
  evaluator: Pick<Evaluator, 'evaluateLatest'>;
  alerts: SloAlertStates;
  coverage: RemediationCoverage;
  config: FastCheckConfig;
  /** The global pendingFor: the covered SLOs' ticket and no-data conditions keep it. */
  pendingMs: number;
  onFired?: (alert: FiredAlert, slo: SloDefinition) => Promise<void>;
  logger: LoggerService;
  now?: () => number;
}

/**
 * The 60-second path: every few seconds (reliability.remediation.fastCheck.intervalSeconds, 10), the SLOs whose page
 * alerts a remediation rule acts on are evaluated with the minute in progress counted, and their page conditions fire
 * after `pendingSeconds` (0) instead of pendingFor: the fix is asked for within one interval of the bad data, and
 * self-healing holds the page while it runs. It is the one writer of those SLOs' alerts (ticket and no-data ones keep
 * pendingFor); the full tick keeps its cadence, its snapshots and every other SLO's alerts. Reads are bounded: the
 * registry rows of the entities that have rules, and at most `maxSlos` SLOs' counts.
 */
export class FastCheck {
  private readonly now: () => number;

  constructor(private readonly o: FastCheckOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The SLOs this check drives now, with their definitions. */
  async slos(): Promise<SloDefinition[]> {
    const byRef = new Map<string, SloDefinition>();
    for (const entityRef of [...new Set(this.o.coverage.entityRefs())])
      for (const s of await this.o.registry.forEntity(entityRef))
        byRef.set(s.def.ref, s.def);
    const defs = [...byRef.values()];
    const owned = fastCheckedRefs(defs, this.o.coverage, this.o.config.maxSlos);
    return defs.filter(s => owned.has(s.ref));
  }

  /** One run: answers how many SLOs it evaluated and how many alerts fired. */
  async run(): Promise<{ evaluated: number; fired: number }> {
    const slos = await this.slos();
    if (!slos.length) return { evaluated: 0, fired: 0 };
    const now = this.now();
    const results = await this.o.evaluator.evaluateLatest(slos, now);
    const byRef = new Map(slos.map(s => [s.ref, s]));
    const fast = this.o.config.pendingMs;
    const fired = await this.o.alerts.apply(
      slos.map(s => s.ref),
      conditionsOf(results, byRef).map(c =>
        c.severity === 'page' ? { ...c, pendingMs: c.pendingMs ?? fast } : c,
      ),
      now,
      this.o.pendingMs,
    );
    for (const alert of fired) {
      const slo = byRef.get(alert.sloRef);
      if (slo && this.o.onFired) await this.o.onFired(alert, slo);
    }
    if (fired.length)
      this.o.logger.debug(
        `Fast check: ${fired.length} alerts of ${slos.length} remediation-covered SLOs fired`,
      );
    return { evaluated: results.size, fired: fired.length };
  }
}
