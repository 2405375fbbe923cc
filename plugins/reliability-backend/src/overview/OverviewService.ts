import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  decodeCursor,
  encodeCursor,
  OverviewResponse,
  overviewQuerySchema,
  OverviewRow,
  overviewToCsv,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import type { SloOverviewReader } from '../slos';

const DAY = 86_400_000;
/** The most rows an export writes. */
const MAX_EXPORT = 20_000;
/** How long a ranked page is reused when this process has not written since (another replica's writes show after this). */
const PAGE_TTL_MS = 5_000;
/** Ranked pages kept (filters x offsets); the oldest go first. */
const MAX_PAGES = 500;

export interface OverviewServiceOptions {
  store: SloOverviewReader;
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

  /**
   * Ranked pages as built from the snapshots (before the caller's visibility), by filters and offset: the snapshots
   * change once per evaluation tick, so a page is read and parsed once per tick, not once per request.
   */
  private readonly pages = new Map<
    string,
    { at: number; writes: number; rows: OverviewRow[]; fetched: number }
  >();

  constructor(private readonly o: OverviewServiceOptions) {}

  private async page(
    query: z.infer<typeof overviewQuerySchema>,
    limit: number,
    offset: number,
  ): Promise<{ rows: OverviewRow[]; fetched: number }> {
    const key = JSON.stringify([
      query.owner ?? '',
      query.system ?? '',
      query.lifecycle ?? '',
      limit,
      offset,
    ]);
    const now = (this.o.now ?? Date.now)();
    const writes = this.o.store.writes;
    const hit = this.pages.get(key);
    if (hit && hit.writes === writes && now - hit.at < PAGE_TTL_MS) return hit;
    const page = await this.o.store.overview({
      owner: query.owner,
      system: query.system,
      lifecycle: query.lifecycle,
      limit,
      offset,
    });
    const daily = await this.o.store.dailyBudgets(
      page.map(p => p.ref),
      Math.floor(now / DAY) * DAY - 29 * DAY,
    );
    const rows = page.map((p): OverviewRow => {
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
    });
    const entry = { at: now, writes, rows, fetched: page.length };
    this.pages.delete(key);
    this.pages.set(key, entry);
    if (this.pages.size > MAX_PAGES)
      this.pages.delete(this.pages.keys().next().value!);
    return entry;
  }

  private async rows(
    query: z.infer<typeof overviewQuerySchema>,
    limit: number,
    offset: number,
    credentials: BackstageCredentials,
  ): Promise<{ rows: OverviewRow[]; fetched: number }> {
    const { rows, fetched } = await this.page(query, limit, offset);
    const visible = await this.o.access.visibleRecently(
      [...new Set(rows.map(r => r.componentRef))],
      credentials,
    );
    return {
      fetched,
      rows: rows.filter(r => !r.componentRef || visible(r.componentRef)),
    };
  }

  async list(
    query: z.infer<typeof overviewQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<OverviewResponse> {
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 50;
    const { rows, fetched } = await this.rows(
      query,
      limit,
      offset,
      credentials,
    );
    return {
      items: rows,
      gateThreshold: this.o.gateThreshold,
      ...(fetched === limit
        ? { nextCursor: encodeCursor(offset + limit) }
        : {}),
    };
  }

  /** The whole ranked list (as filtered) as CSV. */
  async export(
    query: z.infer<typeof overviewQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<string> {
    const out: OverviewRow[] = [];
    for (let offset = 0; offset < MAX_EXPORT; offset += 1_000) {
      const { rows, fetched } = await this.rows(
        query,
        1_000,
        offset,
        credentials,
      );
      out.push(...rows);
      if (fetched < 1_000) break;
    }
    return overviewToCsv(out);
  }
}
