// A PostgreSQL instance of the fault suite's own: initdb into a temporary folder, a free loopback port, trust auth,
// fsync off. The suite stops, restarts and kills its connections freely; it never touches the machine's cluster.
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The newest PostgreSQL server installed under /usr/lib/postgresql/<version>/bin. */
export function postgresBin() {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter(v => existsSync(path.join(base, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length)
    throw new Error(
      `no PostgreSQL server under ${base}/<version>/bin (apt-get install postgresql)`,
    );
  return path.join(base, versions[0], 'bin');
}

/** A port nobody listens on at the moment, on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a fresh cluster. PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
 * Answers { url, port, stop(), start(), restart(), query(sql), destroy() }; every step is bounded (pg_ctl -t).
 */
export async function startPostgres({ log = () => {} } = {}) {
  const bin = postgresBin();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reliability-faults-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  let uid;
  let gid;
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (id.status !== 0)
      throw new Error('running as root needs a `postgres` user for initdb');
    uid = Number(id.stdout.trim());
    gid = Number(g.stdout.trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd, args, timeoutMs = 60_000) => {
    const r = spawnSync(path.join(bin, cmd), args, {
      encoding: 'utf8',
      timeout: timeoutMs,
      cwd: dir,
      ...(asRoot ? { uid, gid } : {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (r.status !== 0)
      throw new Error(
        `${cmd} ${args.join(' ')} failed (${
          r.status ?? r.signal ?? r.error?.message
        }): ${r.stderr || r.stdout}`,
      );
    return r.stdout;
  };
  run('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
  ]);
  const port = await freePort();
  const opts = [
    `-p ${port}`,
    `-c listen_addresses=127.0.0.1`,
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ');
  const logFile = path.join(dir, 'postgres.log');
  const start = () => {
    const t = Date.now();
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      logFile,
      '-o',
      opts,
      '-w',
      '-t',
      '30',
      'start',
    ]);
    log(`postgres: started on :${port} in ${Date.now() - t} ms`);
  };
  const stop = (mode = 'fast') => {
    const t = Date.now();
    run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']);
    log(`postgres: stopped (-m ${mode}) in ${Date.now() - t} ms`);
  };
  start();
  let stopped = false;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}`,
    port,
    dir,
    start,
    stop,
    restart(mode = 'fast') {
      stop(mode);
      start();
    },
    /** Runs SQL through psql (bounded), answering its unaligned output. */
    psql(sql, db = 'postgres') {
      return spawnSync(
        path.join(bin, 'psql'),
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          db,
          '-Atc',
          sql,
        ],
        { encoding: 'utf8', timeout: 15_000 },
      ).stdout;
    },
    /** Stops the cluster (immediate) and deletes its folder; safe to call twice. */
    destroy() {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', [
          '-D',
          data,
          '-m',
          'immediate',
          '-w',
          '-t',
          '30',
          'stop',
        ]);
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
