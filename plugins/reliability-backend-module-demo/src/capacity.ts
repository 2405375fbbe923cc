import { readFileSync } from 'fs';
import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  capacityRunRequestSchema,
  capacityVerdict,
  latencyTargetMs,
  readK6Summary,
} from '@reliability-suite/plugin-reliability-common';
import type { ReliabilityRecords } from '@reliability-suite/plugin-reliability-node';

/**
 * The demo's load-test history (`reliability.demo.capacityRuns[]`: `entityRef`, a JSON `file` of runs as CI posts
 * them, and the entity's `latencyP95` as its annotation says), recorded at start when the entity has none. A file
 * that cannot be read or does not parse is logged and left out.
 */
export async function importDemoCapacityRuns(
  cfg: Config | undefined,
  capacity: ReliabilityRecords['capacity'],
  logger: LoggerService,
  now = Date.now(),
): Promise<void> {
  for (const [i, c] of (
    cfg?.getOptionalConfigArray('demo.capacityRuns') ?? []
  ).entries()) {
    const where = `reliability.demo.capacityRuns[${i}]`;
    try {
      const entityRef = c.getString('entityRef').toLocaleLowerCase('en-US');
      if ((await capacity.list(entityRef, 1)).length) continue;
      const target = latencyTargetMs({
        'reliability.io/latency-p95': c.getString('latencyP95'),
      });
      const runs = JSON.parse(
        readFileSync(c.getString('file'), 'utf8'),
      ) as unknown[];
      for (const [j, raw] of runs.entries()) {
        const body = capacityRunRequestSchema.parse({
          ...(raw as object),
          entityRef,
        });
        const figures = readK6Summary(body.summary);
        if (!figures.ok) throw new Error(`run ${j}: ${figures.error}`);
        const { verdict, reason } = capacityVerdict(
          figures.value.p95Ms,
          target.ms,
        );
        await capacity.record(
          {
            ...figures.value,
            entityRef,
            testType: body.testType,
            commit: body.commit,
            startedAt: Date.parse(
              body.startedAt ?? new Date(now).toISOString(),
            ),
            maxRps: body.maxRps ?? null,
            cpuPercent: body.cpuPercent ?? null,
            targetMs: target.ms,
            verdict,
            reason,
            recordedBy: 'demo',
          },
          now,
        );
      }
      logger.info(`Demo load tests for ${entityRef}: ${runs.length} runs`);
    } catch (e) {
      logger.warn(`${where}: not imported: ${(e as Error).message}`);
    }
  }
}
