/**
 * JSON Pointer (RFC 6901): `/alert/id`, `/labels/a~1b` (`~1` is `/`, `~0` is `~`). A pointer is parsed once, when the
 * mapping that declares it is read, and resolved against each payload by walking objects and arrays: no regular
 * expression ever runs on the payload. Pure: no I/O.
 */

/** The most reference tokens a pointer may have (a payload deeper than this is not mapped). @public */
export const JSON_POINTER_MAX_TOKENS = 32;

/** A parsed JSON Pointer: its reference tokens, unescaped. @public */
export type JsonPointer = readonly string[];

/** Parses a JSON Pointer (RFC 6901 section 3); the error says what is wrong. @public */
export function parseJsonPointer(
  text: string,
): { ok: true; value: JsonPointer } | { ok: false; error: string } {
  if (text === '') return { ok: true, value: [] };
  if (text[0] !== '/')
    return {
      ok: false,
      error: `'${text.slice(
        0,
        60,
      )}' is not a JSON pointer: it must be empty or start with '/' (like /alert/id)`,
    };
  const tokens: string[] = [];
  let token = '';
  for (let i = 1; i <= text.length; i++) {
    const c = text[i];
    if (i === text.length || c === '/') {
      tokens.push(token);
      token = '';
      if (tokens.length > JSON_POINTER_MAX_TOKENS)
        return {
          ok: false,
          error: `a JSON pointer may have at most ${JSON_POINTER_MAX_TOKENS} reference tokens`,
        };
    } else if (c === '~') {
      const next = text[i + 1];
      if (next === '0') token += '~';
      else if (next === '1') token += '/';
      else
        return {
          ok: false,
          error: `'${text.slice(
            0,
            60,
          )}' is not a JSON pointer: '~' must be followed by 0 or 1 (~0 is '~', ~1 is '/')`,
        };
      i++;
    } else token += c;
  }
  return { ok: true, value: tokens };
}

/** An array index token: 0, or digits not starting with 0 (RFC 6901 section 4); '-' names no element. */
function arrayIndex(token: string): number | undefined {
  if (token.length === 0 || token.length > 9) return undefined;
  if (token.length > 1 && token[0] === '0') return undefined;
  for (const c of token) if (c < '0' || c > '9') return undefined;
  return Number(token);
}

/** The value a pointer refers to in a document, or undefined when it refers to nothing. @public */
export function resolveJsonPointer(
  document: unknown,
  pointer: JsonPointer,
): unknown {
  let node: unknown = document;
  for (const token of pointer) {
    if (Array.isArray(node)) {
      const i = arrayIndex(token);
      if (i === undefined || i >= node.length) return undefined;
      node = node[i];
    } else if (node !== null && typeof node === 'object') {
      if (!Object.prototype.hasOwnProperty.call(node, token)) return undefined;
      node = (node as Record<string, unknown>)[token];
    } else return undefined;
  }
  return node;
}

/** Writes a pointer back as text (the escapes restored), for messages. @public */
export function formatJsonPointer(pointer: JsonPointer): string {
  return pointer
    .map(t => `/${t.split('~').join('~0').split('/').join('~1')}`)
    .join('');
}
