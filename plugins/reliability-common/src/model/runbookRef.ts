/**
 * Where an entity's runbook lives: its `reliability.io/runbook` annotation, read by the runbooks feature and by the
 * SLO loaders (openslo/), so it sits in the shared vocabulary below both.
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
export function parseRunbookRef(
  value: string,
): { ok: true; value: RunbookRef } | { ok: false; error: string } {
  const v = value.trim();
  const link = /^link:\/\/runbooks\/([a-z0-9][a-z0-9_.-]{0,62})$/i.exec(v);
  if (link)
    return {
      ok: true,
      value: { type: 'link', name: link[1].toLocaleLowerCase('en-US') },
    };
  if (/^https?:\/\//i.test(v)) {
    try {
      return { ok: true, value: { type: 'url', url: new URL(v).toString() } };
    } catch {
      return {
        ok: false,
        error: `reliability.io/runbook: '${v}' is not a valid URL`,
      };
    }
  }
  if (/^\.{1,2}\//.test(v) && !v.includes('\0'))
    return { ok: true, value: { type: 'relative', path: v } };
  // a bare path (`runbook.md`, `docs/runbook.md`) is refused, not guessed: without `./` it cannot be told from a URL
  // missing its scheme (`runbooks.example.com/checkout`); the message says what to write
  if (v && !v.includes(':') && !v.startsWith('/') && !v.includes('\0'))
    return {
      ok: false,
      error: `reliability.io/runbook: '${v}' must be an http(s) URL, a relative path such as ./docs/runbook.md, or link://runbooks/<name>: write ./${v} for a file beside the entity's catalog file, or https://${v} for a URL`,
    };
  return {
    ok: false,
    error: `reliability.io/runbook: '${v}' must be an http(s) URL, a relative path such as ./docs/runbook.md, or link://runbooks/<name>`,
  };
}
