import { mkdtemp, readFile, rm, stat } from 'fs/promises';
import { tmpdir } from 'os';
import { join } from 'path';
import { Browser, chromium } from 'playwright-core';
import { BrowserStepRunner } from './SyntheticRunner';

const SENSITIVE_HEADERS = [
  'authorization',
  'cookie',
  'set-cookie',
  'proxy-authorization',
  'x-api-key',
];

/**
 * A HAR as evidence: values of credential headers, cookies, query values and posted bodies (a filled password)
 * replaced; what is left is the waterfall: URLs without queries, statuses, sizes and timings.
 */
export function redactHar(text: string): string {
  const har = JSON.parse(text) as { log?: { entries?: any[] } };
  for (const e of har.log?.entries ?? []) {
    for (const side of [e.request, e.response]) {
      if (!side) continue;
      for (const h of side.headers ?? [])
        if (SENSITIVE_HEADERS.includes(String(h.name).toLowerCase()))
          h.value = '[redacted]';
      if (side.cookies) side.cookies = [];
    }
    if (e.request) {
      for (const q of e.request.queryString ?? []) q.value = '[redacted]';
      if (typeof e.request.url === 'string')
        e.request.url = e.request.url.split('?')[0];
      if (e.request.postData)
        e.request.postData = {
          mimeType: e.request.postData.mimeType,
          text: '[redacted]',
        };
    }
  }
  return JSON.stringify(har);
}

/**
 * Browser steps on the machine's Chromium through playwright-core (no downloaded browser): navigate, fill, click,
 * expect text. Every request the page makes is checked against the allowlist (refused ones are aborted and fail the
 * step). Keeps a screenshot of the page at the end (or at the failure) and the HAR, each bounded in size.
 */
export class PlaywrightBrowserSteps implements BrowserStepRunner {
  private browser?: Promise<Browser>;

  constructor(
    private readonly o: {
      executablePath?: string;
      maxEvidenceBytes?: number;
    } = {},
  ) {}

  private launch(): Promise<Browser> {
    if (!this.browser) {
      this.browser = chromium.launch({
        executablePath: this.o.executablePath ?? '/usr/bin/chromium',
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      this.browser.catch(() => (this.browser = undefined));
    }
    return this.browser;
  }

  async close(): Promise<void> {
    const b = this.browser;
    this.browser = undefined;
    if (b) await (await b).close().catch(() => undefined);
  }

  async run(
    step: Parameters<BrowserStepRunner['run']>[0],
    ctx: Parameters<BrowserStepRunner['run']>[1],
  ) {
    const max = this.o.maxEvidenceBytes ?? 1_000_000;
    const dir = await mkdtemp(join(tmpdir(), 'reliability-har-'));
    const harPath = join(dir, 'run.har');
    const browser = await this.launch();
    const context = await browser.newContext({
      recordHar: { path: harPath, content: 'omit' },
      serviceWorkers: 'block',
    });
    const refused: string[] = [];
    await context.route('**/*', route => {
      let host = '';
      try {
        host = new URL(route.request().url()).hostname;
      } catch {
        // not a URL with a host (data:, about:): nothing leaves the machine
        return route.continue();
      }
      if (ctx.allowed(host)) return route.continue();
      refused.push(host);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    const onAbort = () => void context.close().catch(() => undefined);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let error: string | undefined;
    let excerpt: string | undefined;
    try {
      for (const [i, a] of step.actions.entries()) {
        const at = `action ${i + 1}`;
        if ('goto' in a) {
          const url = ctx.render(a.goto);
          const host = new URL(url).hostname;
          if (!ctx.allowed(host))
            throw new Error(
              `${at}: refused: ${host} is not on reliability.synthetics.allowedHosts`,
            );
          const res = await page.goto(url, { waitUntil: 'load' });
          if (res && res.status() >= 400)
            throw new Error(`${at}: ${url} answered ${res.status()}`);
        } else if ('fill' in a)
          await page.fill(a.fill, ctx.render(a.value), { timeout: 10_000 });
        else if ('click' in a) await page.click(a.click, { timeout: 10_000 });
        else
          await page
            .getByText(a.expectText)
            .first()
            .waitFor({ timeout: 10_000 })
            .catch(() => {
              throw new Error(
                `${at}: the page does not show '${a.expectText.slice(0, 80)}'`,
              );
            });
      }
      if (refused.length)
        error = `refused: ${[...new Set(refused)]
          .slice(0, 5)
          .join(', ')} not on reliability.synthetics.allowedHosts`;
    } catch (e) {
      error = ctx.signal.aborted
        ? 'deadline'
        : (e as Error).message.split('\n')[0];
    }
    let screenshot: Buffer | undefined;
    let har: string | undefined;
    let warning: string | undefined;
    try {
      if (!ctx.signal.aborted) {
        excerpt = (await page.innerText('body').catch(() => '')).slice(
          0,
          1_000,
        );
        const png = await page.screenshot({ type: 'png', timeout: 5_000 });
        if (png.length <= max) screenshot = png;
        else
          warning = `screenshot of ${png.length} bytes not kept (over ${max})`;
      }
      await context.close();
      const size = (await stat(harPath).catch(() => undefined))?.size ?? 0;
      if (size && size <= max) har = redactHar(await readFile(harPath, 'utf8'));
      else if (size) warning = `HAR of ${size} bytes not kept (over ${max})`;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await rm(dir, { recursive: true, force: true });
    }
    return { ok: !error, error, excerpt, screenshot, har, warning };
  }
}
