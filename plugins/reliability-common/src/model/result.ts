/** Result of reading a document: the definition or a message naming the field. @public */
export type ParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: string };
