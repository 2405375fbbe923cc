import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  INCIDENT_ROLES,
  Incident,
  IncidentActionItem,
  IncidentLink,
  IncidentRole,
  IncidentStatus,
  MTTR_WINDOW_DAYS,
  MttrResponse,
  MttrRow,
  Page,
  declareIncidentSchema,
  decodeCursor,
  incidentsQuerySchema,
  mttrQuerySchema,
  pageOf,
  reliabilityIncidentUpdatePermission,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import type { EntityAccess } from '../catalog/entityAccess';
import { RunbookService } from '../runbooks/RunbookService';
import { IncidentStore } from './IncidentStore';

/**
 * The port through which an incident's roles are paged (the delivery feature implements it, through the routing of
 * the incident's entity at page severity). Its calls do not throw: a page that could not be queued is logged, and
 * the incident goes on.
 */
export interface IncidentPager {
  /** Declared (no `revision`), or its roles changed (`revision`: the id of the timeline event that changed them). */
  paged(incident: Incident, revision?: number): Promise<void>;
  /** Resolved or closed: the resolution goes where its pages went. */
  resolved(incident: Incident): Promise<void>;
}

/** MTTR per team reads at most this many services (those with the most incidents in the window). */
const MTTR_MAX_SERVICES = 2_000;
const DAY = 86_400_000;

/** A role holder as an entity ref (`ana` is user:default/ana), lower-cased; undefined for free text that is none. */
function holderRef(holder: string): string | undefined {
  try {
    return stringifyEntityRef(
      parseEntityRef(holder.trim(), {
        defaultKind: 'user',
        defaultNamespace: 'default',
      }),
    ).toLocaleLowerCase('en-US');
  } catch {
    return undefined;
  }
}

/** Whether anyone holds one of the incident's roles. */
function hasRoles(incident: Incident): boolean {
  return INCIDENT_ROLES.some(r => !!incident.roles[r]?.trim());
}

/** Whether the caller (a user) holds one of the incident's roles; a role written as `ana` means user:default/ana. */
function holdsRole(
  incident: Incident,
  credentials: BackstageCredentials,
): boolean {
  const { principal } = credentials as BackstageCredentials<{
    type?: string;
    userEntityRef?: string;
  }>;
  if (principal.type !== 'user' || !principal.userEntityRef) return false;
  const me = principal.userEntityRef.toLocaleLowerCase('en-US');
  return INCIDENT_ROLES.some(role => {
    const holder = incident.roles[role];
    return holder ? holderRef(holder) === me : false;
  });
}

/**
 * Incidents as callers see them: only those about entities they may read. Anyone the policy lets declare may
 * declare one; working one (timeline, status, roles, cadence, links, close) is for its role holders and for those
 * reliability.incident.update allows on its entity (the portal's policy: the entity's owners).
 */
export class IncidentService {
  private readonly now: () => number;

  constructor(
    private readonly o: {
      store: IncidentStore;
      access: CatalogAccess;
      entities: EntityAccess;
      runbooks: RunbookService;
      /** The catalog, asked with the caller's credentials for the owners of services (MTTR per team). */
      catalog: CatalogService;
      /** Pages the incident's roles; without it nothing is paged. */
      pager?: IncidentPager;
      now?: () => number;
    },
  ) {
    this.now = o.now ?? Date.now;
  }

  async list(
    query: z.infer<typeof incidentsQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<Page<Incident>> {
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 200;
    const rows = await this.o.store.list({
      state: query.state,
      entityRef: query.entityRef?.toLocaleLowerCase('en-US'),
      limit: limit + 1,
      offset,
    });
    const page = pageOf(rows, offset, limit, true);
    const visible = await this.o.access.filter(
      page.items.map(i => i.entityRef),
      credentials,
    );
    return { ...page, items: page.items.filter(i => visible(i.entityRef)) };
  }

  /** An incident whose entity the caller may read: unknown and hidden incidents are both 404. */
  async get(id: number, credentials: BackstageCredentials): Promise<Incident> {
    const incident = await this.o.store.get(id);
    if (
      !incident ||
      !(await this.o.access.filter([incident.entityRef], credentials))(
        incident.entityRef,
      )
    )
      throw new NotFoundError(`No incident ${id}`);
    return incident;
  }

  /** An incident the caller may work: its role holders, and those the update permission allows on its entity. */
  private async forWork(
    id: number,
    credentials: BackstageCredentials,
  ): Promise<Incident> {
    const incident = await this.get(id, credentials);
    if (holdsRole(incident, credentials)) return incident;
    await this.o.entities.must(
      reliabilityIncidentUpdatePermission,
      incident.entityRef,
      credentials,
      `incident ${id} is worked by the owners of ${incident.entityRef} and by its role holders (commander, ops, comms, scribe)`,
    );
    return incident;
  }

  /** Declares an incident on an entity the caller can see (404 otherwise). */
  async declare(
    body: z.infer<typeof declareIncidentSchema>,
    author: string,
    credentials: BackstageCredentials,
  ): Promise<Incident> {
    const entityRef = body.entityRef.toLocaleLowerCase('en-US');
    const { kind, namespace, name } = parseEntityRef(entityRef);
    await this.o.runbooks.entity(kind, namespace, name, credentials);
    const incident = await this.o.store.declare({
      entityRef,
      title: body.title,
      severity: body.severity,
      roles: body.roles ?? { commander: author },
      trigger: body.trigger,
      updateCadenceMinutes: body.updateCadenceMinutes,
      author,
      now: this.now(),
    });
    if (hasRoles(incident)) await this.o.pager?.paged(incident);
    return incident;
  }

  async appendTimeline(
    id: number,
    author: string,
    text: string,
    credentials: BackstageCredentials,
  ) {
    await this.forWork(id, credentials);
    return this.o.store.appendTimeline(id, author, text, this.now());
  }

  async updateStatus(
    id: number,
    author: string,
    status: IncidentStatus,
    text: string,
    credentials: BackstageCredentials,
  ) {
    const before = await this.forWork(id, credentials);
    const incident = await this.o.store.updateStatus(
      id,
      author,
      status,
      text,
      this.now(),
    );
    if (status === 'resolved' && before.status !== 'resolved')
      await this.o.pager?.resolved(incident);
    return incident;
  }

  async setRoles(
    id: number,
    author: string,
    roles: Partial<Record<IncidentRole, string>>,
    credentials: BackstageCredentials,
  ) {
    const before = await this.forWork(id, credentials);
    const incident = await this.o.store.setRoles(id, author, roles, this.now());
    const changed = INCIDENT_ROLES.some(
      r => (before.roles[r] || '') !== (incident.roles[r] || ''),
    );
    // the event that changed them: a repeat of the same change is another event, and pages again
    const event = [...incident.events].reverse().find(e => e.kind === 'roles');
    // a reopened incident's page was resolved: PagerDuty would open a new incident that nothing resolves
    const wasResolved = incident.events.some(e => e.status === 'resolved');
    if (changed && event && !wasResolved && hasRoles(incident))
      await this.o.pager?.paged(incident, event.id);
    return incident;
  }

  async setCadence(
    id: number,
    author: string,
    minutes: number,
    credentials: BackstageCredentials,
  ) {
    await this.forWork(id, credentials);
    return this.o.store.setCadence(id, author, minutes, this.now());
  }

  async addLink(
    id: number,
    link: IncidentLink,
    credentials: BackstageCredentials,
  ) {
    await this.forWork(id, credentials);
    return this.o.store.addLink(id, link);
  }

  async removeLink(
    id: number,
    index: number,
    credentials: BackstageCredentials,
  ) {
    await this.forWork(id, credentials);
    return this.o.store.removeLink(id, index);
  }

  async close(
    id: number,
    author: string,
    pir: {
      impact: string;
      rootCauses: string[];
      actionItems: IncidentActionItem[];
    },
    credentials: BackstageCredentials,
  ) {
    await this.forWork(id, credentials);
    const incident = await this.o.store.close(id, author, pir, this.now());
    // a resolution sent already (status resolved) is not sent twice: the outbox keeps one per target
    await this.o.pager?.resolved(incident);
    return incident;
  }

  async setActionItemDone(
    id: number,
    index: number,
    done: boolean,
    author: string,
    credentials: BackstageCredentials,
  ) {
    await this.forWork(id, credentials);
    return this.o.store.setActionItemDone(id, index, done, author, this.now());
  }

  /**
   * Mean time to restore over the incidents resolved in the last `days`, per service (the incident's entity) or per
   * team (the service's owner in the catalog), counting only services the caller may read. Per service, one page is
   * one grouped query; per team, the MTTR_MAX_SERVICES busiest services are grouped by their owners (one catalog
   * read per 500), then paged.
   */
  async mttr(
    query: z.infer<typeof mttrQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<MttrResponse> {
    const by = query.by ?? 'service';
    const days = query.days ?? MTTR_WINDOW_DAYS.default;
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 50;
    const since = this.now() - days * DAY;
    const head = { by, days, since: new Date(since).toISOString() };
    const row = (
      entityRef: string,
      incidents: number,
      totalMs: number,
      maxMs: number,
    ): MttrRow => ({
      entityRef,
      incidents,
      mttrMs: Math.round(totalMs / incidents),
      maxMs,
    });
    if (by === 'service') {
      const rows = await this.o.store.mttrByEntity(since, limit + 1, offset);
      const page = pageOf(rows, offset, limit, true);
      const visible = await this.o.access.filter(
        page.items.map(r => r.entityRef),
        credentials,
      );
      return {
        ...head,
        ...page,
        items: page.items
          .filter(r => visible(r.entityRef))
          .map(r => row(r.entityRef, r.incidents, r.totalMs, r.maxMs)),
      };
    }
    const services = await this.o.store.mttrByEntity(
      since,
      MTTR_MAX_SERVICES + 1,
      0,
    );
    const truncated = services.length > MTTR_MAX_SERVICES;
    const counted = services.slice(0, MTTR_MAX_SERVICES);
    const owners = await this.owners(
      counted.map(r => r.entityRef),
      credentials,
    );
    const teams = new Map<
      string,
      { incidents: number; totalMs: number; maxMs: number; services: number }
    >();
    for (const r of counted) {
      const owner = owners.get(r.entityRef);
      if (!owner) continue;
      const t = teams.get(owner) ?? {
        incidents: 0,
        totalMs: 0,
        maxMs: 0,
        services: 0,
      };
      t.incidents += r.incidents;
      t.totalMs += r.totalMs;
      t.maxMs = Math.max(t.maxMs, r.maxMs);
      t.services += 1;
      teams.set(owner, t);
    }
    const sorted = [...teams.entries()]
      .map(([ref, t]) => ({
        ...row(ref, t.incidents, t.totalMs, t.maxMs),
        services: t.services,
      }))
      .sort(
        (a, b) =>
          b.incidents - a.incidents ||
          a.entityRef.localeCompare(b.entityRef, 'en-US'),
      );
    return {
      ...head,
      ...pageOf(sorted, offset, limit),
      ...(truncated ? { truncated } : {}),
    };
  }

  /** The owners (full refs) of the entities the caller may read, from the catalog; hidden and unowned ones are absent. */
  private async owners(
    entityRefs: string[],
    credentials: BackstageCredentials,
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < entityRefs.length; i += 500) {
      const part = entityRefs.slice(i, i + 500);
      const res = await this.o.catalog.getEntitiesByRefs(
        {
          entityRefs: part,
          fields: ['kind', 'metadata.namespace', 'metadata.name', 'spec.owner'],
        },
        { credentials },
      );
      res.items.forEach((e, j) => {
        const owner = e?.spec?.owner;
        if (typeof owner !== 'string' || !owner) return;
        try {
          out.set(
            part[j],
            stringifyEntityRef(
              parseEntityRef(owner.toLocaleLowerCase('en-US'), {
                defaultKind: 'group',
                defaultNamespace: e!.metadata.namespace ?? 'default',
              }),
            ).toLocaleLowerCase('en-US'),
          );
        } catch {
          // an owner the catalog would not accept either: not a team
        }
      });
    }
    return out;
  }
}
