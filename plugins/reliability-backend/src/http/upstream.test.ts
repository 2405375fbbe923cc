import { InputError } from '@backstage/errors';
import { Redactor } from '../redaction/Redactor';
import { fromUpstream, upstreamUnavailable } from './upstream';

describe('upstream failures', () => {
  const redactor = new Redactor(['config-secret-4d1e9a']);
  const failure = new Error(
    'GET https://user:url-password-7f2b@prom.example/api/v1/query?token=query-token-3c8d failed: 500 (key config-secret-4d1e9a)',
  );

  it('is a 503 naming what could not be read, its reason through the redaction step and no cause', () => {
    const e = upstreamUnavailable(
      'The history of default/checkout is unavailable',
      failure,
      redactor,
    );
    expect([e.name, e.message]).toEqual([
      'ServiceUnavailableError',
      'The history of default/checkout is unavailable: GET https://prom.example/api/v1/query failed: 500 (key [redacted])',
    ]);
    expect(e.cause).toBeUndefined();
    // without the plugin's step, the generic one still takes URLs' userinfo and query
    expect(
      upstreamUnavailable(
        `Cannot read https://git.example/x?token=t0ken-5e6f`,
        failure,
      ).message,
    ).toBe(
      'Cannot read https://git.example/x: GET https://prom.example/api/v1/query failed: 500 (key config-secret-4d1e9a)',
    );
  });

  it("answers the read's value, and keeps the caller's own errors (redacted) with their status", async () => {
    await expect(fromUpstream('x', async () => 42)).resolves.toBe(42);
    await expect(
      fromUpstream(
        'The backtest is unavailable',
        () => Promise.reject(failure),
        { redactor },
      ),
    ).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(
        /^The backtest is unavailable: GET https:\/\/prom\.example\/api\/v1\/query failed/,
      ),
    });
    const own = new InputError(
      'Prometheus main rejected the query: bad_data near config-secret-4d1e9a',
    );
    await expect(
      fromUpstream('x', () => Promise.reject(own), {
        keep: ['InputError'],
        redactor,
      }),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: 'Prometheus main rejected the query: bad_data near [redacted]',
    });
  });
});
