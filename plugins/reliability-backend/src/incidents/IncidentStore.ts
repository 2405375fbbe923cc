import { Knex } from 'knex';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  actionItemOverdueFrom,
  INCIDENT_CADENCE,
  INCIDENT_MAX_LINKS,
  nextUpdateDueAt,
} from '@reliability-suite/plugin-reliability-common';
import type {
  IncidentLink,
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
    updateCadenceMinutes?: number;
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
          links: '[]',
          update_cadence_min:
            i.updateCadenceMinutes ?? INCIDENT_CADENCE.default,
          last_update_at: i.now,
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
          last_update_at: now,
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

  /** Sets the status-update cadence; the next update falls due from the last one. */
  async setCadence(
    id: number,
    author: string,
    minutes: number,
    now: number,
  ): Promise<Incident> {
    await this.active(id);
    await this.db.transaction(async tx => {
      await tx('reliability_incidents')
        .where('id', id)
        .update({ update_cadence_min: minutes });
      await tx('reliability_incident_events').insert({
        incident_id: id,
        at: now,
        author,
        kind: 'timeline',
        text: `Status updates every ${minutes} min`,
      });
    });
    return (await this.get(id))!;
  }

  /** Adds a link (at most INCIDENT_MAX_LINKS per incident; an URL already held is not added twice). */
  async addLink(id: number, link: IncidentLink): Promise<Incident> {
    await this.db.transaction(async tx => {
      const row = await tx('reliability_incidents')
        .where('id', id)
        .forUpdate()
        .first();
      if (!row) throw new NotFoundError(`No incident ${id}`);
      const links: IncidentLink[] = JSON.parse(row.links ?? '[]');
      if (links.some(l => l.url === link.url)) return;
      if (links.length >= INCIDENT_MAX_LINKS)
        throw new InputError(
          `links: an incident holds at most ${INCIDENT_MAX_LINKS} links`,
        );
      await tx('reliability_incidents')
        .where('id', id)
        .update({ links: JSON.stringify([...links, link]) });
    });
    return (await this.get(id))!;
  }

  /** Removes the link at `index` (0-based, as listed). */
  async removeLink(id: number, index: number): Promise<Incident> {
    await this.db.transaction(async tx => {
      const row = await tx('reliability_incidents')
        .where('id', id)
        .forUpdate()
        .first();
      if (!row) throw new NotFoundError(`No incident ${id}`);
      const links: IncidentLink[] = JSON.parse(row.links ?? '[]');
      if (index >= links.length)
        throw new NotFoundError(`Incident ${id} has no link ${index}`);
      links.splice(index, 1);
      await tx('reliability_incidents')
        .where('id', id)
        .update({ links: JSON.stringify(links) });
    });
    return (await this.get(id))!;
  }

  /**
   * Active, unresolved incidents whose status update is due at `now` (bounded: at most `limit`, oldest due first),
   * each with the due time of the overdue period it is in: last update + k x cadence, k >= 1.
   */
  async overdueUpdates(
    now: number,
    limit = 100,
  ): Promise<
    {
      incident: Incident;
      lastUpdateAt: number;
      firstDueAt: number;
      periodDueAt: number;
      lastNudgedFor: number | null;
    }[]
  > {
    const due = this.db.raw(
      'coalesce(last_update_at, declared_at) + update_cadence_min * 60000',
    );
    const rows = await this.db('reliability_incidents')
      .where('state', 'active')
      .whereNot('status', 'resolved')
      .where(due, '<=', now)
      .orderByRaw(
        'coalesce(last_update_at, declared_at) + update_cadence_min * 60000',
      )
      .orderBy('id')
      .limit(limit);
    return rows.map(r => {
      const last = Number(r.last_update_at ?? r.declared_at);
      const cadenceMs = Number(r.update_cadence_min) * 60_000;
      const k = Math.max(1, Math.floor((now - last) / cadenceMs));
      return {
        incident: toIncident(r, []),
        lastUpdateAt: last,
        firstDueAt: last + cadenceMs,
        periodDueAt: last + k * cadenceMs,
        lastNudgedFor:
          r.update_nudged_for === null || r.update_nudged_for === undefined
            ? null
            : Number(r.update_nudged_for),
      };
    });
  }

  /**
   * Claims the notice for one overdue period: true for exactly one caller (replicas race on the same row), false
   * when that period was already told or the incident was updated meanwhile.
   */
  async claimUpdateNudge(
    id: number,
    periodDueAt: number,
    lastUpdateAt: number,
  ): Promise<boolean> {
    const n = await this.db('reliability_incidents')
      .where('id', id)
      .where('state', 'active')
      .whereRaw('coalesce(last_update_at, declared_at) = ?', [lastUpdateAt])
      .where(q =>
        q
          .whereNull('update_nudged_for')
          .orWhere('update_nudged_for', '<', periodDueAt),
      )
      .update({ update_nudged_for: periodDueAt });
    return n === 1;
  }

  /**
   * Marks the action item at `index` (0-based, as listed) of a closed incident done, or open again, with a timeline
   * entry. An item opened again is not told about a second time.
   */
  async setActionItemDone(
    id: number,
    index: number,
    done: boolean,
    author: string,
    now: number,
  ): Promise<Incident> {
    await this.db.transaction(async tx => {
      const row = await tx('reliability_incidents')
        .where('id', id)
        .forUpdate()
        .first();
      if (!row) throw new NotFoundError(`No incident ${id}`);
      const items: IncidentActionItem[] = JSON.parse(row.action_items);
      if (index >= items.length)
        throw new NotFoundError(
          `Incident ${id} has no action item ${index + 1}`,
        );
      const item = items[index];
      if (Boolean(item.doneAt) === done) return;
      if (done) {
        item.doneAt = new Date(now).toISOString();
        item.doneBy = author;
      } else {
        delete item.doneAt;
        delete item.doneBy;
      }
      await tx('reliability_incidents')
        .where('id', id)
        .update({
          action_items: JSON.stringify(items),
          action_due_at: actionDueAt(items, nudgesOf(row)),
        });
      await tx('reliability_incident_events').insert({
        incident_id: id,
        at: now,
        author,
        kind: 'timeline',
        text: `Action item ${index + 1} ${done ? 'done' : 'open again'}: ${
          item.title
        }`,
      });
    });
    return (await this.get(id))!;
  }

  /**
   * Adds action items to a closed incident's review (a chaos run's unmet expectations), leaving out those whose
   * title it already lists, with a timeline entry; in one locked row update, so replicas adding the same items add
   * them once. Answers how many were added; undefined when there is no such closed incident.
   */
  async addActionItems(
    id: number,
    add: IncidentActionItem[],
    author: string,
    now: number,
  ): Promise<number | undefined> {
    return this.db.transaction(async tx => {
      const row = await tx('reliability_incidents')
        .where('id', id)
        .forUpdate()
        .first();
      if (!row || row.state !== 'closed') return undefined;
      const items: IncidentActionItem[] = JSON.parse(row.action_items);
      const titles = new Set(items.map(i => i.title));
      const fresh = add.filter(i => !titles.has(i.title)).slice(0, 50);
      if (!fresh.length) return 0;
      items.push(...fresh);
      await tx('reliability_incidents')
        .where('id', id)
        .update({
          action_items: JSON.stringify(items),
          action_due_at: actionDueAt(items, nudgesOf(row)),
        });
      await tx('reliability_incident_events').insert({
        incident_id: id,
        at: now,
        author,
        kind: 'timeline',
        text: `${fresh.length} action item${
          fresh.length > 1 ? 's' : ''
        } added: ${fresh.map(i => i.title).join('; ')}`.slice(0, 2_000),
      });
      return fresh.length;
    });
  }

  /** Closed incidents with an action item whose owner is due a notice at `now` (bounded, the earliest due first). */
  async withOverdueActionItems(now: number, limit = 100): Promise<number[]> {
    const rows = await this.db('reliability_incidents')
      .where('state', 'closed')
      .whereNotNull('action_due_at')
      .where('action_due_at', '<=', now)
      .orderBy('action_due_at')
      .orderBy('id')
      .limit(limit)
      .select('id');
    return rows.map(r => Number(r.id));
  }

  /**
   * Claims the overdue, open action items of a closed incident whose owners were not yet told, in one locked row
   * update (replicas racing on the same incident claim each item once); answers the incident and the claimed items.
   */
  async claimOverdueActionItems(
    id: number,
    now: number,
  ): Promise<
    | {
        incident: Incident;
        items: { position: number; item: IncidentActionItem }[];
      }
    | undefined
  > {
    const claimed = await this.db.transaction(async tx => {
      const row = await tx('reliability_incidents')
        .where('id', id)
        .forUpdate()
        .first();
      if (!row || row.state !== 'closed') return undefined;
      const items: IncidentActionItem[] = JSON.parse(row.action_items);
      const nudges = nudgesOf(row);
      const out: { position: number; item: IncidentActionItem }[] = [];
      items.forEach((item, i) => {
        if (
          !item.doneAt &&
          nudges[i] === undefined &&
          now >= actionItemOverdueFrom(item.due)
        ) {
          nudges[i] = now;
          out.push({ position: i + 1, item });
        }
      });
      await tx('reliability_incidents')
        .where('id', id)
        .update({
          action_item_nudges: JSON.stringify(nudges),
          action_due_at: actionDueAt(items, nudges),
        });
      return out;
    });
    if (!claimed) return undefined;
    return { incident: (await this.get(id))!, items: claimed };
  }

  /**
   * Resolved incidents per entity since `since` (epoch ms): how many, and the sum and the longest of their times
   * to resolve; the entities with the most incidents first, paged.
   */
  async mttrByEntity(
    since: number,
    limit: number,
    offset: number,
  ): Promise<
    { entityRef: string; incidents: number; totalMs: number; maxMs: number }[]
  > {
    const rows = await this.db('reliability_incidents')
      .whereNotNull('resolved_at')
      .where('resolved_at', '>=', since)
      .groupBy('entity_ref')
      .select('entity_ref')
      .count({ n: '*' })
      .select(
        this.db.raw('sum(resolved_at - declared_at) as total_ms'),
        this.db.raw('max(resolved_at - declared_at) as max_ms'),
      )
      .orderBy('n', 'desc')
      .orderBy('entity_ref')
      .limit(limit)
      .offset(offset);
    return rows.map((r: any) => ({
      entityRef: r.entity_ref,
      incidents: Number(r.n),
      totalMs: Number(r.total_ms),
      maxMs: Number(r.max_ms),
    }));
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
          action_item_nudges: '{}',
          action_due_at: actionDueAt(pir.actionItems, {}),
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

/** What the follow-up task last told per action item: { "<index>": epoch ms }. */
function nudgesOf(row: any): Record<number, number> {
  return JSON.parse(row.action_item_nudges ?? '{}');
}

/** The earliest time an open action item whose owner was not yet told becomes overdue; null when none is left. */
function actionDueAt(
  items: IncidentActionItem[],
  nudges: Record<number, number>,
): number | null {
  let due: number | null = null;
  items.forEach((item, i) => {
    if (item.doneAt || nudges[i] !== undefined) return;
    const at = actionItemOverdueFrom(item.due);
    if (Number.isFinite(at) && (due === null || at < due)) due = at;
  });
  return due;
}

function toIncident(r: any, events: any[]): Incident {
  const nudges = nudgesOf(r);
  const declaredAt = Number(r.declared_at);
  const end = r.resolved_at ?? r.closed_at;
  const cadence = Number(r.update_cadence_min ?? 30);
  const lastUpdateAt = isoOrNull(Number(r.last_update_at ?? declaredAt))!;
  const open = r.state === 'active' && r.status !== 'resolved';
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
    actionItems: (JSON.parse(r.action_items) as IncidentActionItem[]).map(
      (a, i) =>
        nudges[i] === undefined
          ? a
          : { ...a, notifiedAt: new Date(Number(nudges[i])).toISOString() },
    ),
    links: JSON.parse(r.links ?? '[]'),
    updateCadenceMinutes: cadence,
    lastUpdateAt,
    nextUpdateDueAt: open ? nextUpdateDueAt(lastUpdateAt, cadence) : null,
    updateOverdue:
      open &&
      r.update_nudged_for !== null &&
      r.update_nudged_for !== undefined &&
      Number(r.update_nudged_for) >=
        Number(r.last_update_at ?? declaredAt) + cadence * 60_000,
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
