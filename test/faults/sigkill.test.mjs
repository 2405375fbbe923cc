// The backend killed with SIGKILL at random moments, 20 times (RELIABILITY_FAULT_KILLS), during a mixed load: after
// the restarts every acknowledged write is there (each alert's remediation, each SLI batch counted exactly once), and
// no remediation action ran twice.
//
// One backend process (the suite's plugins alone, lib/suiteBackend.ts, on a PostgreSQL of the suite's own) is killed
// with SIGKILL (its whole process group) at a random moment 0.3 to 2.5 s after it answers, and started again, while
// these run against it:
//   - Alertmanager: a new alert (its own env, so its own lock) every 400 ms to the signed webhook, sent again until
//     it is acknowledged (a resend is a duplicate of the same alert, not a new execution);
//   - reporters: SLI event batches, each with its own Idempotency-Key, sent again with the same key and body until
//     acknowledged (lib/ingest.mjs); a batch whose request a kill cut is run by a retry once its claim is 30 s old;
//   - readers (GET /slos, GET /remediations), and the evaluation tick every 2 s.
// After the last restart: every batch acknowledged, and the SLO's good and total exactly what the acknowledged
// batches carry; every acknowledged alert has exactly one execution, which ended (succeeded, or interrupted when a
// kill cut its attempt: recorded, not repeated), and the target was called at most once per alert.
// Run: node --test --test-concurrency=1 test/faults/*.test.mjs (see docs/failure-modes.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, freePort } from './lib/postgres.mjs';
import {
  startBackend,
  signalGroup,
  pg,
  root,
  until,
  SUITE_ONLY,
} from './lib/backend.mjs';
import { ingestThroughFault } from './lib/ingest.mjs';

const KILLS = Number(process.env.RELIABILITY_FAULT_KILLS ?? 20);
const DB = 'reliability_sigkill';
const TOKEN = randomBytes(16).toString('hex');
const SECRET = randomBytes(16).toString('hex');
const ENTITY = 'component:default/checkout';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-sigkill-'));
const LOG = path.join(os.tmpdir(), `reliability-sigkill-${process.pid}.log`);
const say = (...a) => console.log('[sigkill]', ...a);
const sleep = ms => new Promise(r => setTimeout(r, ms));
let failed = false;

let postgres;
let backend;
let baseUrl;
let configFile;

/** The remediation target: every call, by the alert's env. */
const calls = [];
const target = http.createServer((req, res) => {
  let body = '';
  req.on('data', c => {
    if (body.length < 10_000) body += c;
  });
  req.on('end', () => {
    try {
      calls.push(JSON.parse(body).env);
    } catch {
      calls.push(undefined);
    }
    res.writeHead(200).end('{"ok":true}');
  });
});

writeFileSync(
  path.join(tmp, 'slos.yaml'),
  readFileSync(
    path.join(root, 'catalog/slos/checkout-success.yaml'),
    'utf8',
  ).replaceAll('checkout-success', 'sigkill-ingest'),
);

const api = (p, init = {}) =>
  fetch(`${baseUrl}/api/reliability${p}`, {
    ...init,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      ...(init.headers ?? {}),
    },
    signal: AbortSignal.timeout(10_000),
  });

before(async () => {
  postgres = await startPostgres({ log: say });
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  await new Promise(r => target.listen(0, '127.0.0.1', r));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  configFile = path.join(tmp, 'backend.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      backend: {
        baseUrl: `http://localhost:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: {
          client: 'pg',
          connection: `${postgres.url}/${DB}`,
          pluginDivisionMode: 'schema',
        },
        auth: {
          externalAccess: [
            { type: 'static', options: { token: TOKEN, subject: 'sigkill' } },
          ],
        },
      },
      catalog: {
        locations: [
          { type: 'file', target: '../../catalog/all.yaml' },
          { type: 'file', target: path.join(tmp, 'slos.yaml') },
        ],
      },
      permission: { enabled: false },
      reliability: {
        demo: { enabled: false },
        synthetics: { enabled: false },
        evaluation: {
          schedule: {
            frequency: { seconds: 2 },
            timeout: { seconds: 20 },
            initialDelay: { seconds: 1 },
          },
        },
        alertmanager: { sharedSecret: SECRET },
        remediation: {
          dispatchIntervalSeconds: 1,
          leaseGrace: '1s',
          backoff: { base: '10ms', cap: '50ms' },
          rules: [
            {
              id: 'sigkill-fix',
              entityRef: ENTITY,
              match: ['alertname="SigkillFix"'],
              action: 'webhook',
              params: {
                url: `http://127.0.0.1:${target.address().port}/fix`,
                body: { env: '{{env}}' },
              },
              lockKey: 'sigkill:{{env}}',
              retries: 0,
              timeout: '3s',
              maxAttempts: 100_000,
            },
          ],
        },
      },
    }),
  );
  const t0 = Date.now();
  backend = await startBackend(configFile, baseUrl, LOG, 150_000, {
    entry: SUITE_ONLY,
  });
  say(`the suite's backend answering in ${Date.now() - t0} ms`);
  await until(
    'sigkill-ingest registered',
    async () => (await api('/slos/default/sigkill-ingest')).status === 200,
    120_000,
    500,
  );
});

after(async () => {
  if (backend) signalGroup(backend.child, 'SIGKILL');
  target.close();
  postgres?.destroy();
  rmSync(tmp, { recursive: true, force: true });
  if (failed) say(`the backend's output is in ${LOG}`);
  else rmSync(LOG, { force: true });
});

/** Sends `send()` until it answers one of `ok`, at most `attempts` times; answers whether it was acknowledged. */
async function untilAcknowledged(send, ok, attempts = 400) {
  for (let n = 0; n < attempts; n++) {
    try {
      const res = await send();
      if (ok.includes(res.status)) return true;
      const text = await res.text();
      // a backend that is starting answers 404 with no body until the plugin's routes are mounted
      const starting = res.status === 404 && text.trim() === '';
      if (
        res.status < 500 &&
        res.status !== 409 &&
        res.status !== 429 &&
        !starting
      )
        throw new Error(`refused: ${res.status} ${text}`);
    } catch (e) {
      if (String(e.message).startsWith('refused')) throw e;
    }
    await sleep(250);
  }
  return false;
}

/** Every execution of the test's rule, following the pages. */
async function executionsOfRule() {
  const all = [];
  let cursor;
  for (let page = 0; page < 100; page++) {
    const res = await api(
      `/remediations?entityRef=${ENTITY}&limit=1000${
        cursor ? `&cursor=${cursor}` : ''
      }`,
    );
    if (res.status !== 200) return null;
    const body = await res.json();
    all.push(...body.items.filter(i => i.ruleId === 'sigkill-fix'));
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return all;
}

test(
  `the backend killed with SIGKILL at random moments, ${KILLS} times, during a mixed load: every acknowledged batch counted once, every acknowledged alert has one remediation, no action ran twice`,
  { timeout: (KILLS * 45 + 300) * 1000 },
  async () => {
    try {
      const t0 = Date.now();
      const kills = [];
      let stop = false;
      const acked = [];
      const unacked = [];
      const load = { reads: 0, readErrors: 0 };

      const alerts = (async () => {
        for (let n = 0; !stop && n < 100_000; n++) {
          const env = `k${n}`;
          const body = JSON.stringify({
            version: '4',
            groupKey: `{}:{env="${env}"}`,
            status: 'firing',
            receiver: 'backstage',
            groupLabels: {},
            commonLabels: {},
            commonAnnotations: {},
            externalURL: 'http://127.0.0.1',
            alerts: [
              {
                status: 'firing',
                labels: { alertname: 'SigkillFix', severity: 'error', env },
                annotations: { summary: `sigkill ${env}` },
                startsAt: new Date(t0).toISOString(),
                fingerprint: createHash('sha256')
                  .update(env)
                  .digest('hex')
                  .slice(0, 16),
              },
            ],
          });
          const ok = await untilAcknowledged(
            () =>
              fetch(`${baseUrl}/api/reliability/alertmanager/webhook`, {
                method: 'POST',
                headers: {
                  'content-type': 'application/json',
                  authorization: `Bearer ${SECRET}`,
                },
                body,
                signal: AbortSignal.timeout(10_000),
              }),
            [200],
          );
          (ok ? acked : unacked).push(env);
          await sleep(400);
        }
      })();

      const reads = (async () => {
        while (!stop) {
          for (const p of [
            '/slos?limit=20',
            `/remediations?entityRef=${ENTITY}&limit=20`,
          ]) {
            try {
              const res = await api(p);
              if (res.ok) load.reads++;
              else load.readErrors++;
              await res.arrayBuffer();
            } catch {
              load.readErrors++;
            }
          }
          await sleep(200);
        }
      })();

      const figures = await ingestThroughFault({
        baseUrl,
        token: TOKEN,
        slo: 'default/sigkill-ingest',
        keyPrefix: 'sigkill',
        concurrency: 2,
        retryDelayMs: 500,
        maxAttempts: 1_000,
        // bounded: the kills (each restart about 15 s), then a claim a kill left (30 s) and the last retries
        deadlineMs: KILLS * 30_000 + 180_000,
        fault: async () => {
          for (let k = 0; k < KILLS; k++) {
            await sleep(300 + Math.floor(Math.random() * 2200));
            signalGroup(backend.child, 'SIGKILL');
            await until(
              'the killed backend to exit',
              async () => backend.exited(),
              10_000,
              50,
            );
            const killedAt = Date.now();
            backend = await startBackend(configFile, baseUrl, LOG, 150_000, {
              entry: SUITE_ONLY,
              append: true,
            });
            kills.push(Date.now() - killedAt);
          }
          await sleep(3000);
        },
      });
      stop = true;
      await Promise.all([alerts, reads]);
      say(
        `${kills.length} kills; restarts took ${Math.min(
          ...kills,
        )} to ${Math.max(...kills)} ms; alerts acknowledged ${
          acked.length
        }; reads answered ${load.reads}, failed ${load.readErrors}`,
      );
      assert.equal(kills.length, KILLS);
      assert.deepEqual(unacked, [], 'every alert acknowledged in the end');

      // every SLI batch acknowledged, and counted exactly once: a tick after the last acknowledgement counts them
      say(
        `ingest: batches ${figures.batches}, requests ${
          figures.attempts
        }, acknowledged ${figures.acknowledged} (${
          figures.replayed
        } replayed from their key), retried ${
          figures.retried
        }; statuses ${JSON.stringify(
          figures.statuses,
        )}; errors ${JSON.stringify(figures.errors)}`,
      );
      assert.deepEqual(
        figures.unacknowledged,
        [],
        'every SLI batch acknowledged in the end',
      );
      // every batch was written before it was acknowledged: the first status that counts as many events as were
      // acknowledged has them all (an unchanged status keeps the evaluatedAt of the tick that first saw it)
      const counted = await until(
        'a status counting every acknowledged event',
        async () => {
          const res = await api('/slos/default/sigkill-ingest');
          if (res.status !== 200) return null;
          const body = await res.json();
          const st = (body.item ?? body).status;
          return st && st.total >= figures.total ? st : null;
        },
        150_000,
        500,
      );
      say(
        `ingest: final count through the API good ${counted.good}, total ${counted.total}; acknowledged good ${figures.good}, total ${figures.total}`,
      );
      assert.equal(
        counted.total,
        figures.total,
        'total events: exactly the acknowledged ones',
      );
      assert.equal(
        counted.good,
        figures.good,
        'good events: exactly the acknowledged ones',
      );

      // every acknowledged alert ends with its execution (queued ones run after the restart)
      const all = await until(
        'every acknowledged alert to have an execution that ended',
        async () => {
          const list = await executionsOfRule();
          if (!list) return null;
          const ended = new Set(
            list.filter(e => e.finishedAt).map(e => e.triggerLabels.env),
          );
          return acked.every(env => ended.has(env)) ? list : null;
        },
        120_000,
        1000,
      );
      const states = {};
      for (const e of all) states[e.state] = (states[e.state] ?? 0) + 1;
      const perEnv = new Map();
      for (const e of all)
        perEnv.set(
          e.triggerLabels.env,
          (perEnv.get(e.triggerLabels.env) ?? 0) + 1,
        );
      const executedTwice = [...perEnv]
        .filter(([, n]) => n > 1)
        .map(([env]) => env);
      const calledTwice = [
        ...new Set(calls.filter((env, i) => calls.indexOf(env) !== i)),
      ];
      say(
        `remediation: ${acked.length} alerts acknowledged, ${
          all.length
        } executions ${JSON.stringify(states)}, ${
          calls.length
        } target calls; alerts with two executions ${
          executedTwice.length
        }, called twice ${calledTwice.length}; done in ${Date.now() - t0} ms`,
      );
      assert.deepEqual(executedTwice, [], 'one execution per alert');
      assert.deepEqual(calledTwice, [], 'no action ran twice');
      assert.ok(
        all.every(e => ['succeeded', 'interrupted'].includes(e.state)),
        `each execution succeeded, or was interrupted by a kill: ${JSON.stringify(
          states,
        )}`,
      );
      assert.ok(calls.length > 0, 'the target was called');
    } catch (e) {
      failed = true;
      throw e;
    }
  },
);
