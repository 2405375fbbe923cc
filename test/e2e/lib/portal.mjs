// Shared by the end-to-end tests: start the portal's backend as a real process, wait for things, stop it.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../..',
);

/** Everything the started backends printed, for failure messages. */
let output = '';
/** Adds another process's output (Alertmanager, say) to what failure messages show. */
export const recordOutput = d => {
  output += d;
};

/** Polls `fn` until it answers truthy; throws after `timeoutMs` with the last error and the backend output. */
export async function until(what, fn, timeoutMs, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${
      last ? `: ${last.message}` : ''
    }\n--- process output ---\n${output.slice(-4000)}`,
  );
}

/**
 * Starts packages/backend (`yarn start`) with app-config.yaml plus the given config files, in its own process
 * group, and waits until the reliability plugin answers on `baseUrl`.
 */
export async function startPortalBackend(
  configFiles,
  baseUrl,
  timeoutMs = 240_000,
  env = {},
) {
  const child = spawn(
    'yarn',
    [
      'start',
      '--config',
      '../../app-config.yaml',
      ...configFiles.flatMap(f => ['--config', f]),
    ],
    {
      cwd: path.join(root, 'packages/backend'),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'development', ...env },
    },
  );
  child.stdout.on('data', recordOutput);
  child.stderr.on('data', recordOutput);
  await until(
    `the backend at ${baseUrl}`,
    async () => (await fetch(`${baseUrl}/api/reliability/health`)).ok,
    timeoutMs,
  );
  return child;
}

/** Signals the backend's whole process group (yarn and node). */
export function signalGroup(child, signal) {
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {}
}

/** SIGTERM, then SIGKILL after a grace period. */
export async function stopPortalBackend(child) {
  signalGroup(child, 'SIGTERM');
  await new Promise(r => setTimeout(r, 1500));
  signalGroup(child, 'SIGKILL');
}

/**
 * Writes the config of one replica of the portal's backend on a shared PostgreSQL database (`pgUrl`/`db`, plugin
 * schemas) into `dir`: its port, and a static token for the caller when `token` is given. `extra` adds top-level
 * sections (`reliability`, `catalog`...). Answers the file's path.
 */
export function writeReplicaConfig(
  dir,
  port,
  { pgUrl, db, token, subject = 'e2e', extra = {} },
) {
  const file = path.join(dir, `backend-${port}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      app: { baseUrl: `http://localhost:${port}` },
      backend: {
        baseUrl: `http://localhost:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: {
          client: 'pg',
          connection: `${pgUrl}/${db}`,
          pluginDivisionMode: 'schema',
        },
        ...(token
          ? {
              auth: {
                externalAccess: [
                  { type: 'static', options: { token, subject } },
                ],
              },
            }
          : {}),
      },
      ...extra,
    }),
  );
  return file;
}
