// Faults survived, with nothing lost. One backend (packages/backend, a real process) on a PostgreSQL instance of
// the suite's own (lib/postgres.mjs), and a Prometheus on loopback whose behaviour the test switches
// (lib/fakePrometheus.mjs). In order:
//   1. PostgreSQL restarted (pg_ctl stop -m fast, start) while a reporter posts SLI events, retrying each batch that
//      is not acknowledged with its Idempotency-Key: the backend answers again without a restart, and the SLO's
//      counts (read back through the API, from the evaluation tick) are exactly what was acknowledged.
//      No tick is lost for more than one interval: the ticks, seen as the fake Prometheus receives their queries,
//      stop only while the database is down, and the first after the backend answers again starts within two.
//   2. The backend's connections killed (pg_terminate_backend) during the same load: the same.
//   3. Prometheus that accepts connections and never answers, then answers 500 and garbage: the evaluation tick
//      still ends within its deadline, the SLO has no data with the reason, and the next good answer recovers it.
//   4. Remediation targets that hang, reset the connection or answer too slowly: each execution ends with its outcome
//      recorded (nothing is left queued or running), each target is called once, and the circuit breaker opens: the
//      next execution fails fast without calling the target.
// Run: node --test --test-concurrency=1 test/faults/*.test.mjs (see docs/failure-modes.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, freePort } from './lib/postgres.mjs';
import { startFakePrometheus } from './lib/fakePrometheus.mjs';
import { startBackend, pg, root, until } from './lib/backend.mjs';
import { ingestThroughFault } from './lib/ingest.mjs';

const DB = 'reliability_faults';
const TOKEN = randomBytes(16).toString('hex');
const TICK_TIMEOUT_S = 20;
const TICK_INTERVAL_S = 2;
/** How long the test waits for a tick after a database fault. */
const TICK_WAIT_MS = (TICK_TIMEOUT_S + 60 + 15) * 1000;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-faults-'));
const say = (...a) => console.log('[faults]', ...a);
/** The backend's output: kept when a fault fails (the path is printed), deleted otherwise. */
const LOG = path.join(
  os.tmpdir(),
  `reliability-faults-backend-${process.pid}.log`,
);
let failed = false;

let postgres;
let prometheus;
let backend;
let baseUrl;
const ALERTMANAGER_SECRET = randomBytes(16).toString('hex');

/**
 * A remediation target on loopback whose behaviour the test switches: `hang` (reads the request, never answers),
 * `reset` (destroys the connection), `slow` (answers after 3 s, past the rule's 1 s timeout) or `good`.
 */
const target = {
  mode: 'good',
  calls: [],
  sockets: new Set(),
  server: http.createServer((req, res) => {
    let body = '';
    req.on('data', c => {
      if (body.length < 10_000) body += c;
    });
    req.on('end', () => {
      const env = (() => {
        try {
          return JSON.parse(body).env;
        } catch {
          return undefined;
        }
      })();
      target.calls.push({ mode: target.mode, env });
      if (target.mode === 'hang') return;
      if (target.mode === 'reset') {
        req.socket.destroy();
        return;
      }
      const answer = () => res.writeHead(200).end('{"ok":true}');
      if (target.mode === 'slow') setTimeout(answer, 3_000);
      else answer();
    });
  }),
};
target.server.on('connection', socket => {
  target.sockets.add(socket);
  socket.on('close', () => target.sockets.delete(socket));
});

// the suite's SLOs: copies of the demo's checkout-success (Ingest) and checkout-latency-prometheus, one per fault
const ingestSlo = readFileSync(
  path.join(root, 'catalog/slos/checkout-success.yaml'),
  'utf8',
);
const promSlo = readFileSync(
  path.join(root, 'catalog/slos/checkout-latency.prometheus.yaml'),
  'utf8',
);
writeFileSync(
  path.join(tmp, 'slos.yaml'),
  [
    ingestSlo.replaceAll('checkout-success', 'faults-pg-restart'),
    ingestSlo.replaceAll('checkout-success', 'faults-pg-terminate'),
    promSlo.replaceAll('checkout-latency-prometheus', 'faults-prometheus'),
  ].join('\n---\n'),
);

const api = async (p, init = {}) => {
  const res = await fetch(`${baseUrl}/api/reliability${p}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) },
    signal: AbortSignal.timeout(10_000),
  });
  return res;
};
const sloStatus = async name => {
  const res = await api(`/slos/default/${name}`);
  if (res.status !== 200) return null;
  const body = await res.json();
  return (body.item ?? body).status ?? null;
};

before(async () => {
  const t0 = Date.now();
  postgres = await startPostgres({ log: say });
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  prometheus = await startFakePrometheus();
  await new Promise(r => target.server.listen(0, '127.0.0.1', r));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const config = path.join(tmp, 'backend.json');
  writeFileSync(
    config,
    JSON.stringify({
      app: { baseUrl: `http://localhost:${port}` },
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
            { type: 'static', options: { token: TOKEN, subject: 'faults' } },
          ],
        },
      },
      catalog: {
        locations: [
          { type: 'file', target: '../../catalog/all.yaml' },
          { type: 'file', target: path.join(tmp, 'slos.yaml') },
        ],
      },
      reliability: {
        demo: { enabled: false },
        evaluation: {
          schedule: {
            frequency: { seconds: TICK_INTERVAL_S },
            timeout: { seconds: TICK_TIMEOUT_S },
            initialDelay: { seconds: 1 },
          },
        },
        prometheus: { instances: [{ name: 'faults', url: prometheus.url }] },
        alertmanager: { sharedSecret: ALERTMANAGER_SECRET },
        remediation: {
          dispatchIntervalSeconds: 1,
          breaker: { failureThreshold: 3, openFor: '5m' },
          rules: [
            {
              id: 'faults-target',
              entityRef: 'component:default/checkout',
              match: ['alertname="FaultsTargetDown"'],
              action: 'webhook',
              params: {
                url: `http://127.0.0.1:${target.server.address().port}/fix`,
                body: { env: '{{env}}' },
              },
              lockKey: 'faults:{{env}}',
              retries: 0,
              timeout: '1s',
              maxAttempts: 100,
            },
          ],
        },
      },
    }),
  );
  backend = await startBackend(config, baseUrl, LOG);
  say(`backend answering in ${Date.now() - t0} ms`);
  // the catalog has read the suite's SLOs and a tick has evaluated them
  for (const name of [
    'faults-pg-restart',
    'faults-pg-terminate',
    'faults-prometheus',
  ])
    await until(`${name} evaluated`, () => sloStatus(name), 120_000, 500);
  say(`SLOs registered and evaluated ${Date.now() - t0} ms after the start`);
});

after(async () => {
  await backend?.stop().catch(() => {});
  for (const socket of target.sockets) socket.destroy();
  target.server.close();
  prometheus?.close();
  postgres?.destroy();
  rmSync(tmp, { recursive: true, force: true });
  if (failed) say(`the backend's output is in ${LOG}`);
  else rmSync(LOG, { force: true });
});

/** A test whose failure keeps the backend's output. */
const fault = (name, options, fn) =>
  test(name, options, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  });

/** The evaluation ticks' starts, as the fake Prometheus saw them: its queries, those less than 500 ms apart one tick. */
function ticks() {
  const starts = [];
  let last = -Infinity;
  for (const t of prometheus.queries()) {
    if (t - last >= 500) starts.push(t);
    last = t;
  }
  return starts;
}

/**
 * The evaluation ticks around a database fault, as Prometheus sees them: each tick asks the fake Prometheus for the
 * Prometheus-backed SLO (a few instant queries at once; queries less than 500 ms apart are one tick). A status's
 * evaluatedAt cannot tell ticks apart: an Ingest SLO is evaluated at the minute's end, and an unchanged status is not
 * written again. Answers when the first tick after the backend answered again (its first acknowledgement once the
 * fault ended) started, how long after, and the longest gap between two ticks from before the fault to that one.
 */
async function ticksAround(figures, what) {
  const answeredAt = figures.answeredAfterFault || figures.faultEndedAt;
  const first = await until(
    `${what}: a tick that started after the backend answered again`,
    async () => ticks().find(t => t > answeredAt),
    TICK_WAIT_MS,
    250,
  );
  const around = ticks().filter(
    t => t >= figures.faultStartedAt - 3 * TICK_INTERVAL_S * 1000 && t <= first,
  );
  let gap = 0;
  for (let i = 1; i < around.length; i++)
    gap = Math.max(gap, around[i] - around[i - 1]);
  const from = t => t - figures.faultStartedAt;
  say(
    `${what}: ticks at ${around
      .map(from)
      .join(', ')} ms from the fault's start (it lasted ${
      figures.faultMs
    } ms; the backend answered again at ${from(
      answeredAt,
    )} ms); the first after that started ${
      first - answeredAt
    } ms later; longest gap between two ticks ${gap} ms (interval ${
      TICK_INTERVAL_S * 1000
    } ms)`,
  );
  return { afterMs: first - answeredAt, gap };
}

/**
 * No tick lost for more than one interval: the first tick after the backend answers again starts within two intervals
 * (at most the one tick due meanwhile is skipped), and no gap between two ticks is longer than the fault plus two
 * intervals (the last tick before the fault may have started an interval before it) and a second of slack.
 */
function assertNoTickLost(ticks, figures) {
  const interval = TICK_INTERVAL_S * 1000;
  assert.ok(
    ticks.afterMs <= 2 * interval,
    `the first tick after the backend answered again started within two intervals: ${ticks.afterMs} ms`,
  );
  assert.ok(
    ticks.gap <= figures.faultMs + 2 * interval + 1000,
    `no gap between ticks longer than the fault (${figures.faultMs} ms), two intervals and a second: ${ticks.gap} ms`,
  );
}

/** The assertions common to the two database faults: every batch acknowledged, the counts exactly those. */
async function assertExact(name, figures, what) {
  say(
    `${what}: batches ${figures.batches}, requests sent ${figures.attempts}, acknowledged ${figures.acknowledged} ` +
      `(${figures.replayed} replayed), answers lost on purpose ${figures.lost}, retried ${figures.retried}, outage seen by the client ${figures.outageMs} ms, ` +
      `fault took ${figures.faultMs} ms; statuses ${JSON.stringify(
        figures.statuses,
      )}; errors ${JSON.stringify(figures.errors)}`,
  );
  assert.deepEqual(
    figures.unacknowledged,
    [],
    'every batch is acknowledged in the end',
  );
  // every acknowledged batch counted once: the first status that counts as many events as were acknowledged (a tick
  // after the last acknowledgement) has exactly them
  const status = await until(
    `a status of ${name} counting every acknowledged event`,
    async () => {
      const st = await sloStatus(name);
      return st && st.total >= figures.total ? st : null;
    },
    TICK_WAIT_MS,
    250,
  );
  say(
    `${what}: final count through the API good ${status.good}, total ${status.total}; acknowledged good ${figures.good}, total ${figures.total}`,
  );
  assert.equal(
    status.total,
    figures.total,
    'total events: exactly the acknowledged ones',
  );
  assert.equal(
    status.good,
    figures.good,
    'good events: exactly the acknowledged ones',
  );
}

fault(
  'PostgreSQL restarted mid-ingest: the backend answers again by itself, and nothing is lost or counted twice',
  { timeout: 150_000 },
  async () => {
    const figures = await ingestThroughFault({
      baseUrl,
      token: TOKEN,
      slo: 'default/faults-pg-restart',
      keyPrefix: `restart-${Date.now()}`,
      loseEvery: 5,
      fault: async () => {
        postgres.stop('fast');
        await new Promise(r => setTimeout(r, 1500));
        postgres.start();
      },
    });
    assert.ok(
      figures.retried > 0,
      'the fault was felt: some requests were retried',
    );
    const ticks = await ticksAround(figures, 'pg restart');
    await assertExact('faults-pg-restart', figures, 'pg restart');
    assert.equal(backend.exited(), null, 'the backend was not restarted');
    assertNoTickLost(ticks, figures);
  },
);

fault(
  'connections killed (pg_terminate_backend) during ingest: the pool recovers, and nothing is lost or counted twice',
  { timeout: 150_000 },
  async () => {
    let killed = 0;
    const figures = await ingestThroughFault({
      baseUrl,
      token: TOKEN,
      slo: 'default/faults-pg-terminate',
      keyPrefix: `terminate-${Date.now()}`,
      loseEvery: 5,
      fault: async () => {
        // three rounds, half a second apart: every connection of the backend's database, idle or busy
        for (let round = 0; round < 3; round++) {
          const out = postgres.psql(
            `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${DB}' AND pid <> pg_backend_pid()`,
          );
          killed += Number(out.trim() || 0);
          await new Promise(r => setTimeout(r, 500));
        }
      },
    });
    say(`pg_terminate_backend: ${killed} connections killed`);
    assert.ok(killed > 0, 'connections were killed');
    const ticks = await ticksAround(figures, 'pg_terminate_backend');
    await assertExact('faults-pg-terminate', figures, 'pg_terminate_backend');
    assert.equal(backend.exited(), null, 'the backend was not restarted');
    assertNoTickLost(ticks, figures);
  },
);

fault(
  'Prometheus hanging, then failing, then answering: the tick keeps its deadline, the SLO says why it has no data, and recovers',
  {
    timeout: 240_000,
  },
  async () => {
    try {
      // the ticks run
      const since = Date.now();
      await until(
        'a tick',
        async () => ticks().some(t => t > since),
        TICK_WAIT_MS,
        250,
      );
      const good = await sloStatus('faults-prometheus');
      assert.equal(good.reason, undefined, JSON.stringify(good));
      assert.ok(
        Math.abs(good.sli - 0.99) < 1e-9,
        `SLI from the fake: ${good.sli}`,
      );

      const reasons = {
        hang: /^Prometheus faults is unreachable: .*(timeout|aborted)/i,
        broken: /^Prometheus faults answered (500|200)/,
      };
      for (const mode of ['hang', 'broken']) {
        prometheus.setMode(mode);
        const switched = Date.now();
        const s = await until(
          `the SLO without data, with the reason (${mode})`,
          async () => {
            const x = await sloStatus('faults-prometheus');
            // a status is stored when it changes, stamped with its tick's start: the tick that met the fault may
            // have begun before the switch, and the ticks after it store nothing new, so the reason is what tells
            return x && reasons[mode].test(x.reason ?? '') ? x : null;
          },
          (TICK_TIMEOUT_S * 2 + 10) * 1000,
          250,
        );
        const tookMs = Date.now() - switched;
        // and the tick after the one that met the fault: the gap between the two is how long that one took
        const seen = Date.now();
        await until(
          `a tick after the reason (${mode})`,
          async () => ticks().some(t => t > seen),
          (TICK_TIMEOUT_S + 10) * 1000,
          250,
        );
        // the ticks while the fault lasted (each tick asks Prometheus, or in 'hang' connects to it): the longest gap
        // between two starts is the longest a tick took (plus the frequency)
        const during = ticks().filter(t => t >= switched - 2000);
        let gap = 0;
        for (let k = 1; k < during.length; k++)
          gap = Math.max(gap, during[k] - during[k - 1]);
        say(
          `prometheus ${mode}: no data with the reason after ${tookMs} ms: state ${s.state}, reason "${s.reason}"; ` +
            `ticks meanwhile ${during.length}, longest gap between ticks ${gap} ms`,
        );
        assert.equal(s.state, 'no_data');
        assert.equal(s.sli, null);
        assert.ok(during.length >= 2, `ticks seen: ${during.length}`);
        assert.ok(
          gap < (TICK_TIMEOUT_S + 2) * 1000 &&
            tookMs < (TICK_TIMEOUT_S * 2 + 4) * 1000,
          `each tick ended within its ${TICK_TIMEOUT_S} s deadline: longest gap ${gap} ms, reason after ${tookMs} ms`,
        );
      }

      prometheus.setMode('good');
      const back = Date.now();
      const recovered = await until(
        'the SLO to recover once Prometheus answers',
        async () => {
          const x = await sloStatus('faults-prometheus');
          return x && !x.reason && x.sli !== null ? x : null;
        },
        (TICK_TIMEOUT_S + 10) * 1000,
        250,
      );
      say(
        `prometheus good again: recovered in ${Date.now() - back} ms, SLI ${
          recovered.sli
        }, state ${recovered.state}`,
      );
      assert.ok(Math.abs(recovered.sli - 0.99) < 1e-9);
      say(`fake Prometheus: ${JSON.stringify(prometheus.counts)}`);
    } finally {
      prometheus.setMode('good');
    }
  },
);

fault(
  'remediation targets that hang, reset or answer too slowly: every execution ends with its outcome, and the breaker opens',
  { timeout: 120_000 },
  async () => {
    const deliver = env =>
      fetch(`${baseUrl}/api/reliability/alertmanager/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${ALERTMANAGER_SECRET}`,
        },
        body: JSON.stringify({
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
              labels: { alertname: 'FaultsTargetDown', severity: 'error', env },
              annotations: { summary: `faults ${env}` },
              startsAt: new Date().toISOString(),
              fingerprint: createHash('sha256')
                .update(env)
                .digest('hex')
                .slice(0, 16),
            },
          ],
        }),
        signal: AbortSignal.timeout(10_000),
      });
    const executions = async () => {
      const res = await api(
        '/remediations?entityRef=component:default/checkout&limit=100',
      );
      assert.equal(res.status, 200);
      return (await res.json()).items.filter(i => i.ruleId === 'faults-target');
    };
    const ended = env =>
      until(
        `the execution for ${env} to end`,
        async () =>
          (await executions()).find(
            e => e.triggerLabels.env === env && e.finishedAt,
          ),
        30_000,
        250,
      );
    const outcomes = {};
    for (const [mode, env, error] of [
      ['hang', 'hang-1', /timeout|timed out|aborted/i],
      [
        'reset',
        'reset-1',
        /UND_ERR_SOCKET|socket hang up|ECONNRESET|other side closed/i,
      ],
      ['slow', 'slow-1', /timeout|timed out|aborted/i],
    ]) {
      target.mode = mode;
      const t0 = Date.now();
      assert.equal((await deliver(env)).status, 200);
      const exec = await ended(env);
      outcomes[mode] = {
        state: exec.state,
        ms: Date.now() - t0,
        detail: exec.detail,
      };
      say(
        `remediation target ${mode}: ${exec.state} after ${
          Date.now() - t0
        } ms; attempts ${JSON.stringify(
          exec.attempts.map(a => [a.outcome, a.error]),
        )}`,
      );
      assert.equal(exec.state, 'failed');
      assert.deepEqual(
        exec.attempts.map(a => a.outcome),
        ['failed'],
      );
      assert.match(exec.attempts[0].error ?? '', error);
    }
    // three failures in a row: the breaker is open, the next execution fails fast and the target is not called
    target.mode = 'good';
    assert.equal((await deliver('good-1')).status, 200);
    const blocked = await ended('good-1');
    say(`after three failures: ${blocked.state}, "${blocked.detail}"`);
    assert.equal(blocked.state, 'failed');
    assert.match(
      blocked.detail ?? '',
      /^Not called: the circuit breaker for .* is open/,
    );
    assert.deepEqual(
      target.calls.map(c => [c.mode, c.env]),
      [
        ['hang', 'hang-1'],
        ['reset', 'reset-1'],
        ['slow', 'slow-1'],
      ],
      'each failing target was called once, and the open breaker called nothing',
    );
    // nothing is left queued or running
    assert.deepEqual(
      (await executions()).filter(e => !e.finishedAt).map(e => e.id),
      [],
    );
    say(`remediation faults: ${JSON.stringify(outcomes)}`);
  },
);
