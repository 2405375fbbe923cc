import { LoggerService } from '@backstage/backend-plugin-api';
import {
  actionItemOverdueFrom,
  actionItemOwnerRef,
} from '@reliability-suite/plugin-reliability-common';
import type {
  Incident,
  IncidentActionItem,
} from '@reliability-suite/plugin-reliability-common';
import { IncidentStore } from './IncidentStore';

/** The port through which incident follow-ups tell people (the suite's notifier implements it). */
export interface IncidentNotices {
  /** The incident's status update is overdue: tells its Comms role holder (a user entity ref). */
  statusUpdateOverdue(a: {
    recipient: string;
    incident: Incident;
    overdueMs: number;
  }): Promise<void>;
  /**
   * An action item of a closed incident is overdue and not done: tells its owner (an entity ref: a user, or a group's
   * members), or the incident entity's owners when the item names its owner in free text.
   */
  actionItemOverdue(a: {
    recipient: string;
    incident: Incident;
    item: IncidentActionItem;
    /** 1-based, as listed. */
    position: number;
    overdueMs: number;
  }): Promise<void>;
}

/**
 * Follow-ups that run by themselves: every minute, open incidents whose status update is overdue are marked and
 * their Comms role holder (else the Incident Commander) is told once per overdue period (a period is one cadence);
 * and the owner of each action item of a closed incident that is overdue (its due day is over) and not done is told
 * once.
 */
export class IncidentFollowUps {
  constructor(
    private readonly o: {
      store: IncidentStore;
      notices: IncidentNotices;
      logger: LoggerService;
      now?: () => number;
    },
  ) {}

  /** One run; answers how many notices were sent. */
  async checkStatusUpdates(): Promise<number> {
    const now = (this.o.now ?? Date.now)();
    let sent = 0;
    for (const due of await this.o.store.overdueUpdates(now)) {
      if (due.lastNudgedFor !== null && due.lastNudgedFor >= due.periodDueAt)
        continue;
      const { incident } = due;
      const claimed = await this.o.store.claimUpdateNudge(
        incident.id,
        due.periodDueAt,
        due.lastUpdateAt,
      );
      if (!claimed) continue;
      const recipient = incident.roles.comms || incident.roles.commander;
      if (!recipient) {
        this.o.logger.info(
          `Incident ${incident.id}: status update overdue, and nobody holds Comms or Commander`,
        );
        continue;
      }
      await this.o.notices.statusUpdateOverdue({
        recipient,
        incident,
        overdueMs: now - due.firstDueAt,
      });
      sent++;
    }
    return sent;
  }

  /** One run over action items; answers how many owners were told. */
  async checkActionItems(): Promise<number> {
    const now = (this.o.now ?? Date.now)();
    let sent = 0;
    for (const id of await this.o.store.withOverdueActionItems(now)) {
      const claimed = await this.o.store.claimOverdueActionItems(id, now);
      if (!claimed) continue;
      for (const { position, item } of claimed.items) {
        await this.o.notices.actionItemOverdue({
          recipient:
            actionItemOwnerRef(item.owner) ?? claimed.incident.entityRef,
          incident: claimed.incident,
          item,
          position,
          overdueMs: now - actionItemOverdueFrom(item.due),
        });
        sent++;
      }
    }
    return sent;
  }
}
