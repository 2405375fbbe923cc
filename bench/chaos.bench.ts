/*
 * Chaos guard benchmark (issue #11): the time from an ingested breach to the halt call.
 *
 * The real parts: the store and migrations, the SLO registry, the evaluator with the ingest source, the chaos
 * guard on a fixed interval (as the scheduler runs it), and the remediation engine calling a loopback halt webhook.
 * Each run starts a fresh experiment on a healthy SLO, waits a random part of an interval, ingests a breach (20% of
 * the budget spent at once) and measures until the webhook receives the halt. Printed: p50, p95 and max over the
 * runs, and each as a ratio to the guard interval (target: p95 <= 1.5 intervals).
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/chaos.bench.ts [--runs 100] [--interval 1000] [--db sqlite|pg]
 *   yarn bench:chaos
 */
import http from 'http';
import { AddressInfo } from 'net';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import {
  chaosExperimentSchema,
  percentile,
} from '@reliability-suite/plugin-reliability-common';
import { openBenchDb } from './db';
import { arg, benchAuditor, benchLogger } from './services';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/wiring/ReliabilityDatabase';
import { SloRegistry } from '../plugins/reliability-backend/src/slos/SloRegistry';
import { SloReads } from '../plugins/reliability-backend/src/slos/SloReads';
import { SliSourceRegistry } from '../plugins/reliability-backend/src/slos/counting';
import { IngestSliSource } from '../plugins/reliability-backend/src/slos/sources/IngestSliSource';
import { ChaosGuard } from '../plugins/reliability-backend/src/chaos/ChaosGuard';
import { RemediationEngine } from '../plugins/reliability-backend/src/remediation/RemediationEngine';
import { RemediationMetrics } from '../plugins/reliability-backend/src/remediation/metrics';
import { buildRemediationRules } from '../plugins/reliability-backend/src/remediation/rules';
import { readReliabilityConfig } from '../plugins/reliability-backend/src/config/readReliabilityConfig';
import { Redactor } from '../plugins/reliability-backend/src/redaction/Redactor';

/** The rules as the plugin builds them from its config. */
const readRemediationRules = (
  config: Parameters<typeof readReliabilityConfig>[0],
  actions: Parameters<typeof buildRemediationRules>[1],
) => {
  const rc = readReliabilityConfig(config);
  return buildRemediationRules(
    rc.remediation.rules,
    actions,
    Redactor.forConfig(rc.raw),
  );
};
import { webhookAction } from '../plugins/reliability-backend/src/remediation/actions/webhook';

const RUNS = Number(arg('runs', '100'));
const INTERVAL = Number(arg('interval', '1000'));
const DB = arg('db', 'sqlite');
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';

/** One SLO per run, so each run's breach is its own. */
const slo = (i: number): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name: `checkout-${i}`, namespace: 'default' },
  spec: {
    service: 'checkout',
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: { metricSource: { type: 'Ingest', spec: {} } },
          total: { metricSource: { type: 'Ingest', spec: {} } },
        },
      },
    },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99 }],
  },
  relations: [{ type: 'measures', targetRef: 'component:default/checkout' }],
});

async function main() {
  const { knex, close } = await openBenchDb(DB, PG);
  const halted = new Map<string, number>();
  const target = http.createServer((req, res) => {
    const at = performance.now();
    let body = '';
    req.on('data', c => {
      body += c;
    });
    req.on('end', () => {
      const { experiment } = JSON.parse(body || '{}');
      if (experiment && !halted.has(experiment)) halted.set(experiment, at);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>(r => target.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/halt`;
  let timer: NodeJS.Timeout | undefined;
  try {
    const stores = (await ReliabilityDatabase.create(knex)).stores();
    const registry = new SloRegistry(
      catalogServiceMock({
        entities: Array.from({ length: RUNS }, (_, i) => slo(i)),
      }),
      mockServices.auth(),
      stores.slos.registry,
      benchLogger,
    );
    await registry.sync();
    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(stores.slos));
    const reads = new SloReads(sources);
    const actions = new Map([[webhookAction.id, webhookAction]]);
    const rules = readRemediationRules(
      new ConfigReader({
        reliability: {
          remediation: {
            rules: [
              {
                id: 'halt',
                entityRef: 'component:default/checkout',
                match: ['alertname="ChaosExperimentAborted"'],
                triggers: ['alert'],
                action: 'webhook',
                params: { url, body: { experiment: '{{experiment}}' } },
                lockKey: 'halt:{{experiment}}',
                maxAttempts: 1_000_000,
              },
            ],
          },
        },
      }),
      actions,
    );
    const engine = new RemediationEngine({
      store: stores.remediation,
      escalations: stores.escalations,
      rules,
      actions,
      logger: benchLogger,
      auditor: benchAuditor,
      metrics: new RemediationMetrics(),
      holder: 'bench',
    });
    const guard = new ChaosGuard({
      store: stores.chaos,
      registry,
      reads,
      // each run's abort is logged as a warning in production; here it is the expected outcome
      logger: mockServices.rootLogger({ level: 'error' }),
      halt: async (e, reason) => {
        await engine.submit({
          kind: 'alert',
          id: `chaos:${e.id}:abort`,
          labels: {
            alertname: 'ChaosExperimentAborted',
            experiment: e.name,
            entity: e.entityRef,
          },
          annotations: { summary: reason },
          entityRef: e.entityRef,
          receivedAt: Date.now(),
        });
      },
    });
    // the guard on its interval, one tick at a time, as the scheduler runs it
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      await guard.run();
      timer = setTimeout(tick, INTERVAL);
    };
    timer = setTimeout(tick, INTERVAL);

    // an hour ago, 100,000 good events per SLO
    await stores.slos.counts.addCounts(
      Array.from({ length: RUNS }, (_, i) => ({
        sloRef: `default/checkout-${i}`,
        timestamp: Date.now() - 3_600_000,
        good: 100_000,
        total: 100_000,
      })),
      Date.now() - 7 * 3_600_000,
    );
    const latencies: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const name = `bench-${run}`;
      const experiment = chaosExperimentSchema.parse({
        name,
        hypothesis: 'bench',
        target: { namespace: 'payments', deployment: 'payment-svc' },
        blastRadius: { trafficPercent: 5 },
        steadyState: { slo: `default/checkout-${run}` },
        injection: { type: 'latency', ms: 300 },
        duration: '10m',
        environment: 'staging',
        owner: 'group:default/payments-sre',
        abortConditions: [{ type: 'budget-spent', percent: 5, within: '90s' }],
      });
      const created = (await stores.chaos.create({
        entityRef: 'component:default/checkout',
        experiment,
        author: 'user:default/mei',
        now: Date.now(),
      }))!;
      await stores.chaos.transition(
        created.id,
        ['draft'],
        'running',
        { startedAt: Date.now(), budgetAtStart: 1 },
        Date.now(),
      );
      // the breach lands at a random moment of the guard's interval
      await new Promise(r => setTimeout(r, Math.random() * INTERVAL));
      const breachAt = performance.now();
      // 20% of the budget (1% of 100,200 events) spent at once
      await stores.slos.counts.addCounts(
        [
          {
            sloRef: `default/checkout-${run}`,
            timestamp: Date.now(),
            good: 0,
            total: 200,
          },
        ],
        Date.now() - 7 * 3_600_000,
      );
      for (let i = 0; i < 100 && !halted.has(name); i++)
        await new Promise(r => setTimeout(r, 20));
      const at = halted.get(name);
      if (at === undefined) throw new Error(`run ${run}: no halt within 2 s`);
      latencies.push(at - breachAt);
    }
    stopped = true;
    const p50 = percentile(latencies, 50)!;
    const p95 = percentile(latencies, 95)!;
    const max = Math.max(...latencies);
    console.log(
      `chaos guard, ${RUNS} runs, interval ${INTERVAL} ms, ${DB}: breach -> halt call`,
    );
    console.log(`| p50 | p95 | max | p95 / interval |`);
    console.log(
      `| ${p50.toFixed(0)} ms (${(p50 / INTERVAL).toFixed(2)}x) | ${p95.toFixed(
        0,
      )} ms (${(p95 / INTERVAL).toFixed(2)}x) | ${max.toFixed(0)} ms | ${(
        p95 / INTERVAL
      ).toFixed(2)} (target <= 1.5) |`,
    );
    if (p95 / INTERVAL > 1.5) process.exitCode = 1;
  } finally {
    if (timer) clearTimeout(timer);
    await new Promise<void>(r => target.close(() => r()));
    await close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
