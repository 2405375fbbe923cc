import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { SECRET_ALERT_RULES } from './rules';

const run = promisify(execFile);
const DAY = 86_400;

describe('the secret alert rules', () => {
  it('are the rules docs/secrets.md ships', () => {
    const doc = readFileSync(
      path.join(__dirname, '../../../../docs/secrets.md'),
      'utf8',
    );
    const start = doc.indexOf(
      '```yaml\ngroups:\n  - name: reliability-secrets',
    );
    expect(start).toBeGreaterThan(-1);
    const body = doc.slice(start + '```yaml\n'.length);
    expect(body.slice(0, body.indexOf('```'))).toBe(SECRET_ALERT_RULES);
  });

  it('fire as promtool test rules says: expired, due soon, and neither', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'secret-rules-'));
    try {
      writeFileSync(path.join(dir, 'secrets.rules.yaml'), SECRET_ALERT_RULES);
      const series = (secret: string, age: number, max: number) => `
      - series: 'reliability_secret_age_seconds{secret="${secret}",instance="a"}'
        values: '${age}+60x20'
      - series: 'reliability_secret_max_age_seconds{secret="${secret}",instance="a"}'
        values: '${max}x20'
      - series: 'reliability_secret_max_age_seconds{secret="${secret}",instance="b"}'
        values: '${max}x20'`;
      writeFileSync(
        path.join(dir, 'test.yaml'),
        `rule_files: [secrets.rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:${series('old', 91 * DAY, 90 * DAY)}${series(
          'soon',
          80 * DAY,
          90 * DAY,
        )}${series('fresh', 10 * DAY, 90 * DAY)}
    alert_rule_test:
      - eval_time: 10m
        alertname: ReliabilitySecretExpired
        exp_alerts:
          - exp_labels: { severity: page, secret: old }
            exp_annotations:
              summary: "Secret old is older than its maximum age: rotate it, then update its rotatedAt"
      - eval_time: 10m
        alertname: ReliabilitySecretDueSoon
        exp_alerts:
          - exp_labels: { severity: ticket, secret: soon }
            exp_annotations:
              summary: "Secret soon reaches its maximum age within 14 days"
`,
      );
      const { stdout } = await run('promtool', ['test', 'rules', 'test.yaml'], {
        cwd: dir,
      });
      expect(stdout).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
