/**
 * The suite's one `{{…}}` template engine: remediation lock keys and request bodies (`{{labels.env}}`) and synthetic
 * journeys (`{{cartId}}`, `{{secrets.NAME}}`) both read templates through `parseTemplate`. Pure, and it scans the
 * text once: no regular expression runs on user text.
 */

/** A piece of a template: literal text, or a `{{name}}` / `{{secrets.NAME}}` reference. @public */
export type TemplatePart = { text: string } | { ref: string };

/**
 * Splits a template into literal text and `{{...}}` references, scanning once (no regular expression on user text).
 * An unclosed `{{` is literal text. With `isRef`, a `{{...}}` whose trimmed content it refuses stays literal text and
 * the scan goes on from the next character (so `{{{a}}` is `{` and a reference to `a`).
 * @public
 */
export function parseTemplate(
  source: string,
  isRef: (name: string) => boolean = () => true,
): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let from = 0;
  while (from < source.length) {
    const open = source.indexOf('{{', from);
    const close = open < 0 ? -1 : source.indexOf('}}', open + 2);
    if (open < 0 || close < 0) {
      text += source.slice(from);
      break;
    }
    const ref = source.slice(open + 2, close).trim();
    if (!isRef(ref)) {
      text += source.slice(from, open + 1);
      from = open + 1;
      continue;
    }
    text += source.slice(from, open);
    if (text) parts.push({ text });
    text = '';
    parts.push({ ref });
    from = close + 2;
  }
  if (text) parts.push({ text });
  return parts;
}

/** A name remediation templates fill: a letter or _, then letters, digits, _ and dots (`labels.env`). */
const isName = (ref: string) => /^[a-zA-Z_][a-zA-Z0-9_.]*$/.test(ref);

/** The names a template refers to (`rollback:{{env}}` gives `['env']`). @public */
export function templateNames(template: string): string[] {
  return parseTemplate(template, isName).flatMap(p =>
    'ref' in p ? [p.ref] : [],
  );
}

/**
 * Fills `{{name}}` placeholders from `values` (dotted names look into nested objects, e.g. `{{labels.env}}`).
 * Names without a value are reported in `missing` and left empty, so callers can refuse instead of guessing.
 * @public
 */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, unknown>>,
): { text: string; missing: string[] } {
  const missing: string[] = [];
  let text = '';
  for (const part of parseTemplate(template, isName)) {
    if ('text' in part) {
      text += part.text;
      continue;
    }
    const v = lookup(values, part.ref);
    if (v === undefined || v === null) missing.push(part.ref);
    else text += typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { text, missing };
}

function lookup(
  values: Readonly<Record<string, unknown>>,
  name: string,
): unknown {
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
export function renderJsonTemplate(
  value: unknown,
  values: Readonly<Record<string, unknown>>,
  missing: string[] = [],
): unknown {
  if (typeof value === 'string') {
    const parts = parseTemplate(value, isName);
    const whole =
      parts.length === 1 && 'ref' in parts[0] ? parts[0].ref : undefined;
    if (whole !== undefined) {
      const v = lookup(values, whole);
      if (v === undefined) missing.push(whole);
      return v ?? null;
    }
    const r = renderTemplate(value, values);
    missing.push(...r.missing);
    return r.text;
  }
  if (Array.isArray(value))
    return value.map(v => renderJsonTemplate(v, values, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        renderJsonTemplate(v, values, missing),
      ]),
    );
  }
  return value;
}
