/**
 * Durations as written in SLO documents: `5m`, `1h`, `28d`, `1w`, and for calendar windows `1M`, `1Q`, `1Y`.
 * @public
 */
export type DurationUnit = 's' | 'm' | 'h' | 'd' | 'w' | 'M' | 'Q' | 'Y';

/** @public */
export interface Duration {
  amount: number;
  unit: DurationUnit;
}

const DURATION_RE = /^([1-9][0-9]*)(s|m|h|d|w|M|Q|Y)$/;

const FIXED_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * Parses `30d`, `5m`, `1M`… Returns undefined for anything else.
 * @public
 */
export function parseDuration(text: string): Duration | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return { amount: Number(m[1]), unit: m[2] as DurationUnit };
}

/** True when the unit has a fixed length (everything but months, quarters and years). @public */
export function isFixedDuration(d: Duration): boolean {
  return d.unit in FIXED_MS;
}

/**
 * Milliseconds of a fixed-length duration. Calendar units (M, Q, Y) have no fixed length and throw.
 * @public
 */
export function durationMs(d: Duration | string): number {
  const parsed = typeof d === 'string' ? parseDuration(d) : d;
  if (!parsed) throw new Error(`Invalid duration '${d}'`);
  const unit = FIXED_MS[parsed.unit];
  if (unit === undefined) {
    throw new Error(
      `Duration '${parsed.amount}${parsed.unit}' has no fixed length`,
    );
  }
  return parsed.amount * unit;
}

/** @public */
export function formatDuration(d: Duration): string {
  return `${d.amount}${d.unit}`;
}
