import { Knex } from 'knex';
import type {
  SloDefinition,
  SloStatus,
} from '@reliability-suite/plugin-reliability-common';
import { DriverRows, isPg, WriteCount } from './rows';

/** A snapshot to store (`json`: the status already serialized, when the caller has it). */
export interface StatusItem {
  sloRef: string;
  status: SloStatus;
  json?: string;
}
/** The stored snapshots of SLOs (chaos' steady state, the commander's board). */
export interface SloStatusReader {
  getStatuses(refs: string[]): Promise<Map<string, SloStatus>>;
}

/** The organisation's overview: its ranked page, the sparklines, and the count of writes its cache is valid for. */
export interface SloOverviewReader {
  readonly writes: number;
  overview: SloStatusStore['overview'];
  dailyBudgets: SloStatusStore['dailyBudgets'];
}

/**
 * The evaluation's results (knex: SQLite and PostgreSQL): each SLO's latest status snapshot (`reliability_status`),
 * one budget reading per SLO and day for the overview's sparklines (`reliability_budget_daily`), and the marker of
 * the last evaluation tick (`reliability_tick_marker`). The overview's page ranks the snapshots and reads the
 * registry's rows (`reliability_slos`) beside them.
 */
export class SloStatusStore implements SloStatusReader, SloOverviewReader {
  private readonly rows: DriverRows;

  constructor(
    private readonly db: Knex,
    private readonly writeCount: WriteCount,
  ) {
    this.rows = new DriverRows(db);
  }

  /**
   * How many times this process changed the registry, the statuses, the component facts or the time slices: a read
   * cache kept beside this store (the overview's pages) is valid while it stays the same. Writes of other replicas
   * are not counted; such caches also expire after a few seconds.
   */
  get writes(): number {
    return this.writeCount.value;
  }

  /** Stores snapshots (`json`: the status already serialized, when the caller has it). */
  async saveStatuses(items: StatusItem[]): Promise<void> {
    let given = false;
    await this.saveStatusChunks(() =>
      given ? undefined : ((given = true), items),
    );
  }

  /**
   * Stores snapshots in one transaction, a chunk at a time as `next` makes them (undefined: no more). On PostgreSQL
   * each chunk's upsert is sent as soon as it is made, and the next chunk is made while the server writes it: the
   * serializing of a tick's statuses and their writing overlap.
   */
  async saveStatusChunks(
    next: () => StatusItem[] | undefined,
  ): Promise<number> {
    const pg = isPg(this.db);
    const upsert = `INSERT INTO reliability_status (slo_ref, state, evaluated_at, status, budget_remaining)`;
    const merge = `ON CONFLICT (slo_ref) DO UPDATE SET state = excluded.state, evaluated_at = excluded.evaluated_at, status = excluded.status, budget_remaining = excluded.budget_remaining`;
    // a tick's statuses share their instant: each distinct text is parsed once
    let lastText = '';
    let lastAt = NaN;
    const instant = (text: string) => {
      if (text !== lastText) {
        lastText = text;
        lastAt = Date.parse(text);
      }
      return lastAt;
    };
    const statusRows = (items: StatusItem[]) =>
      items.map(i => ({
        slo_ref: i.sloRef,
        state: i.status.state,
        evaluated_at: instant(i.status.evaluatedAt),
        status: i.json ?? JSON.stringify(i.status),
        budget_remaining: Number.isFinite(i.status.budgetRemaining)
          ? i.status.budgetRemaining
          : null,
      }));
    type Row = ReturnType<typeof statusRows>[number];
    // the overview's sparklines: one reading per SLO and day. Each SLO's is rewritten once an hour, at a minute of the
    // hour of its own (so that no tick rewrites them all), and at once when it appears, gains or loses a budget, or its
    // budget moved by five points (an incident shows within the minute)
    const now = Date.now();
    const daily: Row[] = [];
    const dueDaily = (rows: Row[]) => {
      for (const r of rows) {
        const last = this.dailyWritten.get(r.slo_ref);
        if (
          last === undefined ||
          now >= last.due ||
          (last.budget === null) !== (r.budget_remaining === null) ||
          Math.abs((last.budget ?? 0) - (r.budget_remaining ?? 0)) >= 0.05
        )
          daily.push(r);
      }
    };
    // the first chunk with something in it: nothing to write, and no transaction is opened
    let first = next();
    while (first && !first.length) first = next();
    if (!first) return 0;
    this.writeCount.bump();
    const chunks = () => {
      const given = first;
      first = undefined;
      return given ?? next();
    };
    let written = 0;
    if (!pg) {
      // SQLite: one prepared upsert run per snapshot, in a transaction per chunk (each a few milliseconds of the event
      // loop), then the sparklines
      for (let items = chunks(); items; items = chunks()) {
        if (!items.length) continue;
        const rows = statusRows(items);
        written += rows.length;
        dueDaily(rows);
        await this.rows.runEach(
          `${upsert} VALUES (?, ?, ?, ?, ?) ${merge}`,
          rows.map(r => [
            r.slo_ref,
            r.state,
            r.evaluated_at,
            r.status,
            r.budget_remaining,
          ]),
          2_000,
        );
      }
    }
    if (!pg && !daily.length) return written;
    await this.db.transaction(async tx => {
      if (pg) {
        // PostgreSQL: the snapshots in multi-row upserts, one per chunk. The next tick writes them again, so the
        // commit need not wait for the WAL flush
        await tx.raw('SET LOCAL synchronous_commit TO OFF');
        let sent: Promise<unknown> = Promise.resolve();
        const failures: unknown[] = [];
        const keep = (e: unknown) => {
          failures.push(e);
        };
        for (let items = chunks(); items; items = chunks()) {
          if (!items.length) continue;
          const rows = statusRows(items);
          written += rows.length;
          dueDaily(rows);
          const query = rows.every(
            r => !r.slo_ref.includes('\n') && !r.status.includes('\n'),
          )
            ? // each column as one text split by the server: half the time of a JSON document of rows, and no
              // escaping on this side (a status is JSON text, which has no raw line break; refs have none either)
              tx.raw(
                `${upsert} SELECT * FROM unnest(string_to_array(?, E'\\n'), string_to_array(?, ','), string_to_array(?, ',')::bigint[], string_to_array(?, E'\\n'), string_to_array(?, ',', '')::float8[]) ${merge}`,
                [
                  rows.map(r => r.slo_ref).join('\n'),
                  rows.map(r => r.state).join(','),
                  rows.map(r => r.evaluated_at).join(','),
                  rows.map(r => r.status).join('\n'),
                  rows.map(r => r.budget_remaining ?? '').join(','),
                ],
              )
            : tx.raw(
                `${upsert} SELECT x->>0, x->>1, (x->>2)::bigint, x->>3, (x->>4)::float8 FROM json_array_elements(?::json) AS x ${merge}`,
                [
                  JSON.stringify(
                    rows.map(r => [
                      r.slo_ref,
                      r.state,
                      r.evaluated_at,
                      r.status,
                      r.budget_remaining,
                    ]),
                  ),
                ],
              );
          // sent as soon as the one before is done (one query at a time on the transaction's connection; none after a
          // failure, which is kept for below), and written by the server while the next chunk is made
          sent = sent
            .then(() => (failures.length ? undefined : query))
            .catch(keep);
          await new Promise(resolve => setImmediate(resolve));
        }
        await sent;
        if (failures.length) throw failures[0];
      }
      const size = pg ? 5_000 : 190; // SQLite binds at most 999 parameters
      for (let i = 0; i < daily.length; i += size) {
        const part = daily.slice(i, i + size).map(r => ({
          slo_ref: r.slo_ref,
          day: Math.floor(r.evaluated_at / 86_400_000) * 86_400_000,
          budget_remaining: r.budget_remaining,
        }));
        await tx('reliability_budget_daily')
          .insert(part)
          .onConflict(['slo_ref', 'day'])
          .merge(['budget_remaining']);
      }
    });
    // due again at the SLO's own minute in the next hour: a minute from its ref's hash
    for (const r of daily) {
      const slot = (refHash(r.slo_ref) % 60) * 60_000;
      const hourStart = Math.floor(now / 3_600_000) * 3_600_000;
      this.dailyWritten.set(r.slo_ref, {
        budget: r.budget_remaining,
        due: hourStart + 3_600_000 + slot,
      });
    }
    if (now - this.dailyPrunedAt > 3_600_000) {
      // every evaluated SLO comes by at least every five minutes: one not due for two hours is gone
      for (const [ref, w] of this.dailyWritten)
        if (w.due < now - 7_200_000) this.dailyWritten.delete(ref);
      this.dailyPrunedAt = now;
    }
    return written;
  }

  private dailyPrunedAt = 0;

  /** Each SLO's last sparkline reading written, and when it is due again. */
  private readonly dailyWritten = new Map<
    string,
    { budget: number | null; due: number }
  >();

  /**
   * One page of the organisation's SLOs ranked by budget left (least first, never-evaluated last), with their
   * component's owner, system and lifecycle; filtered on those. One query.
   */
  async overview(q: {
    owner?: string;
    system?: string;
    lifecycle?: string;
    limit: number;
    offset: number;
  }): Promise<
    {
      ref: string;
      entityRef: string;
      def: SloDefinition;
      owner: string | null;
      system: string | null;
      lifecycle: string | null;
      status: SloStatus | null;
    }[]
  > {
    // rank the evaluated SLOs by budget (least first: a sort, there is no budget index, so that the tick rewrites its
    // snapshots in place), then the never-evaluated ones by name; then
    // read the page's documents
    const filtered = (qb: Knex.QueryBuilder) => {
      if (q.owner) qb.where('sl.owner', q.owner);
      if (q.system) qb.where('sl.system', q.system);
      if (q.lifecycle) qb.where('sl.lifecycle', q.lifecycle);
      return qb;
    };
    const evaluated = filtered(
      this.db('reliability_status as st')
        .join('reliability_slos as sl', 'sl.ref', 'st.slo_ref')
        .whereNotNull('st.budget_remaining')
        .select('st.slo_ref as ref'),
    );
    const refsFound: string[] = (
      await evaluated
        .clone()
        .orderBy([{ column: 'st.budget_remaining' }, { column: 'st.slo_ref' }])
        .limit(q.limit)
        .offset(q.offset)
    ).map((r: { ref: string }) => r.ref);
    if (refsFound.length < q.limit) {
      const before = refsFound.length
        ? q.offset + refsFound.length
        : Number(
            (await evaluated.clone().clearSelect().count({ n: '*' }))[0].n,
          );
      const rest = filtered(
        this.db('reliability_slos as sl')
          .leftJoin('reliability_status as st', 'st.slo_ref', 'sl.ref')
          .whereNull('st.budget_remaining')
          .select('sl.ref'),
      )
        .orderBy('sl.ref')
        .limit(q.limit - refsFound.length)
        .offset(Math.max(0, q.offset - before));
      refsFound.push(...(await rest).map((r: { ref: string }) => r.ref));
    }
    const ranked = refsFound.map(ref => ({ ref }));
    const refs = ranked.map(r => r.ref);
    if (!refs.length) return [];
    const found = await this.db('reliability_slos as sl')
      .leftJoin('reliability_status as st', 'st.slo_ref', 'sl.ref')
      .whereIn('sl.ref', refs)
      .select(
        'sl.ref',
        'sl.entity_ref',
        'sl.definition',
        'sl.owner',
        'sl.system',
        'sl.lifecycle',
        'st.status',
      );
    const byRef = new Map(found.map(r => [r.ref, r]));
    const rows = refs.map(r => byRef.get(r)!).filter(Boolean);
    return rows.map(r => ({
      ref: r.ref,
      entityRef: r.entity_ref,
      def: JSON.parse(r.definition),
      owner: r.owner ?? null,
      system: r.system ?? null,
      lifecycle: r.lifecycle ?? null,
      status: r.status ? JSON.parse(r.status) : null,
    }));
  }

  /** The daily budget readings of these SLOs since `from`, oldest first. */
  async dailyBudgets(
    refs: string[],
    from: number,
  ): Promise<Map<string, { day: number; budgetRemaining: number | null }[]>> {
    const out = new Map<
      string,
      { day: number; budgetRemaining: number | null }[]
    >();
    for (let i = 0; i < refs.length; i += 500) {
      const rows = await this.db('reliability_budget_daily')
        .whereIn('slo_ref', refs.slice(i, i + 500))
        .where('day', '>=', from)
        .orderBy('day');
      for (const r of rows) {
        const list = out.get(r.slo_ref) ?? [];
        list.push({
          day: Number(r.day),
          budgetRemaining:
            r.budget_remaining === null ? null : Number(r.budget_remaining),
        });
        out.set(r.slo_ref, list);
      }
    }
    return out;
  }

  async getStatuses(refs: string[]): Promise<Map<string, SloStatus>> {
    const out = new Map<string, SloStatus>();
    for (let i = 0; i < refs.length; i += 500) {
      const rows = await this.db('reliability_status')
        .whereIn('slo_ref', refs.slice(i, i + 500))
        .select('slo_ref', 'status');
      for (const r of rows) out.set(r.slo_ref, JSON.parse(r.status));
    }
    return out;
  }

  /** The process that ran the last evaluation tick, and that tick's token (undefined before any tick). */
  async tickMarker(): Promise<{ owner: string; token: string } | undefined> {
    const row = await this.db('reliability_tick_marker')
      .where('id', 1)
      .first('owner', 'token');
    return row ? { owner: row.owner, token: row.token } : undefined;
  }

  async setTickMarker(owner: string, token: string, at: number): Promise<void> {
    await this.db('reliability_tick_marker')
      .insert({ id: 1, owner, token, at })
      .onConflict('id')
      .merge();
  }

  /** Forgets the rows of SLOs the registry removes, inside its transaction. */
  async forgetIn(tx: Knex.Transaction, refs: string[]): Promise<void> {
    await tx('reliability_status').whereIn('slo_ref', refs).delete();
  }
}

/** A small, stable hash of a text (FNV-1a, 32 bits). */
function refHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
