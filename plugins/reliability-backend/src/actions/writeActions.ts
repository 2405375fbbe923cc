import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  RELIABILITY_ACTIONS,
  abortChaosActionInput,
  abortChaosActionOutput,
  declareIncidentActionInput,
  incidentActionOutput,
  recordChangeActionInput,
  recordChangeActionOutput,
  reliabilityChaosUpdatePermission,
  reliabilityIncidentManagePermission,
  reliabilityRemediationExecutePermission,
  runRemediationActionInput,
  runRemediationActionOutput,
  timelineEntryActionInput,
  timelineEntryActionOutput,
} from '@reliability-suite/plugin-reliability-common';
import { callerName } from '../catalog/entityAccess';
import {
  incidentLink,
  reliabilityLink,
} from '../notifications/ReliabilityNotifier';
import { defineAction } from './kit';
import type { ActionDeps } from './ports';

/** Not confirmed: the action says what it would do and does nothing. */
const NOT_CONFIRMED =
  'Nothing was done. Call again with confirm: true to do it, or with dryRun: true to see exactly what it would call.';

/** The write actions: declare an incident, a timeline entry, run a remediation, abort a chaos run, record a change. */
export function writeActions(deps: ActionDeps) {
  const { ports, guards, caller } = deps;
  /** One audit event per write, as the REST routes record them (the actor in its meta: an action has no request). */
  const audited = <T>(
    eventId: string,
    severityLevel: 'low' | 'medium' | 'high',
    credentials: BackstageCredentials,
    meta: Record<string, unknown>,
    fn: () => Promise<T>,
  ) =>
    guards.audited(
      {
        eventId,
        severityLevel,
        meta: { ...meta, via: 'action', actor: callerName(credentials) },
      },
      async () => ({ result: await fn() }),
    );
  /** The incident routes' guard: a signed-in user with reliability.incident.manage. */
  const manager = async (credentials: BackstageCredentials) => {
    const user = caller.user(credentials);
    await guards.authorize(user, reliabilityIncidentManagePermission);
    return user;
  };

  return [
    defineAction({
      name: RELIABILITY_ACTIONS.declareIncident,
      title: 'Declare an incident',
      description:
        'Declares an incident on an entity (title, severity SEV1-3, optional roles and trigger). The caller becomes its commander unless roles say otherwise.',
      input: declareIncidentActionInput,
      output: incidentActionOutput,
      attributes: { readOnly: false, destructive: false, idempotent: false },
      async action({ input, credentials }) {
        const user = await manager(credentials);
        const incident = await audited(
          'incident-declare',
          'medium',
          credentials,
          { entityRef: input.entityRef },
          () =>
            ports.incidents.declare(input, user.principal.userEntityRef, user),
        );
        return {
          incident: { ...incident },
          link: incidentLink(incident.id),
        };
      },
    }),

    defineAction({
      name: RELIABILITY_ACTIONS.addTimelineEntry,
      title: 'Add an incident timeline entry',
      description:
        "Adds an entry to an incident's timeline, written by the caller.",
      input: timelineEntryActionInput,
      output: timelineEntryActionOutput,
      attributes: { readOnly: false, destructive: false, idempotent: false },
      async action({ input, credentials }) {
        const user = await manager(credentials);
        const incident = await audited(
          'incident-timeline',
          'medium',
          credentials,
          { incidentId: input.incidentId },
          () =>
            ports.incidents.appendTimeline(
              input.incidentId,
              user.principal.userEntityRef,
              input.text,
              user,
            ),
        );
        return {
          incident: { ...incident },
          link: incidentLink(input.incidentId),
        };
      },
    }),

    defineAction({
      name: RELIABILITY_ACTIONS.runRemediation,
      title: 'Run a remediation',
      description:
        'Runs one remediation rule now (its owners only), as Run now on the Reliability tab. Destructive: without confirm: true it only proposes; dryRun: true says exactly what it would call and calls nothing.',
      input: runRemediationActionInput,
      output: runRemediationActionOutput,
      attributes: { readOnly: false, destructive: true, idempotent: false },
      async action({ input, credentials }) {
        const user = caller.user(credentials);
        const rule = ports.remediation.rule(input.ruleId);
        if (!rule)
          throw new NotFoundError(
            `ruleId: no remediation rule '${input.ruleId}'`,
          );
        // the route's check: only the entity's owners, for a dry run and a proposal too
        if (
          !(await guards.allowedOn(
            user,
            reliabilityRemediationExecutePermission,
            rule.entityRef,
          ))
        )
          throw new NotAllowedError(
            `Missing permission ${reliabilityRemediationExecutePermission.name} on ${rule.entityRef}: only its owners may run its remediations`,
          );
        const link = reliabilityLink(rule.entityRef, 'selfHealing');
        if (!input.dryRun && input.confirm !== true)
          return {
            outcome: 'proposed' as const,
            description: `Would run remediation rule ${rule.id} on ${rule.entityRef} now: its ${rule.action} action (${rule.description}), under lock ${rule.lockKey}, cooldown ${rule.cooldown}, at most ${rule.maxAttempts} attempts per ${rule.attemptWindow}, as ${user.principal.userEntityRef}. ${NOT_CONFIRMED}`,
            execution: null,
            link,
          };
        const execution = await audited(
          'remediation-run-now',
          'high',
          credentials,
          {
            ruleId: rule.id,
            entityRef: rule.entityRef,
            dryRun: Boolean(input.dryRun),
          },
          () =>
            ports.remediation.runNow(
              rule,
              { dryRun: input.dryRun, labels: input.labels },
              user.principal.userEntityRef,
            ),
        );
        return {
          outcome: input.dryRun ? ('dry-run' as const) : ('done' as const),
          description:
            (execution as { detail?: string | null }).detail ??
            `Execution ${(execution as { id?: number }).id} is ${
              (execution as { state?: string }).state
            }`,
          execution: execution as unknown as Record<string, unknown>,
          link,
        };
      },
    }),

    defineAction({
      name: RELIABILITY_ACTIONS.abortChaosRun,
      title: 'Abort a chaos run',
      description:
        'Stops a running chaos experiment (the kill switch): its engine is halted and the reason and the budget it spent are recorded. Destructive: without confirm: true it only proposes; dryRun: true says exactly what would happen.',
      input: abortChaosActionInput,
      output: abortChaosActionOutput,
      attributes: { readOnly: false, destructive: true, idempotent: false },
      async action({ input, credentials }) {
        const reason = input.reason ?? 'kill switch';
        // the service's own checks (visibility, then the update permission), and for a proposal the same ones first
        const current = await ports.chaos.get(input.experimentId, credentials);
        const link = `/reliability/chaos/${current.id}`;
        if (input.dryRun || input.confirm !== true) {
          if (
            !(await guards.allowedOn(
              credentials,
              reliabilityChaosUpdatePermission,
              current.entityRef,
            ))
          )
            throw new NotAllowedError(
              `Missing permission ${reliabilityChaosUpdatePermission.name} on ${current.entityRef}`,
            );
          const would =
            current.state === 'running'
              ? `Would abort chaos experiment ${current.id} (${current.name}) on ${current.entityRef}, running since ${current.startedAt}: it becomes aborted with reason "${reason}", the budget it spent so far is recorded, and its engine is told to halt.`
              : `Would refuse: chaos experiment ${current.id} (${current.name}) is ${current.state}, and only a running experiment can be aborted.`;
          return {
            outcome: input.dryRun
              ? ('dry-run' as const)
              : ('proposed' as const),
            description: input.dryRun
              ? `Dry run, nothing done. ${would}`
              : `${would} ${NOT_CONFIRMED}`,
            experiment: current as unknown as Record<string, unknown>,
            link,
          };
        }
        const aborted = await audited(
          'chaos-abort',
          'medium',
          credentials,
          { experimentId: current.id },
          () => ports.chaos.abort(current.id, reason, credentials),
        );
        return {
          outcome: 'done' as const,
          description: `Aborted chaos experiment ${aborted.id} (${aborted.name}) on ${aborted.entityRef}: ${reason}`,
          experiment: aborted as unknown as Record<string, unknown>,
          link,
        };
      },
    }),

    defineAction({
      name: RELIABILITY_ACTIONS.recordChange,
      title: 'Record a change',
      description:
        'Records a change of an entity (a deploy, a config push, a flag flip...) so that burns can be laid against it.',
      input: recordChangeActionInput,
      output: recordChangeActionOutput,
      attributes: { readOnly: false, destructive: false, idempotent: false },
      async action({ input, credentials }) {
        const change = await audited(
          'change-record',
          'low',
          credentials,
          { entityRef: input.entityRef },
          () => ports.changes.record(input, credentials),
        );
        return {
          change: change as unknown as Record<string, unknown>,
          link: reliabilityLink(change.entityRef),
        };
      },
    }),
  ];
}
