import type { WriteFence } from '../database/writeFence';
import { ReliabilityEvents } from '../events/ReliabilityEvents';
import { z } from 'zod';
import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  ChangeEvent,
  changeListQuerySchema,
  ChangeListResponse,
  changeRequestSchema,
  ChangeWithImpact,
  decodeCursor,
  pageOf,
  reliabilityChangesRecordPermission,
  windowAt,
} from '@reliability-suite/plugin-reliability-common';
import { callerName, EntityAccess } from '../catalog/entityAccess';
import { SloRegistry } from '../slos';
import type { SloReads } from '../slos';
import { ChangeStore } from './ChangeStore';

const HOUR = 3_600_000;

export interface ChangeServiceOptions {
  store: ChangeStore;
  entities: EntityAccess;
  registry: SloRegistry;
  /** The SLOs' counts, read from their sources. */
  reads: SloReads;
  logger: LoggerService;
  /** Where ChangeRecorded is published after each recorded change. */
  events?: ReliabilityEvents;
  now?: () => number;
}

/** Change events: posted by CI, Argo CD or flag services, recorded by remediation, read with their impact. */
export class ChangeService {
  private readonly now: () => number;

  constructor(private readonly o: ChangeServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  async record(
    body: z.infer<typeof changeRequestSchema>,
    credentials: BackstageCredentials,
    fence?: WriteFence,
  ): Promise<ChangeEvent> {
    const entityRef = body.entityRef.toLocaleLowerCase('en-US');
    await this.o.entities.forWrite(
      reliabilityChangesRecordPermission,
      entityRef,
      credentials,
    );
    const { entityRef: _ref, at, ...rest } = body;
    const change = await this.o.store.create(
      {
        ...rest,
        entityRef,
        at: at ? Date.parse(at) : this.now(),
        source: callerName(credentials),
      },
      this.now(),
      fence,
    );
    await this.o.events?.publish('ChangeRecorded', {
      entityRef,
      kind: change.kind,
      summary: change.summary,
      at: Date.parse(change.at),
    });
    return change;
  }

  /** What the suite's own remediation changed (a flag flip, a restart), as a change of the rule's entity. */
  async recordRemediation(c: {
    entityRef: string;
    kind: 'flag' | 'restart';
    ruleId: string;
    summary: string;
    at: number;
  }): Promise<void> {
    try {
      await this.o.store.create(
        {
          entityRef: c.entityRef,
          kind: c.kind,
          summary: c.summary,
          author: `remediation rule ${c.ruleId}`,
          at: c.at,
          source: `remediation:${c.ruleId}`,
        },
        this.now(),
      );
      await this.o.events?.publish('ChangeRecorded', {
        entityRef: c.entityRef,
        kind: c.kind,
        summary: c.summary,
        at: c.at,
      });
    } catch (e) {
      this.o.logger.warn(
        `Could not record the change made by remediation rule ${c.ruleId}: ${
          (e as Error).message
        }`,
      );
    }
  }

  /** A page of the entity's changes, each with the budget its SLOs burned in the hour after it. */
  async list(
    query: z.infer<typeof changeListQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<ChangeListResponse> {
    const entityRef = query.entityRef.toLocaleLowerCase('en-US');
    await this.o.entities.annotations(entityRef, credentials);
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const rows = await this.o.store.list(
      entityRef,
      {
        from: query.from ? Date.parse(query.from) : undefined,
        to: query.to ? Date.parse(query.to) : undefined,
      },
      limit + 1,
      offset,
    );
    const page = pageOf(rows, offset, limit, true);
    const slos = (await this.o.registry.forEntity(entityRef)).slice(0, 20);
    const spent = new Map<string, (number | null)[]>();
    await Promise.all(
      slos.map(async ({ def }) => {
        // per change: the hour after it, and the whole compliance window at the end of that hour
        const intervals = page.items.flatMap(c => {
          const end = Date.parse(c.at) + HOUR;
          const win = windowAt(def.window, end);
          return [
            { start: Date.parse(c.at), end },
            { start: win.start, end },
          ];
        });
        try {
          const counts = intervals.length
            ? await this.o.reads.counts(def, intervals)
            : [];
          spent.set(
            def.ref,
            page.items.map((_c, i) => {
              const hour = counts[2 * i];
              const allowed = counts[2 * i + 1].total * (1 - def.target);
              return allowed > 0 ? (hour.total - hour.good) / allowed : null;
            }),
          );
        } catch (e) {
          this.o.logger.warn(
            `Changes of ${entityRef}: the budget burned by ${
              def.ref
            } is unknown: ${(e as Error).message}`,
          );
          spent.set(
            def.ref,
            page.items.map(() => null),
          );
        }
      }),
    );
    const items: ChangeWithImpact[] = page.items.map((c, i) => {
      const burnedAfter = slos.map(({ def }) => ({
        slo: def.ref,
        budgetSpent: spent.get(def.ref)![i],
      }));
      const known = burnedAfter
        .map(b => b.budgetSpent)
        .filter((v): v is number => v !== null);
      return {
        ...c,
        burnedAfter,
        worst: known.length ? Math.max(...known) : null,
      };
    });
    return { ...page, items };
  }
}
