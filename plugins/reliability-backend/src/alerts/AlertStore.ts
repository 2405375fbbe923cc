import { Knex } from 'knex';
import { insertedId, isoOrNull as iso } from '../database/rows';
import type { FiredAlert, ResolvedAlert } from '../events/ReliabilityEvents';
import type { ActiveCondition, SloAlertStates } from '../slos';

/** A stored alert. */
export interface AlertRow {
  id: number;
  sloRef: string;
  rule: string;
  severity: string;
  state: 'pending' | 'firing' | 'resolved';
  startedAt: string;
  firedAt: string | null;
  resolvedAt: string | null;
  details: Record<string, unknown> | null;
}

/**
 * Alert lifecycle. Each evaluation passes the conditions that hold for the evaluated SLOs:
 * a new condition opens a pending alert; one that has held for `pendingMs` fires; an open alert whose condition
 * no longer holds resolves (a pending one that never fired is resolved without having fired).
 */
export class AlertStore implements SloAlertStates {
  private resolvedListener?: (alerts: ResolvedAlert[]) => Promise<void>;

  constructor(private readonly db: Knex) {}

  /**
   * Hears of the alerts that had fired and resolved in an evaluation, once its writes are committed and before
   * `apply` answers (the alerts feature publishes them as AlertResolved).
   */
  onResolved(listener: (alerts: ResolvedAlert[]) => Promise<void>): void {
    this.resolvedListener = listener;
  }

  /** Answers the alerts that started firing in this evaluation (the triggers for remediation). */
  async apply(
    evaluatedSlos: string[],
    active: ActiveCondition[],
    now: number,
    pendingMs: number,
  ): Promise<FiredAlert[]> {
    const activeKeys = new Map(
      active.map(a => [`${a.sloRef}\u0000${a.rule}`, a]),
    );
    const fired: FiredAlert[] = [];
    const resolved: ResolvedAlert[] = [];
    await this.db.transaction(async tx => {
      const open = evaluatedSlos.length
        ? await chunked(evaluatedSlos, refs =>
            tx('reliability_alerts')
              .whereIn('slo_ref', refs)
              .whereNot('state', 'resolved')
              .select('*'),
          )
        : [];
      const openKeys = new Set<string>();
      for (const row of open) {
        const key = `${row.slo_ref}\u0000${row.rule}`;
        openKeys.add(key);
        const cond = activeKeys.get(key);
        if (!cond) {
          await tx('reliability_alerts').where('id', row.id).update({
            state: 'resolved',
            resolved_at: now,
            open_key: null,
            last_seen_at: now,
          });
          if (row.state === 'firing')
            resolved.push({
              id: Number(row.id),
              sloRef: row.slo_ref,
              rule: row.rule,
              severity: row.severity,
              at: now,
            });
        } else {
          const fire =
            row.state === 'pending' &&
            now - Number(row.started_at) >= (cond.pendingMs ?? pendingMs);
          await tx('reliability_alerts')
            .where('id', row.id)
            .update({
              last_seen_at: now,
              details: JSON.stringify(cond.details),
              ...(fire ? { state: 'firing', fired_at: now } : {}),
            });
          if (fire)
            fired.push({
              id: Number(row.id),
              sloRef: cond.sloRef,
              rule: cond.rule,
              severity: cond.severity,
              details: cond.details,
            });
        }
      }
      for (const [key, cond] of activeKeys) {
        if (openKeys.has(key)) continue;
        const firing = (cond.pendingMs ?? pendingMs) <= 0;
        const inserted = await tx('reliability_alerts')
          .insert({
            slo_ref: cond.sloRef,
            rule: cond.rule,
            severity: cond.severity,
            state: firing ? 'firing' : 'pending',
            open_key: key.replace('\u0000', '|'),
            started_at: now,
            fired_at: firing ? now : null,
            last_seen_at: now,
            details: JSON.stringify(cond.details),
          })
          .onConflict('open_key')
          .ignore()
          .returning('id');
        const id = insertedId(inserted);
        if (firing && id !== undefined) {
          fired.push({
            id,
            sloRef: cond.sloRef,
            rule: cond.rule,
            severity: cond.severity,
            details: cond.details,
          });
        }
      }
    });
    if (resolved.length && this.resolvedListener)
      await this.resolvedListener(resolved);
    return fired;
  }

  async list(filter: {
    sloRefs?: string[];
    states?: string[];
    limit?: number;
    offset?: number;
  }): Promise<AlertRow[]> {
    const q = this.db('reliability_alerts')
      .select('*')
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 200)
      .offset(filter.offset ?? 0);
    if (filter.sloRefs) q.whereIn('slo_ref', filter.sloRefs);
    if (filter.states) q.whereIn('state', filter.states);
    const rows = await q;
    return rows.map(r => ({
      id: Number(r.id),
      sloRef: r.slo_ref,
      rule: r.rule,
      severity: r.severity,
      state: r.state,
      startedAt: iso(r.started_at)!,
      firedAt: iso(r.fired_at),
      resolvedAt: iso(r.resolved_at),
      details: r.details ? JSON.parse(r.details) : null,
    }));
  }
}

async function chunked<T>(
  items: string[],
  fn: (part: string[]) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < items.length; i += 500)
    out.push(...(await fn(items.slice(i, i + 500))));
  return out;
}
