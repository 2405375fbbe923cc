/**
 * A remark plugin: a portal path written as plain text in a runbook (`/catalog/default/component/checkout/reliability`)
 * becomes a link. A token counts when it stands alone between spaces, starts with `/` and a letter, and has only
 * path characters; trailing punctuation stays text. Code, inline code and existing links are left as written.
 * Linear in the text: one split on whitespace, one pass over each token.
 */

type Node = {
  type: string;
  value?: string;
  url?: string;
  children?: Node[];
};

const PATH_CHAR = new Set(
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-._~%:@+=&?#'.split(
    '',
  ),
);
const TRAILING = new Set('.,;:!?)'.split(''));
const LETTER = new Set(
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''),
);
const SKIP = new Set(['link', 'linkReference', 'inlineCode', 'code', 'html']);
/** Longer tokens are left as text (a path in a runbook is short; this bounds the work per token). */
const MAX_PATH = 2048;

/** The path part of a token and what trails it, or undefined when the token is no portal path. */
export function sitePathOf(
  token: string,
): { path: string; rest: string } | undefined {
  if (token.length < 3 || token.length > MAX_PATH) return undefined;
  if (token[0] !== '/' || !LETTER.has(token[1])) return undefined;
  let end = token.length;
  while (end > 2 && TRAILING.has(token[end - 1])) end--;
  const path = token.slice(0, end);
  for (const c of path) if (!PATH_CHAR.has(c)) return undefined;
  // one segment alone (`/tmp`) reads as a file path as often as a page: two or more segments make a portal path
  if (path.indexOf('/', 1) < 0) return undefined;
  return { path, rest: token.slice(end) };
}

function linkText(value: string): Node[] {
  const parts = value.split(/(\s+)/);
  const out: Node[] = [];
  let text = '';
  for (const part of parts) {
    const found = sitePathOf(part);
    if (!found) {
      text += part;
      continue;
    }
    if (text) out.push({ type: 'text', value: text });
    out.push({
      type: 'link',
      url: found.path,
      children: [{ type: 'text', value: found.path }],
    });
    text = found.rest;
  }
  if (text) out.push({ type: 'text', value: text });
  return out;
}

function walk(node: Node) {
  if (!node.children || SKIP.has(node.type)) return;
  const next: Node[] = [];
  for (const child of node.children) {
    if (child.type === 'text' && typeof child.value === 'string')
      next.push(...linkText(child.value));
    else {
      walk(child);
      next.push(child);
    }
  }
  node.children = next;
}

/** The remark plugin (for react-markdown's `remarkPlugins`). */
export function remarkSitePaths() {
  return (tree: Node) => walk(tree);
}
