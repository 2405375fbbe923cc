import { performance } from 'perf_hooks';
import {
  MAX_DIFF_EDITS,
  MAX_DIFF_LINES,
  MAX_DIFF_MS,
  lineDiff,
  parseAlertSelector,
  parseRunbookSections,
  sectionForAlert,
  slugify,
} from './runbook';
import { matchesLabels, parseMatcher } from '../matchers/matchers';

/** Milliseconds `fn` takes (one run; the inputs below make a super-linear algorithm take seconds). */
function ms(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

describe('hostile runbooks', () => {
  it('parses a heading of half a million spaces in linear time (the old heading regex was cubic)', () => {
    const small = `# a${' '.repeat(5_000)}b\nbody\n`;
    const big = `# a${' '.repeat(500_000)}b\nbody\n`;
    const tSmall = ms(() => parseRunbookSections(small));
    const tBig = ms(() => parseRunbookSections(big));
    const [section] = parseRunbookSections(big);
    expect(section.title.startsWith('a')).toBe(true);
    expect(section.body).toBe('body');
    // 100x the input: a linear parser takes about 100x the time; the cubic one took 10^6x. Generous bound.
    expect(tBig).toBeLessThan(Math.max(1_500, tSmall * 1_000));
  });

  it('survives deep nesting, long runs of markers and unterminated constructs', () => {
    const inputs = [
      '>'.repeat(100_000),
      Array.from({ length: 2_000 }, (_, i) => `${' '.repeat(i * 2)}- x`).join(
        '\n',
      ),
      'a\n=\n'.repeat(20_000),
      '1. '.repeat(30_000),
      '> - '.repeat(30_000),
      '*'.repeat(100_000),
      `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
      '!['.repeat(200_000),
      `# ${'!['.repeat(200_000)}`,
      '_a'.repeat(200_000),
      '`'.repeat(100_000),
      `# ${'#'.repeat(200_000)}`,
      '- '.repeat(50_000),
      `Alerts: ${'{'.repeat(100_000)}`,
      `Alerts: A{${'b="c",'.repeat(20_000)}`,
    ];
    for (const md of inputs) {
      const took = ms(() => parseRunbookSections(md));
      // block structure only: micromark took 45 s on 100,000 '>', markdown-it with inline parsing 0.7 s on 400 KiB
      // of '!['; this is generous for machine noise and still far below either
      expect(took).toBeLessThan(1_000);
    }
  });

  it('reads headings the way CommonMark does: setext headings, closing #s, none inside fences or quotes', () => {
    const md =
      'Intro\n\nTitle\n=====\n\n> # quoted\n\n```\n# fenced\n```\n\n## Checks ##\nAlerts: A';
    expect(
      parseRunbookSections(md).map(s => [s.id, s.level, s.alerts]),
    ).toEqual([
      ['overview', 1, []],
      ['title', 1, []],
      ['checks', 2, ['A']],
    ]);
  });

  it('slugifies in one pass and caps the anchor length', () => {
    expect(slugify(`${'-'.repeat(100_000)}a`)).toBe('a');
    expect(slugify('Post-incident (PIR)')).toBe('post-incident-pir');
    expect(slugify('x '.repeat(100_000)).length).toBeLessThanOrEqual(201);
  });
});

describe('hostile alert selectors and matchers', () => {
  it('parses a selector in linear time (the old selector regex was quadratic)', () => {
    const t = ms(() => parseAlertSelector(`A${' '.repeat(200_000)}x`));
    expect(parseAlertSelector(`A${' '.repeat(200_000)}x`)).toMatchObject({
      ok: false,
    });
    expect(t).toBeLessThan(1_000);
    const many = `A{${Array.from(
      { length: 20_000 },
      (_, i) => `l${i}="v"`,
    ).join(',')}}`;
    const r = parseAlertSelector(many);
    expect(r.ok && r.value.length).toBe(20_001);
  });

  it('keeps quoted braces and commas inside values', () => {
    expect(parseAlertSelector('A{msg="a,}b", x!~"y"}')).toEqual({
      ok: true,
      value: [
        { name: 'alertname', op: '=', value: 'A' },
        { name: 'msg', op: '=', value: 'a,}b' },
        { name: 'x', op: '!~', value: 'y' },
      ],
    });
    expect(parseAlertSelector('{severity="page"}')).toEqual({
      ok: true,
      value: [{ name: 'severity', op: '=', value: 'page' }],
    });
    expect(parseAlertSelector('A{b="c"')).toMatchObject({ ok: false });
    expect(parseAlertSelector('A{b="c"} tail')).toMatchObject({ ok: false });
  });

  it('runs regex matchers with RE2 semantics: a catastrophic pattern cannot backtrack', () => {
    const r = parseMatcher('service=~"(a+)+$"');
    expect(r.ok).toBe(true);
    const labels = { service: `${'a'.repeat(50_000)}!` };
    // on a backtracking engine (JavaScript's RegExp) this never finishes; RE2 is linear
    const took = ms(() =>
      expect(
        matchesLabels([r.ok ? r.value : (undefined as never)], labels),
      ).toBe(false),
    );
    expect(took).toBeLessThan(2_000);
  });

  it('refuses what RE2 (and so Alertmanager) refuses, naming the rule', () => {
    for (const bad of ['x=~"(a)\\\\1"', 'x=~"(?=a)"', 'x=~"(?<!a)b"']) {
      const r = parseMatcher(bad);
      expect(r).toMatchObject({
        ok: false,
        error: expect.stringContaining('RE2 syntax'),
      });
    }
  });

  it('matches sections for alerts with RE2 selectors', () => {
    const sections = parseRunbookSections(
      '## Checkout\nAlerts: {service=~"check.*"}\n## Symptoms\nx',
    );
    expect(sectionForAlert(sections, { service: 'checkout' })?.id).toBe(
      'checkout',
    );
    expect(sectionForAlert(sections, { service: 'cart' })?.id).toBe('symptoms');
  });
});

describe('bounded diff', () => {
  it('refuses versions too large or too far apart instead of allocating N x M', () => {
    const many = Array.from(
      { length: MAX_DIFF_LINES + 1 },
      (_, i) => `line ${i}`,
    ).join('\n');
    expect(lineDiff('', many)).toEqual({
      ok: false,
      error: expect.stringContaining(`up to ${MAX_DIFF_LINES} lines`),
    });
    const a = Array.from({ length: 8_000 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 8_000 }, (_, i) => `b${i}`).join('\n');
    const before = process.memoryUsage().heapUsed;
    const took = ms(() =>
      expect(lineDiff(a, b)).toEqual({
        ok: false,
        error: expect.stringContaining(`more than ${MAX_DIFF_EDITS} lines`),
      }),
    );
    // bounded by MAX_DIFF_MS (plus the split), not by N x M
    expect(took).toBeLessThan(MAX_DIFF_MS + 200);
    // lengths far apart: refused without computing
    expect(ms(() => lineDiff('x', b))).toBeLessThan(50);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(
      300 * 1024 * 1024,
    );
  });

  it('diffs a large runbook with a small edit', () => {
    const a = Array.from({ length: 15_000 }, (_, i) => `line ${i}`);
    const b = [...a];
    b[7_000] = 'changed';
    const d = lineDiff(a.join('\n'), b.join('\n'));
    expect(d.ok && d.value.filter(l => l.op !== ' ')).toEqual([
      { op: '-', text: 'line 7000' },
      { op: '+', text: 'changed' },
    ]);
  });
});
