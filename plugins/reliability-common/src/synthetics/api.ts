import { z } from 'zod';
import { entityRefParam } from '../model/params';
import { pageParams } from '../model/pagination';
import { NAME, REGION } from './names';
import type { SyntheticJourney, SyntheticStep } from './journey';
import type { SyntheticSeriesPoint } from './series';

/** The REST shapes of synthetics: request and query schemas, and what the routes answer. */

/** PUT /synthetics/journeys: one journey of an entity (created or replaced). @public */
export const syntheticJourneyRequestSchema = z
  .object({ entityRef: entityRefParam, journey: z.unknown() })
  .strict();

/** GET /synthetics, /synthetics/runs. @public */
export const syntheticListQuerySchema = z
  .object({
    entityRef: entityRefParam,
    journey: z.string().regex(NAME).optional(),
    ...pageParams,
  })
  .strict();
/** @public */
export const syntheticEntityQuerySchema = z
  .object({ entityRef: entityRefParam })
  .strict();

/** The result of one step. @public */
export interface SyntheticStepResult {
  name: string;
  type: SyntheticStep['type'];
  ok: boolean;
  /** Started this long after the journey started, and took this long (a waterfall). */
  startMs: number;
  durationMs: number;
  status?: number;
  error?: string;
  warning?: string;
  /** The start of the response, redacted. */
  excerpt?: string;
  /** Time to the response's headers (HTTP steps). */
  ttfbMs?: number;
  /** The URL called, redacted (HTTP steps, the last hop of redirects). */
  url?: string;
}

/** One run of a journey in one region. @public */
export interface SyntheticRun {
  id: number;
  journey: string;
  entityRef: string;
  region: string;
  startedAt: string;
  durationMs: number;
  success: boolean;
  /** Why it failed: the first failed step, or the deadline. */
  error: string | null;
  warnings: string[];
  /** The evidence, kept for the last runs only (pruned by a scheduled task): null once pruned. */
  steps: SyntheticStepResult[] | null;
  /** Whether a screenshot / HAR of a browser step is kept (GET /synthetics/runs/:id/screenshot, /har). */
  screenshot: boolean;
  har: boolean;
}

/**
 * Whether a live runner serves a region of a journey: a backend replica with `reliability.synthetics.region` set to
 * it, or one that serves every region. An unmonitored region says why. @public
 */
export interface SyntheticRegionMonitoring {
  status: 'monitored' | 'unmonitored';
  reason?: string;
}

/** A journey as the API answers it, with its latest run per region. @public */
export interface SyntheticJourneyRecord extends SyntheticJourney {
  id: number;
  entityRef: string;
  updatedAt: string;
  updatedBy: string;
  latest: Record<
    string,
    Pick<
      SyntheticRun,
      'startedAt' | 'success' | 'durationMs' | 'error' | 'warnings'
    > | null
  >;
  /** Per region: whether a live runner serves it (absent from older servers). */
  monitoring?: Record<string, SyntheticRegionMonitoring>;
}

/** GET /synthetics: an entity's journeys with their latest run per region. @public */
export interface SyntheticJourneyListResponse {
  items: SyntheticJourneyRecord[];
  nextCursor?: string;
  /** Hosts journeys may call (`reliability.synthetics.allowedHosts`), so the page can say why a step was refused. */
  allowedHosts: string[];
  browserEnabled: boolean;
}

/** GET /synthetics/runs: runs newest first. @public */
export interface SyntheticRunListResponse {
  items: SyntheticRun[];
  nextCursor?: string;
}

/** GET /synthetics/series query. @public */
export const syntheticSeriesQuerySchema = z
  .object({
    entityRef: entityRefParam,
    journey: z
      .string({ required_error: 'is required' })
      .regex(NAME, 'must be a journey name'),
    range: z
      .enum(['24h', '7d', '30d'], {
        errorMap: () => ({ message: 'must be one of 24h, 7d, 30d' }),
      })
      .default('24h'),
  })
  .strict();

/** GET /synthetics/series: success rate and p95 per bucket and region. @public */
export interface SyntheticSeriesResponse {
  journey: string;
  bucketMs: number;
  deadlineMs: number;
  points: SyntheticSeriesPoint[];
}

/** GET /synthetics/runs. @public */
export const syntheticRunsQuerySchema = z
  .object({
    entityRef: entityRefParam,
    journey: z.string().regex(NAME, 'must be a journey name').optional(),
    region: z
      .string()
      .regex(REGION, 'must be a region such as ap-sg')
      .optional(),
    failed: z
      .enum(['true', 'false'], {
        errorMap: () => ({ message: 'must be true or false' }),
      })
      .transform(v => v === 'true')
      .optional(),
    ...pageParams,
  })
  .strict();

/** DELETE /synthetics/journeys. @public */
export const syntheticJourneyKeySchema = z
  .object({
    entityRef: entityRefParam,
    journey: z
      .string({ required_error: 'is required' })
      .regex(NAME, 'must be a journey name'),
  })
  .strict();
