import { createPermission } from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';

/** Read SLOs, their status and history. @public */
export const reliabilitySloReadPermission = createPermission({
  name: 'reliability.slo.read',
  attributes: { action: 'read' },
});

/**
 * Push SLI counts through the built-in ingest endpoint: a resource permission on the entity each SLO measures,
 * checked once per entity in a batch. The portal's policy grants it to service principals (external access tokens
 * of the services that report SLIs) and to the entity's owners.
 * @public
 */
export const reliabilityEventsIngestPermission = createPermission({
  name: 'reliability.events.ingest',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** @public */
export const reliabilityPermissions = [
  reliabilitySloReadPermission,
  reliabilityEventsIngestPermission,
];

/**
 * Run a remediation rule by hand ("Run now", also as a dry run). A resource permission on the rule's catalog
 * entity, so a policy can make it conditional, e.g. on `isEntityOwner`.
 * @public
 */
export const reliabilityRemediationExecutePermission = createPermission({
  name: 'reliability.remediation.execute',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Edit an entity's portal-authored runbook and failure modes: a resource permission on the entity, so a policy
 * can restrict it to owners (`isEntityOwner`).
 * @public
 */
export const reliabilityRunbookUpdatePermission = createPermission({
  name: 'reliability.runbook.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Declare and work incidents: checked first on every incident mutation (a basic permission; declaring is open to
 * users in the portal's policy). Working an incident also needs {@link reliabilityIncidentUpdatePermission}.
 * @public
 */
export const reliabilityIncidentManagePermission = createPermission({
  name: 'reliability.incident.manage',
  attributes: { action: 'create' },
});

/**
 * Work an incident (timeline, status, roles, cadence, links, close): a resource permission on the incident's
 * entity, so the portal's policy keeps it to the entity's owners (`isEntityOwner`). The incident's role holders
 * (commander, ops, comms, scribe) may work it without it.
 * @public
 */
export const reliabilityIncidentUpdatePermission = createPermission({
  name: 'reliability.incident.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Write an entity's chaos experiments (create, edit, start, abort, record results): a resource permission on the
 * entity, so a policy can restrict it to owners.
 * @public
 */
export const reliabilityChaosUpdatePermission = createPermission({
  name: 'reliability.chaos.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Approve an entity's chaos experiment (never one's own: the service refuses the author). @public */
export const reliabilityChaosApprovePermission = createPermission({
  name: 'reliability.chaos.approve',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Record an entity's failover drills (one drill, or a CSV import): a resource permission on the entity, so a policy
 * can restrict it to owners.
 * @public
 */
export const reliabilityDrillsUpdatePermission = createPermission({
  name: 'reliability.drills.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Record an entity's load-test results (CI posting k6 summaries): a resource permission on the entity. @public */
export const reliabilityCapacityRecordPermission = createPermission({
  name: 'reliability.capacity.record',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Post an entity's change events (deploys, config pushes, flag flips): a resource permission on the entity. @public */
export const reliabilityChangesRecordPermission = createPermission({
  name: 'reliability.changes.record',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Define an entity's synthetic journeys (one journey, or the registry CSV): a resource permission on the entity. @public */
export const reliabilitySyntheticsUpdatePermission = createPermission({
  name: 'reliability.synthetics.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Import the organisation's SLO and burn-rate registries (POST /import/slos and /import/burn-rate-alerts): SLO files
 * written where the scaffolder publishes, and alert rules for any SLO. A basic permission: the registries span teams.
 * @public
 */
export const reliabilityRegistryImportPermission = createPermission({
  name: 'reliability.registry.import',
  attributes: { action: 'create' },
});

/**
 * Exclude time ranges from an SLO's budget, or revert such a correction (POST /slos/:ns/:name/corrections): a
 * resource permission on the entity the SLO measures. The portal's policy: its owners.
 * @public
 */
export const reliabilitySloCorrectPermission = createPermission({
  name: 'reliability.slo.correct',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Open the deploy gate of an entity while its SLOs keep it closed, for a reason and until a time, or close such an
 * override early (POST /gate/overrides): a resource permission on the entity. The portal's policy: the groups named
 * in reliability.permissions.gateOverriders (nobody when unset).
 * @public
 */
export const reliabilityGateOverridePermission = createPermission({
  name: 'reliability.gate.override',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** @public */
export const reliabilityAllPermissions = [
  ...reliabilityPermissions,
  reliabilityRemediationExecutePermission,
  reliabilityRunbookUpdatePermission,
  reliabilityIncidentManagePermission,
  reliabilityIncidentUpdatePermission,
  reliabilityChaosUpdatePermission,
  reliabilityChaosApprovePermission,
  reliabilityDrillsUpdatePermission,
  reliabilityCapacityRecordPermission,
  reliabilityChangesRecordPermission,
  reliabilitySyntheticsUpdatePermission,
  reliabilityRegistryImportPermission,
  reliabilitySloCorrectPermission,
  reliabilityGateOverridePermission,
];

/**
 * What a service principal (an external access token, another backend plugin) may do in the suite without being
 * granted more: read, and report what machines measure (SLI events and values, load-test results, change events).
 * Every other permission (corrections, chaos, runbooks, incidents, drills, synthetics, registry imports, "Run now")
 * belongs to users; a service gets one only when its token's access restrictions name it
 * (`backend.auth.externalAccess[].accessRestrictions[].permission`), which is how an adopter grants it.
 * @public
 */
export const reliabilityServiceDefaultPermissions: readonly string[] = [
  reliabilitySloReadPermission.name,
  reliabilityEventsIngestPermission.name,
  reliabilityCapacityRecordPermission.name,
  reliabilityChangesRecordPermission.name,
];
