// Reads the install snippets out of the plugins' READMEs, with a real Markdown parser (markdown-it, a dependency
// of -common). A snippet is a fenced code block preceded by an HTML comment of this grammar:
//
//   <!-- install: shell -->                      run the block with bash in the app's root
//   <!-- install: shell after start -->          the same, once the backend is up (BACKSTAGE_BACKEND_URL is set)
//   <!-- install: FILE before "TEXT" -->         insert the block before the line where TEXT starts
//   <!-- install: FILE replace "TEXT" -->        replace the lines that hold TEXT with the block
//   <!-- install: FILE append -->                append the block to FILE
//   <!-- install: FILE create -->                write the block as FILE (which must not exist)
//   <!-- install: FILE merge -->                 YAML: merge the block into FILE (maps merged, lists replaced)
//   <!-- install: tables -->                     the database tables the backend creates, one a line
//   <!-- install: legacy FILE -->                legacy frontend system: checked by a jest test in the plugin
//
// FILE is relative to the app's root. TEXT is matched ignoring whitespace and trailing commas, so a statement
// prettier wrapped over several lines is found from its one-line form. Anything else after `install:` is an error.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../..',
);
const requireFromCommon = createRequire(
  path.join(root, 'plugins/reliability-common/package.json'),
);
const MarkdownIt = requireFromCommon('markdown-it');

const MARKER = /^<!--\s*install:\s*(.*?)\s*-->\s*$/s;

/** Parses one marker's text (what follows `install:`) into { kind, file?, anchor? }; throws on anything else. */
export function parseMarker(text, where) {
  let m;
  if (text === 'shell') return { kind: 'shell' };
  if (text === 'shell after start') return { kind: 'shell-after-start' };
  if (text === 'tables') return { kind: 'tables' };
  if ((m = /^legacy (\S+)$/.exec(text))) return { kind: 'legacy', file: m[1] };
  if ((m = /^(\S+) (before|replace) "(.+)"$/.exec(text)))
    return { kind: m[2], file: m[1], anchor: m[3] };
  if ((m = /^(\S+) (append|create|merge)$/.exec(text)))
    return { kind: m[2], file: m[1] };
  throw new Error(`${where}: unknown install marker "install: ${text}"`);
}

/** The install snippets of one README, in order: { kind, file?, anchor?, lang, content, where }. */
export function readInstallSnippets(readmePath) {
  const md = new MarkdownIt({ html: true });
  const tokens = md.parse(readFileSync(readmePath, 'utf8'), {});
  const rel = path.relative(root, readmePath);
  const snippets = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type !== 'html_block') continue;
    const m = MARKER.exec(t.content.trim());
    if (!m) continue;
    const where = `${rel}:${t.map[0] + 1}`;
    const marker = parseMarker(m[1], where);
    const next = tokens[i + 1];
    if (!next || next.type !== 'fence')
      throw new Error(
        `${where}: "install: ${m[1]}" must be followed by a fenced code block`,
      );
    snippets.push({
      ...marker,
      lang: next.info.trim(),
      content: next.content,
      where,
    });
  }
  return snippets;
}

/**
 * Index range [start, end) of `anchor` in `text`, ignoring whitespace and a trailing comma before a closing bracket
 * in both (what prettier adds or removes when it wraps a statement); undefined when absent.
 */
export function findIgnoringWhitespace(text, anchor) {
  const flatten = s => {
    let flat = '';
    const positions = [];
    for (let i = 0; i < s.length; i++) {
      if (/\s/.test(s[i])) continue;
      if (s[i] === ',' && /^\s*[)\]}]/.test(s.slice(i + 1, i + 200))) continue;
      flat += s[i];
      positions.push(i);
    }
    return { flat, positions };
  };
  const want = flatten(anchor).flat;
  const { flat, positions } = flatten(text);
  const at = want ? flat.indexOf(want) : -1;
  if (at < 0) return undefined;
  return { start: positions[at], end: positions[at + want.length - 1] + 1 };
}
