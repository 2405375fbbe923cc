import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { SchedulerServiceTaskInvocationDefinition } from '@backstage/backend-plugin-api';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { eventually, startTarget } from '../__testUtils__/targets';

jest.setTimeout(90_000);

const slo = (name: string, extra: Record<string, unknown> = {}): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default' },
  spec: {
    service: 'checkout',
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
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99.5 }],
    ...extra,
  },
  relations: [{ type: 'measures', targetRef: 'component:default/checkout' }],
});

const spikePolicy = {
  alertPolicies: [
    {
      kind: 'AlertPolicy',
      metadata: { name: 'checkout-spike' },
      spec: {
        conditions: [
          {
            kind: 'AlertCondition',
            metadata: { name: 'spike' },
            spec: {
              severity: 'page',
              condition: {
                kind: 'burnrate',
                op: 'gte',
                threshold: 14,
                lookbackWindow: '5m',
              },
            },
          },
        ],
        notificationTargets: [
          {
            kind: 'AlertNotificationTarget',
            metadata: { name: 'payments-pager' },
            spec: { target: 'pagerduty:payments' },
          },
        ],
      },
    },
  ],
};

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'checkout', namespace: 'default' },
    spec: { owner: 'payments-sre' },
  },
  slo('checkout-success'),
  slo('checkout-spike', spikePolicy),
  slo('checkout-latency'),
];

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('alert policies on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'burn-csv-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // the scheduler records the tasks; the test runs the evaluation itself, deterministically
  const tasks = new Map<string, SchedulerServiceTaskInvocationDefinition>();
  const evaluate = () =>
    tasks.get('reliability-evaluate')!.fn(new AbortController().signal as any);
  const start = async (reliability: Record<string, any>) =>
    startTestBackend({
      features: [
        reliabilityPlugin,
        mockServices.scheduler.mock({
          scheduleTask: async task => {
            tasks.set(task.id, task);
          },
        }).factory,
        catalogServiceMock.factory({ entities }),
        mockServices.database.factory({
          knex: await databases.init(databaseId),
        }),
        mockServices.rootConfig.factory({ data: { reliability } }),
      ],
    });

  it("applies each SLO's policy: OpenSLO AlertPolicy, the seed's CSV, or the workbook table; a fired alert runs its fix", async () => {
    const csv = path.join(dir, 'burn-rate-alerts.csv');
    writeFileSync(
      csv,
      'slo_id,window,threshold_x\ncheckout_success,5m,14\ncheckout_success,1h,6\napi_availability,30m,14\n',
    );
    const target = await startTarget();
    try {
      const { server } = await start({
        alerting: { burnRateCsv: csv, pendingFor: '0' },
        remediation: {
          // the evaluation tick's own path: with the fast check on, a covered SLO's alerts are the fast check's
          fastCheck: { intervalSeconds: 0 },
          rules: [
            {
              id: 'checkout-spike-rollback',
              entityRef: 'component:default/checkout',
              match: [
                'alertname="SLOBurnRate"',
                'severity="page"',
                'slo="default/checkout-spike"',
              ],
              triggers: ['alert'],
              action: 'webhook',
              params: {
                url: `${target.url}/rollback`,
                body: { slo: '{{slo}}', rule: '{{rule}}' },
              },
            },
          ],
        },
      });
      await evaluate(); // registers the SLOs
      const items = (
        await request(server)
          .get('/api/reliability/slos')
          .query({ entityRef: 'component:default/checkout' })
      ).body.items;
      const policy = Object.fromEntries(
        items.map((i: any) => [i.name, i.alertPolicy]),
      );
      expect(policy['checkout-spike']).toEqual({
        source: 'openslo',
        rules: ['spike: page 14x 5m'],
        noData: true,
        targets: [{ name: 'payments-pager', target: 'pagerduty:payments' }],
      });
      expect(policy['checkout-success']).toEqual({
        source: 'csv',
        rules: ['page 14x 5m', 'page 6x 1h&5m'],
        noData: true,
      });
      expect(policy['checkout-latency']).toEqual({
        source: 'default',
        rules: [
          'page 14.4x 1h&5m',
          'page 6x 6h&30m',
          'ticket 3x 1d&2h',
          'ticket 1x 3d&6h',
        ],
        noData: true,
      });

      // half of the last minute's checkouts fail: a 100x burn over every window (the only traffic there is)
      // in the last complete minute: windows count whole minutes, the current one is not in them yet
      const t = new Date(
        Math.floor(Date.now() / 60_000) * 60_000 - 30_000,
      ).toISOString();
      const res = await request(server)
        .post('/api/reliability/sli-events')
        .send({
          events: [
            'checkout-spike',
            'checkout-success',
            'checkout-latency',
          ].map(n => ({
            slo: `default/${n}`,
            timestamp: t,
            good: 500,
            total: 1000,
          })),
        });
      expect(res.status).toBe(202);

      await evaluate();
      const firing = (
        await request(server)
          .get('/api/reliability/alerts')
          .query({ state: 'firing' })
      ).body.items;
      expect(firing.map((a: any) => `${a.sloRef} ${a.rule}`).sort()).toEqual([
        'default/checkout-latency page 14.4x 1h&5m',
        'default/checkout-latency page 6x 6h&30m',
        'default/checkout-latency ticket 1x 3d&6h',
        'default/checkout-latency ticket 3x 1d&2h',
        'default/checkout-spike spike: page 14x 5m',
        'default/checkout-success page 14x 5m',
        'default/checkout-success page 6x 1h&5m',
      ]);
      // the spike alert fired, so the suite's own trigger ran its rule once
      await eventually(() => target.calls.length >= 1, 20_000);
      expect(JSON.parse(target.calls[0].body)).toEqual({
        slo: 'default/checkout-spike',
        rule: 'spike: page 14x 5m',
      });
      await evaluate(); // another evaluation: the alert stays open, nothing runs again
      await evaluate();
      await new Promise(r => setTimeout(r, 200));
      expect(target.calls).toHaveLength(1);
      const history = (
        await request(server)
          .get('/api/reliability/remediations')
          .query({ entityRef: 'component:default/checkout' })
      ).body;
      expect(history.items).toEqual([
        expect.objectContaining({
          trigger: 'alert',
          state: 'succeeded',
          ruleId: 'checkout-spike-rollback',
        }),
      ]);
    } finally {
      await target.close();
    }
  });

  it('refuses a malformed CSV at startup, naming the line', async () => {
    const csv = path.join(dir, 'bad.csv');
    writeFileSync(csv, 'slo_id,window,threshold_x\ncheckout_success,45m,14\n');
    await expect(start({ alerting: { burnRateCsv: csv } })).rejects.toThrow(
      /reliability\.alerting\.burnRateCsv .* line 2: window '45m' is not one the suite evaluates/,
    );
  });
});
