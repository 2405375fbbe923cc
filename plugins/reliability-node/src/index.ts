/**
 * Extension points of the reliability backend: other backend modules add SLI sources here.
 *
 * @packageDocumentation
 */
import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { Counts, CumulativePoint, SloDefinition } from '@internal/plugin-reliability-common';

/** A request for the counts of one SLO over several intervals [start, end). @public */
export interface SliCountRequest {
  slo: SloDefinition;
  intervals: { start: number; end: number }[];
}

/** Counts for one SLO, in the order of the requested intervals, and when its data begins. @public */
export interface SliCountResult {
  counts: Counts[];
  /** When the SLO's data begins: null without data, undefined when the source cannot tell. */
  firstDataAt?: number | null;
  /** Set when the source could not answer; the SLO then reports no data with this reason. */
  error?: string;
}

/**
 * Where good/total counts come from. One source serves every SLO whose indicator's
 * `metricSource.type` is in `types` (case-insensitive).
 * @public
 */
export interface SliSource {
  readonly types: string[];
  /** Counts for many SLOs at once: sources should batch (one query per boundary, not per SLO). */
  countWindows(requests: SliCountRequest[]): Promise<Map<string, SliCountResult>>;
  /**
   * Cumulative readings covering [from, to] for the charts, sorted by end (sources that keep counts).
   * Sources that cannot give cumulative readings implement `history` instead.
   */
  readCumulative?(slo: SloDefinition, from: number, to: number): Promise<CumulativePoint[]>;
  /** The value of the SLO's display query (`display.query`) at time t, for sources that can run it. */
  displayValue?(slo: SloDefinition, t: number): Promise<number | null>;
  /** The counts over the lookback and over the compliance window at each step in [from, to]. */
  history?(slo: SloDefinition, request: SliHistoryRequest): Promise<SliHistoryPoint[]>;
}

/** @public */
export interface SliHistoryRequest {
  from: number;
  to: number;
  stepMs: number;
  lookbackMs: number;
  windowMs: number;
}

/** @public */
export interface SliHistoryPoint {
  t: number;
  lookback: Counts | null;
  window: Counts | null;
}

/** @public */
export interface ReliabilitySliSourcesExtensionPoint {
  addSource(source: SliSource): void;
}

/** @public */
export const reliabilitySliSourcesExtensionPoint = createExtensionPoint<ReliabilitySliSourcesExtensionPoint>({
  id: 'reliability.sli-sources',
});
