/*
 * The 60-second path, measured (issue 33): from the first bad minute of data to the remediation action's call.
 *
 * The plugin's own code on a real database (SQLite in memory, or PostgreSQL with --db pg): the SLO registry, the
 * ingest store, the Evaluator, the EvaluationTask (the full tick), the FastCheck, the AlertStore, self-healing's
 * coverage and the RemediationEngine with the webhook action calling a loopback target. The schedule runs on a
 * simulated clock (a real one would take an hour for 20 trials): the tick every 60 s and the fast check every
 * 10 s, each at a random phase, and the bad minute's counts posted at a random second of their minute. Each trial:
 * an hour of good minutes, then bad minutes (100% failed) until the action is called. The SLOs are 99.9% over 30
 * days, so the first bad minute makes the page condition (14.4x over 1h and 5m) true; a looser SLO needs more bad
 * minutes before its burn is a page at all, whichever path evaluates it. Latency = simulated time from
 * the first bad post to the run that fired the alert + the real time from that run's AlertFired to the target
 * receiving the call. Printed, with p50/p95 over --trials (default 20):
 *   (a) the old path: the full tick with pendingFor 1m (the baseline, same run, same data);
 *   (b) the fast path: the fast check (minute in progress counted, page conditions fire at once), tick unchanged;
 *   (c) Alertmanager: a signed webhook POST to the receiver route -> the action call (real time, loopback);
 * with the ratios, and the targets p95 <= 60 s (b) and < 1 s (c).
 * Not simulated: Backstage's scheduler's own latency in starting a due global task.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/selfheal.bench.ts [--trials 20] [--db sqlite|pg]
 */
import express from 'express';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { percentile } from '@reliability-suite/plugin-reliability-common';
import type { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { openBenchDb } from './db';
import {
  alertmanagerBody,
  alertmanagerReceiver,
  benchRemediationEngine,
  listen,
} from './alertmanager';
import { arg, benchLogger } from './services';
import { ingestSlo } from '../plugins/reliability-backend/src/__testUtils__/entities';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/wiring/ReliabilityDatabase';
import { SloRegistry } from '../plugins/reliability-backend/src/slos/SloRegistry';
import { Evaluator } from '../plugins/reliability-backend/src/slos/Evaluator';
import { SliSourceRegistry } from '../plugins/reliability-backend/src/slos/counting';
import { IngestSliSource } from '../plugins/reliability-backend/src/slos/sources/IngestSliSource';
import { EvaluationTask } from '../plugins/reliability-backend/src/slos/EvaluationTask';
import {
  FastCheck,
  fastCheckedRefs,
} from '../plugins/reliability-backend/src/slos/FastCheck';
import { RemediationMetrics } from '../plugins/reliability-backend/src/remediation/metrics';
import { sloAlertTrigger } from '../plugins/reliability-backend/src/remediation/triggers';
import { createSelfHealing } from '../plugins/reliability-backend/src/remediation/selfHealing';
import { readReliabilityConfig } from '../plugins/reliability-backend/src/config/readReliabilityConfig';

const TRIALS = Number(arg('trials', '20'));
const DB = arg('db', 'sqlite');
const PG =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
  'postgresql://postgres@127.0.0.1:5432';
const MIN = 60_000;
const SECRET = 'bench-shared-secret';
const BASE = Date.parse('2026-12-01T00:00:00Z');
const logger = benchLogger;

/** A small seeded generator, so runs are comparable. */
function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const fmt = (ms: number | null) =>
  ms === null
    ? '-'
    : ms >= 1000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${ms.toFixed(1)} ms`;

/** The action's target: the real time each call arrived (one trial at a time: the first call after a start is its). */
async function startTarget() {
  const calls: number[] = [];
  const target = await listen((req, res) => {
    calls.push(performance.now());
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return { ...target, firstAfter: (t: number) => calls.find(c => c >= t) };
}
type FirstAfter = (t: number) => number | undefined;

/** Checkout's rollback: a webhook to the target, for the suite's own page alerts or Alertmanager's error alerts. */
const rollbackRule = (targetUrl: string, severity: 'page' | 'error') => ({
  id: 'checkout-rollback',
  entityRef: 'component:default/checkout',
  match: [`severity="${severity}"`],
  ...(severity === 'page' ? { triggers: ['alert'] } : {}),
  action: 'webhook',
  params: { url: `${targetUrl}/off`, body: {} },
  lockKey: 'rollback:checkout',
  cooldown: '0s',
  maxAttempts: 1_000_000,
});

/** One path (old or fast) on its own database: N trials, each its own SLO of checkout. */
async function measurePath(
  fast: boolean,
  targetUrl: string,
  firstAfter: FirstAfter,
) {
  const { knex, close } = await openBenchDb(DB, PG);
  try {
    const stores = (await ReliabilityDatabase.create(knex)).stores();
    const refs = Array.from(
      { length: TRIALS },
      (_, i) => `default/checkout-${i}`,
    );
    const registry = new SloRegistry(
      catalogServiceMock({
        // 99.9% over 30 days: one minute of failed requests burns the 1h window at 16.7x, over the 14.4x page rule,
        // so the first bad minute is the one that makes the page condition true
        entities: refs.map(r => {
          const e = ingestSlo(r.split('/')[1], 'checkout');
          (e.spec as any).objectives = [{ targetPercent: 99.9 }];
          return e;
        }),
      }),
      mockServices.auth(),
      stores.slos.registry,
      logger,
    );
    let clock = BASE;
    const now = () => clock;
    const rules = [rollbackRule(targetUrl, 'page')];
    const rc = readReliabilityConfig(
      new ConfigReader({ reliability: { remediation: { rules } } }),
    );
    const metrics = new RemediationMetrics();
    const engine = benchRemediationEngine(knex, rules, { metrics, now });
    const healing = createSelfHealing({
      engine,
      slos: registry,
      executions: stores.remediation,
      alerts: stores.alerts,
      metrics: metrics.registry,
      graceMs: 60_000,
      now,
    });
    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(stores.slos));
    const evaluator = new Evaluator(stores.slos, sources, logger, {
      minuteRetentionMs: rc.minuteRetentionMs,
    });
    /** Each page alert that fires: the simulated time of the run, and the real time its trigger was handed on. */
    const fired = new Map<string, { sim: number; real: number }>();
    const onFired = async (alert: any, slo: SloDefinition) => {
      if (alert.severity !== 'page' || fired.has(alert.sloRef)) return;
      const real = performance.now();
      fired.set(alert.sloRef, { sim: clock, real });
      await engine.submit(sloAlertTrigger(alert, slo, clock));
    };
    const tick = new EvaluationTask({
      registry,
      evaluator,
      store: stores.slos,
      alerts: stores.alerts,
      logger,
      pendingMs: rc.alerting.pendingMs,
      minuteRetentionMs: rc.minuteRetentionMs,
      onFired,
      fastChecked: fast
        ? slos =>
            fastCheckedRefs(slos, healing, rc.remediation.fastCheck.maxSlos)
        : undefined,
      now,
    });
    const check = new FastCheck({
      registry,
      evaluator,
      alerts: stores.alerts,
      coverage: healing,
      config: rc.remediation.fastCheck,
      pendingMs: rc.alerting.pendingMs,
      onFired,
      logger,
      now,
    });
    await tick.run();
    const random = rng(fast ? 7 : 11);
    const latencies: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const ref = refs[i];
      // each trial three hours after the last, so its hour of good data is its own
      const badMinute = BASE + (i + 1) * 3 * 60 * MIN;
      const good = [];
      for (let m = 60; m >= 1; m--)
        good.push({
          sloRef: ref,
          timestamp: badMinute - m * MIN,
          good: 100,
          total: 100,
        });
      await stores.slos.counts.addCounts(good, badMinute - 7 * 60 * MIN);
      const firstBad = badMinute + Math.floor(random() * MIN);
      const tickPhase = Math.floor(random() * MIN);
      const fastPhase = Math.floor(random() * 10_000);
      // the schedule from the first bad post: bad posts each minute, ticks each minute, fast checks each 10 s
      const steps: [number, 'post' | 'tick' | 'fast'][] = [];
      for (let t = firstBad; t < firstBad + 10 * MIN; t += MIN)
        steps.push([t, 'post']);
      const from = badMinute - MIN;
      for (let t = from + tickPhase; t < firstBad + 10 * MIN; t += MIN)
        if (t >= firstBad) steps.push([t, 'tick']);
      if (fast)
        for (let t = from + fastPhase; t < firstBad + 10 * MIN; t += 10_000)
          if (t >= firstBad) steps.push([t, 'fast']);
      steps.sort((a, b) => a[0] - b[0] || (a[1] === 'post' ? -1 : 1));
      for (const [t, kind] of steps) {
        clock = t;
        if (kind === 'post')
          await stores.slos.counts.addCounts(
            [{ sloRef: ref, timestamp: t, good: 0, total: 100 }],
            t - 7 * 60 * MIN,
          );
        else if (kind === 'tick') await tick.run();
        else await check.run();
        await engine.idle();
        if (fired.has(ref)) break;
      }
      const f = fired.get(ref);
      const at = f ? firstAfter(f.real) : undefined;
      if (!f || at === undefined)
        throw new Error(
          `trial ${i}: the action was not called within 10 minutes`,
        );
      latencies.push(f.sim - firstBad + (at - f.real));
    }
    return latencies;
  } finally {
    await close();
  }
}

/** (c) Alertmanager: signed webhook POST -> the action call, real time. */
async function measureAlertmanager(targetUrl: string, firstAfter: FirstAfter) {
  const { knex, close } = await openBenchDb(DB, PG);
  try {
    await ReliabilityDatabase.create(knex);
    const engine = benchRemediationEngine(knex, [
      rollbackRule(targetUrl, 'error'),
    ]);
    const router = alertmanagerReceiver(knex, engine, SECRET);
    const app = express();
    app.use('/api/reliability', router);
    const receiver = await listen(app);
    const latencies: number[] = [];
    for (let i = 0; i < TRIALS + 5; i++) {
      const id = `am-${i}`;
      const body = alertmanagerBody(
        id,
        'CheckoutErrors',
        '2026-12-01T10:00:00Z',
      );
      const t = performance.now();
      const res = await fetch(
        `${receiver.url}/api/reliability/alertmanager/webhook`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${SECRET}`,
          },
          body,
        },
      );
      await res.text();
      await engine.idle();
      const at = firstAfter(t);
      if (at === undefined)
        throw new Error(
          `Alertmanager alert ${id}: no action call (HTTP ${res.status})`,
        );
      // the first 5 warm up (JIT, pools)
      if (i >= 5) latencies.push(at - t);
    }
    receiver.server.closeAllConnections();
    receiver.server.close();
    return latencies;
  } finally {
    await close();
  }
}

async function main() {
  const target = await startTarget();
  try {
    const old = await measurePath(false, target.url, target.firstAfter);
    const fast = await measurePath(true, target.url, target.firstAfter);
    const am = await measureAlertmanager(target.url, target.firstAfter);
    const p = (xs: number[], q: number) => percentile(xs, q)!;
    console.log(
      `selfheal bench: ${TRIALS} trials per path, ${DB}, simulated clock (tick every 60 s, fast check every 10 s, random phases; bad data at a random second of its minute)`,
    );
    console.log(
      `  (a) old path, tick + pendingFor 1m:    p50 ${fmt(
        p(old, 50),
      )}, p95 ${fmt(p(old, 95))}`,
    );
    console.log(
      `  (b) fast path, fast check:             p50 ${fmt(
        p(fast, 50),
      )}, p95 ${fmt(p(fast, 95))}`,
    );
    console.log(
      `  (c) Alertmanager webhook -> action:    p50 ${fmt(
        p(am, 50),
      )}, p95 ${fmt(p(am, 95))}`,
    );
    console.log(
      `  ratio old p95 / fast p95: ${(p(old, 95) / p(fast, 95)).toFixed(1)}x`,
    );
    console.log(
      `  target fast p95 <= 60 s: ${p(fast, 95) <= 60_000 ? 'met' : 'NOT met'}`,
    );
    console.log(
      `  target Alertmanager p95 < 1 s: ${
        p(am, 95) < 1_000 ? 'met' : 'NOT met'
      }`,
    );
  } finally {
    target.server.closeAllConnections();
    target.server.close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
