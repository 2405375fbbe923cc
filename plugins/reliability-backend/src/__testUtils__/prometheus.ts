import { ChildProcess, execFile, spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
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

/**
 * A real Prometheus (the Debian package) on a loopback port with a temporary data directory, filled by
 * backfilling OpenMetrics text with `promtool tsdb create-blocks-from openmetrics`. `stop()` kills it and
 * removes the directory.
 */
export async function startPrometheus(
  openMetrics: string,
  options: { ruleFiles?: Record<string, string>; evaluationInterval?: string } = {},
): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reliability-prom-'));
  const data = path.join(dir, 'data');
  writeFileSync(path.join(dir, 'input.om'), openMetrics);
  const rules = Object.entries(options.ruleFiles ?? {}).map(([name, text]) => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  });
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global:\n  evaluation_interval: ${options.evaluationInterval ?? '1m'}\nscrape_configs: []\n${rules.length ? `rule_files:\n${rules.map(r => `  - ${r}\n`).join('')}` : ''}`,
  );
  await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', path.join(dir, 'input.om'), data]);
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
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
    if (proc.exitCode === null) {
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
    }
    rmSync(dir, { recursive: true, force: true });
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
