import { readFileSync } from 'fs';
import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  csvErrorsMessage,
  parseDrillCsv,
} from '@reliability-suite/plugin-reliability-common';
import type { ReliabilityRecords } from '@reliability-suite/plugin-reliability-node';

/**
 * The demo's drill logs (`reliability.demo.drillLogs[]`: `entityRef` and a CSV `file`, relative to where the
 * backend runs), imported at start like any upload: all of a file or none, again on every start (an import updates
 * what is there). A file that cannot be read or does not parse is logged and left out; the portal still starts.
 */
export async function importDemoDrillLogs(
  cfg: Config | undefined,
  drills: ReliabilityRecords['drills'],
  logger: LoggerService,
  now = Date.now(),
): Promise<void> {
  for (const [i, c] of (
    cfg?.getOptionalConfigArray('demo.drillLogs') ?? []
  ).entries()) {
    const where = `reliability.demo.drillLogs[${i}]`;
    try {
      const entityRef = c.getString('entityRef').toLocaleLowerCase('en-US');
      const parsed = parseDrillCsv(readFileSync(c.getString('file'), 'utf8'), {
        now,
      });
      if (!parsed.ok) throw new Error(csvErrorsMessage(parsed.errors));
      const r = await drills.import(entityRef, parsed.drills, 'demo', now);
      logger.info(
        `Demo drill log for ${entityRef}: ${r.added} added, ${r.updated} updated`,
      );
    } catch (e) {
      logger.warn(`${where}: not imported: ${(e as Error).message}`);
    }
  }
}
