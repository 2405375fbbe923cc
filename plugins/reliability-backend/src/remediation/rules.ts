import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  CHAOS_ABORT_ALERT,
  CHAOS_START_ALERT,
  REMEDIATION_TRIGGER_KINDS,
  LabelMatcher,
  parseMatcher,
  RemediationRuleSummary,
  RemediationTriggerKind,
  templateNames,
} from '@reliability-suite/plugin-reliability-common';
import type { RemediationAction } from '@reliability-suite/plugin-reliability-node';
import { Redactor } from '../redaction/Redactor';
import { configDurationMs } from '../config/durations';
import type { RemediationRuleConfig } from '../config/readReliabilityConfig';

/** A remediation rule: which alerts (matchers) on which entity run which action, and how carefully. */
export interface RemediationRule {
  id: string;
  entityRef: string;
  description: string;
  match: LabelMatcher[];
  matchText: string[];
  triggers: RemediationTriggerKind[];
  action: string;
  params: Record<string, unknown>;
  lockKey: string;
  cooldownMs: number;
  cooldown: string;
  /** At most this many attempts per `attemptWindow` for the rule; beyond that the rule escalates. */
  maxAttempts: number;
  attemptWindowMs: number;
  attemptWindow: string;
  /** Retries after a failed attempt within one execution (bounded by maxAttempts). */
  retries: number;
  timeoutMs: number;
  /** Set on rules an entity's owners wrote (the `reliability.io/remediation-rules` file): where they came from. */
  owner?: { location: string; index: number };
  /**
   * A platform rule's config path (`reliability.remediation.rules[0]`): where the secrets of its params live, named
   * when a call with them is refused (401/403). Unset on owner-written rules.
   */
  configPath?: string;
}

const ID_RE = /^[a-z0-9][a-z0-9-_.]{0,199}$/;
const TRIGGERS: RemediationTriggerKind[] = [...REMEDIATION_TRIGGER_KINDS];

function duration(
  given: string | undefined,
  key: string,
  fallback: string,
  path: string,
): { ms: number; text: string } {
  const text = given ?? fallback;
  try {
    const ms = configDurationMs(text);
    if (!(ms >= 0)) throw new Error('negative');
    return { ms, text };
  } catch {
    throw new Error(
      `${path}.${key}: must be a duration like 0, 500ms, 30s, 10m or 1h, got '${text}'`,
    );
  }
}

/**
 * Checks `reliability.remediation.rules` (as config/readReliabilityConfig.ts read them) against the actions. Every
 * problem names the config path and the rule broken, and stops the backend at startup rather than failing when an
 * alert arrives. A default description names the action's target: it passes the one redaction step, whatever the
 * action answers.
 */
export function buildRemediationRules(
  list: RemediationRuleConfig[],
  actions: Map<string, RemediationAction>,
  redactor: Redactor,
): RemediationRule[] {
  const seen = new Set<string>();
  return list.map(cfg => {
    const path = cfg.path;
    const id = cfg.id;
    if (!ID_RE.test(id))
      throw new Error(
        `${path}.id: must be lowercase letters, digits, -, _ or . (at most 200), got '${id}'`,
      );
    if (seen.has(id))
      throw new Error(`${path}.id: '${id}' is used by another rule`);
    seen.add(id);
    let entityRef: string;
    try {
      entityRef = stringifyEntityRef(parseEntityRef(cfg.entityRef));
    } catch (e) {
      throw new Error(
        `${path}.entityRef: must be an entity ref like component:default/checkout (${
          (e as Error).message
        })`,
      );
    }
    const matchText = cfg.match;
    const match = matchText.map((text, j) => {
      const r = parseMatcher(text);
      if (!r.ok) throw new Error(`${path}.match[${j}]: ${r.error}`);
      return r.value;
    });
    const triggers = (cfg.triggers ?? TRIGGERS) as RemediationTriggerKind[];
    triggers.forEach((t, j) => {
      if (!TRIGGERS.includes(t))
        throw new Error(
          `${path}.triggers[${j}]: must be one of ${TRIGGERS.join(
            ', ',
          )}, got '${t}'`,
        );
    });
    const actionId = cfg.action;
    const action = actions.get(actionId);
    if (!action)
      throw new Error(
        `${path}.action: unknown action '${actionId}'; known: ${[
          ...actions.keys(),
        ].join(', ')}`,
      );
    const params = cfg.params;
    const problems = action.validate(params);
    if (problems.length)
      throw new Error(`${path}.${problems.join(`; ${path}.`)}`);
    // a chaos start or halt is per experiment: by default each experiment gets its own lock and cooldown, so the
    // halt of one experiment never waits out the cooldown of another's
    const perExperiment = match.some(
      m =>
        m.name === 'alertname' &&
        m.op === '=' &&
        (m.value === CHAOS_ABORT_ALERT || m.value === CHAOS_START_ALERT),
    );
    const lockKey =
      cfg.lockKey ??
      (perExperiment
        ? `${actionId}:${id}:{{experiment}}`
        : `${actionId}:${id}`);
    if (lockKey.length > 300)
      throw new Error(`${path}.lockKey: must be at most 300 characters`);
    templateNames(lockKey); // names are checked against the trigger's labels when it arrives
    const cooldown = duration(cfg.cooldown, 'cooldown', '10m', path);
    const attemptWindow = duration(
      cfg.attemptWindow,
      'attemptWindow',
      '10m',
      path,
    );
    const timeout = duration(cfg.timeout, 'timeout', '10s', path);
    if (timeout.ms < 1 || timeout.ms > 300_000)
      throw new Error(`${path}.timeout: must be between 1ms and 5m`);
    const maxAttempts = cfg.maxAttempts ?? 3;
    if (
      !Number.isInteger(maxAttempts) ||
      maxAttempts < 1 ||
      maxAttempts > 1_000_000
    )
      throw new Error(
        `${path}.maxAttempts: must be an integer from 1 to 1000000`,
      );
    const retries = cfg.retries ?? 2;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10)
      throw new Error(`${path}.retries: must be an integer from 0 to 10`);
    return {
      id,
      entityRef,
      description:
        cfg.description ??
        redactor.target(`${action.description} (${action.target(params)})`),
      match,
      matchText,
      triggers,
      action: actionId,
      params,
      lockKey,
      cooldownMs: cooldown.ms,
      cooldown: cooldown.text,
      maxAttempts,
      attemptWindowMs: attemptWindow.ms,
      attemptWindow: attemptWindow.text,
      retries,
      timeoutMs: timeout.ms,
      configPath: path,
    };
  });
}

export function ruleSummary(rule: RemediationRule): RemediationRuleSummary {
  return {
    id: rule.id,
    entityRef: rule.entityRef,
    action: rule.action,
    description: rule.description,
    match: rule.matchText,
    triggers: rule.triggers,
    lockKey: rule.lockKey,
    cooldown: rule.cooldown,
    maxAttempts: rule.maxAttempts,
    attemptWindow: rule.attemptWindow,
  };
}
