import { execFile } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { promisify } from 'util';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { slothToOpenSlo } from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const run = promisify(execFile);

const sloth = slothToOpenSlo(`
version: "prometheus/v1"
service: "checkout"
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job="checkout",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}]))
`);

const promSlo = sloth.ok ? (sloth.value[0] as Entity) : (undefined as never);
promSlo.metadata.annotations = {
  'reliability.io/runbook': 'https://runbooks.example/checkout',
};
const latencySlo: Entity = {
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name: 'otp-verify-latency', namespace: 'default' },
  spec: {
    service: 'login-otp',
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              type: 'Prometheus',
              spec: {
                query:
                  'request_duration_ms_bucket{route="/otp/verify",le="300"}',
              },
            },
          },
          total: {
            metricSource: {
              type: 'Prometheus',
              spec: { query: 'request_duration_ms_count{route="/otp/verify"}' },
            },
          },
        },
      },
    },
    timeWindow: [{ duration: '7d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 95 }],
  },
};
// the compact format's alerts as the annotation: one two-window and one single-window rule
const policySlo: Entity = {
  ...latencySlo,
  metadata: {
    name: 'otp-spike',
    namespace: 'default',
    annotations: {
      'reliability.io/burn-rate-alerts': '14x:5m;6x:1h,6h:ticket',
    },
  },
};
const ingestSlo: Entity = {
  ...latencySlo,
  metadata: { name: 'ingest-only', namespace: 'default' },
  spec: {
    ...(latencySlo.spec as any),
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
          total: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
        },
      },
    },
  },
};

describe('GET /slos/:namespace/:name/prometheus-rules', () => {
  let server: any;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'reliability-rules-'));
    const scheduler = manualScheduler();
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [promSlo, latencySlo, ingestSlo, policySlo],
        }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
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
    await scheduler.evaluate();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([['checkout-requests-availability'], ['otp-verify-latency']])(
    'exports %s as a rule file that promtool accepts',
    async name => {
      const res = await request(server).get(
        `/api/reliability/slos/default/${name}/prometheus-rules`,
      );
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/yaml/);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="default-${name}.rules.yaml"`,
      );
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(file, res.text);
      const { stdout } = await run('promtool', ['check', 'rules', file]);
      // 8 SLI windows (for 7d: the seven shorter ones and 7d) + 7 meta records + the page and ticket alerts
      expect(stdout).toMatch(/SUCCESS: 17 rules found/);
    },
  );

  it('links the runbook and the entity page in the alerts', async () => {
    const res = await request(server).get(
      '/api/reliability/slos/default/checkout-requests-availability/prometheus-rules',
    );
    expect(res.text).toContain(
      'runbook_url: https://runbooks.example/checkout',
    );
    expect(res.text).toContain(
      'backstage_url: http://localhost:3000/catalog/default/component/checkout',
    );
  });

  it('explains why an SLO without PromQL cannot be exported, and 404s unknown SLOs', async () => {
    const bad = await request(server).get(
      '/api/reliability/slos/default/ingest-only/prometheus-rules',
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(
      /cannot be exported as Prometheus rules: .*total\.metricSource\.spec\.query is required/,
    );
    expect(
      (
        await request(server).get(
          '/api/reliability/slos/default/nope/prometheus-rules',
        )
      ).status,
    ).toBe(404);
  });

  it("exports an SLO's own alert policy, single-window rules included, as rules promtool accepts", async () => {
    const res = await request(server).get(
      '/api/reliability/slos/default/otp-spike/prometheus-rules',
    );
    expect(res.status).toBe(200);
    const file = path.join(dir, 'otp-spike.yaml');
    writeFileSync(file, res.text);
    const { stdout } = await run('promtool', ['check', 'rules', file]);
    // 8 SLI windows + 7 meta records + one page and one ticket alert
    expect(stdout).toMatch(/SUCCESS: 17 rules found/);
    expect(res.text).toContain(
      'slo:sli_error:ratio_rate5m{sloth_id="default-otp-spike", sloth_service="login-otp", sloth_slo="otp-spike"} > (14 * 0.05)',
    );
    expect(res.text).toContain(
      'ratio_rate6h{sloth_id="default-otp-spike", sloth_service="login-otp", sloth_slo="otp-spike"} > (6 * 0.05)',
    );
  });

  it('serves the self-healing alert rules as a file promtool accepts', async () => {
    const res = await request(server).get(
      '/api/reliability/remediations/prometheus-rules',
    );
    expect(res.status).toBe(200);
    const file = path.join(dir, 'selfheal.rules.yaml');
    writeFileSync(file, res.text);
    const { stdout } = await run('promtool', ['check', 'rules', file]);
    expect(stdout).toContain('SUCCESS: 3 rules found');
  });
});
