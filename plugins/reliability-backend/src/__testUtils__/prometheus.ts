import { ChildProcess, execFile, spawn } from 'child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { promisify } from 'util';

const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts Prometheus on a free loopback port and waits (bounded) until it is ready; `stop()` kills it. */
async function launch(
  configFile: string,
  data: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${data}`,
      '--storage.tsdb.retention.time=400d',
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr?.on('data', d => {
    log += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    await new Promise(r => {
      const t = setTimeout(() => {
        proc.kill('SIGKILL');
        r(undefined);
      }, 5000);
      proc.once('exit', () => {
        clearTimeout(t);
        r(undefined);
      });
    });
  };
  for (let i = 0; i < 120; i++) {
    if (proc.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`Prometheus did not become ready: ${log.slice(-2000)}`);
}

/**
 * A real Prometheus (the Debian package) on a loopback port with a temporary data directory, filled by
 * backfilling OpenMetrics text with `promtool tsdb create-blocks-from openmetrics`. With `backfillRules`, the
 * recording rules of `ruleFiles` are also backfilled over [start, end] (`promtool tsdb create-blocks-from rules`,
 * against a first Prometheus serving the data): their series then have a sample every interval, at each group's own
 * offset within it. `stop()` kills it and removes the directory.
 */
export async function startPrometheus(
  openMetrics: string,
  options: {
    ruleFiles?: Record<string, string>;
    evaluationInterval?: string;
    backfillRules?: { start: number; end: number; intervalSeconds?: number };
  } = {},
): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reliability-prom-'));
  const data = path.join(dir, 'data');
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    writeFileSync(path.join(dir, 'input.om'), openMetrics);
    const rules = Object.entries(options.ruleFiles ?? {}).map(
      ([name, text]) => {
        writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
      },
    );
    const config = (withRules: boolean) =>
      `global:\n  evaluation_interval: ${
        options.evaluationInterval ?? '1m'
      }\nscrape_configs: []\n${
        withRules && rules.length
          ? `rule_files:\n${rules.map(r => `  - ${r}\n`).join('')}`
          : ''
      }`;
    writeFileSync(path.join(dir, 'prometheus.yml'), config(true));
    await run('promtool', [
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      path.join(dir, 'input.om'),
      data,
    ]);
    if (options.backfillRules && rules.length) {
      const { start, end, intervalSeconds } = options.backfillRules;
      writeFileSync(path.join(dir, 'plain.yml'), config(false));
      const plain = await launch(path.join(dir, 'plain.yml'), data);
      const out = path.join(dir, 'rules-blocks');
      try {
        await run('promtool', [
          'tsdb',
          'create-blocks-from',
          'rules',
          '--quiet',
          `--url=${plain.url}`,
          `--start=${start / 1000}`,
          `--end=${end / 1000}`,
          `--eval-interval=${intervalSeconds ?? 60}s`,
          `--output-dir=${out}`,
          ...rules,
        ]);
      } finally {
        await plain.stop();
      }
      // the new blocks join the data directory (Prometheus reads overlapping blocks)
      for (const block of readdirSync(out)) {
        if (existsSync(path.join(out, block, 'meta.json')))
          renameSync(path.join(out, block), path.join(data, block));
      }
    }
    const prom = await launch(path.join(dir, 'prometheus.yml'), data);
    return {
      url: prom.url,
      stop: async () => {
        await prom.stop();
        remove();
      },
    };
  } catch (e) {
    remove();
    throw e;
  }
}

/**
 * Test data from T0 to NOW: counters with a counter reset (eu, one day in), a two-hour gap (us) and an incident (eu, 80% good for an hour,
 * 3 hours ago), one sample a minute.
 */
export function demoOpenMetrics(T0: number, NOW: number): string {
  const MIN = 60_000;
  const series: Record<string, [number, number][]> = {};
  const add = (key: string, t: number, v: number) =>
    (series[key] ??= []).push([t, v]);
  let eu = { good: 0, total: 0 };
  let us = { good: 0, total: 0 };
  let hist = { le100: 0, le300: 0, le1000: 0, inf: 0, sum: 0 };
  for (let t = T0; t < NOW; t += MIN) {
    const i = (t - T0) / MIN;
    if (i === 1440) eu = { good: 0, total: 0 }; // process restart: counters reset
    const incident = t >= NOW - 3 * 3_600_000 && t < NOW - 2 * 3_600_000;
    eu = {
      good: eu.good + (incident ? 80 : 99) + (i % 7 === 0 ? 1 : 0),
      total: eu.total + 100,
    };
    us = { good: us.good + 50 - (i % 13 === 0 ? 1 : 0), total: us.total + 50 };
    // /otp/verify latency histogram: 60 requests a minute, 57 under 300 ms (95%), 40 under 100 ms; one minute in 11
    // slow (50 under 300 ms: its p95 is over 300 ms); counters reset with the process; no samples for 40 minutes
    if (i === 1440) hist = { le100: 0, le300: 0, le1000: 0, inf: 0, sum: 0 };
    const slow = i % 11 === 0;
    hist.le100 += 40;
    hist.le300 += slow ? 50 : 57;
    hist.le1000 += 60;
    hist.inf += 60;
    hist.sum += 40 * 50 + (slow ? 10 : 17) * 200 + (slow ? 10 : 3) * 900;
    if (!(i >= 600 && i < 640)) {
      add(
        'request_duration_ms_bucket{route="/otp/verify",le="100.0"}',
        t,
        hist.le100,
      );
      add(
        'request_duration_ms_bucket{route="/otp/verify",le="300.0"}',
        t,
        hist.le300,
      );
      add(
        'request_duration_ms_bucket{route="/otp/verify",le="1000.0"}',
        t,
        hist.le1000,
      );
      add(
        'request_duration_ms_bucket{route="/otp/verify",le="+Inf"}',
        t,
        hist.inf,
      );
      add('request_duration_ms_count{route="/otp/verify"}', t, hist.inf);
      add('request_duration_ms_sum{route="/otp/verify"}', t, hist.sum);
    }
    add('demo_good_total{region="eu"}', t, eu.good);
    add('demo_requests_total{region="eu"}', t, eu.total);
    if (!(i >= 30 * 60 && i < 32 * 60)) {
      add('demo_good_total{region="us"}', t, us.good);
      add('demo_requests_total{region="us"}', t, us.total);
    }
  }
  const lines: string[] = [];
  for (const [family, type] of [
    ['demo_good', 'counter'],
    ['demo_requests', 'counter'],
    ['request_duration_ms', 'histogram'],
  ]) {
    lines.push(`# TYPE ${family} ${type}`);
    for (const [key, samples] of Object.entries(series)) {
      if (!key.startsWith(`${family}_`)) continue;
      for (const [t, v] of samples) lines.push(`${key} ${v} ${t / 1000}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}
