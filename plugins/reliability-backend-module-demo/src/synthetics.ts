import { readFileSync } from 'fs';
import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  csvErrorsMessage,
  durationMs,
  formatIssues,
  parseDuration,
  parseSyntheticRegistryCsv,
  SyntheticJourney,
  syntheticJourneySchema,
  syntheticSliOf,
  SyntheticStepResult,
} from '@reliability-suite/plugin-reliability-common';
import type {
  ReliabilityRecords,
  SyntheticRunInput,
} from '@reliability-suite/plugin-reliability-node';
import { strSeed } from './traffic';

const HOUR = 3_600_000;

/** A stable pseudo-random number in [0, 1) for a key, so the demo's history is the same on every start. */
const unit = (key: string) => strSeed(key) / 2 ** 32;

/**
 * The demo's synthetic journeys (`reliability.demo.synthetics[]`: `entityRef`, the seed's `registry` CSV and a
 * `journeys` JSON file with the steps; paths relative to where the backend runs). The registry is imported as any
 * upload would be, then each journey gets its steps (and its own regions where it names them). A journey without
 * runs gets `historyHours` (default 24) of runs in its regions, recorded and counted for its SLOs as the runner would,
 * so the charts have a past; the runner adds live runs against the demo shop from then on.
 */
export async function importDemoSynthetics(
  cfg: Config | undefined,
  deps: {
    records: Pick<ReliabilityRecords, 'slos' | 'synthetics'>;
    logger: LoggerService;
  },
  options: { now?: number; waitForSlos?: boolean } = {},
): Promise<'done' | 'waiting'> {
  const now = options.now ?? Date.now();
  const entries = cfg?.getOptionalConfigArray('demo.synthetics') ?? [];
  // the history counts for the entity's Synthetic SLOs: wait (a few ticks) until the catalog's SLOs are registered
  if (options.waitForSlos) {
    for (const c of entries) {
      const slos = await deps.records.slos.forEntity(
        c.getString('entityRef').toLocaleLowerCase('en-US'),
      );
      if (!slos.some(s => syntheticSliOf(s))) return 'waiting';
    }
  }
  for (const [i, c] of entries.entries()) {
    const where = `reliability.demo.synthetics[${i}]`;
    try {
      const entityRef = c.getString('entityRef').toLocaleLowerCase('en-US');
      const registry = parseSyntheticRegistryCsv(
        readFileSync(c.getString('registry'), 'utf8'),
      );
      if (!registry.ok) throw new Error(csvErrorsMessage(registry.errors));
      await deps.records.synthetics.importRegistry(
        entityRef,
        registry.journeys,
        'demo',
        now,
      );
      const file = JSON.parse(
        readFileSync(c.getString('journeys'), 'utf8'),
      ) as { journeys?: Record<string, unknown>[] };
      const journeys: SyntheticJourney[] = [];
      for (const j of file.journeys ?? []) {
        const base = registry.journeys.find(r => r.name === j.name);
        const parsed = syntheticJourneySchema.safeParse({ ...base, ...j });
        if (!parsed.success)
          throw new Error(
            `journey ${String(j.name)}: ${formatIssues(parsed.error)}`,
          );
        await deps.records.synthetics.put(entityRef, parsed.data, 'demo', now);
        journeys.push(parsed.data);
      }
      let backfilled = 0;
      for (const j of journeys) {
        if (await deps.records.synthetics.hasRuns(entityRef, j.name)) continue;
        const runs: SyntheticRunInput[] = [];
        const every = durationMs(parseDuration(j.frequency)!);
        const from = now - (c.getOptionalNumber('historyHours') ?? 24) * HOUR;
        for (const region of j.regions) {
          for (let t = from; t < now - every; t += every) {
            const r = unit(`${j.name}|${region}|${t}`);
            const steps: SyntheticStepResult[] = [];
            let start = 0;
            for (const [k, s] of j.steps.entries()) {
              const d =
                Math.round((15 + unit(`${t}|${region}|${k}`) * 120) * 100) /
                100;
              steps.push({
                name: s.name,
                type: s.type,
                ok: true,
                startMs: start,
                durationMs: d,
                ...(s.type === 'http' ? { status: 200 } : {}),
              });
              start += d;
            }
            // about 1 run in 400 fails at its last step (half the 99.5% budget), 1 in 100 is slow
            const failed = r < 0.0025;
            if (r > 0.99)
              steps[steps.length - 1].durationMs += j.deadlineMs * 0.6;
            if (failed)
              Object.assign(steps[steps.length - 1], {
                ok: false,
                status: 503,
                error: 'status 503, expected 201',
              });
            const total = steps.reduce((a, s) => a + s.durationMs, 0);
            runs.push({
              region,
              startedAt: t,
              durationMs: total,
              success: !failed,
              error: failed
                ? `step '${
                    steps[steps.length - 1].name
                  }': status 503, expected 201`
                : null,
              warnings: [],
              steps,
            });
          }
        }
        // recorded and counted for the entity's SLOs whose SLI is the journey, as the runner's runs are
        await deps.records.synthetics.recordRuns(entityRef, j.name, runs);
        backfilled += runs.length;
      }
      deps.logger.info(
        `Demo synthetics for ${entityRef}: ${journeys.length} journeys, ${backfilled} past runs recorded`,
      );
    } catch (e) {
      deps.logger.warn(`${where}: not imported: ${(e as Error).message}`);
    }
  }
  return 'done';
}
