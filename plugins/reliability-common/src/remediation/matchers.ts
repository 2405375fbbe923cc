/**
 * Alertmanager-style label matchers (`severity="error"`, `env!="dev"`, `service=~"checkout|cart"`, `team!~"x.*"`)
 * and the `{{label}}` templates remediation rules use for lock keys and request bodies. Pure: no I/O.
 */

/** One label matcher. @public */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

const MATCHER_RE = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/**
 * Parses one matcher. Answers an error message naming the rule that was broken, or the matcher.
 * Regular expressions are anchored at both ends, as in Alertmanager.
 * @public
 */
export function parseMatcher(text: string): { ok: true; value: LabelMatcher } | { ok: false; error: string } {
  const m = MATCHER_RE.exec(text);
  if (!m) return { ok: false, error: `'${text}' is not a label matcher like severity="error" (operators =, !=, =~, !~; value in double quotes)` };
  const value = m[3].replace(/\\(.)/g, '$1');
  const op = m[2] as LabelMatcher['op'];
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (e) {
      return { ok: false, error: `'${text}' has an invalid regular expression: ${(e as Error).message}` };
    }
  }
  return { ok: true, value: { name: m[1], op, value } };
}

/** True when every matcher holds for the labels (a missing label is the empty string). @public */
export function matchesLabels(matchers: readonly LabelMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every(m => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return new RegExp(`^(?:${m.value})$`).test(v);
      case '!~':
        return !new RegExp(`^(?:${m.value})$`).test(v);
      default:
        return false;
    }
  });
}

/** @public */
export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

const PLACEHOLDER_RE = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*\}\}/g;

/** The names a template refers to (`rollback:{{env}}` -> ['env']). @public */
export function templateNames(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER_RE)].map(m => m[1]);
}

/**
 * Fills `{{name}}` placeholders from `values` (dotted names look into nested objects, e.g. `{{labels.env}}`).
 * Names without a value are reported in `missing` and left empty, so callers can refuse instead of guessing.
 * @public
 */
export function renderTemplate(template: string, values: Readonly<Record<string, unknown>>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = template.replace(PLACEHOLDER_RE, (_all, name: string) => {
    const v = lookup(values, name);
    if (v === undefined || v === null) {
      missing.push(name);
      return '';
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
  return { text, missing };
}

function lookup(values: Readonly<Record<string, unknown>>, name: string): unknown {
  if (name in values) return values[name];
  let cur: unknown = values;
  for (const part of name.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Renders every string inside a JSON value (keys untouched). A string that is exactly one placeholder keeps
 * the value's own JSON type, so `"{{labels}}"` becomes an object rather than its string form.
 * @public
 */
export function renderJsonTemplate(value: unknown, values: Readonly<Record<string, unknown>>, missing: string[] = []): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*\}\}$/.exec(value);
    if (whole) {
      const v = lookup(values, whole[1]);
      if (v === undefined) missing.push(whole[1]);
      return v ?? null;
    }
    const r = renderTemplate(value, values);
    missing.push(...r.missing);
    return r.text;
  }
  if (Array.isArray(value)) return value.map(v => renderJsonTemplate(v, values, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJsonTemplate(v, values, missing)]));
  }
  return value;
}
