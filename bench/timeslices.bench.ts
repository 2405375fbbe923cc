/*
 * Time-slice evaluation benchmark (issue 14).
 *
 * One evaluation tick at N SLOs (default 10,000), half Occurrences and half Timeslices (a p95 threshold judged per
 * one-minute slice), against the Occurrences-only tick of N SLOs on the same database and the same data, in the same
 * run. Both registries hold the same 1.5 x N SLOs and every SLO has D days (default 30) of data laid out as the plugin
 * keeps it (minute buckets for the minute retention, hourly buckets before): events for the Occurrences SLOs, slices
 * for the Timeslices ones. The mixed tick also counts one minute of new slice tallies (a value reported for each
 * Timeslices SLO since the last tick, the verdict changing every run), as a live tick does. Target: the mixed tick
 * costs at most 1.5x the Occurrences-only tick.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/timeslices.bench.ts [--slos 10000] [--days 30]
 *        [--db sqlite|pg] [--pg postgresql://postgres@127.0.0.1:5432]
 */
import { openBenchDb } from './db';
import { benchLogger, arg, median, minuteCounts, time } from './services';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { BucketRow } from '../plugins/reliability-backend/src/slos/stores';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/wiring/ReliabilityDatabase';
import { Evaluator } from '../plugins/reliability-backend/src/slos/Evaluator';
import { SliSourceRegistry } from '../plugins/reliability-backend/src/slos/counting';
import { IngestSliSource } from '../plugins/reliability-backend/src/slos/sources/IngestSliSource';

const MIN = 60_000;
const HOUR = 3_600_000;
const SLOS = Number(arg('slos', '10000'));
const DAYS = Number(arg('days', '30'));
const DB = arg('db', 'sqlite');
const PG = arg(
  'pg',
  process.env.RELIABILITY_BENCH_PG_URL ??
    'postgresql://postgres@127.0.0.1:5432',
);
const RETENTION = 7 * HOUR;

const base = (ref: string, i: number): SloDefinition => ({
  ref,
  namespace: 'bench',
  name: ref.split('/')[1],
  title: ref,
  componentRef: `component:bench/service-${i % 500}`,
  target: 0.99,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
});
const occurrences = (i: number) => base(`bench/occ-${i}`, i);
const timeslices = (i: number): SloDefinition => ({
  ...base(`bench/ts-${i}`, i),
  indicator: { mode: 'threshold', sourceType: 'Ingest', total: {} },
  threshold: { op: 'lte', value: 300 },
  budgeting: { method: 'Timeslices', sliceMs: MIN, timeSliceTarget: 1 },
});

async function main() {
  const now = Math.floor(Date.now() / MIN) * MIN;
  const start = Math.floor((now - DAYS * 86_400_000) / HOUR) * HOUR;
  const hourlyBefore = Math.floor((now - RETENTION) / HOUR) * HOUR;
  const { knex, close } = await openBenchDb(DB, PG);
  try {
    const store = (await ReliabilityDatabase.create(knex)).stores().slos;
    const occ = Array.from({ length: SLOS }, (_, i) => occurrences(i));
    const half = Math.floor(SLOS / 2);
    const ts = Array.from({ length: SLOS - half }, (_, k) =>
      timeslices(half + k),
    );
    await store.registry.syncSlos({
      upserts: [...occ, ...ts].map(d => ({
        def: d,
        entityRef: `slo:${d.ref}`,
        docHash: d.ref,
      })),
      remove: [],
    });

    // the same minutes for both kinds: events for occ-i, and for ts-i one slice a minute, good when the minute's
    // error share is at most 1% (its p95 under the threshold, say)
    let rows = 0;
    const [loadMs] = await time(async () => {
      let batch: BucketRow[] = [];
      const load = async (
        ref: string,
        i: number,
        sliced: boolean,
        last: boolean,
      ) => {
        let cg = 0;
        let ct = 0;
        let hour: BucketRow | undefined;
        for (let t = start; t < now; t += MIN) {
          const m = minuteCounts(i, t / MIN);
          const c = sliced
            ? { good: m.total - m.good <= m.total * 0.01 ? 1 : 0, total: 1 }
            : m;
          cg += c.good;
          ct += c.total;
          if (t < hourlyBefore) {
            const end = Math.floor(t / HOUR) * HOUR + HOUR;
            if (!hour || hour.end !== end) {
              hour = {
                sloRef: ref,
                end,
                bucketMs: HOUR,
                good: 0,
                total: 0,
                cumGood: 0,
                cumTotal: 0,
              };
              batch.push(hour);
            }
            hour.good += c.good;
            hour.total += c.total;
            hour.cumGood = cg;
            hour.cumTotal = ct;
          } else
            batch.push({
              sloRef: ref,
              end: t + MIN,
              bucketMs: MIN,
              good: c.good,
              total: c.total,
              cumGood: cg,
              cumTotal: ct,
            });
        }
        if (batch.length > 50_000 || last) {
          rows += batch.length;
          await store.counts.loadBuckets(batch);
          batch = [];
        }
      };
      for (let i = 0; i < SLOS; i++) await load(occ[i].ref, i, false, false);
      for (let k = 0; k < ts.length; k++)
        await load(ts[k].ref, half + k, true, k === ts.length - 1);
    });
    if (DB === 'pg') await knex.raw('ANALYZE');

    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(store));
    const evaluator = new Evaluator(store, sources, benchLogger, {
      minuteRetentionMs: RETENTION,
    });
    const mixed = [...occ.slice(0, half), ...ts];

    const occRuns: number[] = [];
    const mixedRuns: number[] = [];
    let closed = 0;
    for (let r = 0; r < 3; r++) {
      occRuns.push((await time(() => evaluator.evaluateAndStore(occ, now)))[0]);
      // the last minute's value of every Timeslices SLO, its verdict flipping from run to run
      await store.slices.addSliceTallies(
        ts.map(d => ({ sloRef: d.ref, sliceEnd: now, n: 1, good: r % 2 })),
      );
      const [ms] = await time(async () => {
        closed = await evaluator.closeSlices(mixed, now);
        return evaluator.evaluateAndStore(mixed, now);
      });
      mixedRuns.push(ms);
    }
    const check = (await evaluator.evaluate([ts[0], occ[0]], now)).get(
      ts[0].ref,
    )!.status;
    if (!check.slices || !(check.total > 0))
      throw new Error('the Timeslices SLO was not evaluated in slices');
    const o = median(occRuns);
    const m = median(mixedRuns);
    console.log(
      `database: ${
        DB === 'pg' ? 'PostgreSQL' : 'SQLite (better-sqlite3, in memory)'
      }`,
    );
    console.log(
      `store: ${SLOS} Occurrences + ${
        ts.length
      } Timeslices SLOs x ${DAYS} days -> ${rows.toLocaleString(
        'en-US',
      )} bucket rows (loaded in ${(loadMs / 1000).toFixed(1)} s)`,
    );
    console.log(
      `Occurrences-only tick, ${SLOS} SLOs: ${o.toFixed(0)} ms (runs: ${occRuns
        .map(x => x.toFixed(0))
        .join(', ')})`,
    );
    console.log(
      `mixed tick, ${half} Occurrences + ${
        ts.length
      } Timeslices (${closed} slices counted per tick): ${m.toFixed(
        0,
      )} ms (runs: ${mixedRuns.map(x => x.toFixed(0)).join(', ')})`,
    );
    console.log(
      `ratio mixed / Occurrences-only: ${(m / o).toFixed(
        2,
      )}x (target <= 1.5x: ${m / o <= 1.5 ? 'met' : 'NOT met'})`,
    );
  } finally {
    await close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
