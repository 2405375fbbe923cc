/**
 * Deterministic demo traffic: per-minute good/total counts for an SLO, a pure function of (SLO, minute).
 * Each demo profile has a diurnal request curve, a base error rate, and incidents at fixed offsets from the
 * moment the demo data was first generated, so the charts look like real services.
 */

const MIN = 60_000;

/** A burst of errors: starts `startAgoMin` minutes before the demo epoch and lasts `durationMin`. */
export interface DemoIncident {
  startAgoMin: number;
  durationMin: number;
  errorRate: number;
}

export interface DemoProfile {
  /** Requests per minute at the daily peak. */
  peakRpm: number;
  baseErrorRate: number;
  incidents: DemoIncident[];
  /**
   * A threshold SLO judged per minute (p95 <= 300 ms): the error rate is the share of slow requests, and a minute is
   * good when at most `maxSlowShare` of its requests are slow (its p95 is then under the threshold).
   */
  slices?: { maxSlowShare: number };
}

/**
 * The demo's SLOs: checkout's PSP brownout absorbed by its breaker (SRE-002) and an older short incident, a live burn
 * for OTP, an exhausted availability SLO.
 */
export const DEMO_PROFILES: Record<string, DemoProfile> = {
  'default/checkout-success': {
    peakRpm: 900,
    baseErrorRate: 0.0015,
    incidents: [
      // SRE-002, the PSP brownout six days ago, absorbed: the PSP slowed and failed for 95 minutes; for the first two
      // the charges failed until checkout's payment breaker opened, then checkouts browned out to "pay later" and
      // succeeded, leaving only the shop's own failures and a few half-open trials (0.3%, inside the 0.5% budget)
      { startAgoMin: 6 * 1440 + 300, durationMin: 2, errorRate: 0.03 },
      { startAgoMin: 6 * 1440 + 298, durationMin: 93, errorRate: 0.003 },
      { startAgoMin: 19 * 1440, durationMin: 40, errorRate: 0.03 },
    ],
  },
  'default/otp-verify-latency-p95': {
    peakRpm: 600,
    baseErrorRate: 0.004,
    // still burning now: since four hours ago about one minute in five has a p95 over 300 ms
    incidents: [
      { startAgoMin: 4 * 60, durationMin: 24 * 60, errorRate: 0.044 },
    ],
    slices: { maxSlowShare: 0.05 },
  },
  'default/api-availability': {
    peakRpm: 2000,
    baseErrorRate: 0.0004,
    incidents: [{ startAgoMin: 11 * 1440, durationMin: 200, errorRate: 0.35 }], // regional outage: budget gone
  },
  'default/search-latency': {
    peakRpm: 1200,
    baseErrorRate: 0.002,
    incidents: [
      { startAgoMin: 2 * 1440 + 600, durationMin: 30, errorRate: 0.05 },
    ],
  },
};

function hash(seed: number): number {
  // mulberry32 step: a fast, well-mixed 32-bit PRNG; deterministic per (SLO, minute)
  let t = (seed + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** FNV-1a of a string: a stable seed for the demo's generators. */
export function strSeed(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++)
    h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Good/total of one minute. `epoch` anchors the incidents (minute-aligned ms). */
/** A minute of a time-slice demo SLO as its slice: one good or bad slice. */
export function demoSlice(
  sloRef: string,
  profile: DemoProfile,
  minuteStart: number,
  epoch: number,
): { good: number; total: number } {
  const m = demoMinute(sloRef, profile, minuteStart, epoch);
  return {
    good:
      m.total - m.good <= m.total * (profile.slices?.maxSlowShare ?? 0) ? 1 : 0,
    total: 1,
  };
}

export function demoMinute(
  sloRef: string,
  profile: DemoProfile,
  minuteStart: number,
  epoch: number,
): { good: number; total: number } {
  const m = Math.floor(minuteStart / MIN);
  const seed = strSeed(sloRef) ^ m;
  const hourOfDay = (((minuteStart / 3_600_000) % 24) + 24) % 24;
  const diurnal = 0.55 + 0.45 * Math.sin(((hourOfDay - 8) / 24) * 2 * Math.PI);
  const total = Math.max(
    1,
    Math.round(profile.peakRpm * diurnal * (0.9 + 0.2 * hash(seed))),
  );
  let errorRate = profile.baseErrorRate * (0.5 + hash(seed ^ 0x9e3779b9));
  const agoMin = (epoch - minuteStart) / MIN;
  for (const inc of profile.incidents) {
    if (
      agoMin <= inc.startAgoMin &&
      agoMin > inc.startAgoMin - inc.durationMin
    ) {
      errorRate = Math.max(
        errorRate,
        inc.errorRate * (0.8 + 0.4 * hash(seed ^ 0x85ebca6b)),
      );
    }
  }
  const bad = Math.min(
    total,
    Math.round(
      total * errorRate +
        (hash(seed ^ 0xc2b2ae35) < (total * errorRate) % 1 ? 1 : 0),
    ),
  );
  return { good: total - bad, total };
}
