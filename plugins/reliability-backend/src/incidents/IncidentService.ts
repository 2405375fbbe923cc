import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  Incident,
  IncidentActionItem,
  IncidentRole,
  IncidentStatus,
  Page,
  declareIncidentSchema,
  decodeCursor,
  incidentsQuerySchema,
  pageOf,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { RunbookService } from '../runbooks/RunbookService';
import { IncidentStore } from './IncidentStore';

/** Incidents as callers see them: only those about entities they may read. */
export class IncidentService {
  private readonly now: () => number;

  constructor(
    private readonly o: {
      store: IncidentStore;
      access: CatalogAccess;
      runbooks: RunbookService;
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

  /** Declares an incident on an entity the caller can see (404 otherwise). */
  async declare(
    body: z.infer<typeof declareIncidentSchema>,
    author: string,
    credentials: BackstageCredentials,
  ): Promise<Incident> {
    const entityRef = body.entityRef.toLocaleLowerCase('en-US');
    const { kind, namespace, name } = parseEntityRef(entityRef);
    await this.o.runbooks.entity(kind, namespace, name, credentials);
    return this.o.store.declare({
      entityRef,
      title: body.title,
      severity: body.severity,
      roles: body.roles ?? { commander: author },
      trigger: body.trigger,
      author,
      now: this.now(),
    });
  }

  async appendTimeline(
    id: number,
    author: string,
    text: string,
    credentials: BackstageCredentials,
  ) {
    await this.get(id, credentials);
    return this.o.store.appendTimeline(id, author, text, this.now());
  }

  async updateStatus(
    id: number,
    author: string,
    status: IncidentStatus,
    text: string,
    credentials: BackstageCredentials,
  ) {
    await this.get(id, credentials);
    return this.o.store.updateStatus(id, author, status, text, this.now());
  }

  async setRoles(
    id: number,
    author: string,
    roles: Partial<Record<IncidentRole, string>>,
    credentials: BackstageCredentials,
  ) {
    await this.get(id, credentials);
    return this.o.store.setRoles(id, author, roles, this.now());
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
    await this.get(id, credentials);
    return this.o.store.close(id, author, pir, this.now());
  }
}
