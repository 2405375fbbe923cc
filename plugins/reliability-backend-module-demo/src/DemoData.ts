import { LoggerService } from '@backstage/backend-plugin-api';
import type {
  ReliabilityCounts,
  ReliabilityEvaluationContext,
  ReliabilityEvaluationHook,
  SliCountBucket,
} from '@reliability-suite/plugin-reliability-node';
import { DEMO_PROFILES, demoMinute, demoSlice } from './traffic';

const MIN = 60_000;
const HOUR = 3_600_000;

/**
 * Seeds 30 days of per-minute demo traffic for the demo SLOs that have no data yet (already compacted to
 * hourly buckets beyond the minute retention), then keeps adding each new minute through the ingest path: an
 * evaluation hook, so each tick evaluates the minutes it has just added.
 */
export class DemoData implements ReliabilityEvaluationHook {
  readonly id = 'demo-traffic';
  private epoch: number | undefined;

  constructor(
    private readonly logger: LoggerService,
    private readonly options: { days: number },
  ) {}

  async beforeEvaluation({
    slos,
    now,
    counts,
  }: ReliabilityEvaluationContext): Promise<void> {
    const refs = slos.map(s => s.ref);
    await this.seed(counts, refs, now);
    await this.tick(counts, refs, now);
  }

  /** Builds the buckets of [start, end) for one SLO, hourly before `hourlyBefore`. */
  static buckets(
    sloRef: string,
    start: number,
    end: number,
    hourlyBefore: number,
    epoch: number,
  ): SliCountBucket[] {
    const profile = DEMO_PROFILES[sloRef];
    const rows: SliCountBucket[] = [];
    let cumGood = 0;
    let cumTotal = 0;
    let hour: SliCountBucket | undefined;
    for (let t = start; t < end; t += MIN) {
      // a time-slice SLO's counts are slices: one a minute
      const { good, total } = profile.slices
        ? demoSlice(sloRef, profile, t, epoch)
        : demoMinute(sloRef, profile, t, epoch);
      cumGood += good;
      cumTotal += total;
      if (t < hourlyBefore) {
        const hourEnd = Math.floor(t / HOUR) * HOUR + HOUR;
        if (!hour || hour.end !== hourEnd) {
          hour = {
            sloRef,
            end: hourEnd,
            bucketMs: HOUR,
            good: 0,
            total: 0,
            cumGood: 0,
            cumTotal: 0,
          };
          rows.push(hour);
        }
        hour.good += good;
        hour.total += total;
        hour.cumGood = cumGood;
        hour.cumTotal = cumTotal;
      } else {
        rows.push({
          sloRef,
          end: t + MIN,
          bucketMs: MIN,
          good,
          total,
          cumGood,
          cumTotal,
        });
      }
    }
    return rows;
  }

  /** Seeds every demo SLO without data. Returns the refs seeded. */
  async seed(
    counts: ReliabilityCounts,
    knownRefs: string[],
    now = Date.now(),
  ): Promise<string[]> {
    const end = Math.floor(now / MIN) * MIN;
    this.epoch = end;
    const start =
      Math.floor((end - this.options.days * 86_400_000) / HOUR) * HOUR;
    const hourlyBefore =
      Math.floor((end - counts.minuteRetentionMs) / HOUR) * HOUR;
    const seeded: string[] = [];
    for (const ref of knownRefs) {
      if (!DEMO_PROFILES[ref] || (await counts.hasData(ref))) continue;
      await counts.loadBuckets(
        DemoData.buckets(ref, start, end, hourlyBefore, end),
      );
      seeded.push(ref);
    }
    if (seeded.length)
      this.logger.info(
        `Seeded ${this.options.days} days of demo traffic for ${seeded.join(
          ', ',
        )}`,
      );
    return seeded;
  }

  /** Adds the minutes since each demo SLO's last bucket (at most one hour), through the normal ingest path. */
  async tick(
    counts: ReliabilityCounts,
    knownRefs: string[],
    now = Date.now(),
  ): Promise<void> {
    const end = Math.floor(now / MIN) * MIN;
    const epoch = this.epoch ?? end;
    const deltas = [];
    const tallies = [];
    for (const ref of knownRefs) {
      const profile = DEMO_PROFILES[ref];
      if (!profile) continue;
      const last = await counts.lastDataAt(ref);
      if (last === null) continue;
      for (let t = Math.max(last, end - HOUR); t < end; t += MIN) {
        // a time-slice SLO reports its minute's p95 as a value (good or not), as POST /sli-values does
        if (profile.slices)
          tallies.push({
            sloRef: ref,
            sliceEnd: t + MIN,
            n: 1,
            good: demoSlice(ref, profile, t, epoch).good,
          });
        else
          deltas.push({
            sloRef: ref,
            timestamp: t,
            ...demoMinute(ref, profile, t, epoch),
          });
      }
    }
    if (deltas.length) await counts.addCounts(deltas, end);
    if (tallies.length) await counts.addSliceTallies(tallies);
  }
}
