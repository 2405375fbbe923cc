import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BACKUP_DRILL_KINDS,
  FAILOVER_DRILL_KINDS,
  READINESS_CAPACITY_MAX_AGE_MS,
  READINESS_DRILL_MAX_AGE_MS,
} from '@reliability-suite/plugin-reliability-common';
import { DrillStore } from '../drills/DrillStore';
import { CapacityStore } from '../capacity/CapacityStore';
import { NoticeStore } from '../notifications/NoticeStore';
import { ReliabilityNotifier } from '../notifications/ReliabilityNotifier';

const DAY = 86_400_000;
/** Entities read per query, and at most this many pages (1,000,000 entities). */
const PAGE = 1_000;
const MAX_PAGES = 1_000;

/**
 * The readiness review's proofs that go stale: an entity whose last successful failover or restore drill is older
 * than a quarter, or whose last passing load test is older than a month (the same kinds, outcomes and ages as the
 * readiness score: a failed drill or load test, or a drill of another kind, proves nothing and refreshes nothing),
 * has its owners told once per stale proof: the notice is keyed by the proof's date, so a new drill that goes stale
 * in turn is told again.
 */
export class StaleProofTask {
  constructor(
    private readonly o: {
      drills: DrillStore;
      capacity: CapacityStore;
      notices: NoticeStore;
      notifier: ReliabilityNotifier;
      logger: LoggerService;
      now?: () => number;
    },
  ) {}

  async run(): Promise<{ notified: number }> {
    const now = this.o.now?.() ?? Date.now();
    let notified = 0;
    const checks = [
      {
        proof: 'drill' as const,
        maxAge: READINESS_DRILL_MAX_AGE_MS,
        page: (limit: number, offset: number) =>
          this.o.drills.lastSuccessPerEntity(limit, offset, [
            ...FAILOVER_DRILL_KINDS,
            ...BACKUP_DRILL_KINDS,
          ]),
      },
      {
        proof: 'capacity' as const,
        maxAge: READINESS_CAPACITY_MAX_AGE_MS,
        page: (limit: number, offset: number) =>
          this.o.capacity.lastRunPerEntity(limit, offset, 'pass'),
      },
    ];
    for (const check of checks) {
      for (let p = 0; p < MAX_PAGES; p++) {
        const rows = await check.page(PAGE, p * PAGE);
        for (const r of rows) {
          if (now - r.at <= check.maxAge) continue;
          if (
            !(await this.o.notices.claim(
              `proof-stale:${check.proof}:${r.entityRef}:${r.at}`,
              now,
            ))
          )
            continue;
          await this.o.notifier.proofStale({
            entityRef: r.entityRef,
            proof: check.proof,
            lastAt: r.at,
            maxAgeDays: Math.round(check.maxAge / DAY),
            now,
          });
          notified++;
        }
        if (rows.length < PAGE) break;
      }
    }
    // a year of notices is plenty to keep each told once (a proof older than that was told long ago)
    await this.o.notices.prune(now - 400 * DAY);
    if (notified)
      this.o.logger.info(
        `Told the owners of ${notified} stale drill or capacity proofs`,
      );
    return { notified };
  }
}
