import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { Readable } from 'stream';
import { reliabilityPlugin } from '../plugin';

jest.setTimeout(60_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'reliability-runbooks-'));
mkdirSync(path.join(dir, 'docs'));
writeFileSync(
  path.join(dir, 'docs/runbook.md'),
  'Service: checkout\n\n# Symptoms\nBurn over 14.4x\n\n# Mitigations\n```sh\nkubectl rollout undo deploy/checkout\n```\n',
);
writeFileSync(path.join(dir, 'docs/huge.md'), '#'.repeat(600 * 1024));

const component = (
  name: string,
  annotations: Record<string, string>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: {
      'backstage.io/managed-by-location': `file:${dir}/catalog-info.yaml`,
      ...annotations,
    },
  },
  spec: { owner: 'payments-sre' },
});

describe('GET /runbooks/:kind/:namespace/:name', () => {
  let server: any;
  /** Bytes the endless runbook handed out before the reader stopped asking. */
  let endlessBytes = 0;
  const readUrl = jest.fn(async (url: string) => {
    if (url.endsWith('missing.md'))
      throw Object.assign(new Error('nope'), { name: 'NotFoundError' });
    if (url.endsWith('broken.md'))
      throw new Error(
        `fetch failed for ${url}?private_token=reader-token-1234`,
      );
    if (url.endsWith('endless.md')) {
      // a runbook that never ends: the reader must stop at the size limit instead of buffering it whole
      const stream = new Readable({
        read() {
          endlessBytes += 64 * 1024;
          this.push(Buffer.alloc(64 * 1024, 'a'));
        },
      });
      return {
        buffer: async () =>
          Promise.reject(new Error('buffer() must not be used')),
        stream: () => stream,
      } as any;
    }
    return { buffer: async () => Buffer.from(`# From ${url}\nbody`) } as any;
  });
  const repo = (name: string, runbook: string): Entity => ({
    ...component(name, { 'reliability.io/runbook': runbook }),
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'backstage.io/managed-by-location':
          'url:https://git.example/org/repo/blob/main/catalog-info.yaml',
        'reliability.io/runbook': runbook,
      },
    },
  });

  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        mockServices.urlReader.mock({ readUrl }).factory,
        catalogServiceMock.factory({
          entities: [
            component('checkout', {
              'reliability.io/runbook': './docs/runbook.md',
            }),
            component('remote', {
              'reliability.io/runbook': 'https://runbooks.example/remote.md',
            }),
            component('escape', {
              'reliability.io/runbook': './../../etc/passwd',
            }),
            component('huge', { 'reliability.io/runbook': './docs/huge.md' }),
            component('portal', {
              'reliability.io/runbook': 'link://runbooks/portal',
            }),
            component('malformed', {
              'reliability.io/runbook': 'docs/runbook.md',
            }),
            component('none', {}),
            component('linker', {
              'reliability.io/runbook': 'link://runbooks/checkout',
            }),
            component('dangling', {
              'reliability.io/runbook': 'link://runbooks/nowhere',
            }),
            repo('repo-ok', './docs/runbook.md'),
            repo('repo-escape', '../../../other-repo/blob/main/secrets.md'),
            repo('repo-endless', './endless.md'),
            repo('repo-broken', './broken.md'),
          ],
        }),
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              evaluation: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 24 },
                },
              },
            },
          },
        }),
      ],
    });
    server = backend.server;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a runbook next to the entity file and splits it into sections', async () => {
    const res = await request(server).get(
      '/api/reliability/runbooks/component/default/checkout',
    );
    expect(res.status).toBe(200);
    expect(res.body.source).toEqual({
      type: 'file',
      location: `${path.basename(dir)}/docs/runbook.md`,
    });
    expect(res.body.sections.map((s: any) => s.id)).toEqual([
      'overview',
      'symptoms',
      'mitigations',
    ]);
    expect(res.body.sections[2].body).toContain(
      'kubectl rollout undo deploy/checkout',
    );
  });

  it("resolves link://runbooks/<name> to that component's runbook, wherever it lives", async () => {
    const res = await request(server).get(
      '/api/reliability/runbooks/component/default/linker',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      entityRef: 'component:default/linker',
      source: {
        type: 'file',
        location: `${path.basename(dir)}/docs/runbook.md`,
      },
      editableMarkdown: false,
    });
    expect(res.body.sections.map((s: any) => s.id)).toEqual([
      'overview',
      'symptoms',
      'mitigations',
    ]);
    const dangling = await request(server).get(
      '/api/reliability/runbooks/component/default/dangling',
    );
    expect(dangling.status).toBe(404);
    expect(dangling.body.error.message).toMatch(
      /link:\/\/runbooks\/nowhere names component:default\/nowhere, which is not in the catalog/,
    );
  });

  it('reads a URL runbook through the UrlReaderService', async () => {
    const res = await request(server).get(
      '/api/reliability/runbooks/component/default/remote',
    );
    expect(res.status).toBe(200);
    expect(readUrl).toHaveBeenCalledWith('https://runbooks.example/remote.md');
    expect(res.body.sections[0].title).toBe(
      'From https://runbooks.example/remote.md',
    );
  });

  it("reads relative runbooks of url: locations only under the location's directory", async () => {
    const ok = await request(server).get(
      '/api/reliability/runbooks/component/default/repo-ok',
    );
    expect(ok.status).toBe(200);
    expect(readUrl).toHaveBeenCalledWith(
      'https://git.example/org/repo/blob/main/docs/runbook.md',
    );
    const escape = await request(server).get(
      '/api/reliability/runbooks/component/default/repo-escape',
    );
    expect(escape.status).toBe(400);
    expect(escape.body.error.message).toMatch(
      /points outside the directory of https:\/\/git\.example\/org\/repo\/blob\/main\/catalog-info\.yaml/,
    );
    expect(readUrl).not.toHaveBeenCalledWith(
      expect.stringContaining('other-repo'),
    );
  });

  it('stops reading a URL runbook at the size limit', async () => {
    const res = await request(server).get(
      '/api/reliability/runbooks/component/default/repo-endless',
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/is larger than 512 KiB/);
    expect(endlessBytes).toBeLessThanOrEqual(
      512 * 1024 + 2 * 64 * 1024 + 64 * 1024 * 16,
    );
  });

  it('answers a failed read with 503 and a redacted message', async () => {
    const res = await request(server).get(
      '/api/reliability/runbooks/component/default/repo-broken',
    );
    expect(res.status).toBe(503);
    expect(res.text).not.toContain('reader-token-1234');
  });

  it.each([
    [
      'escape',
      400,
      /'\.\/\.\.\/\.\.\/etc\/passwd' points outside the directory/,
    ],
    ['huge', 400, /is larger than 512 KiB/],
    [
      'malformed',
      400,
      /reliability\.io\/runbook: 'docs\/runbook\.md' must be an http\(s\) URL, a relative path/,
    ],
    [
      'portal',
      404,
      /component:default\/portal has no runbook yet: write one in the portal/,
    ],
    [
      'none',
      404,
      /component:default\/none has no runbook yet: write one in the portal \(it starts from the standard runbook skeleton\)/,
    ],
    ['unknown', 404, /No entity component:default\/unknown/],
  ])(
    'answers %s with %d and a clear message',
    async (name, status, message) => {
      const res = await request(server).get(
        `/api/reliability/runbooks/component/default/${name}`,
      );
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(message);
    },
  );
});
