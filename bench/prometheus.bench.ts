/*
 * Prometheus-backed evaluation benchmark (issue #3).
 *
 * A real Prometheus (Debian package) on a loopback port, backfilled with 3 hours of per-minute counters for N SLOs
 * (default 1,000; one good and one total series each). The same SLOs are loaded as the Sloth-shaped recording and
 * alerting rules this suite exports. Measured in the same run:
 *   - one evaluation tick of the N SLOs through PrometheusSliSource from the raw queries (recordedRules: off; each
 *     SLO's distinct windows, 2 instant queries each): queries sent and wall time;
 *   - the same tick reading the recorded series of the loaded rules (recordedRules: detect): the first one, which
 *     also reads /api/v1/rules, and the next (the rules kept for five minutes);
 *   - Prometheus's own evaluation of the same SLOs as rules: the sum of the rule groups' evaluationTime from
 *     /api/v1/rules, a round at a time (the median of the rounds read while waiting for the tick's minute).
 * Ticks are medians too (--runs, default 5; the rules re-read: 3). It prints the ratio tick / rules.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/prometheus.bench.ts [--slos 1000] [--concurrency 8] [--runs 5]
 */
import {
  BURN_RATE_WINDOWS,
  SloDefinition,
  prometheusRuleFile,
  prometheusRuleGroups,
} from '@reliability-suite/plugin-reliability-common';
import { startPrometheus } from '../plugins/reliability-backend/src/__testUtils__/prometheus';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/wiring/ReliabilityDatabase';
import { openBenchDb } from './db';
import { benchLogger, arg } from './services';
import { Evaluator } from '../plugins/reliability-backend/src/slos/Evaluator';
import { SliSourceRegistry } from '../plugins/reliability-backend/src/slos/counting';
import { PrometheusSliSource } from '../plugins/reliability-backend/src/slos/sources/PrometheusSliSource';

const MIN = 60_000;
const N = Number(arg('slos', '1000'));
const CONCURRENCY = Number(arg('concurrency', '8'));
const RUNS = Math.max(1, Number(arg('runs', '5')));
const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const logger = benchLogger;

const def = (i: number): SloDefinition => ({
  ref: `bench/slo-${i}`,
  namespace: 'bench',
  name: `slo-${i}`,
  title: `slo ${i}`,
  componentRef: `component:bench/service-${i}`,
  target: 0.999,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: {
    mode: 'good-total',
    sourceType: 'Prometheus',
    good: { spec: { query: `bench_good_total{slo="${i}"}` } },
    total: { spec: { query: `bench_requests_total{slo="${i}"}` } },
  },
});

async function main() {
  const now = Math.floor(Date.now() / MIN) * MIN;
  const start = now - 3 * 3_600_000;
  const lines: string[] = [];
  for (const family of ['bench_good', 'bench_requests']) {
    lines.push(`# TYPE ${family} counter`);
    for (let i = 0; i < N; i++) {
      let v = 0;
      for (let t = start; t < now; t += MIN) {
        v += family === 'bench_good' ? 99 + ((i + t / MIN) % 2) : 100;
        lines.push(`${family}_total{slo="${i}"} ${v} ${t / 1000}`);
      }
    }
  }
  lines.push('# EOF');
  const defs = Array.from({ length: N }, (_, i) => def(i));
  const groups = defs.flatMap(d => {
    const g = prometheusRuleGroups(d);
    if (!g.ok) throw new Error(g.error);
    return g.value;
  });
  const prom = await startPrometheus(`${lines.join('\n')}\n`, {
    ruleFiles: { 'slos.rules.yaml': prometheusRuleFile(groups) },
    evaluationInterval: '15s',
  });
  let db: Awaited<ReturnType<typeof openBenchDb>> | undefined;
  try {
    // wait (bounded) until Prometheus has evaluated every rule group once
    let ruleGroups: any[] = [];
    for (let i = 0; i < 240; i++) {
      const body: any = await (await fetch(`${prom.url}/api/v1/rules`)).json();
      ruleGroups = body.data.groups;
      if (
        ruleGroups.length === groups.length &&
        ruleGroups.every(
          g => g.lastEvaluation && !g.lastEvaluation.startsWith('0001'),
        )
      )
        break;
      await new Promise(r => setTimeout(r, 500));
    }
    const evaluated = ruleGroups.filter(
      g => g.lastEvaluation && !g.lastEvaluation.startsWith('0001'),
    ).length;
    // Prometheus's cost of a round: the sum of every group's last evaluationTime, read once per round (15 s)
    const rounds = [
      ruleGroups.reduce((sum, g) => sum + (g.evaluationTime ?? 0), 0),
    ];
    let roundRead = Date.now();

    // a tick evaluates at a minute boundary: wait (at most a minute and a half) for one after every group's first
    // evaluation, so that the recorded series have a sample at or before the tick's instant; and at least two more
    // rounds, read as they pass
    const lastEvaluated = Math.max(
      ...ruleGroups.map(g => Date.parse(g.lastEvaluation)),
    );
    while (
      (rounds.length < 3 ||
        Math.floor(Date.now() / MIN) * MIN < lastEvaluated) &&
      Date.now() - lastEvaluated < 90_000
    ) {
      await new Promise(r => setTimeout(r, 1000));
      if (Date.now() - roundRead >= 15_000) {
        const body: any = await (
          await fetch(`${prom.url}/api/v1/rules`)
        ).json();
        rounds.push(
          (body.data.groups as any[]).reduce(
            (sum, g) => sum + (g.evaluationTime ?? 0),
            0,
          ),
        );
        roundRead = Date.now();
      }
    }
    const rulesSeconds = median(rounds);
    // where a round's time goes, by kind of group (the last round read)
    const lastGroups: any[] = (
      (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as any
    ).data.groups;
    const byKind = new Map<string, number>();
    for (const g of lastGroups) {
      const kind = String(g.name).replace(/-bench-.*$/, '');
      byKind.set(kind, (byKind.get(kind) ?? 0) + (g.evaluationTime ?? 0));
    }
    db = await openBenchDb('sqlite', '');
    const store = (await ReliabilityDatabase.create(db.knex)).stores().slos;
    // evaluate() reads the SLI sources only; the store is a real one that stays empty
    const tick = async (source: PrometheusSliSource) => {
      const reg = new SliSourceRegistry();
      reg.add(source);
      const evaluator = new Evaluator(store, reg, logger);
      const t0 = process.hrtime.bigint();
      const results = await evaluator.evaluate(defs, Date.now());
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      return {
        ms,
        results,
        failed: [...results.values()].filter(r => r.reason).length,
        queries: source.queriesSent().bench,
        count: { ...source.lastCount },
      };
    };
    const instance = (
      recordedRules: 'off' | 'detect',
      rulesRefreshMs?: number,
    ) =>
      new PrometheusSliSource(
        [{ name: 'bench', url: prom.url, headers: {}, recordedRules }],
        logger,
        { concurrency: CONCURRENCY, rulesRefreshMs },
      );
    // the median run of several (its ms the median; its queries and counts those of one run)
    const runs = async (n: number, run: () => ReturnType<typeof tick>) => {
      const all: Awaited<ReturnType<typeof tick>>[] = [];
      for (let k = 0; k < n; k++) all.push(await run());
      const sorted = [...all].sort((a, b) => a.ms - b.ms);
      return { ...sorted[Math.floor(n / 2)], runs: all.map(x => x.ms) };
    };
    const raw = await tick(instance('off'));
    const recordedSource = instance('detect');
    const first = await tick(recordedSource);
    let sent = recordedSource.queriesSent().bench;
    const steady = await runs(RUNS, async () => {
      const t = await tick(recordedSource);
      const queries = t.queries - sent;
      sent = t.queries;
      return { ...t, queries };
    });
    // the tick that re-reads the rules (every five minutes): the queries' parse trees are kept while their text is
    const rereading = instance('detect', 0);
    await tick(rereading);
    let resent = rereading.queriesSent().bench;
    const refresh = await runs(Math.max(1, Math.ceil(RUNS / 2)), async () => {
      const t = await tick(rereading);
      const queries = t.queries - resent;
      resent = t.queries;
      return { ...t, queries };
    });
    const rulesMs = rulesSeconds * 1000;
    let maxDiff = 0;
    for (const d of defs) {
      for (const w of BURN_RATE_WINDOWS) {
        const [a, b] = [
          steady.results.get(d.ref)!.status.burnRates[w],
          raw.results.get(d.ref)!.status.burnRates[w],
        ];
        if (a !== null && b !== null)
          maxDiff = Math.max(maxDiff, Math.abs(a - b) * (1 - d.target));
      }
    }

    console.log(
      `Prometheus 2.42 on loopback; ${N} SLOs (good/total counters, 3 h of per-minute samples)`,
    );
    console.log(
      `Prometheus rule evaluation of the same SLOs as recording/alerting rules: ${
        groups.length
      } groups (${evaluated} evaluated), sum of evaluationTime ${rulesMs.toFixed(
        0,
      )} ms (median of ${rounds.length} rounds: ${rounds
        .map(x => (x * 1000).toFixed(0))
        .join(', ')})`,
    );
    console.log(
      `  by group kind (one round): ${[...byKind]
        .map(([k, v]) => `${k} ${(v * 1000).toFixed(0)} ms`)
        .join(', ')}`,
    );
    const line = (
      name: string,
      t: Awaited<ReturnType<typeof tick>> & { runs?: number[] },
    ) =>
      console.log(
        `${name}: ${t.ms.toFixed(0)} ms${
          t.runs
            ? ` (median of ${t.runs.map(x => x.toFixed(0)).join(', ')})`
            : ''
        }, ${t.queries} queries (${t.count.recorded} values recorded, ${
          t.count.raw
        } raw), ${t.failed} SLOs without data; ratio to the rules ${(
          t.ms / rulesMs
        ).toFixed(2)}x (${(rulesMs / t.ms).toFixed(1)}x cheaper)`,
      );
    line(`suite tick, raw queries, concurrency ${CONCURRENCY}`, raw);
    line('suite tick, recorded series, first (reads /api/v1/rules)', first);
    line('suite tick, recorded series, next', steady);
    line(
      'suite tick, recorded series, re-reading /api/v1/rules (every 5 min)',
      refresh,
    );
    const mean = (refresh.ms + 4 * steady.ms) / 5;
    console.log(
      `recorded, mean of a five-minute cycle (one re-read, four ticks without): ${mean.toFixed(
        0,
      )} ms, ${(rulesMs / mean).toFixed(1)}x cheaper than the rules`,
    );
    console.log(
      `recorded vs raw: largest error-ratio difference ${maxDiff.toExponential(
        2,
      )} (the recorded values are up to one 15 s evaluation older); raw tick / recorded tick ${(
        raw.ms / steady.ms
      ).toFixed(1)}x`,
    );
    console.log(
      `target: the recorded tick >= 10x cheaper than the rules: ${
        rulesMs / steady.ms >= 10 ? 'met' : 'NOT met'
      } (over the five-minute cycle: ${
        rulesMs / mean >= 10 ? 'met' : 'NOT met'
      })`,
    );
  } finally {
    await db?.close();
    await prom.stop();
  }
}

main().then(
  // keep-alive sockets to the stopped Prometheus would hold the process open
  () => process.exit(0),
  e => {
    console.error(e);
    process.exit(1);
  },
);
