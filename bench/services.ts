import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';

/** A logger for benchmarks: errors and warnings only. */
export const benchLogger: LoggerService = mockServices.rootLogger({
  level: 'warn',
});

/** An auditor that records nothing: benchmarks measure the work, not the audit log. */
export const benchAuditor: AuditorService = {
  async createEvent() {
    return { async success() {}, async fail() {} };
  },
};

/** A command-line option of a benchmark: `--name value`, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/**
 * Deterministic, cheap per-minute traffic of SLO number i at minute m: 50-149 requests, a few bad ones, and one bad
 * hour a day per SLO.
 */
/** The evaluation benchmark's SLO number i: Ingest good/total, 99.9% over 30 rolling days. */
export const benchSlo = (i: number): SloDefinition => ({
  ref: `bench/slo-${i}`,
  namespace: 'bench',
  name: `slo-${i}`,
  title: `slo ${i}`,
  componentRef: `component:bench/service-${i % 500}`,
  target: 0.999,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
});

export function minuteCounts(
  i: number,
  m: number,
): { good: number; total: number } {
  let x = (Math.imul(i + 1, 2654435761) ^ Math.imul(m, 40503)) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0x5bd1e995) >>> 0;
  const total = 50 + (x % 100);
  const incident = (m + i * 37) % 1440 < 60;
  const bad = incident ? total >> 3 : x % 997 < 3 ? 1 : 0;
  return { good: total - bad, total };
}

/** How long fn takes, in ms, and what it answers. */
export function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint();
  return fn().then(v => [Number(process.hrtime.bigint() - t) / 1e6, v]);
}

/** The median of some runs. */
export const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * A CPU profiler of this process when `prefix` is set (an environment variable's value), else undefined: start()
 * before the work, stop(name) after it writes `<prefix>-<name>.cpuprofile` (open it in Chrome's DevTools).
 */
export async function cpuProfiler(prefix: string | undefined) {
  if (!prefix) return undefined;
  const { Session } = await import('inspector');
  const { writeFileSync } = await import('fs');
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<any>((resolve, reject) =>
      session.post(method, (e: unknown, r: unknown) =>
        e ? reject(e) : resolve(r),
      ),
    );
  await post('Profiler.enable');
  return {
    start: () => post('Profiler.start').then(() => undefined),
    stop: async (name: string) => {
      const { profile } = await post('Profiler.stop');
      writeFileSync(`${prefix}-${name}.cpuprofile`, JSON.stringify(profile));
    },
  };
}
