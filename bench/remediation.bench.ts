/*
 * Remediation latency benchmark (issue #4).
 *
 * The receiver route (createRouter, real express over loopback HTTP) with the remediation engine on a real database
 * (SQLite in memory, or PostgreSQL with --db pg) and one webhook rule whose target is a loopback HTTP server.
 * Measured in the same run:
 *   - latency from "webhook received" (the receiver's clock when the request arrives) to "action delivered" (the
 *     target's clock when the call arrives), p50/p95/p99 over N distinct alerts (default 1,000) sent 10 at a time;
 *   - the baseline: the same loopback POST from this process straight to the target, p50/p95/p99;
 *   - alerts/s accepted with dedup: 10 deliveries of each of N alerts (10·N requests, 20 in flight).
 * It prints p95 / baseline p95 and checks the target p95 <= 100 ms.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/remediation.bench.ts [--alerts 1000] [--db sqlite|pg]
 */
import express from 'express';
import http from 'http';
import { AddressInfo } from 'net';
import { openBenchDb } from './db';
import { ConfigReader } from '@backstage/config';
import { percentile } from '@internal/plugin-reliability-common';
import Router from 'express-promise-router';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createGuards } from '../plugins/reliability-backend/src/http/guards';
import { CatalogAccess } from '../plugins/reliability-backend/src/catalog/CatalogAccess';
import { alertmanagerRoutes } from '../plugins/reliability-backend/src/alertmanager/routes';
import { AlertmanagerService } from '../plugins/reliability-backend/src/alertmanager/AlertmanagerService';
import { benchAuditor, benchLogger, arg } from './services';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/database/ReliabilityDatabase';
import { EscalationStore } from '../plugins/reliability-backend/src/remediation/EscalationStore';
import { AlertmanagerStore } from '../plugins/reliability-backend/src/alertmanager/AlertmanagerStore';
import { RemediationStore } from '../plugins/reliability-backend/src/remediation/RemediationStore';
import { RemediationEngine } from '../plugins/reliability-backend/src/remediation/RemediationEngine';
import { RemediationMetrics } from '../plugins/reliability-backend/src/remediation/metrics';
import { readRemediationRules } from '../plugins/reliability-backend/src/remediation/rules';
import { webhookAction } from '../plugins/reliability-backend/src/remediation/actions/webhook';

const N = Number(arg('alerts', '1000'));
const WIDTH = Number(arg('concurrency', '10'));
const DB = arg('db', 'sqlite');
const PG = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ?? 'postgresql://postgres@127.0.0.1:5432';
const SECRET = 'bench-shared-secret';
const logger = benchLogger;


async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

const fmt = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} ms`);

async function main() {
  const { knex, close } = await openBenchDb(DB, PG, { poolMax: Number(arg('pool', '10')) });
  const delivered = new Map<string, number>();
  const target = await listen((req, res) => {
    const at = performance.timeOrigin + performance.now();
    let body = '';
    req.on('data', c => { body += c; });
    req.on('end', () => {
      const { id } = JSON.parse(body || '{}');
      if (id) delivered.set(id, at);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  try {
    // migrations: every table of the suite, as the plugin creates them
    await ReliabilityDatabase.create(knex);
    const escalations = new EscalationStore(knex);
    const actions = new Map([[webhookAction.id, webhookAction]]);
    const config = new ConfigReader({
      reliability: {
        remediation: {
          rules: [
            {
              id: 'bench-rollback',
              entityRef: 'component:default/checkout',
              match: ['severity="error"'],
              action: 'webhook',
              params: { url: `${target.url}/off`, body: { id: '{{id}}' } },
              lockKey: 'rollback:{{id}}',
              maxAttempts: 1_000_000,
            },
          ],
        },
      },
    });
    const engine = new RemediationEngine({
      store: new RemediationStore(knex), escalations, rules: readRemediationRules(config, actions), actions, logger, auditor: benchAuditor,
      metrics: new RemediationMetrics(), holder: 'bench',
    });
    const received = new Map<string, number>();
    const app = express();
    // the receiver's clock when the request arrives
    app.use('/api/reliability/alertmanager/webhook', (req, _res, next) => {
      const id = req.headers['x-bench-id'] as string | undefined;
      if (id && !received.has(id)) received.set(id, performance.timeOrigin + performance.now());
      next();
    });
    // the receiver's own route file with the real guards and service (the other features are not needed here)
    const access = new CatalogAccess(catalogServiceMock({ entities: [] }));
    const receiverRouter = Router();
    alertmanagerRoutes(receiverRouter, {
      guards: createGuards({ httpAuth: mockServices.httpAuth(), permissions: mockServices.permissions(), auditor: benchAuditor, access }),
      alertmanager: new AlertmanagerService({ store: new AlertmanagerStore(knex), remediation: engine, access }),
      secret: SECRET,
      json: express.json({ limit: '5mb' }),
    });
    app.use('/api/reliability', receiverRouter);
    const receiver = await listen(app);

    const deliver = (id: string) =>
      fetch(`${receiver.url}/api/reliability/alertmanager/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'x-bench-id': id },
        body: JSON.stringify({
          version: '4', groupKey: '{}:{}', status: 'firing', receiver: 'backstage', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://127.0.0.1',
          alerts: [{ status: 'firing', labels: { alertname: 'Bench', severity: 'error', id }, annotations: {}, startsAt: '2026-11-22T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: Buffer.from(id).toString('hex').padStart(16, '0') }],
        }),
      }).then(r => { if (r.status !== 200) throw new Error(`receiver answered ${r.status}`); return r.text(); });

    // warm-up (JIT, connection pools), not measured
    await pool(Array.from({ length: 50 }, (_, i) => `warm-${i}`), 10, id => deliver(id).then(() => undefined));
    await engine.idle();

    // baseline: the loopback POST alone
    const baseline: number[] = [];
    await pool(Array.from({ length: N }, (_, i) => `base-${i}`), 10, async () => {
      const t = performance.now();
      await fetch(`${target.url}/off`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(r => r.text());
      baseline.push(performance.now() - t);
    });

    // webhook received -> action delivered, N distinct alerts
    const ids = Array.from({ length: N }, (_, i) => `alert-${i}`);
    await pool(ids, WIDTH, id => deliver(id).then(() => undefined));
    await engine.idle();
    const latencies = ids.map(id => (delivered.get(id) ?? NaN) - (received.get(id) ?? NaN));
    const missing = latencies.filter(Number.isNaN).length;
    if (missing) throw new Error(`${missing} alerts were not delivered to the target`);
    const calls = [...delivered.keys()].filter(k => k.startsWith('alert-')).length;

    // accepted with dedup: every alert 10 times
    const repeats = ids.flatMap(id => Array(10).fill(id) as string[]);
    const t0 = performance.now();
    await pool(repeats, 20, id => deliver(id).then(() => undefined));
    const seconds = (performance.now() - t0) / 1000;
    await engine.idle();
    const callsAfter = [...delivered.keys()].filter(k => k.startsWith('alert-')).length;

    const p = (xs: number[], q: number) => percentile(xs, q);
    const p95 = p(latencies, 95)!;
    const b95 = p(baseline, 95)!;
    console.log(`remediation bench: ${N} alerts, ${DB}`);
    console.log(`  webhook received -> action delivered: p50 ${fmt(p(latencies, 50))}, p95 ${fmt(p95)}, p99 ${fmt(p(latencies, 99))}`);
    console.log(`  baseline loopback POST:               p50 ${fmt(p(baseline, 50))}, p95 ${fmt(b95)}, p99 ${fmt(p(baseline, 99))}`);
    console.log(`  ratio p95 / baseline p95: ${(p95 / b95).toFixed(1)}x`);
    console.log(`  deliveries accepted with dedup: ${repeats.length} in ${seconds.toFixed(2)} s = ${Math.round(repeats.length / seconds)} alerts/s; target calls ${calls} -> ${callsAfter} (no new calls)`);
    console.log(`  target p95 <= 100 ms: ${p95 <= 100 ? 'met' : 'NOT met'}`);
    receiver.server.closeAllConnections();
    receiver.server.close();
    if (callsAfter !== calls || calls !== N) process.exitCode = 1;
  } finally {
    target.server.closeAllConnections();
    target.server.close();
    await close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
