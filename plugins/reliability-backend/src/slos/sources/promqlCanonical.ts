import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** Longest expression compared: rules are short, and a parse is linear but not free. */
const MAX_LENGTH = 20_000;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** A PromQL duration (`5m`, `1h30m`, `2591999s`) in ms, read left to right; undefined when it is not one. */
function durationOf(text: string): number | undefined {
  let total = 0;
  let i = 0;
  if (text.length === 0) return undefined;
  while (i < text.length) {
    let j = i;
    while (
      j < text.length &&
      text.charCodeAt(j) >= 48 &&
      text.charCodeAt(j) <= 57
    )
      j++;
    if (j === i) return undefined;
    const n = Number(text.slice(i, j));
    const unit = text[j] === 'm' && text[j + 1] === 's' ? 'ms' : text[j];
    if (!unit || !(unit in UNIT_MS)) return undefined;
    total += n * UNIT_MS[unit];
    i = j + unit.length;
  }
  return total;
}

/** A string literal's value: Prometheus prints strings double-quoted with Go's escapes, which JSON reads. */
function stringOf(literal: string): string {
  let text = literal;
  if (text.startsWith('`') && text.endsWith('`') && text.length >= 2)
    return JSON.stringify(text.slice(1, -1));
  if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) {
    // a single-quoted Go string: swap the quotes' escaping and read it as JSON
    let inner = '';
    for (let i = 1; i < text.length - 1; i++) {
      if (text[i] === '\\' && text[i + 1] === "'") {
        inner += "'";
        i++;
      } else if (text[i] === '"') inner += '\\"';
      else inner += text[i];
    }
    text = `"${inner}"`;
  }
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

const SORTED_CHILDREN = new Set(['LabelMatchers', 'GroupingLabels']);

/** Deepest bracket nesting compared: an SLO's query nests a few levels; the grammar's error recovery on thousands costs. */
const MAX_NESTING = 256;

/** How deep brackets of any kind nest in the text (quotes not skipped: a bracket in a label value only counts more). */
function nestingOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) deepest = Math.max(deepest, ++depth);
    else if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1);
  }
  return deepest;
}

/** A leaf's form: numbers and durations as values, strings as their content, identifiers and operators as written. */
function leafForm(node: SyntaxNode, src: string): string {
  const text = src.slice(node.from, node.to);
  if (
    node.name.startsWith('NumberDurationLiteral') ||
    node.name === 'NumberLiteral' ||
    node.name === 'Duration'
  ) {
    // 0.00001 and 1e-05, 2591999s and 29d23h59m59s: the same number
    const d = durationOf(text);
    if (d !== undefined) return `${node.name}:${d}ms`;
    const n = Number(text);
    return `${node.name}:${Number.isNaN(n) ? text.toLowerCase() : n}`;
  }
  if (node.name === 'StringLiteral') return `S:${stringOf(text)}`;
  return `${node.name}:${text}`;
}

/**
 * The tree written out as `Name(child,child)`, walked with a stack of its own (no recursion, so a deeply nested
 * expression cannot overflow the call stack) into one list of pieces joined once: the cost is linear in the tree.
 */
function canonicalNode(top: SyntaxNode, src: string): string {
  const out: string[] = [];
  const todo: (SyntaxNode | string)[] = [top];
  while (todo.length > 0) {
    const item = todo.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    if (item.type.isError) throw new Error('syntax error');
    if (!item.firstChild) {
      out.push(leafForm(item, src));
      continue;
    }
    if (SORTED_CHILDREN.has(item.name)) {
      // a selector's matchers and a grouping's labels in any order mean the same; each is flat (a name, an operator,
      // a string), so this inner walk is shallow
      const parts: string[] = [];
      for (let c: SyntaxNode | null = item.firstChild; c; c = c.nextSibling)
        parts.push(canonicalNode(c, src));
      parts.sort();
      out.push(`${item.name}(${parts.join(',')})`);
      continue;
    }
    out.push(`${item.name}(`);
    todo.push(')');
    const children: SyntaxNode[] = [];
    for (let c: SyntaxNode | null = item.firstChild; c; c = c.nextSibling)
      children.push(c);
    for (let i = children.length - 1; i >= 0; i--) {
      todo.push(children[i]);
      if (i > 0) todo.push(',');
    }
  }
  return out.join('');
}

/**
 * A PromQL expression in a form that two spellings of the same expression share, so that an SLO's exported rule can
 * be recognised in what Prometheus's rules API answers: Prometheus prints the queries it loaded in its own way
 * (matchers sorted, numbers and durations reformatted, whitespace and line breaks gone). Parsed with Prometheus's own
 * grammar (@prometheus-io/lezer-promql), the parse tree is written out with the matchers and grouping labels sorted,
 * numbers and durations as values and strings as their content. Undefined when the text does not parse (or is over
 * 20,000 characters, or nests brackets over 256 deep): such a rule is then not recognised, and its SLO is read from its raw queries.
 */
export function canonicalPromQL(expr: string): string | undefined {
  if (expr.length > MAX_LENGTH || nestingOf(expr) > MAX_NESTING)
    return undefined;
  try {
    return canonicalNode(parser.parse(expr).topNode, expr);
  } catch {
    return undefined;
  }
}
