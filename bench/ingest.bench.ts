/*
 * Ingest benchmark (issue #9): what one POST /sli-events batch costs the store, and what it does to reads that
 * run at the same time.
 *
 *   - in order: 10,000 events for 200 SLOs within the last minute (reporters pushing current counts);
 *   - unknown refs: 10,000 distinct SLO refs that do not exist, resolved as the router resolves them
 *     (SloRegistry.byRefs: one registry query per 500 refs);
 *   - late: 10,000 events for 200 SLOs spread over the last 24 hours (minute buckets within the retention,
 *     hourly ones before), into SLOs that already hold 30 days of data.
 *
 * While each batch runs, the event loop's delay is monitored (SQLite runs synchronously: a long statement blocks
 * every other request) and a reader issues the evaluator's reads (cumulative counts of a random SLO at two
 * instants, and the 6-hour chart read) back to back; its latencies are the "reads" columns. Baseline, measured in
 * the same run: the same reader with nothing else running. Printed: batch time, read p50/p99/max during the batch,
 * and p99 during / p99 at rest.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/ingest.bench.ts [--db sqlite|pg] [--pg URL]
 *   yarn bench:ingest [-- --db pg]
 */
import { monitorEventLoopDelay } from 'perf_hooks';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { mockServices } from '@backstage/backend-test-utils';
import { openBenchDb } from './db';
import { benchLogger, arg } from './services';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import {
  SloStores,
  BucketRow,
  CountDelta,
} from '../plugins/reliability-backend/src/slos/stores';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/wiring/ReliabilityDatabase';
import { SloRegistry } from '../plugins/reliability-backend/src/slos/SloRegistry';

const MIN = 60_000;
const HOUR = 3_600_000;

const DB = arg('db', 'sqlite');
const PG = arg(
  'pg',
  process.env.RELIABILITY_BENCH_PG_URL ??
    'postgresql://postgres@127.0.0.1:5432',
);
const SLOS = 200;
const EVENTS = 10_000;
const RETENTION = 7 * HOUR;

const def = (i: number): SloDefinition => ({
  ref: `bench/slo-${i}`,
  namespace: 'bench',
  name: `slo-${i}`,
  title: `slo ${i}`,
  componentRef: `component:bench/service-${i}`,
  target: 0.999,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
});

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

/** Runs the evaluator's reads back to back until stopped; answers their latencies in ms. */
function reader(store: SloStores, now: number) {
  const latencies: number[] = [];
  let stop = false;
  let i = 0;
  const done = (async () => {
    while (!stop) {
      const ref = def(i++ % SLOS).ref;
      const t0 = performance.now();
      await store.readings.cumulativeAt([
        { sloRef: ref, t: now - HOUR },
        { sloRef: ref, t: now },
      ]);
      await store.counts.readCumulative(ref, now - 6 * HOUR, now);
      latencies.push(performance.now() - t0);
      // let the batch have the loop too
      await new Promise(r => setImmediate(r));
    }
  })();
  return {
    latencies,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

/** slo-0's total count over the last 25 hours, from the cumulative values. */
async function window25h(store: SloStores, now: number): Promise<number> {
  const ref = def(0).ref;
  const m = (
    await store.readings.cumulativeAt([
      { sloRef: ref, t: now - 25 * HOUR },
      { sloRef: ref, t: now + MIN },
    ])
  ).get(ref)!;
  return m.get(now + MIN)!.total - m.get(now - 25 * HOUR)!.total;
}

async function main() {
  const now = Math.floor(Date.now() / MIN) * MIN;
  const start = Math.floor((now - 30 * 86_400_000) / HOUR) * HOUR;
  const hourlyBefore = Math.floor((now - RETENTION) / HOUR) * HOUR;
  const { knex, close } = await openBenchDb(DB, PG, { poolMax: 10 });
  try {
    const store = (await ReliabilityDatabase.create(knex)).stores().slos;
    const defs = Array.from({ length: SLOS }, (_, i) => def(i));
    await store.registry.syncSlos({
      upserts: defs.map(d => ({
        def: d,
        entityRef: `slo:${d.ref}`,
        docHash: d.ref,
      })),
      remove: [],
    });
    // 30 days per SLO as the store keeps them: hourly buckets, then minute buckets for the retention
    for (const d of defs) {
      const rows: BucketRow[] = [];
      let cum = 0;
      for (let t = start + HOUR; t <= hourlyBefore; t += HOUR) {
        cum += 6000;
        rows.push({
          sloRef: d.ref,
          end: t,
          bucketMs: HOUR,
          good: 5994,
          total: 6000,
          cumGood: cum - (6 * (t - start)) / HOUR,
          cumTotal: cum,
        });
      }
      for (let t = hourlyBefore + MIN; t <= now; t += MIN) {
        cum += 100;
        rows.push({
          sloRef: d.ref,
          end: t,
          bucketMs: MIN,
          good: 100,
          total: 100,
          cumGood: rows[rows.length - 1].cumGood + 100,
          cumTotal: cum,
        });
      }
      await store.counts.loadBuckets(rows);
    }

    const beforeTotal = await window25h(store, now);
    const rest = reader(store, now);
    await new Promise(r => setTimeout(r, 2_000));
    await rest.stop();
    const baseP99 = pct(rest.latencies, 99);
    console.log(
      `ingest bench on ${DB}: ${SLOS} SLOs with 30 days of buckets; reads at rest: p50 ${f(
        pct(rest.latencies, 50),
      )} ms, p99 ${f(baseP99)} ms (${rest.latencies.length} reads)`,
    );
    console.log(
      '| case | batch | event loop blocked, max | reads during | p50 | p99 | max | p99 / p99 at rest |',
    );
    console.log('|---|---|---|---|---|---|---|---|');

    const run = async (name: string, batch: () => Promise<unknown>) => {
      const r = reader(store, now);
      await new Promise(res => setTimeout(res, 50));
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const t0 = performance.now();
      await batch();
      const ms = performance.now() - t0;
      // a blocked loop's late timer lands after the batch: let it land before reading the histogram
      await new Promise(res => setTimeout(res, 50));
      loop.disable();
      await r.stop();
      const p99 = pct(r.latencies, 99);
      console.log(
        `| ${name} | ${f(ms)} ms | ${f(loop.max / 1e6)} ms | ${
          r.latencies.length
        } | ${f(pct(r.latencies, 50))} ms | ${f(p99)} ms | ${f(
          Math.max(...r.latencies),
        )} ms | ${f(p99 / baseP99)}x |`,
      );
    };

    const inOrder: CountDelta[] = Array.from({ length: EVENTS }, (_, k) => ({
      sloRef: def(k % SLOS).ref,
      timestamp: now + ((k * 7) % 60_000),
      good: 9,
      total: 10,
    }));
    await run('10,000 events in order', () =>
      store.counts.addCounts(inOrder, now - RETENTION),
    );

    const catalog = new SloRegistry(
      catalogServiceMock({ entities: [] }),
      mockServices.auth(),
      store.registry,
      benchLogger,
    );
    const unknown = Array.from(
      { length: EVENTS },
      (_, k) => `bench/unknown-${k}`,
    );
    await run('10,000 unknown refs', async () => {
      const found = await catalog.byRefs(unknown);
      if (found.size) throw new Error('unknown refs found');
    });

    const late: CountDelta[] = Array.from({ length: EVENTS }, (_, k) => ({
      sloRef: def(k % SLOS).ref,
      timestamp:
        now - 60_000 - Math.floor(((k * 7919) % 1440) * MIN + (k % 60) * 1000),
      good: 1,
      total: 1,
    }));
    await run('10,000 late events (last 24 h)', () =>
      store.counts.addCounts(late, now - RETENTION),
    );

    // the counts are exact afterwards: cum(now + 1m) - cum(now - 25h) grew by exactly slo-0's events
    const after = await window25h(store, now);
    const expected =
      inOrder
        .filter(e => e.sloRef === defs[0].ref)
        .reduce((n, e) => n + e.total, 0) +
      late
        .filter(e => e.sloRef === defs[0].ref)
        .reduce((n, e) => n + e.total, 0);
    console.log(
      `check: ${defs[0].ref} gained ${
        after - beforeTotal
      } events over the last 25 h, ${expected} sent: ${
        after - beforeTotal === expected ? 'exact' : 'WRONG'
      }`,
    );
    if (after - beforeTotal !== expected) process.exitCode = 1;
  } finally {
    await close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
