import { z } from 'zod';
import { entityRefParam } from '../model/params';

/** The entity annotation declaring graceful degradation: `breakers, brownout, load-shedding` (any order). @public */
export const ANNOTATION_DEGRADATION = 'reliability.io/degradation';
/** What the degradation annotation must list. @public */
export const DEGRADATION_PRACTICES = [
  'breakers',
  'brownout',
  'load-shedding',
] as const;

/** The production-readiness review checklist an SRE team runs before launch, one item per practice. @public */
export const READINESS_ITEMS = [
  { id: 'journey-slos', label: 'User-journey SLOs defined' },
  { id: 'burn-rate-alerts', label: 'Burn-rate alerts configured' },
  { id: 'runbook', label: 'Runbook present and linked from the alerts' },
  { id: 'synthetics', label: 'Synthetic checks running' },
  { id: 'drill', label: 'Failover drill this quarter, RTO/RPO documented' },
  { id: 'capacity', label: 'Capacity test this month' },
  { id: 'remediation', label: 'Remediation configured and succeeding' },
  { id: 'chaos', label: 'A chaos experiment completed' },
  { id: 'degradation', label: 'Breakers, brownout and load shedding declared' },
] as const;

/** @public */
export type ReadinessItemId = (typeof READINESS_ITEMS)[number]['id'];

/** What the score is computed from: facts the backend gathers from its stores and the entity. @public */
export interface ReadinessFacts {
  entityRef: string;
  annotations: Record<string, string>;
  /** The entity's SLOs with where their alert policy comes from. */
  slos: {
    ref: string;
    policySource: 'openslo' | 'annotation' | 'csv' | 'default';
  }[];
  /** Where the runbook is (the entity's annotation or the portal's), or null. */
  runbook: { where: string } | null;
  /** Journeys with steps, and when each last ran. */
  journeys: { name: string; steps: number; lastRunAt: number | null }[];
  drill: { lastSuccessAt: number | null };
  capacity: { lastRunAt: number | null };
  remediation: {
    rules: number;
    openEscalations: number;
    lastOutcome: 'succeeded' | 'failed' | null;
  };
  chaos: { completed: number };
  /** Where each item's fix is (the portal's routes), so the links are the app's. */
  links?: Partial<Record<ReadinessItemId, string>>;
}

/** One item of the checklist: passed, failed (with why and what fixes it) or not applicable. @public */
export interface ReadinessItem {
  id: ReadinessItemId;
  label: string;
  state: 'passed' | 'failed' | 'not-applicable';
  reason: string;
  /** What fixes it: a template, a form, an upload. */
  fix?: { label: string; href: string };
}

/** GET /readiness. @public */
export interface ReadinessResponse {
  entityRef: string;
  /** Passed over applicable items, 0..100, rounded. */
  score: number;
  passed: number;
  applicable: number;
  items: ReadinessItem[];
}

/** GET /readiness query. @public */
export const readinessQuerySchema = z
  .object({ entityRef: entityRefParam })
  .strict();

const DAY = 86_400_000;
/** A drill must be this recent (a quarter), a capacity test this recent (a month), a journey this recent. @public */
export const READINESS_DRILL_MAX_AGE_MS = 92 * DAY;
/** @public */
export const READINESS_CAPACITY_MAX_AGE_MS = 31 * DAY;
/** @public */
export const READINESS_SYNTHETIC_MAX_AGE_MS = DAY;

const ago = (now: number, t: number) =>
  `${Math.max(0, Math.floor((now - t) / DAY))} days ago`;

/**
 * The readiness score of a service from the SRE review checklist. Each unchecked item says why and links to what
 * fixes it. Pure: the same facts and time give the same score. Items whose feature is not built count as "not
 * applicable" (none today).
 * @public
 */
export function readinessScore(
  f: ReadinessFacts,
  now: number,
): ReadinessResponse {
  const link = (id: ReadinessItemId, fallback: string) =>
    f.links?.[id] ?? fallback;
  const item = (
    id: ReadinessItemId,
    passed: boolean,
    reason: string,
    fix?: { label: string; href: string },
  ): ReadinessItem => ({
    id,
    label: READINESS_ITEMS.find(i => i.id === id)!.label,
    state: passed ? 'passed' : 'failed',
    reason,
    ...(!passed && fix ? { fix } : {}),
  });
  const rto = f.annotations['reliability.io/rto'];
  const rpo = f.annotations['reliability.io/rpo'];
  const explicit = f.slos.filter(s => s.policySource !== 'default');
  const running = f.journeys.filter(
    j =>
      j.steps > 0 &&
      j.lastRunAt !== null &&
      now - j.lastRunAt <= READINESS_SYNTHETIC_MAX_AGE_MS,
  );
  const declared = (f.annotations[ANNOTATION_DEGRADATION] ?? '')
    .split(',')
    .map(s => s.trim().toLocaleLowerCase('en-US'))
    .filter(Boolean);
  const missingPractices = DEGRADATION_PRACTICES.filter(
    p => !declared.includes(p),
  );
  const burnRateReason = () => {
    if (f.slos.length === 0) return 'No SLO, so no burn-rate alerts';
    if (explicit.length === f.slos.length)
      return `Every SLO alerts on its own multi-window burn-rate policy (${[
        ...new Set(explicit.map(s => s.policySource)),
      ].join(', ')})`;
    return `${f.slos.length - explicit.length} of ${
      f.slos.length
    } SLOs rely on the built-in default table: write their alertPolicies, the burn-rate annotation, or rows in the burn-rate CSV`;
  };
  const syntheticsReason = () => {
    if (running.length)
      return `${running.length} journey${
        running.length === 1 ? '' : 's'
      } ran in the last day (${running.map(j => j.name).join(', ')})`;
    if (f.journeys.length)
      return `${f.journeys.length} journey${
        f.journeys.length === 1 ? '' : 's'
      } registered, none ran in the last day${
        f.journeys.some(j => j.steps === 0) ? ' (some have no steps)' : ''
      }`;
    return 'No synthetic journey checks this service';
  };
  const remediationReason = () => {
    const r = f.remediation;
    if (r.rules === 0) return 'No remediation rule acts on this service';
    if (r.openEscalations)
      return `${r.openEscalations} remediation rule${
        r.openEscalations === 1 ? ' has' : 's have'
      } escalated and not recovered`;
    if (r.lastOutcome === 'failed') return 'The last remediation failed';
    return `${r.rules} rule${r.rules === 1 ? '' : 's'}${
      r.lastOutcome ? ', the last one succeeded' : ', none needed yet'
    }`;
  };
  const items: ReadinessItem[] = [
    item(
      'journey-slos',
      f.slos.length > 0,
      f.slos.length
        ? `${f.slos.length} SLO${
            f.slos.length === 1 ? '' : 's'
          } measure this service`
        : 'No SLO measures this service yet',
      {
        label: 'Create an SLO (template "New SLO")',
        href: link('journey-slos', '/create'),
      },
    ),
    item(
      'burn-rate-alerts',
      f.slos.length > 0 && explicit.length === f.slos.length,
      burnRateReason(),
      {
        label: 'Set an alert policy (template "New SLO")',
        href: link('burn-rate-alerts', '/create'),
      },
    ),
    item(
      'runbook',
      f.runbook !== null,
      f.runbook
        ? `The runbook is ${f.runbook.where}; alerts and the commander open it at the matching section`
        : 'No runbook: alerts have nothing to link to',
      {
        label: 'Write the runbook (template "New runbook")',
        href: link('runbook', '/create'),
      },
    ),
    item('synthetics', running.length > 0, syntheticsReason(), {
      label: 'Upload the synthetic registry',
      href: link('synthetics', '#synthetics-panel'),
    }),
    item(
      'drill',
      f.drill.lastSuccessAt !== null &&
        now - f.drill.lastSuccessAt <= READINESS_DRILL_MAX_AGE_MS &&
        Boolean(rto && rpo),
      [
        f.drill.lastSuccessAt === null
          ? 'No successful failover drill recorded'
          : `Last successful drill ${ago(now, f.drill.lastSuccessAt)}`,
        rto && rpo
          ? `RTO ${rto}, RPO ${rpo}`
          : 'RTO/RPO not documented (annotations reliability.io/rto and reliability.io/rpo)',
      ].join('; '),
      {
        label: 'Record a drill or upload the drill log',
        href: link('drill', '#drills-panel'),
      },
    ),
    item(
      'capacity',
      f.capacity.lastRunAt !== null &&
        now - f.capacity.lastRunAt <= READINESS_CAPACITY_MAX_AGE_MS,
      f.capacity.lastRunAt === null
        ? 'No load test recorded'
        : `Last load test ${ago(now, f.capacity.lastRunAt)}`,
      {
        label: 'Post k6 results from CI (POST /capacity/runs)',
        href: link('capacity', '#capacity-panel'),
      },
    ),
    item(
      'remediation',
      f.remediation.rules > 0 &&
        f.remediation.openEscalations === 0 &&
        f.remediation.lastOutcome !== 'failed',
      remediationReason(),
      {
        label: 'Configure remediation rules',
        href: link('remediation', '#remediation-panel'),
      },
    ),
    item(
      'chaos',
      f.chaos.completed > 0,
      f.chaos.completed
        ? `${f.chaos.completed} experiment${
            f.chaos.completed === 1 ? '' : 's'
          } completed`
        : 'No chaos experiment completed',
      { label: 'Design an experiment', href: link('chaos', '#chaos-panel') },
    ),
    item(
      'degradation',
      missingPractices.length === 0,
      missingPractices.length === 0
        ? `Declared: ${declared.join(', ')}`
        : `Not declared: ${missingPractices.join(
            ', ',
          )} (annotation ${ANNOTATION_DEGRADATION}: breakers, brownout, load-shedding)`,
      {
        label: `Add the ${ANNOTATION_DEGRADATION} annotation`,
        href: link(
          'degradation',
          'https://backstage.io/docs/features/software-catalog/descriptor-format#annotations-optional',
        ),
      },
    ),
  ];
  const applicable = items.filter(i => i.state !== 'not-applicable').length;
  const passed = items.filter(i => i.state === 'passed').length;
  return {
    entityRef: f.entityRef,
    score: applicable ? Math.round((passed / applicable) * 100) : 0,
    passed,
    applicable,
    items,
  };
}
