import { z } from 'zod';
import { entityRefParam } from '../model/params';
import { durationMs, parseDuration } from '../math/duration';
import {
  ANNOTATION_RESILIENCE,
  ResilienceFile,
  checkResilience,
} from './resilience';

/** The entity annotation declaring graceful degradation: `brownout, load-shedding` (any order). @public */
export const ANNOTATION_DEGRADATION = 'reliability.io/degradation';
/** What the degradation annotation must list (breakers are declared per dependency in the resilience file). @public */
export const DEGRADATION_PRACTICES = ['brownout', 'load-shedding'] as const;

/** The entity annotation linking the service's dashboard (a URL). @public */
export const ANNOTATION_DASHBOARD = 'reliability.io/dashboard';
/**
 * Annotations of the observability plugins that name a service's dashboards, read as "a dashboard is wired".
 * @public
 */
export const DASHBOARD_ANNOTATIONS = [
  ANNOTATION_DASHBOARD,
  'grafana/dashboard-selector',
  'grafana/overview-dashboard',
  'datadoghq.com/dashboard-url',
  'newrelic.com/dashboard-guid',
] as const;
/** Annotations of the paging plugins that say who is paged for the service. @public */
export const PAGING_ANNOTATIONS = [
  'pagerduty.com/integration-key',
  'pagerduty.com/service-id',
  'opsgenie.com/component-selector',
  'opsgenie.com/team',
] as const;

/**
 * The production-readiness review: the launch checklist an SRE team runs, one item per practice (the first nine),
 * and the two proofs of self-healing and chaos.
 * @public
 */
export const READINESS_ITEMS = [
  { id: 'journey-slos', label: 'User-journey SLOs defined' },
  {
    id: 'burn-rate-alerts',
    label: 'Error budget alerted on multi-window burn rates',
  },
  { id: 'resilience', label: 'Timeouts, retries and breakers consistent' },
  { id: 'degradation', label: 'Brownout and load shedding in place' },
  { id: 'synthetics', label: 'Synthetic checks running' },
  { id: 'capacity', label: 'Capacity proven by a passing load test' },
  { id: 'backups', label: 'Backups restored within the RTO/RPO' },
  {
    id: 'failover',
    label: 'Failover drilled, runbook current and linked',
  },
  {
    id: 'observability',
    label: 'Dashboards, paging and runbook wired',
  },
  { id: 'remediation', label: 'Self-healing configured and succeeding' },
  { id: 'chaos', label: 'A chaos experiment completed' },
] as const;

/** @public */
export type ReadinessItemId = (typeof READINESS_ITEMS)[number]['id'];

/** The drill kinds the review tells apart (the drill log's kinds). @public */
export type ReadinessDrillKind =
  | 'regional-failover'
  | 'point-in-time-restore'
  | 'backup-restore';

/** A recorded drill, as the review reads it. @public */
export interface ReadinessDrill {
  kind: ReadinessDrillKind;
  /** The day of the drill, epoch ms. */
  at: number;
  success: boolean;
  measuredRtoSeconds: number;
  rpoSeconds?: number;
}

/** A recorded load test, as the review reads it. @public */
export interface ReadinessLoadTest {
  at: number;
  testType: string;
  verdict: 'pass' | 'fail' | 'unknown';
  reason: string;
}

/** What the score is computed from: facts the backend gathers from its stores, the entity and its files. @public */
export interface ReadinessFacts {
  entityRef: string;
  annotations: Record<string, string>;
  /** The entity's SLOs with where their alert policy comes from. */
  slos: {
    ref: string;
    policySource: 'openslo' | 'annotation' | 'csv' | 'default';
  }[];
  /**
   * The runbook: where it is, and whether it was read (`resolved`: the annotation parsed and the text was found,
   * with its sections), or why not.
   */
  runbook: {
    where: string;
    resolved: boolean;
    sections?: number;
    problem?: string;
  } | null;
  /** Journeys with steps, and when each last ran. */
  journeys: { name: string; steps: number; lastRunAt: number | null }[];
  /** The latest drills, newest first (at most a page). */
  drills: ReadinessDrill[];
  /** The latest load tests, newest first (at most a page). */
  loadTests: ReadinessLoadTest[];
  remediation: {
    rules: number;
    openEscalations: number;
    lastOutcome: 'succeeded' | 'failed' | null;
  };
  chaos: { completed: number };
  /**
   * The resilience file (annotation `reliability.io/resilience`): where it is, and the file, or why it could not be
   * read or parsed (each problem naming its field path). Null without the annotation.
   */
  resilience: {
    location: string;
    file: ResilienceFile | null;
    errors: string[];
  } | null;
  /** Dashboards linked from the entity (links of type dashboard, or the observability plugins' annotations). */
  dashboards: string[];
  /** What pages a human for the service: a delivery policy routing its page alerts, or a paging annotation. */
  paging: string[];
  /** Where each item's fix is (the portal's routes), so the links are the app's. */
  links?: Partial<Record<ReadinessItemId, string>>;
}

/** One item of the checklist: passed, failed (with why and what fixes it) or not applicable. @public */
export interface ReadinessItem {
  id: ReadinessItemId;
  label: string;
  state: 'passed' | 'failed' | 'not-applicable';
  /** The explanation in one sentence: what was read, and what is missing. */
  reason: string;
  /** The evidence read, one line each (a drill, a load test, a file, a route). */
  evidence: string[];
  /** What is missing for the item to pass, one line each (empty when passed). */
  missing: string[];
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

/** The drill kinds that prove backups restore, and the one that proves failover. @public */
export const BACKUP_DRILL_KINDS: readonly ReadinessDrillKind[] = [
  'backup-restore',
  'point-in-time-restore',
];
/** @public */
export const FAILOVER_DRILL_KINDS: readonly ReadinessDrillKind[] = [
  'regional-failover',
];

/** `reliability.io/rto` and `reliability.io/rpo` in seconds (fixed durations such as 5m), a bad value reported. */
function recoveryTargets(annotations: Record<string, string>) {
  const problems: string[] = [];
  const read = (key: string): number | null => {
    const text = annotations[key];
    if (text === undefined) return null;
    const d = parseDuration(text);
    if (!d || !['s', 'm', 'h', 'd'].includes(d.unit)) {
      problems.push(
        `${key}: must be a duration such as 60s, 5m or 4h, got '${text.slice(
          0,
          40,
        )}'`,
      );
      return null;
    }
    return durationMs(d) / 1000;
  };
  return {
    targets: {
      rtoSeconds: read('reliability.io/rto'),
      rpoSeconds: read('reliability.io/rpo'),
    },
    problems,
  };
}

const ago = (now: number, t: number) => {
  const days = Math.max(0, Math.floor((now - t) / DAY));
  return days === 1 ? '1 day ago' : `${days} days ago`;
};
const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const plural = (n: number, one: string, many = `${one}s`) =>
  `${n} ${n === 1 ? one : many}`;
const secs = (s: number) =>
  s % 60 === 0 ? `${s / 60} min` : `${Math.round(s)} s`;

/**
 * Which of the drills prove the item: of the kinds asked, successful, within the quarter, within the RTO (and the
 * RPO when measured). Each drill read is listed as evidence with why it does or does not count.
 */
function drillProof(
  f: ReadinessFacts,
  kinds: readonly ReadinessDrillKind[],
  now: number,
): { proof: ReadinessDrill | null; evidence: string[]; missing: string[] } {
  const { targets, problems } = recoveryTargets(f.annotations);
  const evidence: string[] = [];
  const missing: string[] = [...problems];
  if (targets.rtoSeconds === null && !problems.some(p => p.includes('/rto')))
    missing.push('RTO not documented (annotation reliability.io/rto)');
  if (targets.rpoSeconds === null && !problems.some(p => p.includes('/rpo')))
    missing.push('RPO not documented (annotation reliability.io/rpo)');
  let proof: ReadinessDrill | null = null;
  const otherKinds: string[] = [];
  for (const d of f.drills) {
    const what = `${d.kind} drill ${day(d.at)}`;
    const why: string[] = [];
    if (!kinds.includes(d.kind)) why.push(`not a ${kinds.join(' or ')} drill`);
    if (!d.success) why.push('failed');
    if (now - d.at > READINESS_DRILL_MAX_AGE_MS) why.push('older than 92 days');
    if (
      targets.rtoSeconds !== null &&
      d.measuredRtoSeconds > targets.rtoSeconds
    )
      why.push(
        `took ${secs(d.measuredRtoSeconds)}, over the RTO of ${secs(
          targets.rtoSeconds,
        )}`,
      );
    if (
      targets.rpoSeconds !== null &&
      d.rpoSeconds !== undefined &&
      d.rpoSeconds > targets.rpoSeconds
    )
      why.push(
        `lost ${secs(d.rpoSeconds)} of data, over the RPO of ${secs(
          targets.rpoSeconds,
        )}`,
      );
    if (why.length) {
      // drills of another kind are listed only when nothing counts (at most 3), to keep the list short
      if (kinds.includes(d.kind))
        evidence.push(`${what}: does not count (${why.join('; ')})`);
      else if (otherKinds.length < 3)
        otherKinds.push(`${what}: does not count (${why.join('; ')})`);
    } else if (!proof) {
      proof = d;
      evidence.push(
        `${what}: succeeded in ${secs(d.measuredRtoSeconds)}${
          targets.rtoSeconds !== null
            ? `, within the RTO of ${secs(targets.rtoSeconds)}`
            : ''
        }${
          d.rpoSeconds !== undefined && targets.rpoSeconds !== null
            ? `, ${secs(d.rpoSeconds)} of data lost within the RPO of ${secs(
                targets.rpoSeconds,
              )}`
            : ''
        }`,
      );
    }
  }
  if (!proof) {
    evidence.push(...otherKinds);
    missing.push(
      `a successful ${kinds.join(
        ' or ',
      )} drill within the RTO/RPO in the last 92 days`,
    );
  }
  if (targets.rtoSeconds !== null && targets.rpoSeconds !== null)
    evidence.unshift(
      `RTO ${secs(targets.rtoSeconds)}, RPO ${secs(targets.rpoSeconds)}`,
    );
  return { proof, evidence, missing };
}

/**
 * The readiness score of a service from the review checklist. Every item explains itself: the evidence read, what
 * is missing, and what fixes it. Pure: the same facts and time give the same score.
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
    o: {
      evidence: string[];
      missing: string[];
      passed?: string;
      fix: { label: string; href: string };
    },
  ): ReadinessItem => {
    const passed = o.missing.length === 0;
    return {
      id,
      label: READINESS_ITEMS.find(i => i.id === id)!.label,
      state: passed ? 'passed' : 'failed',
      reason: passed
        ? o.passed ?? o.evidence.join('; ')
        : `Missing: ${o.missing.join('; ')}`,
      evidence: o.evidence,
      missing: o.missing,
      ...(passed ? {} : { fix: o.fix }),
    };
  };

  // SLOs and their burn-rate policies
  const explicit = f.slos.filter(s => s.policySource !== 'default');
  const sloItem = item('journey-slos', {
    evidence: f.slos.map(s => `SLO ${s.ref}`),
    missing: f.slos.length ? [] : ['an SLO that measures this service'],
    passed: `${plural(f.slos.length, 'SLO')} measure${
      f.slos.length === 1 ? 's' : ''
    } this service`,
    fix: {
      label: 'Create an SLO (template "New SLO")',
      href: link('journey-slos', '/create'),
    },
  });
  const defaults = f.slos.filter(s => s.policySource === 'default');
  const burnItem = item('burn-rate-alerts', {
    evidence: explicit.map(s => `${s.ref}: its own policy (${s.policySource})`),
    missing: [
      ...(f.slos.length ? [] : ['an SLO to alert on']),
      ...defaults.map(
        s =>
          `${s.ref} relies on the built-in default table: write its alertPolicies, the burn-rate annotation, or rows in the burn-rate CSV`,
      ),
    ],
    passed: `Every SLO alerts on its own multi-window burn-rate policy (${[
      ...new Set(explicit.map(s => s.policySource)),
    ].join(', ')})`,
    fix: {
      label: 'Set an alert policy (template "New SLO")',
      href: link('burn-rate-alerts', '/create'),
    },
  });

  // timeouts, retries and breakers from the resilience file
  const resilienceEvidence: string[] = [];
  const resilienceMissing: string[] = [];
  if (!f.resilience)
    resilienceMissing.push(
      `a resilience file (annotation ${ANNOTATION_RESILIENCE}) declaring each dependency's timeout, retries, deadline and breaker`,
    );
  else if (!f.resilience.file)
    resilienceMissing.push(
      ...f.resilience.errors.map(e => `${f.resilience!.location}: ${e}`),
    );
  else {
    resilienceEvidence.push(`read ${f.resilience.location}`);
    for (const c of checkResilience(f.resilience.file)) {
      if (c.problems.length)
        resilienceMissing.push(`${c.name}: ${c.problems.join('; ')}`);
      else
        resilienceEvidence.push(
          `${c.name}: timeout ${c.timeoutMs} ms < retry budget ${c.retryBudgetMs} ms (${c.retries} retries) < deadline ${c.deadlineMs} ms, breaker declared`,
        );
    }
  }
  const resilienceItem = item('resilience', {
    evidence: resilienceEvidence,
    missing: resilienceMissing,
    passed: f.resilience?.file
      ? `${plural(
          f.resilience.file.dependencies.length,
          'dependency',
          'dependencies',
        )} in ${
          f.resilience.location
        }: each timeout below its retry budget, below the client's deadline, behind a breaker`
      : undefined,
    fix: {
      label: `Declare the resilience file (annotation ${ANNOTATION_RESILIENCE})`,
      href: link(
        'resilience',
        '/docs/default/system/reliability-suite/readiness',
      ),
    },
  });

  // brownout and load shedding
  const declared = (f.annotations[ANNOTATION_DEGRADATION] ?? '')
    .split(',')
    .map(s => s.trim().toLocaleLowerCase('en-US'))
    .filter(Boolean);
  const missingPractices = DEGRADATION_PRACTICES.filter(
    p => !declared.includes(p),
  );
  const degradationItem = item('degradation', {
    evidence: declared.length
      ? [`${ANNOTATION_DEGRADATION}: ${declared.join(', ')}`]
      : [],
    missing: missingPractices.map(
      p => `${p} not declared (annotation ${ANNOTATION_DEGRADATION})`,
    ),
    passed: `Declared: ${declared.join(', ')}`,
    fix: {
      label: `Add the ${ANNOTATION_DEGRADATION} annotation`,
      href: link(
        'degradation',
        'https://backstage.io/docs/features/software-catalog/descriptor-format#annotations-optional',
      ),
    },
  });

  // synthetics
  const running = f.journeys.filter(
    j =>
      j.steps > 0 &&
      j.lastRunAt !== null &&
      now - j.lastRunAt <= READINESS_SYNTHETIC_MAX_AGE_MS,
  );
  const syntheticsItem = item('synthetics', {
    evidence: f.journeys.map(
      j =>
        `journey ${j.name}: ${plural(j.steps, 'step')}, ${
          j.lastRunAt === null
            ? 'never ran'
            : `last ran ${ago(now, j.lastRunAt)}`
        }`,
    ),
    missing: running.length
      ? []
      : [
          f.journeys.length
            ? 'a journey with steps that ran in the last day'
            : 'a synthetic journey that checks this service',
        ],
    passed: `${plural(running.length, 'journey')} ran in the last day (${running
      .map(j => j.name)
      .join(', ')})`,
    fix: {
      label: 'Upload the synthetic registry',
      href: link('synthetics', '#synthetics-panel'),
    },
  });

  // capacity: only a passing load test this month counts
  const recentTests = f.loadTests.filter(
    t => now - t.at <= READINESS_CAPACITY_MAX_AGE_MS,
  );
  const passing = recentTests.find(t => t.verdict === 'pass');
  const capacityItem = item('capacity', {
    evidence: f.loadTests.slice(0, 5).map(t => {
      const head = `${t.testType} test ${day(t.at)}`;
      if (now - t.at > READINESS_CAPACITY_MAX_AGE_MS)
        return `${head}: does not count (older than 31 days)`;
      if (t.verdict === 'pass') return `${head}: passed (${t.reason})`;
      return `${head}: does not count (${
        t.verdict === 'fail' ? 'failed' : 'no verdict'
      }: ${t.reason})`;
    }),
    missing: passing
      ? []
      : [
          recentTests.length
            ? 'a load test that passed in the last 31 days (the recent ones failed or had no verdict)'
            : 'a load test in the last 31 days',
        ],
    passed: passing
      ? `The ${passing.testType} test of ${day(passing.at)} passed: ${
          passing.reason
        }`
      : undefined,
    fix: {
      label: 'Post k6 results from CI (POST /capacity/runs)',
      href: link('capacity', '#capacity-panel'),
    },
  });

  // backups and failover from the drill log
  const backups = drillProof(f, BACKUP_DRILL_KINDS, now);
  const backupsItem = item('backups', {
    evidence: backups.evidence,
    missing: backups.missing,
    fix: {
      label: 'Record a restore drill or upload the drill log',
      href: link('backups', '#drills-panel'),
    },
  });
  const failover = drillProof(f, FAILOVER_DRILL_KINDS, now);
  const runbookEvidence: string[] = [];
  const runbookMissing: string[] = [];
  if (!f.runbook)
    runbookMissing.push(
      'a runbook (annotation reliability.io/runbook, or one written in the portal)',
    );
  else if (!f.runbook.resolved)
    runbookMissing.push(
      `a runbook that resolves: ${f.runbook.where}: ${
        f.runbook.problem ?? 'could not be read'
      }`,
    );
  else if (!f.runbook.sections)
    runbookMissing.push(
      `a runbook with sections: ${f.runbook.where} has no heading for alerts to link to`,
    );
  else
    runbookEvidence.push(
      `runbook ${f.runbook.where}: read, ${plural(
        f.runbook.sections,
        'section',
      )} for alerts to link to`,
    );
  const failoverItem = item('failover', {
    evidence: [...failover.evidence, ...runbookEvidence],
    missing: [...failover.missing, ...runbookMissing],
    fix: {
      label:
        runbookMissing.length && !failover.missing.length
          ? 'Write the runbook (template "New runbook")'
          : 'Record a failover drill or upload the drill log',
      href: link('failover', '#drills-panel'),
    },
  });

  // observability: dashboards, paging, runbook
  const observabilityItem = item('observability', {
    evidence: [
      ...f.dashboards.map(d => `dashboard ${d}`),
      ...f.paging.map(p => `paging: ${p}`),
      ...runbookEvidence,
    ],
    missing: [
      ...(f.dashboards.length
        ? []
        : [
            `a dashboard (a link of type dashboard, or annotation ${ANNOTATION_DASHBOARD})`,
          ]),
      ...(f.paging.length
        ? []
        : [
            "paging rules: a delivery policy routing this service's page alerts (reliability.delivery.routing), or a PagerDuty/Opsgenie annotation",
          ]),
      ...runbookMissing,
    ],
    fix: {
      label: 'Wire dashboards, paging and the runbook',
      href: link(
        'observability',
        '/docs/default/system/reliability-suite/readiness',
      ),
    },
  });

  // self-healing and chaos
  const r = f.remediation;
  const remediationItem = item('remediation', {
    evidence: [
      ...(r.rules
        ? [`${plural(r.rules, 'remediation rule')} act on this service`]
        : []),
      ...(r.lastOutcome ? [`the last remediation ${r.lastOutcome}`] : []),
    ],
    missing: [
      ...(r.rules ? [] : ['a remediation rule that acts on this service']),
      ...(r.openEscalations
        ? [
            `recovery: ${plural(
              r.openEscalations,
              'remediation rule',
            )} escalated and not recovered`,
          ]
        : []),
      ...(r.lastOutcome === 'failed'
        ? ['a successful last remediation (the last one failed)']
        : []),
    ],
    passed: `${plural(r.rules, 'rule')}${
      r.lastOutcome ? ', the last one succeeded' : ', none needed yet'
    }`,
    fix: {
      label: 'Configure remediation rules',
      href: link('remediation', '#remediation-panel'),
    },
  });
  const chaosItem = item('chaos', {
    evidence: f.chaos.completed
      ? [`${plural(f.chaos.completed, 'experiment')} completed`]
      : [],
    missing: f.chaos.completed ? [] : ['a chaos experiment run to completion'],
    fix: { label: 'Design an experiment', href: link('chaos', '#chaos-panel') },
  });

  const items = [
    sloItem,
    burnItem,
    resilienceItem,
    degradationItem,
    syntheticsItem,
    capacityItem,
    backupsItem,
    failoverItem,
    observabilityItem,
    remediationItem,
    chaosItem,
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
