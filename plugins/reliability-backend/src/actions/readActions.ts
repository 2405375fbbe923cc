import { parseEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import {
  RELIABILITY_ACTIONS,
  alertPolicyOf,
  burningActionInput,
  burningActionOutput,
  decodeCursor,
  deployGateActionOutput,
  entityActionInput,
  explainBurnActionInput,
  explainBurnActionOutput,
  pageOf,
  readinessActionOutput,
  ruleId,
  RunbookSection,
  runbookSectionActionInput,
  runbookSectionActionOutput,
  sectionForAlert,
  sloAlertLabels,
  sloStatusActionInput,
  sloStatusActionOutput,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityLink } from '../notifications/ReliabilityNotifier';
import { defineAction } from './kit';
import type { ActionDeps } from './ports';

const READ = { readOnly: true, destructive: false, idempotent: true };

/** A runbook section's page in the portal. */
export const runbookLink = (entityRef: string, section: string) => {
  const e = parseEntityRef(entityRef);
  return `/reliability/runbooks/${e.kind}/${e.namespace}/${e.name}#${section}`;
};

/** The runbook section that answers an alert's labels on an entity, or why there is none (the caller's view). */
async function sectionFor(
  deps: ActionDeps,
  entityRef: string,
  labels: Record<string, string>,
  credentials: Parameters<ActionDeps['ports']['runbooks']['get']>[3],
): Promise<{
  section: RunbookSection | null;
  entityRef: string;
  reason?: string;
}> {
  const e = parseEntityRef(entityRef);
  const runbook = await deps.ports.runbooks.get(
    e.kind,
    e.namespace,
    e.name,
    credentials,
  );
  const section = sectionForAlert(runbook.sections, labels) ?? null;
  return {
    entityRef: runbook.entityRef,
    section,
    reason: section
      ? undefined
      : `The runbook of ${runbook.entityRef} has no section whose Alerts: line matches, and no Symptoms section`,
  };
}

/** The read actions: an SLO's status, what burns, why it burns, the runbook section, the deploy gate, readiness. */
export function readActions(deps: ActionDeps) {
  const { ports, caller } = deps;
  return [
    defineAction({
      name: RELIABILITY_ACTIONS.sloStatus,
      title: 'SLO status and error budget',
      description:
        "One SLO's state (ok, warning, breaching, no data), its objective and its error budget left, as the Reliability tab shows it.",
      input: sloStatusActionInput,
      output: sloStatusActionOutput,
      attributes: READ,
      async action({ input, credentials }) {
        await caller.canRead(credentials);
        const [namespace, name] = input.slo.split('/');
        const slo = JSON.parse(
          await ports.slos.getJson(namespace, name, credentials),
        );
        // the Reliability tab of the component the SLO measures
        return {
          slo,
          link: reliabilityLink(slo.componentRef, 'slo', slo.name),
        };
      },
    }),

    defineAction({
      name: RELIABILITY_ACTIONS.burning,
      title: 'What is burning',
      description:
        "The burn-rate alerts firing or pending now, most urgent first, for one entity (entityRef), one team's entities (owner) or everywhere: each with its SLO's budget, its owner, the latest remediation and the runbook section. One page (limit, cursor).",
      input: burningActionInput,
      output: burningActionOutput,
      attributes: READ,
      async action({ input, credentials }) {
        await caller.canRead(credentials);
        const entityRef = input.entityRef?.toLocaleLowerCase('en-US');
        const owner = input.owner?.toLocaleLowerCase('en-US');
        const alerts = (await ports.commander.alerts(deps.now(), credentials))
          .filter(a => !entityRef || a.entityRef === entityRef)
          .filter(a => !owner || a.owner?.toLocaleLowerCase('en-US') === owner);
        const page = pageOf(
          alerts,
          decodeCursor(input.cursor) ?? 0,
          input.limit ?? 100,
        );
        return {
          items: page.items.map(a => ({
            ...a,
            // the SLO's screen of its entity's tab
            link: a.entityRef
              ? reliabilityLink(
                  a.entityRef,
                  a.slo ? 'slo' : 'overview',
                  a.slo?.ref.split('/')[1],
                )
              : '/reliability/commander',
          })),
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        };
      },
    }),

    defineAction({
      name: RELIABILITY_ACTIONS.explainBurn,
      title: 'Explain a burn',
      description:
        "Why an SLO burns: its burn-rate windows and the alerts on them, the entity's recent changes with the budget spent in the hour after each, recent remediations, chaos runs and budget corrections, and the runbook section for the alert. Each item links to its evidence.",
      input: explainBurnActionInput,
      output: explainBurnActionOutput,
      attributes: READ,
      async action({ input, credentials }) {
        await caller.canRead(credentials);
        const [namespace, name] = input.slo.split('/');
        // the SLO as the caller may read it (404 for unknown and hidden alike)
        const slo = JSON.parse(
          await ports.slos.getJson(namespace, name, credentials),
        );
        const registered = await ports.registry.byRef(`${namespace}/${name}`);
        if (!registered) throw new NotFoundError(`No SLO named ${input.slo}`);
        const def = registered.def;
        const entityRef = def.componentRef;
        const visible = await deps.guards.visible([entityRef], credentials);
        const [alerts, changes, remediations, chaos, corrections] =
          await Promise.all([
            ports.alerts.list({
              sloRefs: [def.ref],
              states: ['firing', 'pending'],
              limit: 20,
            }),
            ports.changes.list({ entityRef, limit: 10 }, credentials),
            ports.remediation.page(entityRef, 10, undefined, visible),
            ports.chaos.list({ entityRef, limit: 10 }, credentials),
            ports.corrections.list(namespace, name, { limit: 10 }, credentials),
          ]);
        const firing = alerts.find(a => a.state === 'firing') ?? alerts[0];
        const policy = alertPolicyOf(def);
        let runbook: {
          entityRef: string;
          section: string;
          title: string;
          body: string;
          link: string;
        } | null = null;
        try {
          // the labels the alert carries (or would: the fast page), as the commander view matches them
          const found = await sectionFor(
            deps,
            entityRef,
            sloAlertLabels(
              firing ?? {
                rule: policy.rules[0] ? ruleId(policy.rules[0]) : 'page',
                severity: 'page',
              },
              def,
            ),
            credentials,
          );
          if (found.section)
            runbook = {
              entityRef: found.entityRef,
              section: found.section.id,
              title: found.section.title,
              body: found.section.body,
              link: runbookLink(found.entityRef, found.section.id),
            };
        } catch (e) {
          // an entity without a runbook: the explanation says so by a null runbook
          if (
            (e as Error).name !== 'NotFoundError' &&
            (e as Error).name !== 'InputError'
          )
            throw e;
        }
        return {
          slo: { ...slo, ref: def.ref, entityRef },
          windows: policy.rules.map(rule => ({
            ...rule,
            rule: ruleId(rule),
            alert: alerts.find(a => a.rule === ruleId(rule)) ?? null,
          })),
          alerts: alerts.map(a => ({
            ...a,
            link: reliabilityLink(entityRef, 'slo', name),
          })),
          changes: changes.items.map(c => ({
            ...c,
            budgetSpentInHourAfter: c.worst,
            link: c.link ?? reliabilityLink(entityRef, 'slo', name),
          })),
          remediations: remediations.items.map(r => ({
            ...r,
            link: reliabilityLink(entityRef, 'selfHealing'),
          })),
          chaosRuns: chaos.items.map(x => ({
            id: x.id,
            name: x.name,
            state: x.state,
            startedAt: x.startedAt ?? null,
            finishedAt: x.finishedAt ?? null,
            abortReason: x.abortReason ?? null,
            budgetSpent: x.budgetSpent ?? null,
            link: `/reliability/chaos/${x.id}`,
          })),
          corrections: corrections.items.map(c => ({
            ...c,
            link: reliabilityLink(entityRef, 'slo', name),
          })),
          runbook,
          link: reliabilityLink(entityRef, 'slo', name),
        };
      },
    }),

    defineAction({
      name: RELIABILITY_ACTIONS.runbookSection,
      title: 'Runbook section for an alert',
      description:
        "The section of an entity's runbook that answers an alert: the first whose Alerts: line matches the alert's labels, else its Symptoms section.",
      input: runbookSectionActionInput,
      output: runbookSectionActionOutput,
      attributes: READ,
      async action({ input, credentials }) {
        await caller.canRead(credentials);
        const found = await sectionFor(
          deps,
          input.entityRef.toLocaleLowerCase('en-US'),
          { ...(input.labels ?? {}), alertname: input.alertname },
          credentials,
        );
        return {
          entityRef: found.entityRef,
          section: found.section
            ? {
                id: found.section.id,
                title: found.section.title,
                body: found.section.body,
                link: runbookLink(found.entityRef, found.section.id),
              }
            : null,
          ...(found.reason ? { reason: found.reason } : {}),
        };
      },
    }),

    defineAction({
      name: RELIABILITY_ACTIONS.deployGate,
      title: 'Deploy gate',
      description:
        "Whether a deploy of the entity may go ahead (open), as GET /gate answers: the launch-freeze gate over its SLOs' error budgets (allow, the reason, the lowest budget left and the threshold) and the override in force, if any (who opened the gate, why, until when).",
      input: entityActionInput,
      output: deployGateActionOutput,
      attributes: READ,
      async action({ input, credentials }) {
        await caller.canRead(credentials);
        return { ...(await ports.gates.gate(input.entityRef, credentials)) };
      },
    }),

    defineAction({
      name: RELIABILITY_ACTIONS.readiness,
      title: 'Production readiness',
      description:
        "The entity's production-readiness score and its checklist: SLOs, alerting, runbook, drills, load tests, chaos, remediation.",
      input: entityActionInput,
      output: readinessActionOutput,
      attributes: READ,
      async action({ input, credentials }) {
        await caller.canRead(credentials);
        return {
          ...(await ports.readiness.get(input.entityRef, credentials)),
          link: reliabilityLink(input.entityRef.toLocaleLowerCase('en-US')),
        };
      },
    }),
  ];
}
