import Papa from 'papaparse';

/** One data row of a CSV file: its line number in the file (1-based, the header is line 1) and its cells by column. @public */
export interface CsvRow {
  line: number;
  cells: Record<string, string>;
}

/** A problem with a CSV file, naming the line and, when there is one, the column. @public */
export interface CsvError {
  line: number;
  field?: string;
  message: string;
}

/** @public */
export type CsvParseResult =
  | { ok: true; header: string[]; rows: CsvRow[] }
  | { ok: false; errors: CsvError[] };

/** At most this many errors are reported for one file. @public */
export const MAX_CSV_ERRORS = 50;

/**
 * Parses CSV text (RFC 4180: quoted fields, commas and newlines inside quotes, `""` escapes) with PapaParse, the one
 * CSV parser the suite uses. The first line is the header; `required` columns must be there; blank lines and lines
 * starting with `#` are skipped. Lines are counted in the file, so a quoted field spanning lines keeps the count
 * right. Refuses more than `maxRows` data rows.
 * @public
 */
export function parseCsv(
  text: string,
  options: {
    required?: readonly string[];
    known?: readonly string[];
    maxRows?: number;
  } = {},
): CsvParseResult {
  const maxRows = options.maxRows ?? 10_000;
  const body = text.replace(/^\uFEFF/, '');
  // each record with the line it starts on: PapaParse's cursor after each record marks where the next one starts
  const newlineBefore = newlineCounter(body);
  const records: string[][] = [];
  const lines: number[] = [];
  const errors: CsvError[] = [];
  let start = 0;
  Papa.parse<string[]>(body, {
    header: false,
    skipEmptyLines: false,
    delimiter: ',',
    step: (result, parser) => {
      const line = newlineBefore(start) + 1;
      start = result.meta.cursor;
      for (const e of result.errors) {
        if (errors.length < MAX_CSV_ERRORS)
          errors.push({
            line,
            message:
              e.code === 'MissingQuotes'
                ? 'a quoted field is not closed'
                : e.message,
          });
      }
      records.push(result.data);
      lines.push(line);
      // more rows than allowed (with the header and some blank lines): stop reading
      if (records.length > maxRows + 1_000) parser.abort();
    },
  });
  if (errors.length) return { ok: false, errors };
  const header = (records[0] ?? []).map(h => h.trim());
  if (header.length === 0 || header.every(h => h === ''))
    return {
      ok: false,
      errors: [
        {
          line: 1,
          message: `the first line must be the header${
            options.required ? ` (${options.required.join(',')})` : ''
          }`,
        },
      ],
    };
  const missing = (options.required ?? []).filter(c => !header.includes(c));
  if (missing.length)
    return {
      ok: false,
      errors: [
        {
          line: 1,
          message: `the header must have the column${
            missing.length > 1 ? 's' : ''
          } ${missing.join(', ')} (it has ${header.join(',')})`,
        },
      ],
    };
  const duplicate = header.find((h, i) => header.indexOf(h) !== i);
  if (duplicate)
    return {
      ok: false,
      errors: [
        {
          line: 1,
          field: duplicate,
          message: `the column ${duplicate} appears twice`,
        },
      ],
    };
  if (options.known) {
    const unknown = header.filter(h => !options.known!.includes(h));
    if (unknown.length)
      return {
        ok: false,
        errors: [
          {
            line: 1,
            field: unknown[0],
            message: `unknown column ${unknown.join(
              ', ',
            )}; the columns are ${options.known.join(', ')}`,
          },
        ],
      };
  }
  const rows: CsvRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const cells = records[i];
    const line = lines[i];
    if (cells.length === 1 && cells[0].trim() === '') continue;
    if (cells[0].trimStart().startsWith('#')) continue;
    if (cells.length !== header.length) {
      errors.push({
        line,
        message: `must have ${header.length} columns (${header.join(
          ',',
        )}), has ${cells.length}`,
      });
      if (errors.length >= MAX_CSV_ERRORS) break;
      continue;
    }
    if (rows.length >= maxRows)
      return {
        ok: false,
        errors: [
          { line, message: `too many rows: at most ${maxRows} per file` },
        ],
      };
    rows.push({
      line,
      cells: Object.fromEntries(header.map((h, j) => [h, cells[j].trim()])),
    });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, header, rows };
}

/** How many newlines come before a character offset (offsets asked in increasing order). */
function newlineCounter(text: string): (offset: number) => number {
  let at = 0;
  let count = 0;
  return offset => {
    for (; at < offset && at < text.length; at++) {
      if (text[at] === '\n' || (text[at] === '\r' && text[at + 1] !== '\n'))
        count++;
    }
    return count;
  };
}

/** CSV text of a header and rows (fields quoted where needed, `""` escapes, CRLF-free). @public */
export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | boolean | null | undefined)[])[],
): string {
  return `${Papa.unparse(
    {
      fields: [...header],
      data: rows.map(r =>
        r.map(v => (v === null || v === undefined ? '' : String(v))),
      ),
    },
    { newline: '\n' },
  )}\n`;
}
