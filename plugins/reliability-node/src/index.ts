/**
 * Extension points of the reliability backend: other backend modules add SLI sources, remediation actions, work
 * before each evaluation tick, and providers of reliability data (drills, load tests, changes, synthetics, counts).
 *
 * @packageDocumentation
 */
import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type {
  Counts,
  CumulativePoint,
  SloDefinition,
  RemediationTriggerKind,
} from '@reliability-suite/plugin-reliability-common';

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
  countWindows(
    requests: SliCountRequest[],
  ): Promise<Map<string, SliCountResult>>;
  /**
   * Cumulative readings covering [from, to] for the charts, sorted by end (sources that keep counts).
   * Sources that cannot give cumulative readings implement `history` instead.
   */
  readCumulative?(
    slo: SloDefinition,
    from: number,
    to: number,
  ): Promise<CumulativePoint[]>;
  /** The value of the SLO's display query (`display.query`) at time t, for sources that can run it. */
  displayValue?(slo: SloDefinition, t: number): Promise<number | null>;
  /** The counts over the lookback and over the compliance window at each step in [from, to]. */
  history?(
    slo: SloDefinition,
    request: SliHistoryRequest,
  ): Promise<SliHistoryPoint[]>;
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
export const reliabilitySliSourcesExtensionPoint =
  createExtensionPoint<ReliabilitySliSourcesExtensionPoint>({
    id: 'reliability.sli-sources',
  });

/** What set a remediation going, as the action sees it. @public */
export interface RemediationTriggerInfo {
  kind: RemediationTriggerKind;
  /** Stable id of the triggering event (alert id, Alertmanager fingerprint|status|startsAt, or a manual run id). */
  id: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Who asked, for manual runs. */
  actor?: string;
}

/** Everything an action gets for one attempt. @public */
export interface RemediationActionContext {
  /** The rule's `params`, already checked by `validate`. Secrets in them come from config (and so from env). */
  params: Record<string, unknown>;
  trigger: RemediationTriggerInfo;
  ruleId: string;
  entityRef: string;
  /** Same for every attempt of one execution: send it as an idempotency key where the target supports one. */
  executionId: string;
  /** 1-based attempt number within the execution. */
  attempt: number;
  /** Aborted when the rule's timeout passes. */
  signal: AbortSignal;
  /** Values for templates: trigger labels plus `labels`, `annotations`, `entityRef`, `ruleId`, `executionId`. */
  templateValues: Record<string, unknown>;
}

/**
 * Thrown by actions; `retryable: false` stops the retries (a 4xx from the target, say). `status` is the target's
 * HTTP status when it answered: a 401 or 403 tells the suite the credentials were refused (secret hygiene escalates,
 * naming the secret's config path).
 * @public
 */
export class RemediationActionError extends Error {
  readonly retryable: boolean;
  readonly status?: number;
  constructor(
    message: string,
    options?: { retryable?: boolean; status?: number },
  ) {
    super(message);
    this.name = 'RemediationActionError';
    this.retryable = options?.retryable ?? true;
    this.status = options?.status;
  }
}

/**
 * A kind of remediation (webhook, feature-flag rollback, Kubernetes restart, ...). Rules in config name it by id.
 * @public
 */
export interface RemediationAction {
  readonly id: string;
  readonly description: string;
  /** Problems with a rule's params, each naming the field (`params.url: must be an http(s) URL`). Empty when fine. */
  validate(params: Record<string, unknown>): string[];
  /** The target for the circuit breaker and the history, e.g. `PATCH http://flags/api/flags/checkout-multibuy`. */
  target(params: Record<string, unknown>): string;
  /** What `execute` would do, for dry runs. Must not call anything. */
  describe(context: RemediationActionContext): string;
  /** Does it. Resolves with a short detail for the history; throws on failure. */
  execute(context: RemediationActionContext): Promise<{ detail: string }>;
}

/** @public */
export interface ReliabilityRemediationActionsExtensionPoint {
  addAction(action: RemediationAction): void;
}

/** @public */
export const reliabilityRemediationActionsExtensionPoint =
  createExtensionPoint<ReliabilityRemediationActionsExtensionPoint>({
    id: 'reliability.remediation-actions',
  });

export * from './evaluation';
export * from './records';
