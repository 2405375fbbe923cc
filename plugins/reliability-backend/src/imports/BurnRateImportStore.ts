import { Knex } from 'knex';
import { MwmbRule } from '@reliability-suite/plugin-reliability-common';

const TABLE = 'reliability_burn_rate_imports';

/** The imported burn-rate registry: rules per slo_id. Keeps its table to itself. */
export class BurnRateImportStore {
  constructor(private readonly knex: Knex) {}

  /** Every imported slo_id's rules (the registry holds at most 10,000 rows). */
  async all(): Promise<Map<string, MwmbRule[]>> {
    const rows: { slo_id: string; rules: string }[] = await this.knex(TABLE)
      .select('slo_id', 'rules')
      .orderBy('slo_id')
      .limit(10_000);
    return new Map(
      rows.map(r => [r.slo_id, JSON.parse(r.rules) as MwmbRule[]]),
    );
  }

  /** Replaces the rules of the slo_ids given, in one transaction; the others keep theirs. */
  async replace(
    rules: ReadonlyMap<string, MwmbRule[]>,
    by: string,
    now: number,
  ): Promise<void> {
    await this.knex.transaction(async tx => {
      const rows = [...rules].map(([sloId, list]) => ({
        slo_id: sloId,
        rules: JSON.stringify(list),
        imported_by: by,
        imported_at: now,
      }));
      for (let i = 0; i < rows.length; i += 200) {
        await tx(TABLE)
          .insert(rows.slice(i, i + 200))
          .onConflict('slo_id')
          .merge(['rules', 'imported_by', 'imported_at']);
      }
    });
  }
}
