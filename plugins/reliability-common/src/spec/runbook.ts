/**
 * Runbooks: where an entity's runbook lives (its `reliability.io/runbook` annotation) and its sections.
 */

/** Where a runbook reference points. @public */
export type RunbookRef =
  | { type: 'url'; url: string }
  | { type: 'relative'; path: string }
  | { type: 'link'; name: string };

/**
 * Reads a runbook annotation: an http(s) URL, a path relative to the entity's catalog file (`./docs/runbook.md`),
 * or a `link://runbooks/<name>` reference to a runbook authored in the portal.
 * @public
 */
export function parseRunbookRef(value: string): { ok: true; value: RunbookRef } | { ok: false; error: string } {
  const v = value.trim();
  const link = /^link:\/\/runbooks\/([a-z0-9][a-z0-9_.-]{0,62})$/i.exec(v);
  if (link) return { ok: true, value: { type: 'link', name: link[1].toLocaleLowerCase('en-US') } };
  if (/^https?:\/\//i.test(v)) {
    try {
      return { ok: true, value: { type: 'url', url: new URL(v).toString() } };
    } catch {
      return { ok: false, error: `reliability.io/runbook: '${v}' is not a valid URL` };
    }
  }
  if (/^\.{1,2}\//.test(v) && !v.includes('\0')) return { ok: true, value: { type: 'relative', path: v } };
  return {
    ok: false,
    error: `reliability.io/runbook: '${v}' must be an http(s) URL, a relative path such as ./docs/runbook.md, or link://runbooks/<name>`,
  };
}

/** One section of a runbook, addressable by its anchor. @public */
export interface RunbookSection {
  /** Anchor, e.g. `mitigations`. Unique within the runbook. */
  id: string;
  title: string;
  level: number;
  body: string;
}

/** A heading's anchor: lower case, words joined by dashes. @public */
export function slugify(text: string): string {
  return (
    text
      .toLocaleLowerCase('en-US')
      .replace(/[`*_~[\]()]/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'section'
  );
}

/**
 * Splits Markdown into sections at its ATX headings (`#` to `######`, outside code fences). Text before the first
 * heading becomes an `overview` section. Anchors are unique (`checks`, `checks-2`, …).
 * @public
 */
export function parseRunbookSections(markdown: string): RunbookSection[] {
  const sections: RunbookSection[] = [];
  const used = new Map<string, number>();
  let current: RunbookSection | undefined;
  let body: string[] = [];
  let fence: string | undefined;
  const flush = () => {
    if (current) sections.push({ ...current, body: body.join('\n').trim() });
    else if (body.join('').trim()) sections.push({ id: 'overview', title: 'Overview', level: 1, body: body.join('\n').trim() });
    body = [];
  };
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const f = /^\s{0,3}(```|~~~)/.exec(line);
    if (f) fence = fence === f[1] ? undefined : fence ?? f[1];
    const h = fence ? null : /^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (!h) {
      body.push(line);
      continue;
    }
    flush();
    const base = slugify(h[2]);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    current = { id: n === 1 ? base : `${base}-${n}`, title: h[2], level: h[1].length, body: '' };
  }
  flush();
  return sections;
}
