import { CsvError, parseCsv } from '../csv/csv';
import { SyntheticJourney, syntheticJourneySchema } from './journey';

/** The synthetic journey registry: `journey,region,frequency,deadline_ms`. @public */
export const SYNTHETIC_CSV_COLUMNS = [
  'journey',
  'region',
  'frequency',
  'deadline_ms',
] as const;

/**
 * The journey registry as journeys (their regions, frequency and deadline; steps come from the journey's own
 * definition): one row per journey and region, rows of a journey merged. Every broken row named by line and column.
 * @public
 */
export function parseSyntheticRegistryCsv(
  csvText: string,
):
  | { ok: true; journeys: Omit<SyntheticJourney, 'steps'>[] }
  | { ok: false; errors: CsvError[] } {
  const csv = parseCsv(csvText, {
    required: SYNTHETIC_CSV_COLUMNS,
    known: SYNTHETIC_CSV_COLUMNS,
    maxRows: 2_000,
  });
  if (!csv.ok) return csv;
  const errors: CsvError[] = [];
  const byName = new Map<
    string,
    Omit<SyntheticJourney, 'steps'> & { line: number }
  >();
  for (const { line, cells } of csv.rows) {
    const deadline = /^\d+$/.test(cells.deadline_ms)
      ? Number(cells.deadline_ms)
      : NaN;
    const r = syntheticJourneySchema.omit({ steps: true }).safeParse({
      name: cells.journey,
      regions: [cells.region],
      frequency: cells.frequency,
      deadlineMs: deadline,
    });
    if (!r.success) {
      const column: Record<string, string> = {
        name: 'journey',
        regions: 'region',
        frequency: 'frequency',
        deadlineMs: 'deadline_ms',
      };
      for (const issue of r.error.issues) {
        const field = column[String(issue.path[0])] ?? String(issue.path[0]);
        errors.push({
          line,
          field,
          message:
            Number.isNaN(deadline) && field === 'deadline_ms'
              ? `must be a whole number of milliseconds, got '${cells.deadline_ms.slice(
                  0,
                  40,
                )}'`
              : issue.message,
        });
      }
      continue;
    }
    const seen = byName.get(r.data.name);
    if (!seen) byName.set(r.data.name, { ...r.data, line });
    else if (
      seen.frequency !== r.data.frequency ||
      seen.deadlineMs !== r.data.deadlineMs
    ) {
      errors.push({
        line,
        field: 'journey',
        message: `${r.data.name} has frequency ${seen.frequency} and deadline ${seen.deadlineMs} ms on line ${seen.line}; a journey has one of each`,
      });
    } else if (!seen.regions.includes(r.data.regions[0]))
      seen.regions.push(r.data.regions[0]);
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    journeys: [...byName.values()].map(({ line: _line, ...j }) => j),
  };
}
