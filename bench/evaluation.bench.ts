/*
 * Evaluation tick benchmark.
 *
 * Loads N SLOs (default 10,000) with D days (default 30) of per-minute counts into the store, laid out as the
 * plugin keeps them (minute buckets for the minute retention, hourly buckets with exact cumulative values
 * before), and times one full evaluation tick (counts for the compliance window and the 8 burn-rate windows of
 * every SLO, the pure math, storing the snapshots).
 *
 * Baseline, measured in the same run on the same database: the naive evaluation over raw per-minute rows,
 * `SELECT slo_ref, SUM(good), SUM(total) FROM raw WHERE ts >= ? AND ts < ? GROUP BY slo_ref` for the same
 * 9 windows. Raw rows for all N SLOs would be N x 43,200 rows (432 million for 10,000), so the baseline runs on a
 * sample of S SLOs (default 200) and the store's tick is timed on the same sample too: the printed ratio
 * compares like with like. The naive cost is linear in raw rows, so its extrapolation to N is printed as well.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/evaluation.bench.ts [--slos 10000] [--days 30]
 *        [--sample 200] [--ticks 6] [--db sqlite|pg] [--pg postgresql://postgres@127.0.0.1:5432]
 */
import { openBenchDb } from './db';
import {
  benchLogger,
  benchSlo,
  cpuProfiler,
  arg,
  median,
  minuteCounts,
  time,
} from './services';
import {
  BURN_RATE_WINDOWS,
  durationMs,
} from '@reliability-suite/plugin-reliability-common';
import {
  BucketRow,
  createSloStores,
} from '../plugins/reliability-backend/src/slos/stores';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/wiring/ReliabilityDatabase';
import { Evaluator } from '../plugins/reliability-backend/src/slos/Evaluator';
import { SliSourceRegistry } from '../plugins/reliability-backend/src/slos/counting';
import { IngestSliSource } from '../plugins/reliability-backend/src/slos/sources/IngestSliSource';
import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { measureReplicas } from './shards';
import { bulkBuckets } from './bulkLoad';

// a full collection between the measured minutes (see the steady state below)
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

const MIN = 60_000;
const HOUR = 3_600_000;

const SLOS = Number(arg('slos', '10000'));
const DAYS = Number(arg('days', '30'));
const SAMPLE = Math.min(SLOS, Number(arg('sample', '200')));
const DB = arg('db', 'sqlite');
const TICKS = Math.max(1, Number(arg('ticks', '6')));
// --replicas 2 (PostgreSQL): sharded evaluation by two replicas against one, after the rest (bench/shards.ts)
const REPLICAS = Number(arg('replicas', '1'));
const SHARDS = Number(arg('shards', '64'));
const PG = arg(
  'pg',
  process.env.RELIABILITY_BENCH_PG_URL ??
    'postgresql://postgres@127.0.0.1:5432',
);
const RETENTION = 7 * HOUR;
// the launch gate's window, which every status carries as the plugin makes it (--gate none: without it)
const GATE_OPTION =
  arg('gate', '7d') === 'none' ? {} : { gateWindow: arg('gate', '7d') };

const logger = benchLogger;

/** The benchmark's SLOs (bench/services.ts: the replicas' processes make the same ones). */
const def = benchSlo;

/** Gaps between the runs of a 1 ms timer from now until stop(): how long the event loop was held at a time. */
function loopHeld(): { stop: () => number[] } {
  const gaps: number[] = [];
  let last = performance.now();
  let on = true;
  const beat = () => {
    const t = performance.now();
    gaps.push(t - last);
    last = t;
    if (on) setTimeout(beat, 1);
  };
  setTimeout(beat, 1);
  return {
    stop: () => {
      on = false;
      gaps.push(performance.now() - last);
      return gaps;
    },
  };
}

function percentileOf(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function main() {
  const now = Math.floor(Date.now() / MIN) * MIN;
  const start = Math.floor((now - DAYS * 86_400_000) / HOUR) * HOUR;
  const hourlyBefore = Math.floor((now - RETENTION) / HOUR) * HOUR;
  const { knex, close, url: dbUrl } = await openBenchDb(DB, PG);
  try {
    await ReliabilityDatabase.create(knex);
    // the wall clock that stamps written rows, moved a minute per simulated minute below (the tick reads rows
    // written since its last read, less a margin of WRITE_MARGIN_MS: with ticks a real minute apart, that is what it
    // reads again)
    let clockOffset = 0;
    const store = createSloStores(knex, () => Date.now() + clockOffset);
    const defs = Array.from({ length: SLOS }, (_, i) => def(i));
    await store.registry.syncSlos({
      upserts: defs.map(d => ({
        def: d,
        entityRef: `slo:${d.ref}`,
        docHash: d.ref,
      })),
      remove: [],
    });

    // ---- load the store's buckets ----
    // in time order, all SLOs' rows of one minute (or hour) together, as a live system writes them: ingest minute by
    // minute, compaction hour by hour. (Loading SLO by SLO put each minute's 10,000 rows on 10,000 different pages,
    // which no running portal has.) Then VACUUM, as autovacuum does after a bulk insert.
    let rows = 0;
    const [loadMs] = await time(async () => {
      // bench/bulkLoad.ts: the same rows, loaded faster than the store's writer does (indexes built afterwards)
      const loader = await bulkBuckets(knex, () => Date.now() + clockOffset);
      let batch: BucketRow[] = [];
      const cg = new Float64Array(SLOS);
      const ct = new Float64Array(SLOS);
      const hours: (BucketRow | undefined)[] = new Array(SLOS);
      const flush = async (force: boolean) => {
        if (batch.length > 50_000 || (force && batch.length)) {
          rows += batch.length;
          await loader.add(batch);
          batch = [];
        }
      };
      for (let t = start; t < now; t += MIN) {
        for (let i = 0; i < SLOS; i++) {
          const c = minuteCounts(i, t / MIN);
          cg[i] += c.good;
          ct[i] += c.total;
          if (t < hourlyBefore) {
            const end = Math.floor(t / HOUR) * HOUR + HOUR;
            let hour = hours[i];
            if (!hour || hour.end !== end) {
              if (hour) batch.push(hour); // the hour before is complete
              hour = hours[i] = {
                sloRef: defs[i].ref,
                end,
                bucketMs: HOUR,
                good: 0,
                total: 0,
                cumGood: 0,
                cumTotal: 0,
              };
            }
            hour.good += c.good;
            hour.total += c.total;
            hour.cumGood = cg[i];
            hour.cumTotal = ct[i];
          } else {
            const hour = hours[i];
            if (hour) {
              batch.push(hour);
              hours[i] = undefined;
            }
            batch.push({
              sloRef: defs[i].ref,
              end: t + MIN,
              bucketMs: MIN,
              good: c.good,
              total: c.total,
              cumGood: cg[i],
              cumTotal: ct[i],
            });
          }
        }
        await flush(false);
      }
      for (const hour of hours) if (hour) batch.push(hour);
      await flush(true);
      await loader.done();
    });
    if (DB === 'pg') await knex.raw('VACUUM (ANALYZE) reliability_buckets');
    if (DB === 'pg') await knex.raw('ANALYZE');

    // ---- load the naive baseline's raw per-minute rows for the sample ----
    await knex.schema.createTable('bench_raw', t => {
      t.string('slo_ref', 255).notNullable();
      t.bigInteger('ts').notNullable();
      t.double('good').notNullable();
      t.double('total').notNullable();
      t.index(['slo_ref', 'ts']);
      t.index(['ts']);
    });
    let rawRows = 0;
    const [rawLoadMs] = await time(async () => {
      const chunk = DB === 'pg' ? 5000 : 200;
      for (let i = 0; i < SAMPLE; i++) {
        const all: any[] = [];
        for (let t = start; t < now; t += MIN)
          all.push({
            slo_ref: defs[i].ref,
            ts: t,
            ...minuteCounts(i, t / MIN),
          });
        await knex.transaction(async tx => {
          for (let j = 0; j < all.length; j += chunk)
            await tx('bench_raw').insert(all.slice(j, j + chunk));
        });
        rawRows += all.length;
      }
    });
    if (DB === 'pg') await knex.raw('ANALYZE');

    const sources = new SliSourceRegistry();
    sources.add(new IngestSliSource(store));
    // as the plugin makes it: every status also carries the launch gate's budget over its window (7d by default)
    const evaluator = new Evaluator(store, sources, logger, GATE_OPTION);
    const windows = ['30d', ...BURN_RATE_WINDOWS].map(w => durationMs(w));

    // ---- the store's tick: all SLOs, and the sample ----
    const full: number[] = [];
    let evaluated = 0;
    for (let r = 0; r < 3; r++) {
      const [ms, res] = await time(async () => {
        const out = await evaluator.evaluate(defs, now);
        await store.statuses.saveStatuses(
          [...out].map(([sloRef, x]) => ({ sloRef, status: x.status })),
        );
        return out;
      });
      full.push(ms);
      evaluated = res.size;
    }
    const sampleDefs = defs.slice(0, SAMPLE);
    const sampleStore: number[] = [];
    let check: any;
    for (let r = 0; r < 3; r++) {
      const [ms, res] = await time(() => evaluator.evaluate(sampleDefs, now));
      sampleStore.push(ms);
      check = res.get(sampleDefs[0].ref)!.status;
    }

    // ---- the naive tick over raw rows, same windows, same sample ----
    const naive: number[] = [];
    let naiveCheck: any;
    for (let r = 0; r < 3; r++) {
      const [ms, res] = await time(async () => {
        const out = new Map<string, { good: number; total: number }[]>();
        for (const w of windows) {
          const rowsW = await knex('bench_raw')
            .select('slo_ref')
            .sum({ good: 'good', total: 'total' })
            .where('ts', '>=', now - w)
            .where('ts', '<', now)
            .groupBy('slo_ref');
          for (const row of rowsW as unknown as {
            slo_ref: string;
            good: unknown;
            total: unknown;
          }[]) {
            const list = out.get(row.slo_ref) ?? [];
            list.push({ good: Number(row.good), total: Number(row.total) });
            out.set(row.slo_ref, list);
          }
        }
        return out;
      });
      naive.push(ms);
      naiveCheck = res.get(sampleDefs[0].ref)!;
    }
    // both methods must agree on the minute-exact windows
    const naive1h = naiveCheck[1 + BURN_RATE_WINDOWS.indexOf('1h')];
    const naiveBurn = (naive1h.total - naive1h.good) / naive1h.total / 0.001;
    if (
      Math.abs(naiveBurn - check.burnRates['1h']) >
      1e-9 * Math.max(1, naiveBurn)
    ) {
      throw new Error(
        `1h burn rate differs: store ${check.burnRates['1h']} naive ${naiveBurn}`,
      );
    }

    // ---- steady state: every minute, a minute of traffic for every SLO (the real ingest), then the tick ----
    // The tick (evaluateAndStore through EvaluationTask's evaluator) reads the index moved forward; the baseline,
    // measured at the same minutes on the same data, is today's from-scratch tick (a fresh evaluator: every
    // boundary read from the tables, every snapshot written). The two must agree on every SLO.
    const tickEvaluator = new Evaluator(
      store,
      (() => {
        const s = new SliSourceRegistry();
        s.add(new IngestSliSource(store));
        return s;
      })(),
      logger,
      GATE_OPTION,
    );
    clockOffset += MIN;
    const [buildMs] = await time(() =>
      tickEvaluator.evaluateAndStore(defs, now),
    );
    // how long the tick keeps the event loop from other work (a backend's reads wait that long): the gaps between the
    // callbacks of a 1 ms timer kept going during each incremental tick
    const loopGaps: number[] = [];
    const loopLongest: number[] = [];
    const incremental: number[] = [];
    const scratch: number[] = [];
    const ingestMs: number[] = [];
    let mismatches = 0;
    let writes = 0;
    let read = '';
    const phaseRuns: Record<string, number>[] = [];
    let t = now;
    const profiler = await cpuProfiler(process.env.BENCH_PROFILE);
    for (let m = 0; m < TICKS; m++) {
      t += MIN;
      clockOffset += MIN;
      // the last minute's from-scratch tick and comparison leave garbage a portal never makes: collected here, before
      // the minute's ingest, so that the incremental tick pays for its own garbage and the ingest's, not the baseline's
      collect();
      const deltas = defs.map((d, i) => ({
        sloRef: d.ref,
        timestamp: t - MIN + 1_000,
        ...minuteCounts(i, (t - MIN) / MIN),
      }));
      const [ims] = await time(() =>
        store.counts.addCounts(deltas, hourlyBefore + (t - now)),
      );
      ingestMs.push(ims);
      await profiler?.start();
      const held = loopHeld();
      const [ms, res] = await time(() =>
        tickEvaluator.evaluateAndStore(defs, t),
      );
      const heldMs = held.stop();
      loopGaps.push(...heldMs);
      loopLongest.push(Math.max(...heldMs));
      await profiler?.stop(String(m));
      incremental.push(ms);
      writes = tickEvaluator.lastSnapshotWrites;
      const st = tickEvaluator.lastIndexSync!;
      read = `${st.changedRows} written rows, ${st.crossedRows} crossed rows read in ${st.readMs} ms, ${st.rebuilt} SLOs read afresh; snapshots ${tickEvaluator.lastSnapshotMs} ms`;
      phaseRuns.push(tickEvaluator.lastTickPhases);
      if (profiler) continue;
      // today's tick: every boundary from the tables, every snapshot written (and no tick marker: not a takeover). It
      // starts on a collected heap too
      collect();
      const [sms, ref] = await time(async () => {
        const out = await evaluator.evaluate(defs, t);
        await store.statuses.saveStatuses(
          [...out].map(([sloRef, r]) => ({ sloRef, status: r.status })),
        );
        return out;
      });
      scratch.push(sms);
      for (const d of defs) {
        const a = res.get(d.ref)!.status;
        const b = ref.get(d.ref)!.status;
        if (JSON.stringify(a) !== JSON.stringify(b)) mismatches++;
      }
    }
    const incMs = median(incremental);
    const scratchMs = median(scratch);

    const fullMs = median(full);
    const sampleMs = median(sampleStore);
    const naiveMs = median(naive);
    const naiveExtrapolated = (naiveMs * SLOS) / SAMPLE;
    console.log(
      `database: ${
        DB === 'pg' ? 'PostgreSQL' : 'SQLite (better-sqlite3, in memory)'
      }`,
    );
    console.log(
      `store: ${SLOS} SLOs x ${DAYS} days per minute -> ${rows.toLocaleString(
        'en-US',
      )} bucket rows (loaded in ${(loadMs / 1000).toFixed(1)} s)`,
    );
    console.log(
      `naive baseline: ${SAMPLE} SLOs x ${DAYS} days -> ${rawRows.toLocaleString(
        'en-US',
      )} raw rows (loaded in ${(rawLoadMs / 1000).toFixed(1)} s)`,
    );
    console.log(
      `one evaluation tick from scratch, ${evaluated} SLOs, 9 windows each, snapshots stored: ${fullMs.toFixed(
        0,
      )} ms (runs: ${full.map(x => x.toFixed(0)).join(', ')})`,
    );
    if (DB === 'sqlite')
      console.log(
        `target <= 1000 ms on SQLite: ${fullMs <= 1000 ? 'met' : 'NOT met'}`,
      );
    console.log(
      `sample of ${SAMPLE} SLOs: store ${sampleMs.toFixed(
        1,
      )} ms, naive SUM over raw rows ${naiveMs.toFixed(1)} ms`,
    );
    // issue 2's target is about a month of data (--days 30, the default) over a real sample (--sample 200): with less,
    // the naive query has little to sum, and the line says so instead of judging it
    const naiveJudged = DAYS >= 30 && SAMPLE >= 200;
    console.log(
      `ratio naive / store (same ${SAMPLE} SLOs, same windows): ${(
        naiveMs / sampleMs
      ).toFixed(1)}x (${
        naiveJudged
          ? `target >= 20x: ${naiveMs / sampleMs >= 20 ? 'met' : 'NOT met'}`
          : 'target >= 20x is judged with --days 30 --sample 200'
      })`,
    );
    console.log(
      `incremental: index built in ${buildMs.toFixed(
        0,
      )} ms; then a tick a minute with ${SLOS} SLOs' minute of traffic ingested before each (ingest ${median(
        ingestMs,
      ).toFixed(0)} ms)`,
    );
    console.log(
      `  incremental tick: ${incMs.toFixed(0)} ms (runs: ${incremental
        .map(x => x.toFixed(0))
        .join(', ')}; last read ${read}; ${writes} snapshots written)`,
    );
    console.log(
      `  event loop held by the tick (what a request arriving meanwhile waits): longest ${Math.max(
        ...loopLongest,
      ).toFixed(0)} ms (per tick: ${loopLongest
        .map(x => x.toFixed(0))
        .join(
          ', ',
        )}), p99 of the gaps between a 1 ms timer's runs ${percentileOf(
        loopGaps,
        99,
      ).toFixed(0)} ms`,
    );
    console.log(
      `  tick phases (medians, ms): ${Object.keys(phaseRuns[0])
        .map(k => `${k} ${median(phaseRuns.map(p => p[k])).toFixed(1)}`)
        .join(', ')}`,
    );
    if (scratch.length) {
      console.log(
        `  from-scratch tick, same minutes (today's tick): ${scratchMs.toFixed(
          0,
        )} ms (runs: ${scratch.map(x => x.toFixed(0)).join(', ')})`,
      );
      console.log(
        `  ratio from-scratch / incremental: ${(scratchMs / incMs).toFixed(
          1,
        )}x; statuses differing from the from-scratch evaluation: ${mismatches} of ${
          SLOS * incremental.length
        }`,
      );
    } else
      console.log('  (profiling: the from-scratch comparison was not run)');
    // what the process holds with every SLO's index and definitions live (the bench's own arrays included): an upper
    // bound of a backend's heap for the evaluation at this many SLOs
    collect();
    const mem = process.memoryUsage();
    console.log(
      `  heap after the ticks (collected): ${(mem.heapUsed / 2 ** 20).toFixed(
        0,
      )} MB used of ${(mem.heapTotal / 2 ** 20).toFixed(0)} MB; RSS ${(
        mem.rss /
        2 ** 20
      ).toFixed(0)} MB (target heap <= 1024 MB: ${
        mem.heapUsed <= 2 ** 30 ? 'met' : 'NOT met'
      })`,
    );
    // 250 ms for 10,000 SLOs (issue 15), 1,000 ms for 100,000 (issue 37)
    const target = SLOS <= 10_000 ? 250 : 1_000;
    console.log(
      `  target incremental tick <= ${target} ms on ${
        DB === 'pg' ? 'PostgreSQL' : 'SQLite'
      }: ${incMs <= target && mismatches === 0 ? 'met' : 'NOT met'}`,
    );
    // the overview's first and a deep page, ranked by budget left over every evaluated SLO (what the status table's
    // indexes serve besides the tick's upsert)
    for (const offset of [0, Math.floor(SLOS / 2)]) {
      const pages: number[] = [];
      for (let k = 0; k < 5; k++)
        pages.push(
          (await time(() => store.statuses.overview({ limit: 50, offset })))[0],
        );
      console.log(
        `overview page of 50 at offset ${offset}, ranked by budget over ${SLOS} SLOs: ${median(
          pages,
        ).toFixed(1)} ms (median of 5)`,
      );
    }
    console.log(
      `naive extrapolated to ${SLOS} SLOs: ${(naiveExtrapolated / 1000).toFixed(
        1,
      )} s vs store ${fullMs.toFixed(0)} ms -> ${(
        naiveExtrapolated / fullMs
      ).toFixed(0)}x`,
    );

    if (REPLICAS === 2 && DB === 'pg') {
      const r = await measureReplicas({
        pgUrl: dbUrl!,
        slos: SLOS,
        shards: SHARDS,
        periods: TICKS,
        gate: GATE_OPTION,
        nextMinute: async () => {
          t += MIN;
          clockOffset += MIN;
          collect();
          await store.counts.addCounts(
            defs.map((d, i) => ({
              sloRef: d.ref,
              timestamp: t - MIN + 1_000,
              ...minuteCounts(i, (t - MIN) / MIN),
            })),
            hourlyBefore + (t - now),
          );
          return { t, clockOffset };
        },
      });
      const f = (x: number) => x.toFixed(0);
      console.log(
        `sharded evaluation, ${SHARDS} shards, ${SLOS} SLOs, medians of ${TICKS} minutes (each replica a process of its own, its CPU time Node's; the replicas run one after the other):`,
      );
      const phases = (p: Record<string, number>, rowsRead: number) =>
        `phases (wall ms) ${Object.entries(p)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ')}; index rows read ${rowsRead}`;
      console.log(
        `  one replica (baseline): CPU ${f(r.alone.cpuMs)} ms (main thread ${f(
          r.alone.mainCpuMs,
        )}, V8's helper threads ${f(r.alone.otherCpuMs)}), wall ${f(
          r.alone.wallMs,
        )} ms, ${r.alone.evaluated} SLOs, heap ${f(
          r.alone.heapMb,
        )} MB; ${phases(r.alone.phases, r.alone.rowsRead)}`,
      );
      for (const [name, x] of [
        ['a', r.a],
        ['b', r.b],
      ] as const)
        console.log(
          `  two replicas, replica ${name}: ${x.shards} shards, CPU ${f(
            x.cpuMs,
          )} ms (main thread ${f(x.mainCpuMs)}, helper threads ${f(
            x.otherCpuMs,
          )}), wall ${f(x.wallMs)} ms, ${x.evaluated} SLOs, heap ${f(
            x.heapMb,
          )} MB; ${phases(x.phases, x.rowsRead)}`,
        );
      console.log(
        `  ratio two replicas' larger CPU / one replica's: ${r.ratio.toFixed(
          2,
        )}x (target <= 0.55x: ${
          r.ratio <= 0.55 && r.notExactlyOnce === 0 ? 'met' : 'NOT met'
        }; the main thread's alone: ${r.mainRatio.toFixed(
          2,
        )}x); tick wall time with two replicas (the slower, as on two machines): ${f(
          Math.max(r.a.wallMs, r.b.wallMs),
        )} ms; minutes where an SLO was not evaluated exactly once: ${
          r.notExactlyOnce
        }`,
      );
    }
  } finally {
    await close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
