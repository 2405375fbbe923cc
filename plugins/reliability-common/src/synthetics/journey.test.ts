import { syntheticJourneySchema } from './journey';
import { hostAllowed } from './hosts';
import { parseSyntheticRegistryCsv } from './registryCsv';

const SEED =
  'journey,region,frequency,deadline_ms\ncheckout_full,ap-sg,5m,3000\nlogin_otp,us-east,5m,1500\nsearch_basic,eu-west,5m,2000\n';

describe('synthetic journeys', () => {
  it("imports the seed's registry as is, merging a journey's regions", () => {
    expect(parseSyntheticRegistryCsv(SEED)).toEqual({
      ok: true,
      journeys: [
        {
          name: 'checkout_full',
          regions: ['ap-sg'],
          frequency: '5m',
          deadlineMs: 3000,
        },
        {
          name: 'login_otp',
          regions: ['us-east'],
          frequency: '5m',
          deadlineMs: 1500,
        },
        {
          name: 'search_basic',
          regions: ['eu-west'],
          frequency: '5m',
          deadlineMs: 2000,
        },
      ],
    });
    const two = parseSyntheticRegistryCsv(
      `${SEED}checkout_full,us-east,5m,3000\n`,
    );
    expect(two.ok && two.journeys[0].regions).toEqual(['ap-sg', 'us-east']);
  });

  it('names the line and column of broken rows', () => {
    const r = parseSyntheticRegistryCsv(
      'journey,region,frequency,deadline_ms\nCheckout Full,ap-sg,5m,3000\nlogin_otp,Asia,5m,1500\nsearch_basic,eu-west,5s,2000\nx,eu-west,5m,fast\ncheckout_full,ap-sg,5m,3000\ncheckout_full,us-east,1m,3000\n',
    );
    expect(
      r.ok ? [] : r.errors.map(e => `${e.line} ${e.field}: ${e.message}`),
    ).toEqual([
      '2 journey: must be lowercase letters, digits, _ and - (at most 63), such as checkout_full',
      '3 region: must be a region such as ap-sg or us-east',
      '4 frequency: must be a duration between 30s and 24h, such as 5m',
      "5 deadline_ms: must be a whole number of milliseconds, got 'fast'",
      '7 journey: checkout_full has frequency 5m and deadline 3000 ms on line 6; a journey has one of each',
    ]);
  });

  it('checks steps: templates, assertions, extraction, deep checks', () => {
    const ok = syntheticJourneySchema.safeParse({
      name: 'checkout_full',
      regions: ['ap-sg'],
      frequency: '5m',
      deadlineMs: 3000,
      steps: [
        {
          type: 'http',
          name: 'Home',
          url: 'https://shop.example/',
          assert: [{ contains: 'Welcome' }],
        },
        {
          type: 'http',
          name: 'Add to cart',
          method: 'POST',
          url: 'https://shop.example/cart',
          body: { sku: 'A1' },
          expectStatus: 201,
          extract: [{ name: 'cartId', jsonPath: '$.id' }],
        },
        {
          type: 'http',
          name: 'Checkout',
          method: 'POST',
          url: 'https://shop.example/cart/{{cartId}}/checkout',
          headers: { Authorization: 'Bearer {{secrets.SHOP_TOKEN}}' },
          assert: [{ jsonPath: '$.status', equals: 'paid' }],
        },
        { type: 'tls', name: 'Certificate', host: 'shop.example' },
        { type: 'dns', name: 'DNS', hostname: 'shop.example' },
      ],
    });
    expect(ok.success).toBe(true);
    const bad = syntheticJourneySchema.safeParse({
      name: 'x',
      regions: [],
      frequency: '1d',
      deadlineMs: 50,
      steps: [
        { type: 'http', name: 'a', url: '', assert: [{ jsonPath: 'id' }] },
        { type: 'ftp' },
      ],
    });
    expect(
      bad.success
        ? []
        : bad.error.issues.map(i => `${i.path.join('.')}: ${i.message}`),
    ).toEqual([
      'regions: needs at least one region',
      'frequency: must be a duration between 30s and 24h, such as 5m',
      'deadlineMs: must be at least 100',
      'steps.0.url: is required',
      'steps.0.assert.0.jsonPath: must be a JSONPath starting with $ (such as $.items[0].id)',
      'steps.1.type: must be http, tls, dns, browser, database, queue or webhook',
    ]);
  });

  it('allows listed hosts and subdomains of a wildcard only', () => {
    const list = ['shop.example', '*.cdn.example', '127.0.0.1'];
    expect(
      ['shop.example', 'SHOP.example.', 'img.cdn.example', '127.0.0.1'].map(h =>
        hostAllowed(h, list),
      ),
    ).toEqual([true, true, true, true]);
    expect(
      [
        'evil.example',
        'cdn.example',
        'shop.example.evil',
        'xcdn.example',
        '127.0.0.2',
      ].map(h => hostAllowed(h, list)),
    ).toEqual([false, false, false, false, false]);
  });
});
