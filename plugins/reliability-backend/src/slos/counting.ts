import type {
  SloCorrection,
  SloDefinition,
  RecurrenceCache,
  TimeRange,
} from '@reliability-suite/plugin-reliability-common';
import {
  compositeParentRef,
  excludedRanges,
  subtractRanges,
} from '@reliability-suite/plugin-reliability-common';
import type {
  SliCountRequest,
  SliCountResult,
  SliSource,
} from '@reliability-suite/plugin-reliability-node';

export const MIN = 60_000;
export const finite = (n: number | null) =>
  n === null || !Number.isFinite(n) ? null : n;

/** The SLOs to count: every standard SLO, and each objective of every composite SLO in its place. */
export function flattenComposites(slos: SloDefinition[]): SloDefinition[] {
  return slos.flatMap(s =>
    s.composite ? s.composite.objectives.map(o => o.def) : [s],
  );
}

/** Picks the source serving an SLO's metricSource.type. */
export class SliSourceRegistry {
  private readonly sources: SliSource[] = [];

  add(source: SliSource) {
    this.sources.push(source);
    this.byType.clear();
  }

  forSlo(slo: SloDefinition): SliSource | undefined {
    const given = slo.indicator.sourceType ?? '';
    if (!this.byType.has(given)) {
      const type = given.toLocaleLowerCase('en-US');
      this.byType.set(
        given,
        this.sources.find(s =>
          s.types.some(t => t.toLocaleLowerCase('en-US') === type),
        ),
      );
    }
    return this.byType.get(given);
  }

  /** Each metricSource.type given, and the source serving it (a tick asks once per SLO). */
  private readonly byType = new Map<string, SliSource | undefined>();
}

/** The budget corrections in force, as the evaluation and the reads ask for them (corrections/ answers). */
export interface ActiveCorrections {
  active(sloRefs: string[]): Promise<Map<string, SloCorrection[]>>;
}

/**
 * Counting SLOs' windows without their budget corrections: the excluded ranges of the corrections in force, and the
 * counts of intervals around them. Shared by the evaluation tick (Evaluator) and the reads (SloReads); it writes
 * nothing.
 */
export class CorrectedCounts {
  constructor(private readonly corrections?: ActiveCorrections) {}

  /** Recurring corrections' windows, expanded a day ahead. */
  private readonly recurrences: RecurrenceCache = new Map();

  /** The excluded ranges (budget corrections in force) of these SLOs within [from, to): one query. */
  async exclusions(
    slos: SloDefinition[],
    from: number,
    to: number,
  ): Promise<Map<string, TimeRange[]>> {
    const out = new Map<string, TimeRange[]>();
    if (!this.corrections || slos.length === 0) return out;
    // a composite SLO's corrections apply to each of its objectives
    const parentOf = (ref: string) => compositeParentRef(ref) ?? ref;
    const active = await this.corrections.active([
      ...new Set(slos.map(s => parentOf(s.ref))),
    ]);
    for (const slo of slos) {
      const list = active.get(parentOf(slo.ref));
      if (!list) continue;
      const ranges = excludedRanges(list, from, to, this.recurrences);
      if (ranges.length) out.set(slo.ref, ranges);
    }
    return out;
  }

  /**
   * Counts of every interval of every request, without each SLO's excluded ranges: the intervals are cut into the
   * pieces outside them, asked of the source in the same batch, and summed back.
   */
  async countExcluding(
    source: SliSource,
    requests: SliCountRequest[],
    exclusions: Map<string, TimeRange[]>,
  ): Promise<Map<string, SliCountResult>> {
    if (!requests.some(r => exclusions.has(r.slo.ref)))
      return source.countWindows(requests);
    const pieces = new Map<string, number[][]>();
    const asked = requests.map(r => {
      const excluded = exclusions.get(r.slo.ref);
      if (!excluded) return r;
      const flat: { start: number; end: number }[] = [];
      const map: number[][] = r.intervals.map(i =>
        subtractRanges(i, excluded).map(p => {
          flat.push(p);
          return flat.length - 1;
        }),
      );
      pieces.set(r.slo.ref, map);
      return { slo: r.slo, intervals: flat };
    });
    const results = await source.countWindows(asked);
    for (const [ref, map] of pieces) {
      const r = results.get(ref);
      if (!r || r.error) continue;
      r.counts = map.map(idx =>
        idx.reduce(
          (acc, k) => ({
            good: acc.good + (r.counts[k]?.good ?? 0),
            total: acc.total + (r.counts[k]?.total ?? 0),
          }),
          { good: 0, total: 0 },
        ),
      );
    }
    return results;
  }

  /** The corrections in force of one SLO (a composite's objective: its composite's). */
  async activeFor(ref: string): Promise<SloCorrection[]> {
    const owner = compositeParentRef(ref) ?? ref;
    return this.corrections
      ? (await this.corrections.active([owner])).get(owner) ?? []
      : [];
  }

  /** The ranges these corrections exclude within [from, to) (recurring ones expanded through this cache). */
  excluded(list: SloCorrection[], from: number, to: number): TimeRange[] {
    return excludedRanges(list, from, to, this.recurrences);
  }
}
