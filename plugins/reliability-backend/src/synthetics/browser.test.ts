import http from 'http';
import { AddressInfo } from 'net';
import { syntheticJourneySchema } from '@reliability-suite/plugin-reliability-common';
import { SyntheticRunner } from './SyntheticRunner';
import { PlaywrightBrowserSteps } from './browser';

jest.setTimeout(90_000);

const PAGE = `<!doctype html><html><body><h1>Demo shop</h1>
<form id="login" onsubmit="event.preventDefault(); document.getElementById('out').textContent = 'Welcome ' + document.getElementById('user').value; fetch('/api/login?otp=' + document.getElementById('otp').value, { method: 'POST', body: document.getElementById('otp').value });">
<input id="user"><input id="otp" type="password"><button id="go">Log in</button></form><p id="out"></p></body></html>`;

describe('browser steps (playwright-core on the machine Chromium)', () => {
  let server: http.Server;
  let base: string;
  const browser = new PlaywrightBrowserSteps({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url?.startsWith('/api/'))
        return void res
          .writeHead(200, {
            'content-type': 'application/json',
            'set-cookie': 'session=s3cr3t-session',
          })
          .end('{"ok":true}');
      if (req.url === '/tracker')
        return void res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            '<html><body>tracked<img src="http://tracker.invalid/pixel.gif"></body></html>',
          );
      return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser.close();
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  });

  it('navigates, fills, clicks and expects text; keeps a screenshot and a redacted HAR', async () => {
    const runner = new SyntheticRunner({
      allowedHosts: ['127.0.0.1'],
      secrets: { OTP: '424242' },
      browser,
    });
    const journey = syntheticJourneySchema.parse({
      name: 'login_browser',
      regions: ['ap-sg'],
      frequency: '5m',
      deadlineMs: 30_000,
      steps: [
        {
          type: 'browser',
          name: 'Log in',
          actions: [
            { goto: `${base}/` },
            { fill: '#user', value: 'synthetic' },
            { fill: '#otp', value: '{{secrets.OTP}}' },
            { click: '#go' },
            { expectText: 'Welcome synthetic' },
          ],
        },
      ],
    });
    const r = await runner.run(journey);
    expect([r.success, r.error]).toEqual([true, null]);
    expect(r.steps[0].excerpt).toContain('Welcome synthetic');
    // a PNG
    expect(r.screenshot?.subarray(0, 8).toString('hex')).toBe(
      '89504e470d0a1a0a',
    );
    const har = JSON.parse(r.har!);
    const urls = har.log.entries.map((e: any) => e.request.url);
    expect(urls).toContain(`${base}/`);
    expect(urls).toContain(`${base}/api/login`);
    // the OTP (query and body) and the session cookie are not in the evidence
    expect(r.har).not.toMatch(/424242|s3cr3t-session/);

    const missing = await runner.run({
      ...journey,
      steps: [
        {
          type: 'browser',
          name: 'Log in',
          actions: [{ goto: `${base}/` }, { expectText: 'Goodbye' }],
        },
      ],
    });
    expect([missing.success, missing.error]).toEqual([
      false,
      "step 'Log in': action 2: the page does not show 'Goodbye'",
    ]);
    expect(missing.screenshot).toBeDefined();
  });

  it('aborts requests to hosts off the allowlist and fails the step', async () => {
    const runner = new SyntheticRunner({
      allowedHosts: ['127.0.0.1'],
      browser,
    });
    const r = await runner.run(
      syntheticJourneySchema.parse({
        name: 'tracked',
        regions: ['ap-sg'],
        frequency: '5m',
        deadlineMs: 30_000,
        steps: [
          {
            type: 'browser',
            name: 'Page',
            actions: [{ goto: `${base}/tracker` }],
          },
        ],
      }),
    );
    expect([r.success, r.error]).toEqual([
      false,
      "step 'Page': refused: tracker.invalid not on reliability.synthetics.allowedHosts",
    ]);
    const off = await runner.run(
      syntheticJourneySchema.parse({
        name: 'off',
        regions: ['ap-sg'],
        frequency: '5m',
        deadlineMs: 30_000,
        steps: [
          {
            type: 'browser',
            name: 'Page',
            actions: [{ goto: 'http://tracker.invalid/' }],
          },
        ],
      }),
    );
    expect(off.error).toBe(
      "step 'Page': action 1: refused: tracker.invalid is not on reliability.synthetics.allowedHosts",
    );
  });
});
