import { durationMs } from '@reliability-suite/plugin-reliability-common';

/** Durations in config: `0`, `250ms`, or the suite's fixed durations (`30s`, `10m`, `1h`). */
export function configDurationMs(text: string): number {
  const t = text.trim();
  if (/^0(ms|s|m|h)?$/.test(t)) return 0;
  const ms = /^([1-9][0-9]*)ms$/.exec(t);
  return ms ? Number(ms[1]) : durationMs(t);
}
