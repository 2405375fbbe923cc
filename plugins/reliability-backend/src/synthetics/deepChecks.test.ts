import { Client } from 'pg';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import amqp from 'amqplib';
import net from 'net';
import {
  SyntheticJourney,
  syntheticJourneySchema,
  syntheticStepSchema,
} from '@reliability-suite/plugin-reliability-common';
import { SyntheticRunner } from './SyntheticRunner';
import { databaseCheck, queueCheck, untilAborted } from './deepChecks';

/**
 * Deep checks against the machine's real services on loopback (scripts/services.sh starts the ones that are absent):
 * PostgreSQL 5432, MariaDB 3306, Redis 6379, RabbitMQ 5672 (guest/guest), NATS 4222. A missing service fails these
 * tests: nothing is skipped.
 */
jest.setTimeout(30_000);

const HOST = '127.0.0.1';
const journey = (steps: unknown[]): SyntheticJourney =>
  syntheticJourneySchema.parse({
    name: 'deep',
    regions: ['ap-sg'],
    frequency: '5m',
    deadlineMs: 20_000,
    steps,
  });
const runner = new SyntheticRunner({
  allowedHosts: [HOST],
  secrets: { amqpPassword: 'guest', wrongPassword: 'not-the-password-7391' },
});
const step = (s: Record<string, unknown>) =>
  syntheticStepSchema.parse({ name: 'check', ...s });

describe('database step', () => {
  beforeAll(async () => {
    const pg = new Client({ host: HOST, user: 'postgres' });
    await pg.connect();
    await pg.query(
      'CREATE TABLE IF NOT EXISTS reliability_synth_probe (id int)',
    );
    await pg.query('DELETE FROM reliability_synth_probe');
    await pg.query('INSERT INTO reliability_synth_probe VALUES (1), (2)');
    await pg.end();
    const my = await mysql.createConnection({ host: HOST, user: 'root' });
    await my.query('CREATE DATABASE IF NOT EXISTS reliability_synth');
    await my.query(
      'CREATE TABLE IF NOT EXISTS reliability_synth.probe (id int) ENGINE=InnoDB',
    );
    await my.query('DELETE FROM reliability_synth.probe');
    await my.query('INSERT INTO reliability_synth.probe VALUES (1), (2)');
    await my.end();
  });

  it.each([
    [
      'postgres',
      'postgres',
      'postgres',
      'SELECT id FROM reliability_synth_probe',
    ],
    ['mysql', 'root', 'reliability_synth', 'SELECT id FROM probe'],
  ])(
    'runs SELECT 1 and a read-only query on %s',
    async (engine, user, database, query) => {
      const r = await runner.run(
        journey([
          {
            type: 'database',
            name: 'db',
            engine,
            host: HOST,
            user,
            database,
            query,
            minRows: 2,
          },
        ]),
      );
      expect(r.error).toBeNull();
      expect(r.success).toBe(true);
      expect(r.steps[0].excerpt).toMatch(
        new RegExp(
          `^${engine} 127\\.0\\.0\\.1: connected in [\\d.]+ ms; SELECT 1 ok; query answered 2 row\\(s\\)`,
        ),
      );
    },
  );

  it.each([
    ['postgres', 'postgres', 'postgres', 'reliability_synth_probe'],
    ['mysql', 'root', 'reliability_synth', 'probe'],
  ])(
    'on %s, a write slipped past the schema fails in the READ ONLY transaction and changes nothing',
    async (engine, user, database, table) => {
      const out = await databaseCheck(
        {
          type: 'database',
          name: 'db',
          engine: engine as 'postgres' | 'mysql',
          host: HOST,
          user,
          database,
          query: `DELETE FROM ${table}`,
          timeoutMs: 5_000,
        },
        undefined,
        new AbortController().signal,
      ).catch(e => ({ ok: false, error: (e as Error).message }));
      expect(out.ok).toBe(false);
      expect(out.error).toMatch(/read.only/i);
      const count =
        engine === 'postgres'
          ? await (async () => {
              const pg = new Client({ host: HOST, user: 'postgres' });
              await pg.connect();
              const r = await pg.query(
                'SELECT count(*)::int AS n FROM reliability_synth_probe',
              );
              await pg.end();
              return r.rows[0].n;
            })()
          : await (async () => {
              const my = await mysql.createConnection({
                host: HOST,
                user: 'root',
              });
              const [rows] = await my.query(
                'SELECT count(*) AS n FROM reliability_synth.probe',
              );
              await my.end();
              return Number((rows as { n: number }[])[0].n);
            })();
      expect(count).toBe(2);
    },
  );

  it('refuses a second statement (the server sees a prepared statement)', async () => {
    await expect(
      databaseCheck(
        {
          type: 'database',
          name: 'db',
          engine: 'postgres',
          host: HOST,
          user: 'postgres',
          query: 'SELECT 1; DELETE FROM reliability_synth_probe',
          timeoutMs: 5_000,
        },
        undefined,
        new AbortController().signal,
      ),
    ).rejects.toThrow(/multiple commands/);
  });

  it('a query answering fewer rows than minRows fails, and a wrong password never shows in the error', async () => {
    const few = await runner.run(
      journey([
        {
          type: 'database',
          name: 'db',
          engine: 'postgres',
          host: HOST,
          user: 'postgres',
          query: 'SELECT id FROM reliability_synth_probe WHERE id > 5',
        },
      ]),
    );
    expect(few.error).toBe(
      "step 'db': the query answered 0 row(s), under minRows 1",
    );
    const denied = await runner.run(
      journey([
        {
          type: 'database',
          name: 'db',
          engine: 'mysql',
          host: HOST,
          user: 'reliability_nobody',
          passwordSecret: 'wrongPassword',
        },
      ]),
    );
    expect(denied.success).toBe(false);
    expect(denied.error).toMatch(
      /^step 'db': mysql 127\.0\.0\.1: Access denied/,
    );
    expect(JSON.stringify(denied)).not.toContain('not-the-password-7391');
  });

  it('a closed port fails the step; a host off the allowlist is refused; an unknown secret is named', async () => {
    const closed = await runner.run(
      journey([
        {
          type: 'database',
          name: 'db',
          engine: 'postgres',
          host: HOST,
          port: 1,
          user: 'postgres',
        },
      ]),
    );
    expect(closed.error).toMatch(
      /^step 'db': postgres 127\.0\.0\.1: .*ECONNREFUSED/,
    );
    const refused = await runner.run(
      journey([
        {
          type: 'database',
          name: 'db',
          engine: 'postgres',
          host: 'db.example.com',
        },
      ]),
    );
    expect(refused.error).toBe(
      "step 'db': refused: db.example.com is not on reliability.synthetics.allowedHosts",
    );
    const unknown = await runner.run(
      journey([
        {
          type: 'database',
          name: 'db',
          engine: 'postgres',
          host: HOST,
          passwordSecret: 'nope',
        },
      ]),
    );
    expect(unknown.error).toBe(
      "step 'db': secret nope is not in reliability.synthetics.secrets",
    );
  });
});

describe('queue step', () => {
  it.each([
    ['redis', {}, /\(stream reliability-synthetics-[0-9a-f-]{36}\)$/],
    [
      'amqp',
      { user: 'guest', passwordSecret: 'amqpPassword' },
      /\(queue reliability-synthetics-[0-9a-f-]{36}\)$/,
    ],
    ['nats', {}, /\(subject reliability\.synthetics\.[0-9a-f-]{36}\)$/],
  ])(
    'publishes and consumes a message on %s, on a name of its own',
    async (engine, extra, named) => {
      const r = await runner.run(
        journey([{ type: 'queue', name: 'q', engine, host: HOST, ...extra }]),
      );
      expect(r.error).toBeNull();
      expect(r.steps[0].excerpt).toMatch(
        new RegExp(
          `^${engine} 127\\.0\\.0\\.1: published and consumed in [\\d.]+ ms`,
        ),
      );
      expect(r.steps[0].excerpt).toMatch(named);
    },
  );

  it('cleans up: the Redis stream and the RabbitMQ queue are gone afterwards', async () => {
    const redisRun = await runner.run(
      journey([{ type: 'queue', name: 'q', engine: 'redis', host: HOST }]),
    );
    const stream = /stream (\S+)\)/.exec(redisRun.steps[0].excerpt!)![1];
    const redis = new Redis({ host: HOST, lazyConnect: true });
    await redis.connect();
    expect(await redis.exists(stream)).toBe(0);
    redis.disconnect();

    const amqpRun = await runner.run(
      journey([
        {
          type: 'queue',
          name: 'q',
          engine: 'amqp',
          host: HOST,
          user: 'guest',
          passwordSecret: 'amqpPassword',
        },
      ]),
    );
    const queue = /queue (\S+)\)/.exec(amqpRun.steps[0].excerpt!)![1];
    const conn = await amqp.connect('amqp://guest:guest@127.0.0.1:5672');
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    // checkQueue on a queue that does not exist closes the channel with 404 NOT_FOUND
    await expect(ch.checkQueue(queue)).rejects.toThrow(/NOT_FOUND/);
    await conn.close();
  });

  it('fails within its timeout when nothing answers, and a wrong password is redacted', async () => {
    // a server that accepts and never speaks: the handshake hangs until the step's timeout
    const sockets: net.Socket[] = [];
    const silent = net.createServer(s => sockets.push(s));
    await new Promise<void>(r => silent.listen(0, HOST, r));
    const port = (silent.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      const r = await runner.run(
        journey([
          {
            type: 'queue',
            name: 'q',
            engine: 'redis',
            host: HOST,
            port,
            timeoutMs: 300,
          },
        ]),
      );
      expect(r.error).toBe("step 'q': timed out after 300 ms");
      expect(Date.now() - t0).toBeLessThan(3_000);
    } finally {
      sockets.forEach(s => s.destroy());
      silent.close();
    }
    const denied = await queueCheck(
      step({
        type: 'queue',
        engine: 'amqp',
        host: HOST,
        user: 'guest',
      }) as never,
      'not-the-password-7391',
      new AbortController().signal,
    ).catch(e => ({ ok: false, error: (e as Error).message }));
    expect(denied.ok).toBe(false);
    const viaRunner = await runner.run(
      journey([
        {
          type: 'queue',
          name: 'q',
          engine: 'amqp',
          host: HOST,
          user: 'guest',
          passwordSecret: 'wrongPassword',
        },
      ]),
    );
    expect(viaRunner.success).toBe(false);
    expect(JSON.stringify(viaRunner)).not.toContain('not-the-password-7391');
  });
});

describe('untilAborted', () => {
  it('rejects at the abort, and closes what answers too late; what answers in time is not closed', async () => {
    const disposed: string[] = [];
    const ac = new AbortController();
    let answer: (v: string) => void = () => {};
    const late = untilAborted(
      new Promise<string>(r => {
        answer = r;
      }),
      ac.signal,
      250,
      v => disposed.push(v),
    );
    ac.abort();
    await expect(late).rejects.toThrow('timed out after 250 ms');
    answer('late connection');
    await new Promise(r => setImmediate(r));
    expect(disposed).toEqual(['late connection']);
    await expect(
      untilAborted(
        Promise.resolve('in time'),
        new AbortController().signal,
        250,
        v => disposed.push(v),
      ),
    ).resolves.toBe('in time');
    await new Promise(r => setImmediate(r));
    expect(disposed).toEqual(['late connection']);
  });
});

describe('deep check schema', () => {
  it('names the field and the rule', () => {
    const issues = (s: unknown) => {
      const r = syntheticJourneySchema.safeParse({
        name: 'deep',
        regions: ['ap-sg'],
        frequency: '5m',
        deadlineMs: 1_000,
        steps: [s],
      });
      return r.success
        ? []
        : r.error.issues.map(i => `${i.path.join('.')}: ${i.message}`);
    };
    expect(
      issues({ type: 'database', name: 'd', engine: 'oracle', host: HOST }),
    ).toEqual(['steps.0.engine: must be one of postgres, mysql']);
    expect(
      issues({
        type: 'database',
        name: 'd',
        engine: 'mysql',
        host: HOST,
        query: 'DELETE FROM t',
      }),
    ).toEqual([
      'steps.0.query: must start with select, with, show, values, explain, table (read-only)',
    ]);
    expect(
      issues({
        type: 'database',
        name: 'd',
        engine: 'mysql',
        host: HOST,
        query: 'SELECT 1; DROP TABLE t',
      }),
    ).toEqual(['steps.0.query: must be one statement (no ;)']);
    // one trailing ; is fine, and the first word is matched without case
    expect(
      issues({
        type: 'database',
        name: 'd',
        engine: 'mysql',
        host: HOST,
        query: '  with x as (select 1) select * from x ; ',
      }),
    ).toEqual([]);
    expect(
      issues({
        type: 'database',
        name: 'd',
        engine: 'mysql',
        host: HOST,
        query: 'selectinto',
      }),
    ).toEqual([
      'steps.0.query: must start with select, with, show, values, explain, table (read-only)',
    ]);
    expect(
      issues({
        type: 'queue',
        name: 'q',
        engine: 'redis',
        host: HOST,
        password: 'x',
      }),
    ).toEqual(["steps.0: Unrecognized key(s) in object: 'password'"]);
    expect(
      issues({ type: 'webhook', name: 'w', url: 'http://x', secret: 'a b' }),
    ).toEqual([
      'steps.0.secret: must name a reliability.synthetics.secrets entry (such as dbPassword)',
    ]);
    expect(
      issues({
        type: 'queue',
        name: 'q',
        engine: 'kafka',
        host: HOST,
        timeoutMs: 10,
      }),
    ).toEqual([
      'steps.0.engine: must be one of redis, amqp, nats',
      'steps.0.timeoutMs: must be at least 100',
    ]);
  });
});
