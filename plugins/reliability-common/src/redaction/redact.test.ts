import { REDACTED, redactText, redactUrl, urlSecrets } from './redact';

describe('redaction', () => {
  it('strips userinfo, query and fragment from URLs inside any text', () => {
    expect(
      redactUrl(
        'https://alice:s3cr3t@prom.example:9090/api/v1/query?token=abcd#x',
      ),
    ).toBe('https://prom.example:9090/api/v1/query');
    expect(
      redactText(
        'TypeError: Request cannot be constructed from a URL that includes credentials: http://u:pass-1234@10.0.0.1:9/x?k=v',
      ),
    ).toBe(
      'TypeError: Request cannot be constructed from a URL that includes credentials: http://10.0.0.1:9/x',
    );
    expect(redactText('see (https://h/p?q=1) and ftp://a:b@c')).toBe(
      'see (https://h/p) and ftp://c',
    );
  });

  it('takes the userinfo of a URL with it, whatever characters it holds', () => {
    expect(
      redactText('GET http://kube:pa(ss)[w]{o}rd@api.example:6443/apis failed'),
    ).toBe('GET http://api.example:6443/apis failed');
    expect(redactText('"http://u:p\'q@h/x" and (http://u2:p2)@h2/)')).toBe(
      '"http://h/x" and (http://h2/)',
    );
    // an @ after the path is not userinfo: the URL ends where it did
    expect(redactText('mail http://h/a(b)@x.example')).toBe(
      'mail http://h/a(b)@x.example',
    );
    expect(redactText('http://h?q=(x)@y')).toBe('http://h(x)@y');
  });

  it('removes auth-scheme credentials and every known secret, longest first', () => {
    expect(
      redactText('Authorization: Bearer abc.def-123, then basic Zm9vOmJhcg=='),
    ).toBe(`Authorization: Bearer ${REDACTED}, then basic ${REDACTED}`);
    expect(
      redactText('echo: hmac-key-42 and hmac-key-42-long', [
        'hmac-key-42',
        'hmac-key-42-long',
      ]),
    ).toBe(`echo: ${REDACTED} and ${REDACTED}`);
    expect(redactText('short abc stays', ['abc'])).toBe('short abc stays');
  });

  it('lists the secret parts of a URL', () => {
    expect(
      urlSecrets('https://user1:p%40ss-word@h/x?token=tok-1234&x=1').sort(),
    ).toEqual(
      [
        'p%40ss-word',
        'p@ss-word',
        'tok-1234',
        'tok-1234',
        'token=tok-1234&x=1',
        'user1',
        'user1',
      ].sort(),
    );
  });

  it('is linear on hostile text and bounds its output', () => {
    const t = performance.now();
    const out = redactText(
      `${'a'.repeat(500_000)}://${'b'.repeat(500_000)} ${'bearer '.repeat(
        100_000,
      )}`,
      ['x'.repeat(10)],
    );
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(out.length).toBeLessThanOrEqual(2_001);
  });
});
