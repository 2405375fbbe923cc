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
  SYNTHETIC_SOURCE_TYPE,
} from '@reliability-suite/plugin-reliability-common';
import type {
  SliCountRequest,
  SliCountResult,
  SliSource,
} from '@reliability-suite/plugin-reliability-node';

/**
 * The evaluation tick's loops let the event loop run every this many SLOs (about 10-20 ms of work on 2 cores), so
 * that the reads a replica serves while it evaluates 100,000 SLOs wait for that long, not for the whole evaluation.
 * The index's loops over rows read let it run every YIELD_EVERY_ROWS rows.
 */
export const YIELD_EVERY = 2_000;
export const YIELD_EVERY_ROWS = 50_000;

/** Lets timers, I/O and other requests run before going on. */
export const yieldToEventLoop = () =>
  new Promise<void>(resolve => setImmediate(resolve));

export const MIN = 60_000;
export const finite = (n: number | null) =>
  n === null || !Number.isFinite(n) ? null : n;

/** The SLOs to count: every standard SLO, and each objective of every composite SLO in its place. */
export function flattenComposites(slos: SloDefinition[]): SloDefinition[] {
  return slos.flatMap(s =>
    s.composite ? s.composite.objectives.map(o => o.def) : [s],
  );
}

/** How the sentence naming what the suite reads calls a source's metricSource.type (other types as written). */
function sourceLabel(type: string): { label: string; rank: number } {
  switch (type.toLocaleLowerCase('en-US')) {
    case 'prometheus':
      return { label: 'Prometheus', rank: 0 };
    case SYNTHETIC_SOURCE_TYPE:
      return { label: 'synthetics', rank: 2 };
    case '':
    case 'ingest':
    case 'reliability-ingest':
      return { label: 'the built-in ingest', rank: 3 };
    default:
      return { label: type, rank: 1 };
  }
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: string[]): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * The no-data reason of an SLO whose metricSource.type no source serves: what the suite reads (the registered
 * sources' types), and what the SLO reads, as written in its file.
 */
function unreadSourceReason(
  sources: readonly { types: readonly string[] }[],
  type: string,
): string {
  const seen = new Set<string>();
  const read: { label: string; rank: number; at: number }[] = [];
  for (const s of sources)
    for (const t of s.types) {
      const l = sourceLabel(t);
      if (seen.has(l.label.toLocaleLowerCase('en-US'))) continue;
      seen.add(l.label.toLocaleLowerCase('en-US'));
      read.push({ ...l, at: read.length });
    }
  read.sort((a, b) => a.rank - b.rank || a.at - b.at);
  return `no data: the suite reads ${
    read.length ? listed(read.map(r => r.label)) : 'no SLI source'
  }; this SLO ${type ? `reads ${type}` : 'names no metricSource type'}`;
}

/**
 * Picks the source serving an SLO's metricSource.type. A type no source serves (CloudWatch, Datadog...) is counted
 * from the built-in ingest, the source serving SLOs that name no type: whatever was posted to /sli-events or
 * /sli-values for it. Such an SLO carries the reason `unread` for when it has no data.
 */
export class SliSourceRegistry {
  private readonly sources: SliSource[] = [];

  add(source: SliSource) {
    this.sources.push(source);
    this.byType.clear();
  }

  forSlo(slo: SloDefinition): SliSource | undefined {
    return this.lookup(slo).source;
  }

  /**
   * The no-data reason of an SLO whose metricSource.type no registered source serves (`no data: the suite reads
   * Prometheus, synthetics and the built-in ingest; this SLO reads CloudWatch`); undefined when one serves it.
   */
  unread(slo: SloDefinition): string | undefined {
    return this.lookup(slo).unread;
  }

  private lookup(slo: SloDefinition): SourceFor {
    const given = slo.indicator.sourceType ?? '';
    let found = this.byType.get(given);
    if (!found) {
      const source = this.serving(given);
      found = source
        ? { source }
        : {
            source: this.serving(''),
            unread: unreadSourceReason(this.sources, given),
          };
      this.byType.set(given, found);
    }
    return found;
  }

  private serving(given: string): SliSource | undefined {
    const type = given.toLocaleLowerCase('en-US');
    return this.sources.find(s =>
      s.types.some(t => t.toLocaleLowerCase('en-US') === type),
    );
  }

  /** Each metricSource.type given, and the source serving it (a tick asks once per SLO). */
  private readonly byType = new Map<string, SourceFor>();
}

/** The source counting an SLO, and the reason it has no data when no source serves its metricSource.type. */
interface SourceFor {
  source?: SliSource;
  unread?: string;
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
