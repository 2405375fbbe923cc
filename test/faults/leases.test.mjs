// Sharded evaluation's leases through a replica cut off from the database, and killed connections. Two replicas (the
// suite's plugins alone, lib/suiteBackend.ts, two real processes) on a PostgreSQL of the suite's own, with
// `reliability.evaluation.shards` (16 shards, 6 s leases, a tick every 2 s). In order:
//   1. Both replicas take their fair share (8 and 8).
//   2. Replica A is frozen (SIGSTOP) and every one of its connections is killed (pg_terminate_backend): it cannot
//      renew. Its leases expire and B takes its shards over, within two ticks of the lease's end; B evaluates every
//      shard meanwhile (the lease table's last evaluated period).
//   3. A resumes (SIGCONT), finds its connections dead and its leases gone, reconnects, and the two share the shards
//      again without a restart.
//   4. Every connection of both replicas killed, three rounds: the leases stay with their holders or move, never to
//      two at once.
// Over the whole run the lease table is read every 200 ms: when a shard's holder changed between two reads, the
// change must be a takeover made after the lease (as last read, at most a read before) ran out, or follow a release
// by the holder (reliability_shard_events says which). Lease overlaps: 0.
// Run: node --test --test-concurrency=1 test/faults/*.test.mjs (see docs/failure-modes.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, freePort } from './lib/postgres.mjs';
import {
  startBackend,
  signalGroup,
  pg,
  until,
  SUITE_ONLY,
} from './lib/backend.mjs';

const DB = 'reliability_leases';
const SHARDS = 16;
const LEASE_S = 6;
const TICK_S = 2;
const TOKEN = randomBytes(16).toString('hex');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-leases-'));
const LOG = path.join(os.tmpdir(), `reliability-leases-${process.pid}.log`);
const say = (...a) => console.log('[leases]', ...a);
const sleep = ms => new Promise(r => setTimeout(r, ms));
let failed = false;

let postgres;
let admin;
const replicas = {};

/** A replica's config: the same database, its connections named after it (`application_name`). */
function configOf(name, port) {
  const file = path.join(tmp, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      backend: {
        baseUrl: `http://localhost:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: {
          client: 'pg',
          connection: `${postgres.url}/${DB}?application_name=reliability-${name}`,
          pluginDivisionMode: 'schema',
        },
        auth: {
          externalAccess: [
            { type: 'static', options: { token: TOKEN, subject: 'leases' } },
          ],
        },
      },
      catalog: {
        locations: [{ type: 'file', target: '../../catalog/all.yaml' }],
      },
      permission: { enabled: false },
      reliability: {
        demo: { enabled: false },
        synthetics: { enabled: false },
        evaluation: {
          schedule: {
            frequency: { seconds: TICK_S },
            timeout: { seconds: 20 },
            initialDelay: { seconds: 1 },
          },
          shards: { count: SHARDS, leaseSeconds: LEASE_S },
        },
        // the portal's demo rules name the demo's own actions, which this backend does not have
        remediation: { rules: [] },
      },
    }),
  );
  return file;
}

const leases = async () =>
  (
    await admin.query(
      'SELECT shard, holder, expires_at FROM reliability.reliability_shard_leases ORDER BY shard',
    )
  ).rows.map(r => ({
    shard: Number(r.shard),
    holder: r.holder,
    expiresAt: Number(r.expires_at),
  }));

const heldBy = rows => {
  const out = {};
  for (const r of rows)
    if (r.holder && r.expiresAt > Date.now())
      out[r.holder] = (out[r.holder] ?? 0) + 1;
  return out;
};

/** Kills every connection of `names` (their application_name); answers how many. */
const terminate = async names =>
  (
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ANY($1)`,
      [names.map(n => `reliability-${n}`)],
    )
  ).rowCount;

before(async () => {
  postgres = await startPostgres({ log: say });
  admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  admin = new pg.Client({
    connectionString: `${postgres.url}/${DB}`,
    application_name: 'leases-test',
  });
  await admin.connect();
  for (const name of ['a', 'b']) {
    failed = true; // until the replica answers: its output is kept
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    replicas[name] = {
      baseUrl,
      ...(await startBackend(configOf(name, port), baseUrl, LOG, 150_000, {
        entry: SUITE_ONLY,
        append: name !== 'a',
      })),
    };
    say(`replica ${name} answering in ${Date.now() - t0} ms`);
    failed = false;
  }
});

after(async () => {
  for (const r of Object.values(replicas)) {
    signalGroup(r.child, 'SIGCONT');
    signalGroup(r.child, 'SIGKILL');
  }
  await admin?.end().catch(() => undefined);
  postgres?.destroy();
  rmSync(tmp, { recursive: true, force: true });
  if (failed) say(`the replicas' output is in ${LOG}`);
  else rmSync(LOG, { force: true });
});

test(
  'a replica cut off from the database loses its leases to the other, which evaluates its SLOs; killed connections move no lease to two holders',
  { timeout: 300_000 },
  async () => {
    try {
      // the lease table read every 200 ms over the whole run
      const samples = [];
      const overlaps = [];
      /** Each shard's lease as last read. */
      const lastSeen = new Map();
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          try {
            const rows = await leases();
            const at = Date.now();
            for (const r of rows) {
              const before = lastSeen.get(r.shard);
              lastSeen.set(r.shard, r);
              if (!before?.holder || !r.holder || r.holder === before.holder)
                continue;
              // the holder changed between two reads: by a takeover after the lease (as last read) ran out, or
              // after the holder released it
              const change = (
                await admin.query(
                  `SELECT kind, at FROM reliability.reliability_shard_events
                     WHERE shard = $1 AND ((kind = 'taken_over' AND replica = $2 AND previous = $3)
                                           OR (kind = 'released' AND replica = $3))
                     ORDER BY id DESC LIMIT 1`,
                  [r.shard, r.holder, before.holder],
                )
              ).rows[0];
              if (
                !change ||
                (change.kind === 'taken_over' &&
                  Number(change.at) < before.expiresAt)
              )
                overlaps.push({ shard: r.shard, before, after: r, at, change });
            }
            samples.push({ at, held: heldBy(rows) });
          } catch {
            // the admin connection is ours: it is never terminated
          }
          await sleep(200);
        }
      })();

      // 1. fair shares
      const fair = await until(
        'both replicas to hold 8 shards each',
        async () => {
          const held = Object.values(heldBy(await leases()));
          return held.length === 2 && held.every(n => n === SHARDS / 2)
            ? held
            : null;
        },
        60_000,
        250,
      );
      say(`shares: ${fair.join(' and ')} of ${SHARDS}`);
      const ids = Object.keys(heldBy(await leases()));

      // 2. A cut off: frozen, its connections killed
      const frozenAt = Date.now();
      signalGroup(replicas.a.child, 'SIGSTOP');
      const killedA = await terminate(['a']);
      const takeover = await until(
        "the other replica to hold every shard, A's leases having expired",
        async () => {
          const held = heldBy(await leases());
          const holders = Object.keys(held);
          return holders.length === 1 && held[holders[0]] === SHARDS
            ? holders[0]
            : null;
        },
        (LEASE_S + 3 * TICK_S + 10) * 1000,
        100,
      );
      const takeoverMs = Date.now() - frozenAt;
      const idA = ids.find(id => id !== takeover);
      say(
        `A frozen, ${killedA} of its connections killed: B held all ${SHARDS} shards ${takeoverMs} ms later (lease ${LEASE_S} s, tick ${TICK_S} s)`,
      );
      assert.ok(idA, 'the two replicas have distinct ids');
      assert.ok(
        takeoverMs <= (LEASE_S + 2 * TICK_S) * 1000 + 1500,
        `taken over within two ticks of the lease's end: ${takeoverMs} ms`,
      );
      // B evaluates every shard while A is away: each shard's last evaluated period (the lease table's) passes the
      // period of the takeover
      const takenAt = Date.now();
      const periodAtTakeover = Math.floor(takenAt / (TICK_S * 1000));
      await until(
        "every shard evaluated by B after the takeover, A's included",
        async () => {
          const rows = (
            await admin.query(
              'SELECT holder, evaluated_period FROM reliability.reliability_shard_leases',
            )
          ).rows;
          return rows.every(
            r =>
              r.holder === takeover &&
              Number(r.evaluated_period) > periodAtTakeover,
          );
        },
        (3 * TICK_S + 10) * 1000,
        100,
      );
      say(
        `B evaluated all ${SHARDS} shards for a period after the takeover, ${
          Date.now() - takenAt
        } ms after it`,
      );

      // 3. A resumes: it reconnects and takes its share back
      await sleep(2 * TICK_S * 1000);
      signalGroup(replicas.a.child, 'SIGCONT');
      const resumedAt = Date.now();
      await until(
        'the two replicas to share the shards again',
        async () => {
          const held = heldBy(await leases());
          return held[idA] === SHARDS / 2 && held[takeover] === SHARDS / 2;
        },
        60_000,
        250,
      );
      say(`A resumed: 8 and 8 again ${Date.now() - resumedAt} ms later`);
      const health = await fetch(`${replicas.a.baseUrl}/api/reliability/slos`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(health.status, 200, 'A answers reads again, unrestarted');

      // 4. every connection of both killed, three rounds
      let killed = 0;
      for (let round = 0; round < 3; round++) {
        killed += await terminate(['a', 'b']);
        await sleep(1_500);
      }
      await until(
        'both replicas holding their share after the killed connections',
        async () => {
          const held = Object.values(heldBy(await leases()));
          return held.length === 2 && held.every(n => n === SHARDS / 2);
        },
        60_000,
        250,
      );
      say(
        `${killed} connections killed in three rounds; shares 8 and 8 afterwards`,
      );

      sampling = false;
      await sampler;
      const events = (
        await admin.query(
          'SELECT kind, count(*)::int AS n FROM reliability.reliability_shard_events GROUP BY kind ORDER BY kind',
        )
      ).rows;
      say(
        `lease table read ${samples.length} times over ${Math.round(
          (samples[samples.length - 1].at - samples[0].at) / 1000,
        )} s; lease changes ${JSON.stringify(
          Object.fromEntries(events.map(e => [e.kind, e.n])),
        )}; overlaps ${overlaps.length}`,
      );
      assert.deepEqual(
        overlaps,
        [],
        'no shard changed holder while its holder held an unexpired lease',
      );
      assert.ok(
        events.some(e => e.kind === 'taken_over' && e.n > 0),
        'the frozen replica was taken over',
      );
    } catch (e) {
      failed = true;
      throw e;
    }
  },
);
