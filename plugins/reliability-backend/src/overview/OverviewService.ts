import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { decodeCursor, encodeCursor, OverviewResponse, overviewQuerySchema, OverviewRow, overviewToCsv } from '@internal/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { callerName } from '../catalog/entityAccess';
import { ReliabilityStore } from '../slos/ReliabilityStore';

const DAY = 86_400_000;
/** The most rows an export writes. */
const MAX_EXPORT = 20_000;

export interface OverviewServiceOptions {
  store: ReliabilityStore;
  access: CatalogAccess;
  /** The launch-freeze gate's threshold (reliability.gate.minBudgetRemaining). */
  gateThreshold: number;
  now?: () => number;
}

/**
 * The organisation's SLOs ranked by budget left, from the stored snapshots: one ranked query per page, one query for
 * the page's sparklines, one visibility check for the page's components.
 */
export class OverviewService {
  /** Which components a caller may see, for a few seconds: the overview is read often, and the catalog is asked once. */
  private readonly seen = new Map<string, { at: number; visible: Map<string, boolean> }>();

  constructor(private readonly o: OverviewServiceOptions) {}

  private async visibleOf(refs: string[], credentials: BackstageCredentials): Promise<(ref: string) => boolean> {
    const who = callerName(credentials);
    const now = Date.now();
    let entry = this.seen.get(who);
    if (!entry || now - entry.at > 15_000) {
      entry = { at: now, visible: new Map() };
      this.seen.set(who, entry);
      // bounded: the oldest callers go first
      if (this.seen.size > 1_000) this.seen.delete(this.seen.keys().next().value!);
    }
    const unknown = refs.filter(r => !entry!.visible.has(r));
    if (unknown.length) {
      const check = await this.o.access.filter(unknown, credentials);
      for (const r of unknown) entry.visible.set(r, check(r));
    }
    const known = entry.visible;
    return ref => known.get(ref) === true;
  }

  private async rows(query: z.infer<typeof overviewQuerySchema>, limit: number, offset: number, credentials: BackstageCredentials): Promise<{ rows: OverviewRow[]; fetched: number }> {
    const page = await this.o.store.overview({ owner: query.owner, system: query.system, lifecycle: query.lifecycle, limit, offset });
    const visible = await this.visibleOf([...new Set(page.map(p => p.def.componentRef))], credentials);
    const shown = page.filter(p => visible(p.def.componentRef));
    const now = (this.o.now ?? Date.now)();
    const daily = await this.o.store.dailyBudgets(shown.map(p => p.ref), Math.floor(now / DAY) * DAY - 29 * DAY);
    return {
      fetched: page.length,
      rows: shown.map(p => {
        const budget = p.status?.budgetRemaining ?? null;
        return {
          ref: p.ref,
          entityRef: p.entityRef,
          title: p.def.title,
          componentRef: p.def.componentRef,
          owner: p.owner,
          system: p.system,
          lifecycle: p.lifecycle,
          objective: p.def.target,
          state: p.status?.state ?? 'no_data',
          budgetRemaining: budget,
          firing: (p.status?.firing ?? []).map(f => f.id),
          frozen: budget !== null && budget < this.o.gateThreshold,
          sparkline: daily.get(p.ref) ?? [],
        };
      }),
    };
  }

  async list(query: z.infer<typeof overviewQuerySchema>, credentials: BackstageCredentials): Promise<OverviewResponse> {
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 50;
    const { rows, fetched } = await this.rows(query, limit, offset, credentials);
    return { items: rows, gateThreshold: this.o.gateThreshold, ...(fetched === limit ? { nextCursor: encodeCursor(offset + limit) } : {}) };
  }

  /** The whole ranked list (as filtered) as CSV. */
  async export(query: z.infer<typeof overviewQuerySchema>, credentials: BackstageCredentials): Promise<string> {
    const out: OverviewRow[] = [];
    for (let offset = 0; offset < MAX_EXPORT; offset += 1_000) {
      const { rows, fetched } = await this.rows(query, 1_000, offset, credentials);
      out.push(...rows);
      if (fetched < 1_000) break;
    }
    return overviewToCsv(out);
  }
}
