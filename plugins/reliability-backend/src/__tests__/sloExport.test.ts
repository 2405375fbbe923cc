import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import { parse } from 'yaml';
import {
  parseSlo,
  slothToOpenSlo,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const sloth = slothToOpenSlo(`
version: "prometheus/v1"
service: "checkout"
slos:
  - name: "requests-availability"
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutErrors
      page_alert: { disable: true }
`);
const slo = sloth.ok ? (sloth.value[0] as Entity) : (undefined as never);
const threshold: Entity = {
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name: 'p95', namespace: 'default' },
  spec: {
    service: 'checkout',
    indicator: {
      spec: {
        thresholdMetric: {
          metricSource: {
            type: 'Prometheus',
            spec: { query: 'p95_latency_seconds' },
          },
        },
      },
    },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ target: 0.99, op: 'lte', value: 0.3 }],
  },
};

describe('GET /slos/:namespace/:name/export/:format', () => {
  let server: any;

  beforeAll(async () => {
    const scheduler = manualScheduler();
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({ entities: [slo, threshold] }),
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
    await scheduler.evaluate();
  });

  const path = (name: string, format: string) =>
    `/api/reliability/slos/default/${name}/export/${format}`;

  it.each(['openslo', 'sloth'])(
    '%s: a YAML file that reads back as the same SLO',
    async format => {
      const res = await request(server).get(
        path('checkout-requests-availability', format),
      );
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toBe(
        `attachment; filename="default-checkout-requests-availability.${format}.yaml"`,
      );
      expect(parseSlo(parse(res.text))).toEqual(parseSlo(slo));
    },
  );

  it("sloth: Sloth's alerting, the disabled page alert kept disabled", async () => {
    const res = await request(server).get(
      path('checkout-requests-availability', 'sloth'),
    );
    expect(parse(res.text).slos[0].alerting).toEqual({
      name: 'CheckoutErrors',
      page_alert: { disable: true },
      ticket_alert: {},
    });
  });

  it('pyrra: refused, naming the field (Pyrra reads counter selectors, not sum(rate(...)) expressions)', async () => {
    const res = await request(server).get(
      path('checkout-requests-availability', 'pyrra'),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(
      /cannot be exported as pyrra: spec\.indicator\.spec: /,
    );
  });

  it('400 naming the format and the field', async () => {
    const bad = await request(server).get(
      path('checkout-requests-availability', 'nobl9'),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'format: must be one of openslo, sloth, pyrra',
    );
    const th = await request(server).get(path('p95', 'sloth'));
    expect(th.status).toBe(400);
    expect(th.body.error.message).toBe(
      'SLO default/p95 cannot be exported as sloth: spec.indicator.spec.thresholdMetric: Sloth has no threshold SLIs',
    );
  });
});
