import { checkResilience, parseResilienceFile } from './resilience';

const GOOD = `apiVersion: reliability.io/v1
kind: Resilience
dependencies:
  - name: payments
    timeout: 600ms
    retries: 2
    backoff: 100ms
    deadline: 3s
    breaker: { failureRate: 0.5, openFor: 30s }
`;

/** A deterministic generator, so a failure reproduces. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const NASTY = [
  '',
  '\0',
  '{',
  '[',
  '*a',
  '&a',
  '!!js/function "x"',
  '-1',
  '1e309',
  'NaN',
  '99999999999ms',
  '1h',
  '0',
  'null',
  '~',
  '"',
  "'",
  ': :',
  '\t',
  '- - -',
  '__proto__',
  'constructor',
  '9'.repeat(400),
  ' '.repeat(10_000),
];

describe('hostile resilience files', () => {
  it('never throws on 1,000 mutations of a good file; every refusal names a field path or the file', () => {
    const next = rng(34);
    const lines = GOOD.split('\n');
    const budgets: number[] = [];
    const errors: string[] = [];
    let refused = 0;
    let empty = 0;
    for (let i = 0; i < 1_000; i++) {
      const copy = [...lines];
      const n = 1 + Math.floor(next() * 3);
      for (let k = 0; k < n; k++) {
        const at = Math.floor(next() * copy.length);
        const nasty = NASTY[Math.floor(next() * NASTY.length)];
        const line = copy[at];
        const colon = line.indexOf(':');
        copy[at] =
          next() < 0.6 && colon > 0
            ? `${line.slice(0, colon + 1)} ${nasty}`
            : nasty;
      }
      const text = copy.join('\n');
      const r = parseResilienceFile(text);
      if (r.ok)
        budgets.push(...checkResilience(r.value).map(c => c.retryBudgetMs));
      else {
        refused++;
        errors.push(...r.errors);
        if (!r.errors.length) empty++;
      }
    }
    // what parses is checked without throwing, with finite figures; every refusal says where
    expect(budgets.every(Number.isFinite)).toBe(true);
    expect(empty).toBe(0);
    expect(refused).toBeGreaterThan(500);
    expect(
      errors.filter(
        e =>
          !/^(\(file\)|apiVersion|kind|dependencies(\[\d+\])?(\.[a-zA-Z]+)*)(: | )/.test(
            e,
          ),
      ),
    ).toEqual([]);
  });

  it('refuses prototype keys and non-objects, and answers a huge dependency list by its limit', () => {
    expect(
      parseResilienceFile(
        `${GOOD}  - { name: x, timeout: 1s, retries: 0, deadline: 2s, __proto__: { polluted: 1 } }\n`,
      ).ok,
    ).toBe(false);
    expect(({} as any).polluted).toBeUndefined();
    const many = `apiVersion: reliability.io/v1\nkind: Resilience\ndependencies:\n${Array.from(
      { length: 201 },
      (_, i) => `  - { name: d${i}, timeout: 1s, retries: 0, deadline: 2s }`,
    ).join('\n')}`;
    expect(parseResilienceFile(many)).toEqual({
      ok: false,
      errors: ['dependencies: must list at most 200 dependencies'],
    });
  });
});
