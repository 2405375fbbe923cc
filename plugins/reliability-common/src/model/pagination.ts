import { z } from 'zod';

/**
 * Pagination of every list endpoint: `?limit=<1..1000>&cursor=<opaque>`. An answer carries `nextCursor` while
 * more items follow; pass it back unchanged to get the next page. A page can hold fewer than `limit` items when
 * some of them are hidden from the caller (entities they cannot read in the catalog): follow `nextCursor` until
 * it is absent.
 */

/** Most items a page may hold. @public */
export const MAX_PAGE_LIMIT = 1000;

/** The items of one page and, while more follow, the cursor of the next. @public */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** `limit` and `cursor` query parameters, for every list endpoint's schema. @public */
export const pageParams = {
  limit: z.coerce
    .number({ invalid_type_error: 'must be a number' })
    .int('must be an integer')
    .min(1, 'must be at least 1')
    .max(MAX_PAGE_LIMIT, `must be at most ${MAX_PAGE_LIMIT}`)
    .optional(),
  cursor: z
    .string({ invalid_type_error: 'must be a string' })
    .max(64, 'must be a cursor from a previous answer')
    .refine(
      c => decodeCursor(c) !== undefined,
      'must be a cursor from a previous answer (nextCursor)',
    )
    .optional(),
};

/** The cursor of the page that starts at `offset`. @public */
export function encodeCursor(offset: number): string {
  // btoa/atob: the same in Node and in browsers; the text is ASCII
  return btoa(`o:${offset}`)
    .split('=')
    .join('')
    .split('+')
    .join('-')
    .split('/')
    .join('_');
}

/** The offset a cursor stands for; undefined when it is not one of ours. @public */
export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return 0;
  let text: string;
  try {
    text = atob(cursor.split('-').join('+').split('_').join('/'));
  } catch {
    return undefined;
  }
  if (!text.startsWith('o:')) return undefined;
  const digits = text.slice(2);
  if (
    !digits ||
    digits.length > 12 ||
    ![...digits].every(c => c >= '0' && c <= '9')
  )
    return undefined;
  return Number(digits);
}

/**
 * One page of a list held in memory, or of rows a store answered for `limit + 1` from `offset` (the extra row
 * says whether a next page exists; it is not returned).
 * @public
 */
export function pageOf<T>(
  rows: T[],
  offset: number,
  limit: number,
  fetchedFromOffset = false,
): Page<T> {
  const window = fetchedFromOffset
    ? rows
    : rows.slice(offset, offset + limit + 1);
  const items = window.slice(0, limit);
  return window.length > limit
    ? { items, nextCursor: encodeCursor(offset + limit) }
    : { items };
}

/** Query of lists that only page: runbook versions, the commander's alerts. @public */
export const pageQuerySchema = z.object({ ...pageParams }).strict();
