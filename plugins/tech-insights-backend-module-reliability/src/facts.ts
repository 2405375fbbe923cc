import { DateTime } from 'luxon';
import type { FactSchema } from '@backstage-community/plugin-tech-insights-common';
import {
  READINESS_ITEMS,
  type CapacityRun,
  type ChaosExperimentRecord,
  type ChaosRun,
  type DrillRecord,
  type GateResponse,
  type ReadinessItemId,
  type ReadinessResponse,
  type SloSummary,
} from '@reliability-suite/plugin-reliability-common';

/** The id of the fact retriever, and so of its facts' rows: checks name it in `factIds`. @public */
export const RELIABILITY_FACT_RETRIEVER_ID = 'reliabilityFactRetriever';

/** `journey-slos` → `readinessJourneySlos`: the boolean fact of one checklist item. @public */
export function readinessFactName(id: ReadinessItemId): string {
  return `readiness${id
    .split('-')
    .map(w => w.charAt(0).toLocaleUpperCase('en-US') + w.slice(1))
    .join('')}`;
}

/** The facts of one entity, as the retriever stores them (dates as ISO strings, absent figures as null). @public */
export type ReliabilityFacts = Record<
  string,
  number | string | boolean | DateTime | null
>;

/** What the reliability backend answered for one entity, gathered by the retriever. @public */
export interface ReliabilityEntityData {
  readiness: ReadinessResponse;
  slos: SloSummary[];
  gate: GateResponse;
  /** The newest drill, load test and chaos run (each list is newest first), or null. */
  lastDrill: DrillRecord | null;
  lastLoadTest: CapacityRun | null;
  lastChaosRun: { experiment: ChaosExperimentRecord; run: ChaosRun } | null;
}

const DAY = 86_400_000;

/** The schema of the retriever's facts: one row per entity. @public */
export const reliabilityFactSchema: FactSchema = {
  readinessScore: {
    type: 'integer',
    description:
      'Production readiness score, 0-100: the share of applicable checklist items in place',
  },
  readinessPassed: {
    type: 'integer',
    description: 'Checklist items in place',
  },
  readinessApplicable: {
    type: 'integer',
    description: 'Checklist items that apply to the entity',
  },
  ...Object.fromEntries(
    READINESS_ITEMS.map(i => [
      readinessFactName(i.id),
      {
        type: 'boolean' as const,
        description: `Readiness checklist: ${i.label} (true when in place or not applicable)`,
      },
    ]),
  ),
  sloCount: { type: 'integer', description: 'SLOs measuring the entity' },
  slosWithData: {
    type: 'integer',
    description: 'SLOs with an SLI figure over their window',
  },
  slosMeetingObjective: {
    type: 'integer',
    description: 'SLOs whose SLI meets their objective over their window',
  },
  sloCompliance: {
    type: 'float',
    description:
      'Share (0-1) of the SLOs with data that meet their objective; null without data',
  },
  minBudgetRemaining: {
    type: 'float',
    description:
      'The least error budget left among the SLOs (1 untouched, below 0 overspent); null without data',
  },
  slosBudgetExhausted: {
    type: 'integer',
    description: 'SLOs that have spent their whole error budget',
  },
  frozen: {
    type: 'boolean',
    description:
      "Launches frozen by the error-budget policy's gate (GET /gate denies)",
  },
  freezeReason: { type: 'string', description: "The gate's reason" },
  lastDrillAt: {
    type: 'datetime',
    description: 'Day of the last failover drill; null without one',
  },
  lastDrillSucceeded: {
    type: 'boolean',
    description: 'Whether the last drill succeeded; null without one',
  },
  daysSinceLastDrill: {
    type: 'integer',
    description:
      'Whole days from the last drill to the retrieval; null without one',
  },
  lastLoadTestAt: {
    type: 'datetime',
    description: 'Start of the last load test; null without one',
  },
  lastLoadTestVerdict: {
    type: 'string',
    description: "The last load test's verdict; null without one",
  },
  daysSinceLastLoadTest: {
    type: 'integer',
    description:
      'Whole days from the last load test to the retrieval; null without one',
  },
  lastChaosRunAt: {
    type: 'datetime',
    description: 'Start of the last chaos run; null without one',
  },
  lastChaosRunState: {
    type: 'string',
    description: "The last chaos run's state; null without one",
  },
  lastChaosExperiment: {
    type: 'string',
    description: 'The experiment of the last chaos run; null without one',
  },
  daysSinceLastChaosRun: {
    type: 'integer',
    description:
      'Whole days from the last chaos run to the retrieval; null without one',
  },
};

const days = (now: number, t: number | null) =>
  t === null ? null : Math.max(0, Math.floor((now - t) / DAY));

const time = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};

const isoOrNull = (t: number | null) =>
  t === null ? null : DateTime.fromMillis(t, { zone: 'utc' });

/** The facts of one entity from what the backend answered. Pure: the same answers and time give the same facts. @public */
export function reliabilityFacts(
  d: ReliabilityEntityData,
  now: number,
): ReliabilityFacts {
  const byId = new Map(d.readiness.items.map(i => [i.id, i.state]));
  const withData = d.slos.filter(
    s => s.status !== null && s.status.sli !== null,
  );
  const meeting = withData.filter(
    s => (s.status!.sli as number) >= s.objective,
  );
  const budgets = d.slos
    .map(s => s.status?.budgetRemaining)
    .filter((b): b is number => typeof b === 'number' && Number.isFinite(b));
  const drillAt = d.lastDrill ? time(`${d.lastDrill.date}T00:00:00Z`) : null;
  const loadAt = d.lastLoadTest ? time(d.lastLoadTest.startedAt) : null;
  const chaosAt = d.lastChaosRun
    ? time(d.lastChaosRun.run.startedAt ?? d.lastChaosRun.run.finishedAt)
    : null;
  return {
    readinessScore: d.readiness.score,
    readinessPassed: d.readiness.passed,
    readinessApplicable: d.readiness.applicable,
    ...Object.fromEntries(
      READINESS_ITEMS.map(i => {
        const state = byId.get(i.id);
        return [
          readinessFactName(i.id),
          state === 'passed' || state === 'not-applicable',
        ];
      }),
    ),
    sloCount: d.slos.length,
    slosWithData: withData.length,
    slosMeetingObjective: meeting.length,
    sloCompliance: withData.length ? meeting.length / withData.length : null,
    minBudgetRemaining: budgets.length ? Math.min(...budgets) : null,
    slosBudgetExhausted: budgets.filter(b => b <= 0).length,
    frozen: !d.gate.allow,
    freezeReason: d.gate.reason,
    lastDrillAt: isoOrNull(drillAt),
    lastDrillSucceeded: d.lastDrill ? d.lastDrill.success : null,
    daysSinceLastDrill: days(now, drillAt),
    lastLoadTestAt: isoOrNull(loadAt),
    lastLoadTestVerdict: d.lastLoadTest ? d.lastLoadTest.verdict : null,
    daysSinceLastLoadTest: days(now, loadAt),
    lastChaosRunAt: isoOrNull(chaosAt),
    lastChaosRunState: d.lastChaosRun ? d.lastChaosRun.run.state : null,
    lastChaosExperiment: d.lastChaosRun ? d.lastChaosRun.experiment.name : null,
    daysSinceLastChaosRun: days(now, chaosAt),
  };
}
