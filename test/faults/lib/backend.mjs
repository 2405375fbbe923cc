// The portal's backend (packages/backend) as one real process on the suite's own PostgreSQL: started the way
// `backstage-cli package start` runs it (the same node loader) without its file watcher, in its own process group.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  recordOutput,
  root,
  signalGroup,
  until,
} from '../../e2e/lib/portal.mjs';

export { root, until, signalGroup };

const require = createRequire(path.join(root, 'packages/backend/package.json'));
export const pg = require('pg');

/** The suite's plugins alone (lib/suiteBackend.ts): quicker to start, for the test that restarts it many times. */
export const SUITE_ONLY = path.join(root, 'test/faults/lib/suiteBackend.ts');

/**
 * Starts the backend (packages/backend, or `entry`) with app-config.yaml plus `configFile`; answers the child once
 * /health answers. Everything it
 * prints goes to `logFile` too (the test deletes it when every fault passed).
 */
export async function startBackend(
  configFile,
  baseUrl,
  logFile,
  timeoutMs = 150_000,
  { entry = 'src/index', append = false } = {},
) {
  const child = spawn(
    process.execPath,
    [
      '--enable-source-maps',
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
      entry,
      '--config',
      '../../app-config.yaml',
      '--config',
      configFile,
    ],
    {
      cwd: path.join(root, 'packages/backend'),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: 'development',
        ESBK_TSCONFIG_PATH: path.join(root, 'tsconfig.json'),
      },
    },
  );
  let log = '';
  const file = createWriteStream(logFile, { flags: append ? 'a' : 'w' });
  const keep = d => {
    file.write(d);
    recordOutput(d);
    log = (log + d).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  await until(
    `the backend at ${baseUrl}`,
    async () => {
      if (exited)
        throw new Error(`the backend exited: ${JSON.stringify(exited)}`);
      return (await fetch(`${baseUrl}/api/reliability/health`)).ok;
    },
    timeoutMs,
  );
  return {
    child,
    /** What the backend printed (the last 200 kB). */
    log: () => log,
    exited: () => exited,
    async stop() {
      signalGroup(child, 'SIGTERM');
      const t = Date.now();
      while (!exited && Date.now() - t < 3000)
        await new Promise(r => setTimeout(r, 100));
      signalGroup(child, 'SIGKILL');
      file.end();
    },
  };
}
