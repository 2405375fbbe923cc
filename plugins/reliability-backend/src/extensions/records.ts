import { LoggerService } from '@backstage/backend-plugin-api';
import type {
  ReliabilityCounts,
  ReliabilityRecords,
  ReliabilityRecordsProvider,
} from '@reliability-suite/plugin-reliability-node';
import type { SloRegistry } from '../slos';
import { DrillStore } from '../drills/DrillStore';
import { CapacityStore } from '../capacity/CapacityStore';
import { ChangeStore } from '../changes/ChangeStore';
import { SyntheticStore } from '../synthetics/SyntheticStore';
import { SyntheticTask } from '../synthetics/SyntheticTask';

/** What the backend records, for the providers of the records extension point. */
export function reliabilityRecords(o: {
  counts: ReliabilityCounts;
  registry: SloRegistry;
  drills: DrillStore;
  capacity: CapacityStore;
  changes: ChangeStore;
  synthetics: SyntheticStore;
  syntheticTask: SyntheticTask;
}): ReliabilityRecords {
  return {
    slos: {
      forEntity: async entityRef =>
        (await o.registry.forEntity(entityRef)).map(s => s.def),
    },
    counts: o.counts,
    drills: {
      import: (entityRef, drills, by, now = Date.now()) =>
        o.drills.import(entityRef, drills, by, now),
    },
    capacity: {
      list: (entityRef, limit) => o.capacity.list(entityRef, limit, 0),
      record: (run, now = Date.now()) => o.capacity.create(run, now),
    },
    changes: {
      list: (entityRef, limit) => o.changes.list(entityRef, {}, limit, 0),
      record: (change, now = Date.now()) => o.changes.create(change, now),
    },
    synthetics: {
      importRegistry: (entityRef, journeys, by, now = Date.now()) =>
        o.synthetics.importRegistry(entityRef, journeys, by, now),
      put: async (entityRef, journey, by, now = Date.now()) => {
        await o.synthetics.put(entityRef, journey, by, now);
      },
      hasRuns: async (entityRef, name) => {
        const journey = await o.synthetics.get(entityRef, name);
        return Boolean(journey && (await o.synthetics.hasRuns(journey.id)));
      },
      recordRuns: async (entityRef, name, runs) => {
        const journey = await o.synthetics.get(entityRef, name);
        if (!journey)
          throw new Error(`${entityRef} has no synthetic journey ${name}`);
        const slos = (await o.registry.forEntity(entityRef)).map(s => s.def);
        for (const { region, ...result } of runs) {
          await o.syntheticTask.record(
            {
              journeyId: journey.id,
              entityRef,
              journey,
              region,
              dueAt: result.startedAt,
            },
            result,
            slos,
          );
        }
      },
    },
  };
}

/** Connects each provider once, in the order they were added; one that throws is logged and the others still run. */
export async function connectProviders(
  providers: ReliabilityRecordsProvider[],
  records: ReliabilityRecords,
  logger: LoggerService,
): Promise<void> {
  for (const provider of providers) {
    try {
      await provider.connect(records);
    } catch (e) {
      logger.error(
        `Records provider ${provider.id} failed to connect: ${
          (e as Error).message
        }`,
      );
    }
  }
}
