/*
 * Prometheus-backed evaluation benchmark (issue #3).
 *
 * A real Prometheus (Debian package) on a loopback port, backfilled with 3 hours of per-minute counters for N SLOs
 * (default 1,000; one good and one total series each). The same SLOs are loaded as the Sloth-shaped recording and
 * alerting rules this suite exports. Measured in the same run:
 *   - one evaluation tick of the N SLOs through PrometheusSliSource (9 windows, 2 instant queries each):
 *     queries sent and wall time;
 *   - Prometheus's own evaluation of the same SLOs as rules: the sum of the rule groups' evaluationTime from
 *     /api/v1/rules (one evaluation round).
 * It prints the ratio tick / rules.
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/prometheus.bench.ts [--slos 1000] [--concurrency 8]
 */
import { BURN_RATE_WINDOWS, SloDefinition, prometheusRuleFile, prometheusRuleGroups } from '@internal/plugin-reliability-common';
import { startPrometheus } from '../plugins/reliability-backend/src/__testUtils__/prometheus';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/database/ReliabilityDatabase';
import { openBenchDb } from './db';
import { benchLogger, arg } from './services';
import { Evaluator, SliSourceRegistry } from '../plugins/reliability-backend/src/slos/Evaluator';
import { PrometheusSliSource } from '../plugins/reliability-backend/src/slos/sources/PrometheusSliSource';

const MIN = 60_000;
const N = Number(arg('slos', '1000'));
const CONCURRENCY = Number(arg('concurrency', '8'));
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
  const prom = await startPrometheus(`${lines.join('\n')}\n`, { ruleFiles: { 'slos.rules.yaml': prometheusRuleFile(groups) }, evaluationInterval: '15s' });
  try {
    // wait (bounded) until Prometheus has evaluated every rule group once
    let ruleGroups: any[] = [];
    for (let i = 0; i < 240; i++) {
      const body: any = await (await fetch(`${prom.url}/api/v1/rules`)).json();
      ruleGroups = body.data.groups;
      if (ruleGroups.length === groups.length && ruleGroups.every(g => g.lastEvaluation && !g.lastEvaluation.startsWith('0001'))) break;
      await new Promise(r => setTimeout(r, 500));
    }
    const rulesSeconds = ruleGroups.reduce((s, g) => s + (g.evaluationTime ?? 0), 0);
    const evaluated = ruleGroups.filter(g => g.lastEvaluation && !g.lastEvaluation.startsWith('0001')).length;

    const source = new PrometheusSliSource([{ name: 'bench', url: prom.url, headers: {} }], logger, { concurrency: CONCURRENCY });
    const reg = new SliSourceRegistry();
    reg.add(source);
    // evaluate() reads the SLI sources only; the store is a real one that stays empty
    const db = await openBenchDb('sqlite', '');
    const evaluator = new Evaluator((await ReliabilityDatabase.create(db.knex)).stores().slos, reg, logger);
    const t0 = process.hrtime.bigint();
    const results = await evaluator.evaluate(defs, now);
    const tickMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const failed = [...results.values()].filter(r => r.reason).length;
    const sample = results.get(defs[0].ref)!.status;

    console.log(`Prometheus 2.42 on loopback; ${N} SLOs (good/total counters, 3 h of per-minute samples)`);
    console.log(`suite tick: ${N} SLOs x ${1 + BURN_RATE_WINDOWS.length} windows, ${source.queriesSent().bench} instant queries, concurrency ${CONCURRENCY}: ${tickMs.toFixed(0)} ms (${failed} SLOs without data; checkout of one: 1h burn ${sample.burnRates['1h']?.toFixed(4)})`);
    console.log(`Prometheus rule evaluation of the same SLOs as recording/alerting rules: ${groups.length} groups (${evaluated} evaluated), sum of evaluationTime ${(rulesSeconds * 1000).toFixed(0)} ms`);
    console.log(`ratio suite tick / Prometheus rules: ${(tickMs / (rulesSeconds * 1000)).toFixed(1)}x`);
  } finally {
    await prom.stop();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
