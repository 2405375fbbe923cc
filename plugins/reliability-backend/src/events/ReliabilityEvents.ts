import type {
  ChaosExperimentRecord,
  SloDefinition,
} from '@reliability-suite/plugin-reliability-common';

/** An alert that started firing (the evaluation tick's, carried by AlertFired). */
export interface FiredAlert {
  id: number;
  sloRef: string;
  rule: string;
  severity: string;
  details: Record<string, unknown>;
}

/** An alert that had fired and no longer holds (carried by AlertResolved). */
export interface ResolvedAlert {
  id: number;
  sloRef: string;
  rule: string;
  severity: string;
  /** When it resolved (epoch ms). */
  at: number;
}

/** A remediation rule as the events name it: which entity, which action with which parameters. */
export interface RemediationRuleRef {
  id: string;
  entityRef: string;
  action: string;
  params: Record<string, unknown>;
}

/**
 * The named events features send each other, with what each carries and what its handlers answer. A feature
 * subscribes in its own factory; none of this goes through plugin.ts.
 */
export interface ReliabilityEventMap {
  /** A burn-rate alert of the suite's own fired on an evaluation tick. */
  AlertFired: {
    payload: { alert: FiredAlert; slo: SloDefinition };
    answer: void;
  };
  /** A fired alert of the suite's own resolved on an evaluation tick (one that never fired resolves silently). */
  AlertResolved: {
    payload: { alert: ResolvedAlert };
    answer: void;
  };
  /**
   * A person acknowledged one of the suite's alerts: in the portal, or in PagerDuty (its V3 webhook's
   * incident.acknowledged, whose incident_key is the alert's dedup key). Escalation stops for that alert.
   */
  AlertAcknowledged: {
    payload: {
      /** The alert's identity: sloAlertDedupKey from -common. */
      alertKey: string;
      /** Who acknowledged: a user entity ref, or the vendor's name for its user. */
      by: string;
      source: 'portal' | 'pagerduty';
      at: number;
    };
    answer: void;
  };
  /** A remediation execution succeeded (its action's detail, when it finished). */
  RemediationSucceeded: {
    payload: { rule: RemediationRuleRef; detail: string; at: number };
    answer: void;
  };
  /** A remediation rule spent its attempts and escalated to people. */
  RemediationEscalated: {
    payload: { rule: RemediationRuleRef; detail: string };
    answer: void;
  };
  /** An approved chaos experiment was started from the portal; handlers answer the engine calls they made. */
  ChaosStarted: {
    payload: { experiment: ChaosExperimentRecord };
    answer: string[];
  };
  /** A running chaos experiment was aborted (its guard or the kill switch). */
  ChaosAborted: {
    payload: { experiment: ChaosExperimentRecord; reason: string };
    answer: void;
  };
  /** A running chaos experiment reached the end of its duration: its engine is halted, nobody is paged. */
  ChaosEnded: {
    payload: { experiment: ChaosExperimentRecord; reason: string };
    answer: void;
  };
  /** A change of an entity was recorded (a deploy, a config push, a flag flip, a remediation's restart). */
  ChangeRecorded: {
    payload: {
      entityRef: string;
      kind: string;
      summary: string | null;
      at: number;
    };
    answer: void;
  };
}

/** The name of one of the suite's events. */
export type ReliabilityEventName = keyof ReliabilityEventMap;
type Payload<K extends ReliabilityEventName> =
  ReliabilityEventMap[K]['payload'];
type Answer<K extends ReliabilityEventName> = ReliabilityEventMap[K]['answer'];
type Handler<K extends ReliabilityEventName> = (
  payload: Payload<K>,
) => Promise<Answer<K>> | Answer<K>;

/**
 * The one small in-process port features talk through: typed, named events, each handled by the features that
 * subscribed to it, one after the other in the order they subscribed. A handler's error reaches the publisher (as a
 * direct call would): a tick whose AlertFired handler fails is a failed tick, and is retried as one. Nothing is kept:
 * an event with no subscriber is dropped.
 */
export class ReliabilityEvents {
  private readonly handlers = new Map<ReliabilityEventName, Handler<any>[]>();

  /** Handles every later event of this name. */
  subscribe<K extends ReliabilityEventName>(
    name: K,
    handler: Handler<K>,
  ): void {
    const list = this.handlers.get(name) ?? [];
    list.push(handler);
    this.handlers.set(name, list);
  }

  /** Hands the event to each subscriber in turn; answers what each answered, in subscription order. */
  async publish<K extends ReliabilityEventName>(
    name: K,
    payload: Payload<K>,
  ): Promise<Answer<K>[]> {
    const answers: Answer<K>[] = [];
    for (const handler of this.handlers.get(name) ?? [])
      answers.push(await handler(payload));
    return answers;
  }
}
