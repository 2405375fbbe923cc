import { LabelMatcher, matchesLabels, parseMatcher } from '../remediation/matchers';

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
  /**
   * The alerts this section answers, from an `Alerts:` line in its body: alert names and/or selectors such as
   * `SLOBurnRate{slo="default/checkout-success"}` (PromQL-like: a name, label matchers, or both).
   */
  alerts: string[];
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
    const text = body.join('\n').trim();
    if (current) sections.push({ ...current, body: text, alerts: alertsLine(text) });
    else if (text) sections.push({ id: 'overview', title: 'Overview', level: 1, body: text, alerts: alertsLine(text) });
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
    current = { id: n === 1 ? base : `${base}-${n}`, title: h[2], level: h[1].length, body: '', alerts: [] };
  }
  flush();
  return sections;
}

const ALERTS_LINE_RE = /^\s*(?:[-*>]\s*)?(?:\*\*)?alerts?(?:\*\*)?\s*:(?:\*\*)?\s*(.+)$/i;

/** Splits at commas outside `{…}` and backticks. */
function splitSelectors(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text.replace(/`/g, '')) {
    if (ch === '{') depth++;
    if (ch === '}') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter(Boolean);
}

/** The selectors of the `Alerts:` lines of a section body (outside code fences). */
function alertsLine(body: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of body.split('\n')) {
    if (/^\s{0,3}(```|~~~)/.test(line)) fence = !fence;
    const m = fence ? null : ALERTS_LINE_RE.exec(line);
    if (m) out.push(...splitSelectors(m[1]));
  }
  return out;
}

/**
 * Parses an alert selector as written in a runbook: `SLOBurnRate`, `{severity="page"}` or
 * `CheckoutHighErrorRate{env="prod"}`. Answers label matchers (the name as alertname="…").
 * @public
 */
export function parseAlertSelector(text: string): { ok: true; value: LabelMatcher[] } | { ok: false; error: string } {
  const m = /^\s*([A-Za-z_:][A-Za-z0-9_:]*)?\s*(?:\{(.*)\})?\s*$/.exec(text);
  if (!m || (!m[1] && m[2] === undefined)) return { ok: false, error: `'${text}' is not an alert name or selector like Name{label="value"}` };
  const matchers: LabelMatcher[] = m[1] ? [{ name: 'alertname', op: '=', value: m[1] }] : [];
  for (const part of splitSelectors(m[2] ?? '')) {
    const r = parseMatcher(part);
    if (!r.ok) return r;
    matchers.push(r.value);
  }
  return { ok: true, value: matchers };
}

/**
 * The section that answers an alert: the first whose `Alerts:` selectors match the alert's labels; else the first
 * section titled Symptoms; else undefined.
 * @public
 */
export function sectionForAlert(sections: readonly RunbookSection[], labels: Readonly<Record<string, string>>): RunbookSection | undefined {
  const matched = sections.find(s =>
    s.alerts.some(sel => {
      const r = parseAlertSelector(sel);
      return r.ok && matchesLabels(r.value, labels);
    }),
  );
  return matched ?? sections.find(s => /symptoms/i.test(s.title));
}

/**
 * The seed's runbook skeleton as Markdown, one section per field, for a new portal-authored runbook.
 * @public
 */
export function runbookSkeleton(entity: { name: string; owner?: string; slos?: string[] }): string {
  const slos = entity.slos?.length ? entity.slos.map(s => `- ${s}`).join('\n') : '- <list>';
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

/** The seed's ten failure modes: the starting rows of every new catalog. @public */
export const SEED_FAILURE_MODES: readonly FailureMode[] = [
  { mode: 'Dependency brownout (slow 5xx/429)', detection: 'latency p95 up, queue age up', mitigation: 'breaker open, fallback cache, brownout UI' },
  { mode: 'Regional outage', detection: 'synthetic fail in region', mitigation: 'failover DNS/traffic, read-only mode' },
  { mode: 'Thundering herd', detection: 'spikes on retries', mitigation: 'jitter, max attempts, token bucket' },
  { mode: 'Hot shard', detection: 'p99 DB table/index', mitigation: 'rebalance, shard split, cache' },
  { mode: 'Noisy neighbor', detection: 'CPU steal, IO wait', mitigation: 'quotas, limiters, isolate pool' },
  { mode: 'Memory leak', detection: 'restart count, RSS up', mitigation: 'restart window, heap dump analysis' },
  { mode: 'Clock skew', detection: 'auth/signature fails', mitigation: 'time sync alerts, NTP fallback' },
  { mode: 'Config blast radius', detection: 'error surge post change', mitigation: 'staged rollout, canary, fast revert' },
  { mode: 'Webhook storm/replay', detection: 'dup event ids', mitigation: 'inbox dedupe, rate limits' },
  { mode: 'DNS/PKI failure', detection: 'TLS errors, NXDOMAIN', mitigation: 'stale DNS cache, secondary CA' },
];

/** One line of a diff. @public */
export interface DiffLine {
  op: ' ' | '+' | '-';
  text: string;
}

/**
 * Line diff of two texts (longest common subsequence; O(n·m) memory, fine for runbooks, which are capped at
 * 512 KiB). Unchanged lines are kept so callers can show context.
 * @public
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // trim the common head and tail first: edits are usually small
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const middle: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      middle.push({ op: ' ', text: x[i] });
      i++;
      j++;
    } else if (j < y.length && (i >= x.length || lcs[i][j + 1] >= lcs[i + 1][j])) {
      middle.push({ op: '+', text: y[j++] });
    } else {
      middle.push({ op: '-', text: x[i++] });
    }
  }
  return [...a.slice(0, head).map(text => ({ op: ' ' as const, text })), ...middle, ...a.slice(a.length - tail).map(text => ({ op: ' ' as const, text }))];
}
