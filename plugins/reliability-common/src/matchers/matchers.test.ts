import { matchesLabels, parseMatcher } from './matchers';

const m = (...texts: string[]) =>
  texts.map(t => {
    const r = parseMatcher(t);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  });

describe('label matchers', () => {
  const labels = {
    severity: 'error',
    impact: 'slo_breach',
    service: 'checkout',
    env: 'prod',
  };

  it('matches the seed condition severity == error && impact == slo_breach', () => {
    expect(
      matchesLabels(m('severity="error"', 'impact="slo_breach"'), labels),
    ).toBe(true);
    expect(
      matchesLabels(m('severity="error"', 'impact="latency"'), labels),
    ).toBe(false);
  });

  it('supports !=, anchored =~ and !~, and treats a missing label as empty', () => {
    expect(matchesLabels(m('env!="dev"'), labels)).toBe(true);
    expect(matchesLabels(m('service=~"check"'), labels)).toBe(false);
    expect(matchesLabels(m('service=~"check.*|cart"'), labels)).toBe(true);
    expect(matchesLabels(m('service!~"cart|search"'), labels)).toBe(true);
    expect(matchesLabels(m('team=""'), labels)).toBe(true);
    expect(matchesLabels(m('team!=""'), labels)).toBe(false);
  });

  it('refuses malformed matchers with the rule', () => {
    expect(parseMatcher('severity=error')).toEqual({
      ok: false,
      error: expect.stringContaining('value in double quotes'),
    });
    expect(parseMatcher('x=~"("')).toEqual({
      ok: false,
      error: expect.stringContaining('invalid regular expression'),
    });
    expect(parseMatcher('9x="a"')).toMatchObject({ ok: false });
    expect(parseMatcher('a="say \\"hi\\""')).toEqual({
      ok: true,
      value: { name: 'a', op: '=', value: 'say "hi"' },
    });
  });
});
