import { Knex } from 'knex';
import type { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { shardHash } from '@reliability-suite/plugin-reliability-common';
import { WriteCount } from './rows';

/** A store with rows per SLO, which forgets an SLO's rows when the registry removes it (in the registry's transaction). */
export interface SloRowsOwner {
  forgetIn(tx: Knex.Transaction, refs: string[]): Promise<void>;
}

/**
 * The registry of the catalog's SLOs, `reliability_slos` (knex: SQLite and PostgreSQL): each SLO's definition, the
 * hash of the document it was parsed from, its stored summary, and its component's facts for the overview's filters.
 * The SLO listing reads each SLO's status snapshot beside its row (`summaryRows`).
 */
export class SloRegistryStore {
  constructor(
    private readonly db: Knex,
    private readonly writes: WriteCount,
    /** The stores that forget an SLO's rows when it leaves the registry (its status, late counts and slice tallies). */
    private readonly owners: SloRowsOwner[],
  ) {}

  /** The registry's SLO refs and the hash of the document each was parsed from. */
  async registryHashes(): Promise<Map<string, string | null>> {
    const rows = await this.db('reliability_slos').select('ref', 'doc_hash');
    return new Map(
      rows.map(r => [r.ref as string, (r.doc_hash as string | null) ?? null]),
    );
  }

  /**
   * Brings the registry in step with the catalog in one transaction: writes the changed definitions and removes
   * the SLOs the catalog no longer holds (with their status and late counts).
   */
  async syncSlos(
    change: {
      upserts: {
        def: SloDefinition;
        entityRef: string;
        docHash: string;
        summary?: string;
      }[];
      remove: string[];
    },
    now = Date.now(),
  ): Promise<void> {
    this.writes.bump();
    await this.db.transaction(async tx => {
      const rows = change.upserts.map(
        ({ def, entityRef, docHash, summary }) => ({
          ref: def.ref,
          shard_hash: shardHash(def.ref),
          entity_ref: entityRef,
          component_ref: def.componentRef,
          definition: JSON.stringify(def),
          doc_hash: docHash,
          summary: summary ?? null,
          updated_at: now,
        }),
      );
      for (let i = 0; i < rows.length; i += 200) {
        await tx('reliability_slos')
          .insert(rows.slice(i, i + 200))
          .onConflict('ref')
          .merge();
      }
      for (let i = 0; i < change.remove.length; i += 500) {
        const part = change.remove.slice(i, i + 500);
        await tx('reliability_slos').whereIn('ref', part).delete();
        for (const owner of this.owners) await owner.forgetIn(tx, part);
      }
    });
  }

  async listSlos(filter?: {
    componentRef?: string;
    refs?: string[];
    entityRef?: string;
  }): Promise<{ def: SloDefinition; entityRef: string }[]> {
    const q = this.db('reliability_slos')
      .select('entity_ref', 'definition')
      .orderBy('ref');
    if (filter?.componentRef) q.where('component_ref', filter.componentRef);
    if (filter?.entityRef) q.where('entity_ref', filter.entityRef);
    if (filter?.refs) q.whereIn('ref', filter.refs);
    const rows = await q;
    return rows.map(r => ({
      def: JSON.parse(r.definition),
      entityRef: r.entity_ref,
    }));
  }

  /**
   * The SLOs' stored summaries with their status snapshots, as stored texts (nothing parsed), by ref: one query.
   * `definition` only for a row without a summary (registered before summaries were stored).
   */
  async summaryRows(filter: {
    componentRef?: string;
    entityRef?: string;
    ref?: string;
    refs?: string[];
  }): Promise<
    {
      ref: string;
      entityRef: string;
      summary: string | null;
      definition: string | null;
      status: string | null;
    }[]
  > {
    const q = this.db('reliability_slos as sl')
      .leftJoin('reliability_status as st', 'st.slo_ref', 'sl.ref')
      .select(
        'sl.ref',
        'sl.entity_ref',
        'sl.summary',
        this.db.raw(
          'CASE WHEN sl.summary IS NULL THEN sl.definition END AS definition',
        ),
        'st.status',
      )
      .orderBy('sl.ref');
    if (filter.componentRef) q.where('sl.component_ref', filter.componentRef);
    if (filter.entityRef) q.where('sl.entity_ref', filter.entityRef);
    if (filter.ref) q.where('sl.ref', filter.ref);
    if (filter.refs) q.whereIn('sl.ref', filter.refs);
    return (await q).map((r: any) => ({
      ref: r.ref,
      entityRef: r.entity_ref,
      summary: r.summary ?? null,
      definition: r.definition ?? null,
      status: r.status ?? null,
    }));
  }

  /** Every registered SLO's ref and entity, by ref (for a listing of the whole registry, paged after visibility). */
  async registryRefs(): Promise<{ ref: string; entityRef: string }[]> {
    return (
      await this.db('reliability_slos')
        .select('ref', 'entity_ref')
        .orderBy('ref')
    ).map(r => ({ ref: r.ref, entityRef: r.entity_ref }));
  }

  async getSlo(
    ref: string,
  ): Promise<{ def: SloDefinition; entityRef: string } | undefined> {
    const [found] = await this.listSlos({ refs: [ref] });
    return found;
  }

  /** The component facts of the overview's filters, for SLOs of these components (written only where they changed). */
  async setComponentFacts(
    facts: {
      componentRef: string;
      owner: string | null;
      system: string | null;
      lifecycle: string | null;
    }[],
  ): Promise<void> {
    if (!facts.length) return;
    this.writes.bump();
    const current = await this.db('reliability_slos').distinct(
      'component_ref',
      'owner',
      'system',
      'lifecycle',
    );
    const known = new Map(
      current.map(r => [
        r.component_ref,
        `${r.owner}|${r.system}|${r.lifecycle}`,
      ]),
    );
    for (const f of facts) {
      if (known.get(f.componentRef) === `${f.owner}|${f.system}|${f.lifecycle}`)
        continue;
      await this.db('reliability_slos')
        .where('component_ref', f.componentRef)
        .update({ owner: f.owner, system: f.system, lifecycle: f.lifecycle });
    }
  }
}
