import { RE2JS } from 're2js';

/**
 * Alertmanager-style label matchers (`severity="error"`, `env!="dev"`, `service=~"checkout|cart"`, `team!~"x.*"`)
 * (the `{{label}}` templates of lock keys and request bodies are template/template.ts). Pure: no I/O.
 */

/** One label matcher. @public */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Most compiled patterns kept; matchers come from config and runbooks, so a few hundred is plenty. */
const PATTERN_CACHE_SIZE = 500;
const patterns = new Map<string, RE2JS>();

/**
 * Compiles a matcher's regular expression with RE2 semantics (re2js), anchored at both ends as Alertmanager does.
 * RE2 runs in time linear in the input and refuses constructs that need backtracking (backreferences, lookaround),
 * so a matcher that works in Alertmanager works here and none can stall the event loop.
 */
function compile(value: string): RE2JS {
  let p = patterns.get(value);
  if (!p) {
    p = RE2JS.compile(`^(?:${value})$`);
    if (patterns.size >= PATTERN_CACHE_SIZE)
      patterns.delete(patterns.keys().next().value as string);
    patterns.set(value, p);
  }
  return p;
}

const isSpace = (c: string) =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isNameStart = (c: string) =>
  (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isNameChar = (c: string) => isNameStart(c) || (c >= '0' && c <= '9');

/**
 * A scanner over a selector's text: one pass, no regular expressions, so its cost is linear in the input.
 * @internal
 */
export class SelectorScanner {
  pos = 0;
  constructor(readonly text: string) {}
  get done() {
    return this.pos >= this.text.length;
  }
  peek() {
    return this.text[this.pos] ?? '';
  }
  skipSpace() {
    while (this.pos < this.text.length && isSpace(this.text[this.pos]))
      this.pos++;
  }
  /**
   * A label name: [a-zA-Z_][a-zA-Z0-9_]* (with `:` too when `colon`, as metric and alert names allow; with `.` after
   * the first character when `dot`, as the webhook receivers' labels such as payload.custom_details.service have).
   */
  name(colon = false, dot = false): string | undefined {
    const start = this.pos;
    const first = this.peek();
    if (!(isNameStart(first) || (colon && first === ':'))) return undefined;
    this.pos++;
    while (
      this.pos < this.text.length &&
      (isNameChar(this.text[this.pos]) ||
        (colon && this.text[this.pos] === ':') ||
        (dot && this.text[this.pos] === '.'))
    )
      this.pos++;
    return this.text.slice(start, this.pos);
  }
  operator(): LabelMatcher['op'] | undefined {
    const two = this.text.slice(this.pos, this.pos + 2);
    if (two === '=~' || two === '!~' || two === '!=') {
      this.pos += 2;
      return two;
    }
    if (this.peek() === '=') {
      this.pos++;
      return '=';
    }
    return undefined;
  }
  /** A double-quoted string with backslash escapes; undefined when unterminated. */
  quoted(): string | undefined {
    if (this.peek() !== '"') return undefined;
    let out = '';
    for (let i = this.pos + 1; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === '\\' && i + 1 < this.text.length) {
        out += this.text[++i];
      } else if (c === '"') {
        this.pos = i + 1;
        return out;
      } else out += c;
    }
    return undefined;
  }
  /** One matcher at the current position (spaces around it skipped). */
  matcher(): { ok: true; value: LabelMatcher } | { ok: false; error: string } {
    const rule =
      'a label matcher like severity="error" (operators =, !=, =~, !~; value in double quotes)';
    this.skipSpace();
    const name = this.name(false, true);
    if (!name)
      return {
        ok: false,
        error: `expected ${rule}: a label name must start with a letter or _`,
      };
    this.skipSpace();
    const op = this.operator();
    if (!op)
      return {
        ok: false,
        error: `expected ${rule}: no operator after '${name}'`,
      };
    this.skipSpace();
    const value = this.quoted();
    if (value === undefined)
      return {
        ok: false,
        error: `expected ${rule}: the value of '${name}' must be in double quotes`,
      };
    this.skipSpace();
    if (op === '=~' || op === '!~') {
      try {
        compile(value);
      } catch (e) {
        return {
          ok: false,
          error: `the matcher on '${name}' has an invalid regular expression (RE2 syntax, as in Alertmanager): ${
            (e as Error).message
          }`,
        };
      }
    }
    return { ok: true, value: { name, op, value } };
  }
}

const shorten = (text: string) =>
  text.length > 80 ? `${text.slice(0, 80)}…` : text;

/**
 * Parses one matcher. Answers an error message naming the rule that was broken, or the matcher.
 * Regular expressions use RE2 syntax and are anchored at both ends, as in Alertmanager. Linear in the input.
 * @public
 */
export function parseMatcher(
  text: string,
): { ok: true; value: LabelMatcher } | { ok: false; error: string } {
  const s = new SelectorScanner(text);
  const r = s.matcher();
  if (!r.ok) return { ok: false, error: `'${shorten(text)}': ${r.error}` };
  if (!s.done)
    return {
      ok: false,
      error: `'${shorten(
        text,
      )}' is not a label matcher like severity="error": unexpected text after the value`,
    };
  return r;
}

/** True when every matcher holds for the labels (a missing label is the empty string). @public */
export function matchesLabels(
  matchers: readonly LabelMatcher[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return matchers.every(m => {
    const v = Object.prototype.hasOwnProperty.call(labels, m.name)
      ? String(labels[m.name])
      : '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return compile(m.value).matches(v);
      case '!~':
        return !compile(m.value).matches(v);
      default:
        return false;
    }
  });
}
