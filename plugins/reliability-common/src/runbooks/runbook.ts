import { diffArrays } from 'diff';
import MarkdownIt from 'markdown-it';
import {
  LabelMatcher,
  SelectorScanner,
  matchesLabels,
} from '../matchers/matchers';

/**
 * Runbooks: where an entity's runbook lives (its `reliability.io/runbook` annotation) and its sections.
 */

// the reference's parser lives in model/ (the SLO loaders of openslo/ read it too); the runbooks feature serves it
export { parseRunbookRef } from '../model/runbookRef';
export type { RunbookRef } from '../model/runbookRef';

/** One section of a runbook, addressable by its anchor. @public */
export interface RunbookSection {
  /** Anchor, e.g. `mitigations`. Unique within the runbook. */
  id: string;
  title: string;
  level: number;
  body: string;
  /**
   * The alerts this section answers, from an `Alerts:` line in its body: alert names and/or selectors such as
   * `SLOBurnRate{slo="default/checkout-success"}` (PromQL-like: a name, label matchers, or both).
   */
  alerts: string[];
}

/** A heading's anchor: lower case, words (a-z, 0-9) joined by dashes. One pass, no regular expressions. @public */
export function slugify(text: string): string {
  let out = '';
  let dash = false;
  for (const ch of text.toLocaleLowerCase('en-US')) {
    if ('`*_~[]()'.includes(ch)) continue;
    const word = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (word) {
      if (dash && out) out += '-';
      out += ch;
      dash = false;
    } else dash = true;
    if (out.length >= 200) break;
  }
  return out || 'section';
}

/**
 * The CommonMark parser runbooks are read with: markdown-it, whose block rules are linear in the input, with its
 * nesting limit (`maxNesting`). Sections need only the block structure, so inline parsing (linear too, but about
 * 1 µs per character of brackets, enough to hold the event loop for most of a second on 512 KiB) is switched off;
 * a heading's title is parsed inline alone, from its first 300 characters. (micromark was measured and refused:
 * nested containers and some setext runs cost it quadratic time and more.)
 */
const markdown = new MarkdownIt('commonmark');
markdown.core.ruler.disable(['inline', 'text_join']);
const inline = new MarkdownIt('commonmark');

/** A heading's plain text: the text and inline code of its first 300 characters, markup dropped. */
function headingText(token: MdToken | undefined): string {
  const raw = token?.content ?? '';
  const [parsed] = inline.parseInline(
    raw.length > 300 ? raw.slice(0, 300) : raw,
    {},
  );
  let out = '';
  for (const c of parsed?.children ?? [])
    if (c.type === 'text' || c.type === 'code_inline') out += c.content;
  return out;
}

type MdToken = ReturnType<MarkdownIt['parse']>[number];

/**
 * Splits Markdown into sections at its top-level headings (ATX `#` to `######` and setext), as parsed by
 * markdown-it (CommonMark: headings in code blocks, lists or quotes are not section breaks). Text before the first
 * heading becomes an `overview` section. Anchors are unique (`checks`, `checks-2`, …). Linear in the document.
 * @public
 */
export function parseRunbookSections(source: string): RunbookSection[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const tokens = markdown.parse(lines.join('\n'), {});
  // lines of code and HTML blocks, at any depth, never declare alerts
  const code = new Uint8Array(lines.length + 1);
  const headings: { token: MdToken; inline?: MdToken }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (
      (t.type === 'fence' ||
        t.type === 'code_block' ||
        t.type === 'html_block') &&
      t.map
    )
      code.fill(1, t.map[0], t.map[1]);
    if (t.type === 'heading_open' && t.level === 0 && t.map)
      headings.push({ token: t, inline: tokens[i + 1] });
  }
  const section = (from: number, to: number) => {
    const body = lines.slice(from, to).join('\n').trim();
    const alerts: string[] = [];
    for (let l = from; l < to; l++) {
      if (code[l]) continue;
      const rest = afterAlertsLabel(lines[l]);
      if (rest) alerts.push(...splitSelectors(rest));
    }
    return { body, alerts };
  };
  const sections: RunbookSection[] = [];
  const first = headings[0]?.token.map?.[0] ?? lines.length;
  const overview = section(0, first);
  if (overview.body)
    sections.push({ id: 'overview', title: 'Overview', level: 1, ...overview });
  const used = new Map<string, number>();
  headings.forEach(({ token, inline: titleToken }, k) => {
    const title = headingText(titleToken).trim();
    const base = slugify(title);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    const next = headings[k + 1]?.token.map?.[0] ?? lines.length;
    sections.push({
      id: n === 1 ? base : `${base}-${n}`,
      title: title || 'Untitled',
      level: Number(token.tag.slice(1)) || 1,
      ...section(token.map![1], next),
    });
  });
  return sections;
}

/** Splits at commas outside `{…}`, quotes and backticks. One pass. */
function splitSelectors(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  for (const p of parts) {
    const t = p.split('`').join('').trim();
    if (t) out.push(t);
  }
  return out;
}

/** After optional blanks, list marker, quote marker and bold, an `Alerts:` or `Alert:` label; the rest of the line. */
function afterAlertsLabel(line: string): string | undefined {
  let i = 0;
  const blanks = () => {
    while (line[i] === ' ' || line[i] === '\t') i++;
  };
  const bold = () => {
    if (line.startsWith('**', i)) i += 2;
  };
  blanks();
  if (line[i] === '-' || line[i] === '*' || line[i] === '>') {
    if (!line.startsWith('**', i)) {
      i++;
      blanks();
    }
  }
  bold();
  if (line.slice(i, i + 5).toLocaleLowerCase('en-US') !== 'alert')
    return undefined;
  i += 5;
  if (line[i] === 's' || line[i] === 'S') i++;
  bold();
  blanks();
  if (line[i] !== ':') return undefined;
  i++;
  bold();
  const rest = line.slice(i).trim();
  return rest || undefined;
}

/**
 * Parses an alert selector as written in a runbook: `SLOBurnRate`, `{severity="page"}` or
 * `CheckoutHighErrorRate{env="prod"}`. Answers label matchers (the name as alertname="…"). One pass over the text.
 * @public
 */
export function parseAlertSelector(
  text: string,
): { ok: true; value: LabelMatcher[] } | { ok: false; error: string } {
  const fail = (why: string) => ({
    ok: false as const,
    error: `'${
      text.length > 80 ? `${text.slice(0, 80)}…` : text
    }' is not an alert name or selector like Name{label="value"}: ${why}`,
  });
  const s = new SelectorScanner(text);
  s.skipSpace();
  const name = s.name(true);
  const matchers: LabelMatcher[] = name
    ? [{ name: 'alertname', op: '=', value: name }]
    : [];
  s.skipSpace();
  if (s.peek() === '{') {
    s.pos++;
    s.skipSpace();
    while (s.peek() !== '}') {
      const r = s.matcher();
      if (!r.ok) return fail(r.error);
      matchers.push(r.value);
      if (s.peek() === ',') {
        s.pos++;
        s.skipSpace();
      } else if (s.peek() !== '}')
        return fail('expected , or } after a matcher');
    }
    s.pos++;
    s.skipSpace();
  } else if (!name) return fail('expected a name or {');
  if (!s.done) return fail('unexpected text after the selector');
  return { ok: true, value: matchers };
}

/**
 * The section that answers an alert: the first whose `Alerts:` selectors match the alert's labels; else the first
 * section titled Symptoms; else undefined.
 * @public
 */
export function sectionForAlert(
  sections: readonly RunbookSection[],
  labels: Readonly<Record<string, string>>,
): RunbookSection | undefined {
  const matched = sections.find(s =>
    s.alerts.some(sel => {
      const r = parseAlertSelector(sel);
      return r.ok && matchesLabels(r.value, labels);
    }),
  );
  return matched ?? sections.find(s => /symptoms/i.test(s.title));
}

/**
 * The standard runbook skeleton as Markdown, one section per field, for a new portal-authored runbook.
 * @public
 */
export function runbookSkeleton(entity: {
  name: string;
  owner?: string;
  slos?: string[];
}): string {
  const slos = entity.slos?.length
    ? entity.slos.map(s => `- ${s}`).join('\n')
    : '- <list>';
  return `# ${entity.name} runbook

Service: ${entity.name}
Owner: ${entity.owner ?? '<team>'}  Pager: <rotation>

## Dashboards
- <links>

## SLOs
${slos}

## Dependencies
- <list + health links>

## Guardrails
- <flags, breakers, rate limits>

## Symptoms
Alerts: SLOBurnRate
- <common alerts + meanings>

## Checks
\`\`\`sh
# <commands/queries to run>
\`\`\`

## Mitigations
1. <brownouts, rollbacks, failovers>

## Comms
- <channels + cadence + templates>

## Post-incident
- <data to collect + forms>
`;
}

/** One row of an entity's failure-mode catalog. @public */
export interface FailureMode {
  mode: string;
  detection: string;
  mitigation: string;
}

/** The ten standard failure modes: the starting rows of every new catalog. @public */
export const STANDARD_FAILURE_MODES: readonly FailureMode[] = [
  {
    mode: 'Dependency brownout (slow 5xx/429)',
    detection: 'latency p95 up, queue age up',
    mitigation: 'breaker open, fallback cache, brownout UI',
  },
  {
    mode: 'Regional outage',
    detection: 'synthetic fail in region',
    mitigation: 'failover DNS/traffic, read-only mode',
  },
  {
    mode: 'Thundering herd',
    detection: 'spikes on retries',
    mitigation: 'jitter, max attempts, token bucket',
  },
  {
    mode: 'Hot shard',
    detection: 'p99 DB table/index',
    mitigation: 'rebalance, shard split, cache',
  },
  {
    mode: 'Noisy neighbor',
    detection: 'CPU steal, IO wait',
    mitigation: 'quotas, limiters, isolate pool',
  },
  {
    mode: 'Memory leak',
    detection: 'restart count, RSS up',
    mitigation: 'restart window, heap dump analysis',
  },
  {
    mode: 'Clock skew',
    detection: 'auth/signature fails',
    mitigation: 'time sync alerts, NTP fallback',
  },
  {
    mode: 'Config blast radius',
    detection: 'error surge post change',
    mitigation: 'staged rollout, canary, fast revert',
  },
  {
    mode: 'Webhook storm/replay',
    detection: 'dup event ids',
    mitigation: 'inbox dedupe, rate limits',
  },
  {
    mode: 'DNS/PKI failure',
    detection: 'TLS errors, NXDOMAIN',
    mitigation: 'stale DNS cache, secondary CA',
  },
];

/** One line of a diff. @public */
export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

/** Most lines a side of a diff may have. @public */
export const MAX_DIFF_LINES = 20_000;
/** Most changed lines (inserted plus deleted) a diff computes; beyond this the versions are too far apart to show. @public */
export const MAX_DIFF_EDITS = 2_000;
/** Most milliseconds a diff may compute, so no request holds the event loop longer. @public */
export const MAX_DIFF_MS = 40;

/**
 * Line diff of two texts, by the `diff` library (Myers' O(ND) algorithm), with bounded cost: at most
 * MAX_DIFF_LINES lines a side, MAX_DIFF_EDITS changed lines and MAX_DIFF_MS of computing, so no diff can hold
 * the event loop or allocate N x M. Two versions whose line counts differ by more than MAX_DIFF_EDITS are refused
 * at once (their distance is at least that difference). Past any limit it answers an error instead of a diff.
 * Unchanged lines are kept so callers can show context.
 * @public
 */
export function lineDiff(
  before: string,
  after: string,
): { ok: true; value: DiffLine[] } | { ok: false; error: string } {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length > MAX_DIFF_LINES || b.length > MAX_DIFF_LINES) {
    return {
      ok: false,
      error: `diff: a version has ${Math.max(
        a.length,
        b.length,
      )} lines; diffs are computed for up to ${MAX_DIFF_LINES} lines`,
    };
  }
  const tooFar = {
    ok: false as const,
    error: `diff: the versions differ in more than ${MAX_DIFF_EDITS} lines (or take too long to compare); compare them outside the portal`,
  };
  if (Math.abs(a.length - b.length) > MAX_DIFF_EDITS) return tooFar;
  const parts = diffArrays(a, b, {
    maxEditLength: MAX_DIFF_EDITS,
    timeout: MAX_DIFF_MS,
  });
  if (!parts) return tooFar;
  const out: DiffLine[] = [];
  for (const part of parts) {
    let op: DiffLine['op'] = ' ';
    if (part.added) op = '+';
    else if (part.removed) op = '-';
    for (const text of part.value) out.push({ op, text });
  }
  return { ok: true, value: out };
}
