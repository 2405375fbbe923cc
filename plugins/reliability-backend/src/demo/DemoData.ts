import { LoggerService } from '@backstage/backend-plugin-api';
import { BucketRow, ReliabilityStore } from '../slos/ReliabilityStore';
import { DEMO_PROFILES, demoMinute, demoSlice } from './traffic';

const MIN = 60_000;
const HOUR = 3_600_000;

/**
 * Seeds 30 days of per-minute demo traffic for the demo SLOs that have no data yet (already compacted to
 * hourly buckets beyond the minute retention), then keeps adding each new minute through the ingest path.
 */
export class DemoData {
  private epoch: number | undefined;

  constructor(
    private readonly store: ReliabilityStore,
    private readonly logger: LoggerService,
    private readonly options: { days: number; minuteRetentionMs: number },
  ) {}

  /** Builds the buckets of [start, end) for one SLO, hourly before `hourlyBefore`. */
  static buckets(sloRef: string, start: number, end: number, hourlyBefore: number, epoch: number): BucketRow[] {
    const profile = DEMO_PROFILES[sloRef];
    const rows: BucketRow[] = [];
    let cumGood = 0;
    let cumTotal = 0;
    let hour: BucketRow | undefined;
    for (let t = start; t < end; t += MIN) {
      // a time-slice SLO's counts are slices: one a minute
      const { good, total } = profile.slices ? demoSlice(sloRef, profile, t, epoch) : demoMinute(sloRef, profile, t, epoch);
      cumGood += good;
      cumTotal += total;
      if (t < hourlyBefore) {
        const hourEnd = Math.floor(t / HOUR) * HOUR + HOUR;
        if (!hour || hour.end !== hourEnd) {
          hour = { sloRef, end: hourEnd, bucketMs: HOUR, good: 0, total: 0, cumGood: 0, cumTotal: 0 };
          rows.push(hour);
        }
        hour.good += good;
        hour.total += total;
        hour.cumGood = cumGood;
        hour.cumTotal = cumTotal;
      } else {
        rows.push({ sloRef, end: t + MIN, bucketMs: MIN, good, total, cumGood, cumTotal });
      }
    }
    return rows;
  }

  /** Seeds every demo SLO without data. Returns the refs seeded. */
  async seed(knownRefs: string[], now = Date.now()): Promise<string[]> {
    const end = Math.floor(now / MIN) * MIN;
    this.epoch = end;
    const start = Math.floor((end - this.options.days * 86_400_000) / HOUR) * HOUR;
    const hourlyBefore = Math.floor((end - this.options.minuteRetentionMs) / HOUR) * HOUR;
    const seeded: string[] = [];
    for (const ref of knownRefs) {
      if (!DEMO_PROFILES[ref] || (await this.store.hasData(ref))) continue;
      await this.store.loadBuckets(DemoData.buckets(ref, start, end, hourlyBefore, end));
      seeded.push(ref);
    }
    if (seeded.length) this.logger.info(`Seeded ${this.options.days} days of demo traffic for ${seeded.join(', ')}`);
    return seeded;
  }

  /** Adds the minutes since each demo SLO's last bucket (at most one hour), through the normal ingest path. */
  async tick(knownRefs: string[], now = Date.now()): Promise<void> {
    const end = Math.floor(now / MIN) * MIN;
    const epoch = this.epoch ?? end;
    const deltas = [];
    const tallies = [];
    for (const ref of knownRefs) {
      const profile = DEMO_PROFILES[ref];
      if (!profile) continue;
      const last = await this.store.lastDataAt(ref);
      if (last === null) continue;
      for (let t = Math.max(last, end - HOUR); t < end; t += MIN) {
        // a time-slice SLO reports its minute's p95 as a value (good or not), as POST /sli-values does
        if (profile.slices) tallies.push({ sloRef: ref, sliceEnd: t + MIN, n: 1, good: demoSlice(ref, profile, t, epoch).good });
        else deltas.push({ sloRef: ref, timestamp: t, ...demoMinute(ref, profile, t, epoch) });
      }
    }
    if (deltas.length) await this.store.addCounts(deltas, end - this.options.minuteRetentionMs);
    if (tallies.length) await this.store.addSliceTallies(tallies);
  }
}
