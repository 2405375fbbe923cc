/*
 * Organisation overview benchmark (issue #13): `GET /api/reliability/overview` over 10,000 SLOs against the catalog's
 * own `GET /api/catalog/entities/by-name/component/bench/service-0`, on one backend (the real catalog backend and the
 * reliability backend, SQLite in memory), each under the same load: C connections (default 50) for D seconds
 * (default 10), after a warm-up. Printed: requests per second, p50 and p99 of both, and the throughput ratio
 * (target >= 1.0). The overview reads a ranked page from the snapshots once per evaluation tick and reuses it (the
 * caller's visibility still applies per request); the last line prints what a page's first read costs.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/overview.bench.ts [--slos 10000] [--connections 50] [--seconds 10]
 *   yarn bench:overview
 */
import http from 'http';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import knexFactory from 'knex';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  encodeCursor,
  percentile,
  SloDefinition,
  SloStatus,
} from '@reliability-suite/plugin-reliability-common';
import { arg } from './services';
import { reliabilityPlugin } from '../plugins/reliability-backend/src/plugin';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/wiring/ReliabilityDatabase';

const SLOS = Number(arg('slos', '10000'));
const CONNECTIONS = Number(arg('connections', '50'));
const SECONDS = Number(arg('seconds', '10'));
const SERVICES = 50;

const def = (i: number): SloDefinition => ({
  ref: `bench/slo-${i}`,
  namespace: 'bench',
  name: `slo-${i}`,
  title: `slo ${i}`,
  componentRef: `component:bench/service-${i % SERVICES}`,
  target: 0.999,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
});

const status = (i: number): SloStatus =>
  ({
    evaluatedAt: new Date().toISOString(),
    sli: 0.999,
    budgetRemaining: ((i * 7919) % 10_000) / 10_000,
    budgetRemainingEvents: 10,
    budgetAllowedEvents: 100,
    budgetConsumedEvents: 90,
    budgetRemainingMinutes: null,
    budgetAllowedMinutes: 43,
    burnRates: {},
    state: 'healthy',
    firing: [],
    exhaustsAt: null,
    good: 999,
    total: 1000,
    windowCoverage: 1,
  } as unknown as SloStatus);

/** C workers hitting one URL for D seconds over keep-alive connections: latencies and completed requests. */
async function load(
  port: number,
  path: string,
  seconds: number,
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const auth = mockCredentials.user.header('user:default/bench');
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const one = () =>
    new Promise<void>(resolve => {
      const t0 = performance.now();
      const req = http.get(
        {
          host: '127.0.0.1',
          port,
          path,
          agent,
          headers: { authorization: auth },
        },
        res => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - t0);
            else errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  agent.destroy();
  return {
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50) ?? NaN,
    p99: percentile(latencies, 99) ?? NaN,
    errors,
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'overview-bench-'));
  const catalogFile = join(dir, 'components.yaml');
  writeFileSync(
    catalogFile,
    Array.from(
      { length: SERVICES },
      (_, i) =>
        `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: service-${i}\n  namespace: bench\nspec:\n  type: service\n  lifecycle: production\n  owner: group:bench/team-${
          i % 5
        }\n  system: system:bench/shop\n`,
    ).join('---\n'),
  );
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
  const { server } = await startTestBackend({
    features: [
      catalogPlugin,
      reliabilityPlugin,
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          catalog: {
            processingInterval: { seconds: 1 },
            rules: [{ allow: ['Component'] }],
            locations: [{ type: 'file', target: catalogFile }],
          },
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
  const port = (server.address() as { port: number }).port;
  try {
    const store = (
      await ReliabilityDatabase.create(knex, { skipMigrations: true })
    ).stores().slos;
    const defs = Array.from({ length: SLOS }, (_, i) => def(i));
    await store.registry.syncSlos({
      upserts: defs.map(d => ({
        def: d,
        entityRef: `slo:${d.ref}`,
        docHash: d.ref,
      })),
      remove: [],
    });
    await store.statuses.saveStatuses(
      defs.map((d, i) => ({ sloRef: d.ref, status: status(i) })),
    );
    await store.registry.setComponentFacts(
      Array.from({ length: SERVICES }, (_, i) => ({
        componentRef: `component:bench/service-${i}`,
        owner: `group:bench/team-${i % 5}`,
        system: 'system:bench/shop',
        lifecycle: 'production',
      })),
    );
    // the catalog has read the components
    const catalogPath =
      '/api/catalog/entities/by-name/component/bench/service-0';
    for (let i = 0; i < 600; i++) {
      const ok = await new Promise<boolean>(r =>
        http
          .get(
            {
              host: '127.0.0.1',
              port,
              path: catalogPath,
              headers: { authorization: mockCredentials.user.header() },
            },
            res => {
              res.resume();
              r(res.statusCode === 200);
            },
          )
          .on('error', () => r(false)),
      );
      if (ok) break;
      await new Promise(r => setTimeout(r, 200));
    }
    const overviewPath = '/api/reliability/overview?limit=50';
    console.log(
      `overview over ${SLOS} SLOs vs the catalog's by-name read, ${CONNECTIONS} connections, ${SECONDS} s each (after 2 s of warm-up each)`,
    );
    await load(port, overviewPath, 2);
    await load(port, catalogPath, 2);
    const ov = await load(port, overviewPath, SECONDS);
    const cat = await load(port, catalogPath, SECONDS);
    const row = (name: string, r: Awaited<ReturnType<typeof load>>) =>
      console.log(
        `  ${name.padEnd(34)} ${r.rps
          .toFixed(0)
          .padStart(6)} req/s   p50 ${r.p50
          .toFixed(1)
          .padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   errors ${
          r.errors
        }`,
      );
    row('GET /api/reliability/overview', ov);
    row('GET /api/catalog/entities/by-name', cat);
    console.log(
      `  throughput ratio overview / catalog: ${(ov.rps / cat.rps).toFixed(
        2,
      )}x (target >= 1.0); p50 ${(ov.p50 / cat.p50).toFixed(2)}x, p99 ${(
        ov.p99 / cat.p99
      ).toFixed(2)}x`,
    );
    // a ranked page is read from the snapshots once per evaluation tick and reused: what a first read costs
    const cold: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const t0 = performance.now();
      await new Promise<void>(r =>
        http.get(
          {
            host: '127.0.0.1',
            port,
            path: `${overviewPath}&cursor=${encodeURIComponent(
              encodeCursor(i * 50),
            )}`,
            headers: {
              authorization: mockCredentials.user.header('user:default/bench'),
            },
          },
          res => {
            res.resume();
            res.on('end', () => r());
          },
        ),
      );
      cold.push(performance.now() - t0);
    }
    console.log(
      `  a page's first read after a tick (20 pages, one at a time): p50 ${percentile(
        cold,
        50,
      )!.toFixed(1)} ms, max ${Math.max(...cold).toFixed(1)} ms`,
    );
  } finally {
    server.close();
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main()
  .then(() => process.exit(0))
  .catch(e => {
    console.error(e);
    process.exit(1);
  });
