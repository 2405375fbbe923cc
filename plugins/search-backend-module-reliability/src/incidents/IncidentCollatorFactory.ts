import { Readable } from 'stream';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  DocumentCollatorFactory,
  IndexableDocument,
} from '@backstage/plugin-search-common';
import { Incident } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi } from '../http/ReliabilityApi';
import { incidentPath } from '../http/links';

/** The search type of incidents. @public */
export const RELIABILITY_INCIDENT_DOCUMENT_TYPE = 'reliability-incident';

/** One incident in search: its title, status and entity, linking to the incident's page. @public */
export interface ReliabilityIncidentDocument extends IndexableDocument {
  incidentId: number;
  /** The entity the incident is about; search shows the incident to who may read it. */
  entityRef: string;
  /** investigating, identified, monitoring, resolved… */
  status: string;
  /** active or closed */
  state: string;
  severity: string;
  declaredAt: string;
  authorization: { resourceRef: string };
}

/** The document of one incident as `GET /incidents` lists it. */
export function incidentDocument(
  incident: Incident,
  pagesPath: string,
): ReliabilityIncidentDocument {
  return {
    title: incident.title,
    text: [
      `${incident.severity} incident on ${incident.entityRef}, ${incident.status} (${incident.state}).`,
      incident.trigger ? `Trigger: ${incident.trigger}.` : '',
      incident.impact ? `Impact: ${incident.impact}` : '',
      incident.rootCauses.length
        ? `Root causes: ${incident.rootCauses.join('; ')}`
        : '',
    ]
      .filter(Boolean)
      .join(' '),
    location: incidentPath(pagesPath, incident.id),
    incidentId: incident.id,
    entityRef: incident.entityRef,
    status: incident.status,
    state: incident.state,
    severity: incident.severity,
    declaredAt: incident.declaredAt,
    authorization: { resourceRef: incident.entityRef },
  };
}

/**
 * Collates every incident, active and closed (`GET /incidents`, every page), into `reliability-incident` documents.
 * Search shows an incident to who may read its entity in the catalog (`catalog.entity.read`).
 * @public
 */
export class IncidentCollatorFactory implements DocumentCollatorFactory {
  readonly type = RELIABILITY_INCIDENT_DOCUMENT_TYPE;
  readonly visibilityPermission = catalogEntityReadPermission;

  constructor(
    private readonly options: { api: ReliabilityApi; pagesPath: string },
  ) {}

  async getCollator(): Promise<Readable> {
    return Readable.from(this.execute());
  }

  async *execute(): AsyncGenerator<ReliabilityIncidentDocument> {
    for await (const incident of this.options.api.incidents())
      yield incidentDocument(incident, this.options.pagesPath);
  }
}
