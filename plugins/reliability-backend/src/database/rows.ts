import { createHash } from 'crypto';

/** Helpers for reading rows the same way on SQLite and PostgreSQL. */

/** Epoch milliseconds (bigint columns come back as strings from pg) to ISO text; null stays null. */
export const isoOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : new Date(Number(v)).toISOString();

/** A numeric column that may be null. */
export const numOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : Number(v);

/**
 * The id of the row an `insert … onConflict().ignore().returning('id')` inserted, or undefined when the conflict
 * ignored it (both drivers answer []). pg answers `[{ id }]`, better-sqlite3 `[{ id }]` or `[id]`.
 */
export function insertedId(result: unknown): number | undefined {
  if (!Array.isArray(result) || result.length === 0) return undefined;
  const first = result[0] as { id: number | string } | number;
  return Number(typeof first === 'object' ? first.id : first);
}

/** Longest key kept as written in an indexed column; longer keys are stored as their digest. */
export const MAX_INDEXED_KEY = 200;

/**
 * A key for an indexed column: as written when short, else `sha256:<hex>` of it. Keys built from alert labels
 * (lock keys, dedup keys) can be of any length; their digest is unique in practice and always fits the column.
 */
export function indexKey(key: string): string {
  return key.length <= MAX_INDEXED_KEY
    ? key
    : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
