/** Helpers for reading rows the same way on SQLite and PostgreSQL. */

/** Epoch milliseconds (bigint columns come back as strings from pg) to ISO text; null stays null. */
export const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(Number(v)).toISOString());

/** A numeric column that may be null. */
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * The id of the row an `insert … onConflict().ignore().returning('id')` inserted, or undefined when the conflict
 * ignored it (both drivers answer []). pg answers `[{ id }]`, better-sqlite3 `[{ id }]` or `[id]`.
 */
export function insertedId(result: unknown): number | undefined {
  if (!Array.isArray(result) || result.length === 0) return undefined;
  const first = result[0] as { id: number | string } | number;
  return Number(typeof first === 'object' ? first.id : first);
}
