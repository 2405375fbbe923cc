import { z } from 'zod';
import { entityRefParam } from '../model/params';
import { pageParams } from '../model/pagination';

/** What changed: a deploy, a config push, a feature-flag flip, a restart. @public */
export const CHANGE_KINDS = ['deploy', 'config', 'flag', 'restart'] as const;
/** @public */
export type ChangeKind = (typeof CHANGE_KINDS)[number];

const iso = z
  .string({
    required_error: 'is required',
    invalid_type_error: 'must be an ISO-8601 timestamp',
  })
  .refine(
    v => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)),
    'must be an ISO-8601 timestamp such as 2026-11-22T10:00:00Z',
  );

/** POST /changes: one change event from CI, Argo CD or a flag service. @public */
export const changeRequestSchema = z
  .object({
    entityRef: entityRefParam,
    kind: z.enum(CHANGE_KINDS, {
      errorMap: () => ({
        message: `must be one of ${CHANGE_KINDS.join(', ')}`,
      }),
    }),
    /** What it changed to: a version, a commit, a flag's new value. */
    version: z
      .string()
      .trim()
      .max(200, 'must be at most 200 characters')
      .optional(),
    /** What it was, in a line. */
    summary: z
      .string()
      .trim()
      .max(500, 'must be at most 500 characters')
      .optional(),
    author: z
      .string()
      .trim()
      .max(200, 'must be at most 200 characters')
      .optional(),
    link: z
      .string()
      .url('must be a URL')
      .max(2_000, 'must be at most 2000 characters')
      .refine(v => /^https?:\/\//i.test(v), 'must be an http(s) URL')
      .optional(),
    /** When it took effect (default: when it is posted). */
    at: iso.optional(),
  })
  .strict();

/** A stored change. @public */
export interface ChangeEvent {
  id: number;
  entityRef: string;
  kind: ChangeKind;
  version: string | null;
  summary: string | null;
  author: string | null;
  link: string | null;
  at: string;
  /** Who posted it: a service, a user, or the suite's own remediation (`remediation:<rule>`). */
  source: string;
}

/** A change with the error budget its entity burned in the hour after it. @public */
export interface ChangeWithImpact extends ChangeEvent {
  /**
   * Per SLO of the entity, the share of its whole error budget spent in the hour after the change (null while the
   * SLO has no data for it).
   */
  burnedAfter: { slo: string; budgetSpent: number | null }[];
  /** The most any of them spent. */
  worst: number | null;
}

/**
 * A change whose hour after burned at least this share of a 30-day budget looks bad: what a 14.4x burn rate (the
 * fast page) spends in an hour, 14.4 / 720 = 2%. @public
 */
export const BAD_CHANGE_BUDGET_SHARE = 0.02;

/** GET /changes. @public */
export const changeListQuerySchema = z
  .object({
    entityRef: entityRefParam,
    from: iso.optional(),
    to: iso.optional(),
    ...pageParams,
  })
  .strict()
  .refine(q => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: 'must be before to',
    path: ['from'],
  });

/** GET /changes: a page of the entity's changes, newest first. @public */
export interface ChangeListResponse {
  items: ChangeWithImpact[];
  nextCursor?: string;
}

/** The record-change action for AI agents: as POST /changes. @public */
export const recordChangeActionInput = changeRequestSchema;
/** @public */
export const recordChangeActionOutput = z.object({
  change: z.object({}).passthrough(),
  link: z.string(),
});
