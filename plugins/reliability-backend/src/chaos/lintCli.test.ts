import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { runChaosLint } from './lintCli';

jest.setTimeout(60_000);

const repo = path.resolve(__dirname, '../../../..');
const seeds = path.join(repo, 'catalog/chaos/experiments');

async function lint(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runChaosLint(args, {
    out: l => out.push(l),
    err: l => err.push(l),
  });
  return { code, out, err };
}

describe('yarn chaos:lint', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chaos-lint-'));

  it("exits 0 on the seed's clean experiment files", async () => {
    const r = await lint([
      '--slos',
      'default/checkout-success',
      path.join(seeds, 'latency_checkout.yaml'),
      path.join(seeds, 'brownout_checkout.yaml'),
    ]);
    expect(r).toEqual({
      code: 0,
      out: ['chaos:lint: 2 experiment(s) pass'],
      err: [],
    });
  });

  it('exits 1 on the file edited from 5% to 50%, naming blastRadius.trafficPercent', async () => {
    const drifted = path.join(dir, 'latency_checkout.yaml');
    writeFileSync(
      drifted,
      readFileSync(path.join(seeds, 'latency_checkout.yaml'), 'utf8').replace(
        'trafficPercent: 5',
        'trafficPercent: 50',
      ),
    );
    const r = await lint([drifted]);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      `${drifted}: blastRadius.trafficPercent [max-traffic]: must be at most 10% of requests in staging (max_traffic), got 50%`,
      'chaos:lint: 1 of 1 experiment(s) break a rule',
    ]);
  });

  it('reports YAML errors and unreadable files, and explains its usage', async () => {
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'name: [unclosed\n');
    expect((await lint([broken])).out[0]).toMatch(
      /broken\.yaml: \(yaml\) \[syntax\]: /,
    );
    expect((await lint([broken])).code).toBe(1);
    expect(await lint([path.join(dir, 'missing.yaml')])).toMatchObject({
      code: 2,
      err: [expect.stringMatching(/missing\.yaml: cannot read: ENOENT/)],
    });
    expect((await lint([])).code).toBe(2);
  });

  it('runs from yarn as CI calls it', () => {
    const drifted = path.join(dir, 'drifted.yaml');
    writeFileSync(
      drifted,
      readFileSync(path.join(seeds, 'latency_checkout.yaml'), 'utf8').replace(
        'trafficPercent: 5',
        'trafficPercent: 50',
      ),
    );
    const r = spawnSync(
      process.execPath,
      [
        '--require',
        '@backstage/cli/config/nodeTransform.cjs',
        'scripts/chaos-lint.ts',
        drifted,
      ],
      { cwd: repo, encoding: 'utf8', timeout: 50_000 },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('blastRadius.trafficPercent [max-traffic]');
  });
});
