import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** Longest expression compared: rules are short, and a parse is linear but not free. */
const MAX_LENGTH = 20_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** A PromQL duration (`5m`, `1h30m`, `2591999s`) in ms, read left to right; undefined when it is not one. */
function durationOf(text: string): number | undefined {
  let total = 0;
  let i = 0;
  if (text.length === 0) return undefined;
  while (i < text.length) {
    let j = i;
    while (j < text.length && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
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
  if (text.startsWith('`') && text.endsWith('`') && text.length >= 2) return JSON.stringify(text.slice(1, -1));
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

function canonicalNode(node: SyntaxNode, src: string): string {
  if (node.type.isError) throw new Error('syntax error');
  const children: string[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) children.push(canonicalNode(c, src));
  if (children.length === 0) {
    const text = src.slice(node.from, node.to);
    if (node.name.startsWith('NumberDurationLiteral') || node.name === 'NumberLiteral' || node.name === 'Duration') {
      // 0.00001 and 1e-05, 2591999s and 29d23h59m59s: the same number
      const d = durationOf(text);
      if (d !== undefined) return `${node.name}:${d}ms`;
      const n = Number(text);
      return `${node.name}:${Number.isNaN(n) ? text.toLowerCase() : n}`;
    }
    if (node.name === 'StringLiteral') return `S:${stringOf(text)}`;
    // the identifiers (metric, label and function names, operators) as written
    return `${node.name}:${text}`;
  }
  // a selector's matchers and a grouping's labels in any order mean the same
  if (SORTED_CHILDREN.has(node.name)) children.sort();
  return `${node.name}(${children.join(',')})`;
}

/**
 * A PromQL expression in a form that two spellings of the same expression share, so that an SLO's exported rule can
 * be recognised in what Prometheus's rules API answers: Prometheus prints the queries it loaded in its own way
 * (matchers sorted, numbers and durations reformatted, whitespace and line breaks gone). Parsed with Prometheus's own
 * grammar (@prometheus-io/lezer-promql), the parse tree is written out with the matchers and grouping labels sorted,
 * numbers and durations as values and strings as their content. Undefined when the text does not parse (or is over
 * 20,000 characters): such a rule is then not recognised, and its SLO is read from its raw queries.
 */
export function canonicalPromQL(expr: string): string | undefined {
  if (expr.length > MAX_LENGTH) return undefined;
  try {
    return canonicalNode(parser.parse(expr).topNode, expr);
  } catch {
    return undefined;
  }
}
