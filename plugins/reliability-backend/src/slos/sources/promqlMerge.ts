import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** Longest expression looked at: an SLO's rendered query is short; anything longer is simply not merged. */
const MAX_LENGTH = 1_000;
/** Most matchers of a merged selector: an expression may vary in any of them, and each choice is compared. */
const MAX_MATCHERS = 8;
/** Most label values in one merged query (its regular expression grows with them). */
export const MAX_MERGED_VALUES = 500;
/** Longest regular expression of one merged query (a value may be long): past it, the values go to another query. */
export const MAX_MERGED_REGEX = 16_000;

/** An equality matcher of a selector: its label, its value, and its text as written. */
interface Matcher {
  name: string;
  value: string;
  text: string;
}

/** `sum(rate(metric{matchers}[range]))` (or `increase`) taken apart. */
export interface Shape {
  fn: string;
  metric: string;
  range: string;
  matchers: Matcher[];
}

const children = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

/** The only child of a node, when it has exactly one with that name. */
function only(n: SyntaxNode | undefined, name: string): SyntaxNode | undefined {
  if (!n) return undefined;
  const c = children(n);
  return c.length === 1 && c[0].name === name ? c[0] : undefined;
}

/**
 * A string literal's value, for the plain spellings only: double or single quotes without a backslash, or backticks.
 * Escapes are left alone (Go's and JSON's differ); such a selector is simply not merged.
 */
function plainString(text: string): string | undefined {
  if (text.length < 2) return undefined;
  const q = text[0];
  if ((q !== '"' && q !== "'" && q !== '`') || text[text.length - 1] !== q)
    return undefined;
  const inner = text.slice(1, -1);
  if (q !== '`' && (inner.includes('\\') || inner.includes(q)))
    return undefined;
  return inner;
}

/**
 * The parts of an expression of exactly the shape `sum(rate(metric{a="x", ...}[range]))` (or `increase`): no
 * grouping, no offset, no `@`, a metric name and only equality matchers on plain, non-empty values. Undefined for
 * anything else, which is then asked as written.
 */
export function sumOfRateShape(expr: string): Shape | undefined {
  if (expr.length > MAX_LENGTH) return undefined;
  let top: SyntaxNode;
  try {
    top = parser.parse(expr).topNode;
  } catch {
    return undefined;
  }
  const agg = only(top, 'AggregateExpr');
  if (!agg) return undefined;
  const [op, body, ...more] = children(agg);
  if (
    more.length ||
    op?.name !== 'AggregateOp' ||
    only(op, 'Sum') === undefined ||
    body?.name !== 'FunctionCallBody'
  )
    return undefined;
  const call = only(body, 'FunctionCall');
  if (!call) return undefined;
  const [ident, args, ...extra] = children(call);
  if (
    extra.length ||
    ident?.name !== 'FunctionIdentifier' ||
    args?.name !== 'FunctionCallBody'
  )
    return undefined;
  const fnNode = children(ident);
  if (
    fnNode.length !== 1 ||
    (fnNode[0].name !== 'Rate' && fnNode[0].name !== 'Increase')
  )
    return undefined;
  const matrix = only(args, 'MatrixSelector');
  if (!matrix) return undefined;
  const [vector, duration, ...rest] = children(matrix);
  if (
    rest.length ||
    vector?.name !== 'VectorSelector' ||
    duration?.name !== 'DurationExpr'
  )
    return undefined;
  const literal = only(duration, 'NumberDurationLiteralInDurationContext');
  if (!literal) return undefined;
  const [name, labels, ...after] = children(vector);
  if (
    after.length ||
    name?.name !== 'Identifier' ||
    labels?.name !== 'LabelMatchers'
  )
    return undefined;
  const matchers: Matcher[] = [];
  for (const m of children(labels)) {
    const [label, matchOp, value, ...tail] =
      m.name === 'UnquotedLabelMatcher' ? children(m) : [];
    if (
      tail.length ||
      label?.name !== 'LabelName' ||
      matchOp?.name !== 'MatchOp' ||
      only(matchOp, 'EqlSingle') === undefined ||
      value?.name !== 'StringLiteral'
    )
      return undefined;
    const labelName = expr.slice(label.from, label.to);
    const v = plainString(expr.slice(value.from, value.to));
    // the metric's name is the selector's own; an empty value also matches series without the label
    if (v === undefined || v === '' || labelName === '__name__')
      return undefined;
    matchers.push({
      name: labelName,
      value: v,
      text: expr.slice(m.from, m.to),
    });
  }
  if (
    !matchers.length ||
    matchers.length > MAX_MATCHERS ||
    new Set(matchers.map(x => x.name)).size !== matchers.length
  )
    return undefined;
  return {
    fn: expr.slice(fnNode[0].from, fnNode[0].to),
    metric: expr.slice(name.from, name.to),
    range: expr.slice(literal.from, literal.to),
    matchers,
  };
}

/** A value as a regular expression (RE2) matching exactly it. */
const escapeRe2 = (v: string) =>
  v.replace(/[\\.+*?()|[\]{}^$]/g, c => `\\${c}`);

/** Queries that answer many expressions at once: `sum by (label) (...)`, one series per value. */
export interface MergedQuery {
  query: string;
  label: string;
  /** Each value's expressions (their places in the list planned). */
  members: Map<string, number[]>;
}

/**
 * Plans expressions of the shape `sum(rate(metric{...}[range]))` that differ in one label's value only into
 * `sum by (label) (rate(metric{..., label=~"v1|v2|..."}[range]))`, one query per at most MAX_MERGED_VALUES values
 * (and MAX_MERGED_REGEX characters of them).
 * Prometheus sums each value's series, the same series in the same order as the expression alone: the same number,
 * for one selector where there were hundreds (each selector costs Prometheus about 0.1 ms whatever its data). An
 * expression that shares its shape with no other is left in `rest`, to be asked as written.
 */
export function planMerges(
  exprs: string[],
  shapeOf: (expr: string) => Shape | undefined = sumOfRateShape,
): { merged: MergedQuery[]; rest: number[] } {
  const shapes = exprs.map(e => shapeOf(e));
  // each shaped expression may vary in any of its labels: the key of each choice, and how many expressions share it
  const keysOf = shapes.map(s => {
    if (!s) return [];
    return s.matchers.map((m, i) => {
      const others = s.matchers
        .filter((_, k) => k !== i)
        .map(o => `${o.name}=${JSON.stringify(o.value)}`)
        .sort();
      return {
        key: JSON.stringify([s.fn, s.metric, s.range, m.name, others]),
        label: m.name,
        value: m.value,
        index: i,
      };
    });
  });
  const counts = new Map<string, number>();
  for (const keys of keysOf)
    for (const k of keys) counts.set(k.key, (counts.get(k.key) ?? 0) + 1);
  const groups = new Map<
    string,
    {
      label: string;
      shape: Shape;
      skip: number;
      members: Map<string, number[]>;
    }
  >();
  const rest: number[] = [];
  keysOf.forEach((keys, at) => {
    // the choice shared by the most expressions (the first such, for a tie)
    let best: (typeof keys)[number] | undefined;
    for (const k of keys)
      if (
        (counts.get(k.key) ?? 0) > 1 &&
        (!best || counts.get(k.key)! > counts.get(best.key)!)
      )
        best = k;
    if (!best) {
      rest.push(at);
      return;
    }
    let g = groups.get(best.key);
    if (!g)
      groups.set(
        best.key,
        (g = {
          label: best.label,
          shape: shapes[at]!,
          skip: best.index,
          members: new Map(),
        }),
      );
    const list = g.members.get(best.value);
    if (list) list.push(at);
    else g.members.set(best.value, [at]);
  });
  const merged: MergedQuery[] = [];
  for (const g of groups.values()) {
    const values = [...g.members.keys()];
    if (values.length < 2) {
      // the same expression more than once, and nothing else like it: asked once as written is as cheap
      for (const list of g.members.values()) rest.push(...list);
      continue;
    }
    const others = g.shape.matchers
      .filter((_, k) => k !== g.skip)
      .map(m => m.text);
    // parts of at most MAX_MERGED_VALUES values and MAX_MERGED_REGEX characters
    const parts: { values: string[]; regex: string[] }[] = [];
    let size = 0;
    for (const v of values) {
      const re = escapeRe2(v);
      const last = parts[parts.length - 1];
      if (
        !last ||
        last.values.length >= MAX_MERGED_VALUES ||
        size + re.length > MAX_MERGED_REGEX
      ) {
        parts.push({ values: [v], regex: [re] });
        size = re.length;
      } else {
        last.values.push(v);
        last.regex.push(re);
        size += re.length + 1;
      }
    }
    for (const { values: part, regex: res } of parts) {
      // a backtick string is raw in PromQL: the expression's backslashes reach the regular expression as written
      const regex = res.join('|');
      if (regex.includes('`')) {
        for (const v of part) rest.push(...g.members.get(v)!);
        continue;
      }
      const selector = `${g.shape.metric}{${[
        ...others,
        `${g.label}=~\`${regex}\``,
      ].join(', ')}}`;
      merged.push({
        query: `sum by (${g.label}) (${g.shape.fn}(${selector}[${g.shape.range}]))`,
        label: g.label,
        members: new Map(part.map(v => [v, g.members.get(v)!])),
      });
    }
  }
  rest.sort((a, b) => a - b);
  return { merged, rest };
}
