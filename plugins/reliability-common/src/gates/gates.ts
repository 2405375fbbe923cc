import { z } from 'zod';
import { entityRefParam } from '../model/params';
import { pageParams } from '../model/pagination';
import type { Page } from '../model/pagination';

/**
 * GET /gate query: the entity whose SLOs the gate checks, and the shape of the answer. `json` (the default) is the
 * full answer; `argo` is a flat one for Argo Rollouts' `web` metric (`jsonPath: "{$.open}"`,
 * `successCondition: result == true`); `status` answers 200 while the gate is open and 423 while it is closed, for a
 * pipeline step that fails on the status (`curl --fail-with-body`).
 * @public
 */
export const deployGateQuerySchema = z
  .object({
    entityRef: entityRefParam,
    format: z
      .enum(['json', 'argo', 'status'], {
        errorMap: () => ({ message: 'must be json, argo or status' }),
      })
      .optional(),
  })
  .strict();

/** An override in force, as the gate's answer shows it: who opened the gate, why, and until when. @public */
export interface GateOverride {
  /** The override's id (a UUID), for POST /gate/overrides/:id/revoke. */
  id: string;
  /** The entity whose gate it opens. */
  entityRef: string;
  /** Why the gate was opened. */
  reason: string;
  /** Who opened the gate: a user's entity ref, or `service:<subject>`. */
  createdBy: string;
  /** When it was created (ISO 8601). */
  createdAt: string;
  /** When it expires by itself (ISO 8601). */
  until: string;
  /** Who closed it before `until`. */
  revokedBy?: string;
  /** When someone closed it before `until` (ISO 8601). */
  revokedAt?: string;
  /** Whether it is in force now (not expired, not revoked). */
  active: boolean;
}

/**
 * The deploy gate's answer (GET /gate): the launch-freeze gate of the entity's SLOs (`allow`, `reason`, per SLO:
 * the fields of the SLOs' GateResponse), and whether a deploy may proceed (`open`): the SLOs allow it, or an
 * override in force opens the gate anyway.
 * @public
 */
export interface DeployGateResponse {
  /** The entity whose gate this is (lower case). */
  entityRef: string;
  /** The SLOs' verdict alone: no SLO has less than `threshold` of its budget left over `window`. */
  allow: boolean;
  /** Why the gate is open or closed (with the override in force, when it opens a closed gate). */
  reason: string;
  /** The lowest budget remaining over the gate window among the entity's SLOs (null without data). */
  budgetRemaining: number | null;
  /** The least share of its budget an SLO must have left (reliability.gate.minBudgetRemaining). */
  threshold: number;
  /** The budget window the gate counts over (reliability.gate.window). */
  window: string;
  /** Each SLO of the entity: its budget left over the window, and whether it allows a launch. */
  slos: { ref: string; budgetRemaining: number | null; allow: boolean }[];
  /** Whether a deploy may proceed now: `allow`, or an override in force. What pipelines read. */
  open: boolean;
  /** The override in force (the one that lasts longest), or null. */
  override: GateOverride | null;
}

/** The flat answer for Argo Rollouts' `web` metric and the status format (GET /gate?format=argo|status). @public */
export interface DeployGateShortResponse {
  /** The entity whose gate this is. */
  entityRef: string;
  /** Whether a deploy may proceed now (what Argo's `jsonPath: "{$.open}"` reads). */
  open: boolean;
  /** Why the gate is open or closed. */
  reason: string;
  /** Who opened the gate by an override, why, and until when; null without one in force. */
  override: { by: string; reason: string; until: string } | null;
}

/** The deploy gate's answer in the short shape. @public */
export function shortGateAnswer(
  gate: DeployGateResponse,
): DeployGateShortResponse {
  return {
    entityRef: gate.entityRef,
    open: gate.open,
    reason: gate.reason,
    override: gate.override
      ? {
          by: gate.override.createdBy,
          reason: gate.override.reason,
          until: gate.override.until,
        }
      : null,
  };
}

const metadataValue = z
  .string({ invalid_type_error: 'must be a string' })
  .max(4096, 'must be at most 4096 characters');

/**
 * The body Flagger POSTs to a webhook (`confirm-rollout`, `pre-rollout`, `confirm-promotion`...): the canary's name,
 * namespace and phase, and the webhook's `metadata`, a map of strings. The gate reads `metadata.entityRef` (the
 * Backstage entity whose gate decides) and `metadata.token` (the shared token, reliability.gate.flaggerToken).
 * Fields Flagger may add later (`checksum`) are ignored.
 * @public
 */
export const flaggerWebhookSchema = z
  .object({
    name: z
      .string({
        required_error: 'is required',
        invalid_type_error: 'must be a string',
      })
      .max(253, 'must be at most 253 characters'),
    namespace: z
      .string({
        required_error: 'is required',
        invalid_type_error: 'must be a string',
      })
      .max(253, 'must be at most 253 characters'),
    phase: z
      .string({ invalid_type_error: 'must be a string' })
      .max(64, 'must be at most 64 characters')
      .optional(),
    metadata: z
      .object(
        {
          entityRef: entityRefParam,
          token: metadataValue.optional(),
        },
        {
          required_error:
            'is required (the webhook metadata with entityRef and token)',
          invalid_type_error: 'must be a map of strings',
        },
      )
      .catchall(metadataValue),
  })
  .passthrough();

/** POST /gate/overrides: open the gate of an entity until a time, for a reason. @public */
export const gateOverrideCreateSchema = z
  .object({
    entityRef: entityRefParam,
    reason: z
      .string({
        required_error: 'is required',
        invalid_type_error: 'must be a string',
      })
      .trim()
      .min(3, 'must say why, in at least 3 characters')
      .max(500, 'must be at most 500 characters'),
    until: z
      .string({
        required_error: 'is required',
        invalid_type_error: 'must be a string',
      })
      .datetime({
        offset: true,
        message: 'must be an ISO 8601 timestamp such as 2026-12-06T18:00:00Z',
      }),
  })
  .strict();

/** POST /gate/overrides body. @public */
export type GateOverrideCreate = z.infer<typeof gateOverrideCreateSchema>;

/** GET /gate/overrides query: one entity's overrides (or every entity's the caller may read), in force or all. @public */
export const gateOverridesQuerySchema = z
  .object({
    entityRef: entityRefParam.optional(),
    active: z
      .enum(['true', 'false'], {
        errorMap: () => ({ message: 'must be true or false' }),
      })
      .optional(),
    ...pageParams,
  })
  .strict();

/** GET /gate/overrides answer. @public */
export type GateOverrideListResponse = Page<GateOverride>;
