import { createPermission } from '@backstage/plugin-permission-common';

/** Read SLOs, their status and history. @public */
export const reliabilitySloReadPermission = createPermission({
  name: 'reliability.slo.read',
  attributes: { action: 'read' },
});

/** Push SLI counts through the built-in ingest endpoint. @public */
export const reliabilityEventsIngestPermission = createPermission({
  name: 'reliability.events.ingest',
  attributes: { action: 'create' },
});

/** @public */
export const reliabilityPermissions = [reliabilitySloReadPermission, reliabilityEventsIngestPermission];
