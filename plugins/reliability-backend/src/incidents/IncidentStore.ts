import { Knex } from 'knex';
import { ConflictError, NotFoundError } from '@backstage/errors';
import type {
  Incident,
  IncidentActionItem,
  IncidentEvent,
  IncidentRole,
  IncidentStatus,
} from '@reliability-suite/plugin-reliability-common';
import { insertedId, isoOrNull } from '../database/rows';

/** Incidents and their timelines. */
export class IncidentStore {
  constructor(private readonly db: Knex) {}

  async declare(i: {
    entityRef: string;
    title: string;
    severity: Incident['severity'];
    roles: Partial<Record<IncidentRole, string>>;
    trigger?: string;
    author: string;
    now: number;
  }): Promise<Incident> {
    const id = await this.db.transaction(async tx => {
      const result = await tx('reliability_incidents')
        .insert({
          entity_ref: i.entityRef,
          title: i.title,
          severity: i.severity,
          state: 'active',
          status: 'investigating',
          roles: JSON.stringify(i.roles),
          declared_by: i.author,
          declared_at: i.now,
          trigger: i.trigger ?? null,
          root_causes: '[]',
          action_items: '[]',
        })
        .returning('id');
      const newId = insertedId(result)!;
      await tx('reliability_incident_events').insert({
        incident_id: newId,
        at: i.now,
        author: i.author,
        kind: 'declared',
        status: 'investigating',
        text: `Declared ${i.severity}: ${i.title}${
          i.trigger ? ` (from ${i.trigger})` : ''
        }`,
      });
      return newId;
    });
    return (await this.get(id))!;
  }

  private async active(id: number): Promise<any> {
    const row = await this.db('reliability_incidents').where('id', id).first();
    if (!row) throw new NotFoundError(`No incident ${id}`);
    if (row.state !== 'active')
      throw new ConflictError(
        `Incident ${id} is closed; its record can no longer change`,
      );
    return row;
  }

  async appendTimeline(
    id: number,
    author: string,
    text: string,
    now: number,
  ): Promise<Incident> {
    await this.active(id);
    await this.db('reliability_incident_events').insert({
      incident_id: id,
      at: now,
      author,
      kind: 'timeline',
      text,
    });
    return (await this.get(id))!;
  }

  async updateStatus(
    id: number,
    author: string,
    status: IncidentStatus,
    text: string,
    now: number,
  ): Promise<Incident> {
    const row = await this.active(id);
    await this.db.transaction(async tx => {
      await tx('reliability_incidents')
        .where('id', id)
        .update({
          status,
          resolved_at: status === 'resolved' ? row.resolved_at ?? now : null,
        });
      await tx('reliability_incident_events').insert({
        incident_id: id,
        at: now,
        author,
        kind: 'status',
        status,
        text,
      });
    });
    return (await this.get(id))!;
  }

  async setRoles(
    id: number,
    author: string,
    roles: Partial<Record<IncidentRole, string>>,
    now: number,
  ): Promise<Incident> {
    const row = await this.active(id);
    const merged = { ...JSON.parse(row.roles), ...roles };
    await this.db.transaction(async tx => {
      await tx('reliability_incidents')
        .where('id', id)
        .update({ roles: JSON.stringify(merged) });
      const text = Object.entries(roles)
        .map(([r, who]) => `${r}: ${who || '—'}`)
        .join(', ');
      await tx('reliability_incident_events').insert({
        incident_id: id,
        at: now,
        author,
        kind: 'roles',
        text: `Roles: ${text}`,
      });
    });
    return (await this.get(id))!;
  }

  async close(
    id: number,
    author: string,
    pir: {
      impact: string;
      rootCauses: string[];
      actionItems: IncidentActionItem[];
    },
    now: number,
  ): Promise<Incident> {
    const row = await this.active(id);
    await this.db.transaction(async tx => {
      const n = await tx('reliability_incidents')
        .where({ id, state: 'active' })
        .update({
          state: 'closed',
          status: 'resolved',
          resolved_at: row.resolved_at ?? now,
          closed_at: now,
          impact: pir.impact,
          root_causes: JSON.stringify(pir.rootCauses),
          action_items: JSON.stringify(pir.actionItems),
        });
      if (n !== 1)
        throw new ConflictError(`Incident ${id} was closed a moment ago`);
      await tx('reliability_incident_events').insert({
        incident_id: id,
        at: now,
        author,
        kind: 'closed',
        status: 'resolved',
        text: `Closed. Impact: ${pir.impact}`,
      });
    });
    return (await this.get(id))!;
  }

  async get(id: number): Promise<Incident | undefined> {
    const row = await this.db('reliability_incidents').where('id', id).first();
    if (!row) return undefined;
    const events = await this.db('reliability_incident_events')
      .where('incident_id', id)
      .orderBy('at')
      .orderBy('id');
    return toIncident(row, events);
  }

  async list(filter: {
    state?: 'active' | 'closed';
    entityRef?: string;
    limit?: number;
    offset?: number;
  }): Promise<Incident[]> {
    const q = this.db('reliability_incidents')
      .orderBy('declared_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 200)
      .offset(filter.offset ?? 0);
    if (filter.state) q.where('state', filter.state);
    if (filter.entityRef) q.where('entity_ref', filter.entityRef);
    const rows = await q;
    const events = rows.length
      ? await this.db('reliability_incident_events')
          .whereIn(
            'incident_id',
            rows.map(r => r.id),
          )
          .orderBy('at')
          .orderBy('id')
      : [];
    return rows.map(r =>
      toIncident(
        r,
        events.filter(e => Number(e.incident_id) === Number(r.id)),
      ),
    );
  }
}

function toIncident(r: any, events: any[]): Incident {
  const declaredAt = Number(r.declared_at);
  const end = r.resolved_at ?? r.closed_at;
  return {
    id: Number(r.id),
    entityRef: r.entity_ref,
    title: r.title,
    severity: r.severity,
    state: r.state,
    status: r.status,
    roles: JSON.parse(r.roles),
    declaredBy: r.declared_by,
    declaredAt: isoOrNull(declaredAt)!,
    resolvedAt: isoOrNull(r.resolved_at),
    closedAt: isoOrNull(r.closed_at),
    mttrMs: end === null || end === undefined ? null : Number(end) - declaredAt,
    trigger: r.trigger,
    impact: r.impact,
    rootCauses: JSON.parse(r.root_causes),
    actionItems: JSON.parse(r.action_items),
    events: events.map(
      (e): IncidentEvent => ({
        id: Number(e.id),
        at: isoOrNull(e.at)!,
        author: e.author,
        kind: e.kind,
        ...(e.status ? { status: e.status } : {}),
        text: e.text,
      }),
    ),
  };
}
