/**
 * The suite's one formatting module: how numbers, durations and states read in the portal, in the API's text
 * and in exports. Pure; the frontend and the backend use the same words and the same "missing" mark.
 */

/** What a value without data reads as. @public */
export const MISSING = '—';

import type { SloState } from '../math/status';

/** `0.99736` as "99.736%" (significant digits where objectives live). @public */
export function formatPercent(
  ratio: number | null | undefined,
  digits = 3,
): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio))
    return MISSING;
  return `${Number((ratio * 100).toFixed(digits))}%`;
}

/** Burn rate as "14.4x"; "—" without data. @public */
export function formatBurn(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate))
    return MISSING;
  if (rate >= 100) return `${Math.round(rate)}x`;
  return `${rate.toFixed(rate >= 10 ? 1 : 2)}x`;
}

/** A count of events, "12,345"; negative counts say "over". @public */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return MISSING;
  return Math.round(n).toLocaleString('en-US');
}

/** Minutes as "3h 36m" or "42 min". @public */
export function formatMinutes(min: number | null | undefined): string {
  if (min === null || min === undefined || !Number.isFinite(min))
    return MISSING;
  const sign = min < 0 ? '-' : '';
  const m = Math.abs(min);
  if (m < 60) return `${sign}${m.toFixed(m < 10 ? 1 : 0)} min`;
  const h = Math.floor(m / 60);
  return `${sign}${h}h ${Math.round(m % 60)}m`;
}

/** Time until an instant: "in 2d 4h", "now", or "—". @public */
export function formatUntil(
  iso: string | null | undefined,
  now = Date.now(),
): string {
  if (!iso) return MISSING;
  const ms = Date.parse(iso) - now;
  if (ms <= 60_000) return 'now';
  const min = ms / 60_000;
  if (min < 60) return `in ${Math.round(min)} min`;
  const h = min / 60;
  if (h < 48) return `in ${Math.floor(h)}h ${Math.round(min % 60)}m`;
  return `in ${Math.floor(h / 24)}d ${Math.round(h % 24)}h`;
}

/** @public */
export const STATE_LABEL: Record<SloState, string> = {
  healthy: 'Healthy',
  burning: 'Burning',
  exhausted: 'Exhausted',
  no_data: 'No data',
};

/** @public */
export const STATE_COLOR: Record<
  SloState,
  'success' | 'warning' | 'error' | 'default'
> = {
  healthy: 'success',
  burning: 'warning',
  exhausted: 'error',
  no_data: 'default',
};

/** Milliseconds as "420 ms" or "1.3 s". @public */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return MISSING;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
