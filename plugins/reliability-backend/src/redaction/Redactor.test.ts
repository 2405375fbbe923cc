import {
  REDACTED,
  redactText,
} from '@reliability-suite/plugin-reliability-common';
import { INVALID_URL, Redactor, redactTarget } from './Redactor';

describe('redactTarget, the one redaction step for action targets', () => {
  it('keeps scheme, host and path of every URL, and the text around it', () => {
    expect(
      redactTarget(
        'http://kube-user:kube-pass@10.0.0.1:6443/base?token=t#f rollout restart Deployment shop/checkout',
      ),
    ).toBe(
      'http://10.0.0.1:6443/base rollout restart Deployment shop/checkout',
    );
    expect(
      redactTarget(
        'Kubernetes (https://u:p@api.example rollout restart Deployment shop/checkout)',
      ),
    ).toBe(
      'Kubernetes (https://api.example rollout restart Deployment shop/checkout)',
    );
    expect(redactTarget('HTTP webhook (POST http://u:p@h/x)')).toBe(
      'HTTP webhook (POST http://h/x)',
    );
    // a query goes whole: what follows it in the same token is part of it
    expect(redactTarget('(POST http://h/x?token=t)')).toBe('(POST http://h/x');
    // whitespace and text without URLs are kept as they are
    expect(redactTarget('a\t b  c')).toBe('a\t b  c');
  });

  it('parses each URL whole, so a userinfo with parentheses is not cut in two', () => {
    const text = '(http://u:p(secret-part)@h/path)';
    // the free-text scanner takes the userinfo with its URL too, up to the authority's last @
    expect(redactText(text)).toBe('(http://h/path)');
    expect(redactTarget(text)).toBe('(http://h/path)');
  });

  it('separates URLs that share a token, and keeps nothing of a URL that does not parse', () => {
    expect(redactTarget('a=http://x/y,b=http://u:p@z/w')).toBe(
      'a=http://x/y,b=http://z/w',
    );
    expect(redactTarget('at http://u:p@h:99999/x now')).toBe(
      `at ${INVALID_URL} now`,
    );
    expect(redactTarget('at ://u:p@h/x now')).toBe(`at ${INVALID_URL} now`);
  });

  it('replaces the known secrets and auth-scheme credentials, and bounds its output', () => {
    expect(
      redactTarget('call with key-1234 and Bearer abc', ['key-1234']),
    ).toBe(`call with ${REDACTED} and Bearer ${REDACTED}`);
    expect(redactTarget('x'.repeat(5_000))).toHaveLength(1_001);
  });

  it('with the config: a URL secret written elsewhere is replaced too', () => {
    const redactor = Redactor.forConfig({
      remediation: {
        kubernetes: {
          clusters: [{ name: 'prod', url: 'http://kube-user-1:kube-pass-1@h' }],
        },
      },
    });
    expect(
      redactor.target('prod kube-pass-1 http://kube-user-1:kube-pass-1@h/'),
    ).toBe(`prod ${REDACTED} http://h/`);
  });

  it('is linear on hostile text', () => {
    const t = performance.now();
    const out = redactTarget(
      `${'a'.repeat(500_000)}://${'b'.repeat(500_000)} ${'x://y@'.repeat(
        50_000,
      )} ${' '.repeat(100_000)}`,
    );
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(out.length).toBeLessThanOrEqual(1_001);
  });
});
