import { randomUUID } from 'crypto';
import { performance } from 'perf_hooks';
import { Client as PgClient } from 'pg';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import amqp from 'amqplib';
import { connect as natsConnect } from 'nats';
import type { SyntheticStep } from '@reliability-suite/plugin-reliability-common';

type DatabaseStep = Extract<SyntheticStep, { type: 'database' }>;
type QueueStep = Extract<SyntheticStep, { type: 'queue' }>;

/** What a deep check answers: pass or fail, with a short account of what it saw. */
export interface DeepCheckOutcome {
  ok: boolean;
  error?: string;
  excerpt?: string;
}

/** A step's own signal: the journey's deadline or the step's timeout, whichever comes first. */
export function stepSignal(signal: AbortSignal, timeoutMs: number) {
  return AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
}

/**
 * Waits for `work` unless the signal aborts first (then `onAbort` tears the connection down and the promise rejects
 * with 'timed out after N ms'). The step's resources are closed by the caller's finally either way.
 */
export async function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  timeoutMs: number,
  /** Closes what `work` answers when it answers after the abort (a connection that came too late). */
  dispose?: (late: T) => unknown,
): Promise<T> {
  let lost = false;
  work.then(
    v => {
      if (lost && dispose) Promise.resolve(dispose(v)).catch(() => {});
    },
    () => {},
  );
  if (signal.aborted) {
    lost = true;
    throw new Error(`timed out after ${timeoutMs} ms`);
  }
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      lost = true;
      reject(new Error(`timed out after ${timeoutMs} ms`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

const ms = (t0: number) => Math.round((performance.now() - t0) * 100) / 100;

/**
 * `SELECT 1`, then the step's read-only query (one statement, in a READ ONLY transaction that is rolled back, with
 * a statement timeout), on PostgreSQL (pg: the query is a prepared statement, so a second statement is refused by
 * the server) or MySQL/MariaDB (mysql2, multiple statements off).
 */
export async function databaseCheck(
  step: DatabaseStep,
  password: string | undefined,
  signal: AbortSignal,
): Promise<DeepCheckOutcome> {
  const timeout = step.timeoutMs;
  const t0 = performance.now();
  if (step.engine === 'postgres') {
    const client = new PgClient({
      host: step.host,
      port: step.port ?? 5432,
      database: step.database,
      user: step.user,
      password,
      connectionTimeoutMillis: timeout,
      statement_timeout: timeout,
      query_timeout: timeout,
      application_name: 'reliability-synthetics',
    });
    client.on('error', () => {});
    try {
      await untilAborted(client.connect(), signal, timeout);
      const connectMs = ms(t0);
      const one = await untilAborted(
        client.query<{ one: number }>('SELECT 1 AS one'),
        signal,
        timeout,
      );
      if (Number(one.rows[0]?.one) !== 1)
        return { ok: false, error: 'SELECT 1 did not answer 1' };
      let rows: number | undefined;
      if (step.query) {
        await untilAborted(
          client.query('BEGIN TRANSACTION READ ONLY'),
          signal,
          timeout,
        );
        try {
          const r = await untilAborted(
            client.query({
              name: 'reliability-synthetic-query',
              text: step.query,
            }),
            signal,
            timeout,
          );
          rows = r.rowCount ?? r.rows.length;
        } finally {
          await client.query('ROLLBACK').catch(() => {});
        }
      }
      return verdict(step, connectMs, ms(t0), rows);
    } finally {
      void client.end().catch(() => {});
    }
  }
  let conn: Awaited<ReturnType<typeof mysql.createConnection>> | undefined;
  try {
    conn = await untilAborted(
      mysql.createConnection({
        host: step.host,
        port: step.port ?? 3306,
        database: step.database,
        user: step.user,
        password,
        connectTimeout: timeout,
        multipleStatements: false,
      }),
      signal,
      timeout,
      late => late.destroy(),
    );
    const c = conn;
    const connectMs = ms(t0);
    const [one] = await untilAborted(
      c.query({ sql: 'SELECT 1 AS one', timeout }),
      signal,
      timeout,
    );
    if (Number((one as { one: number }[])[0]?.one) !== 1)
      return { ok: false, error: 'SELECT 1 did not answer 1' };
    let rows: number | undefined;
    if (step.query) {
      await untilAborted(
        c.query('START TRANSACTION READ ONLY'),
        signal,
        timeout,
      );
      try {
        const [r] = await untilAborted(
          c.query({ sql: step.query, timeout }),
          signal,
          timeout,
        );
        rows = Array.isArray(r) ? r.length : 0;
      } finally {
        await c.query('ROLLBACK').catch(() => {});
      }
    }
    return verdict(step, connectMs, ms(t0), rows);
  } finally {
    if (conn) conn.destroy();
  }
}

function verdict(
  step: DatabaseStep,
  connectMs: number,
  totalMs: number,
  rows: number | undefined,
): DeepCheckOutcome {
  const excerpt = `${step.engine} ${
    step.host
  }: connected in ${connectMs} ms; SELECT 1 ok${
    rows === undefined ? '' : `; query answered ${rows} row(s)`
  }; ${totalMs} ms in all`;
  const min = step.minRows ?? (step.query ? 1 : 0);
  if (rows !== undefined && rows < min)
    return {
      ok: false,
      excerpt,
      error: `the query answered ${rows} row(s), under minRows ${min}`,
    };
  return { ok: true, excerpt };
}

/** The stream, queue or subject of one run: unique, and removed afterwards. */
export function loopbackName(engine: QueueStep['engine']): string {
  const id = randomUUID();
  return engine === 'nats'
    ? `reliability.synthetics.${id}`
    : `reliability-synthetics-${id}`;
}

/**
 * Publish → consume loopback: one message with a nonce is published on a stream, queue or subject of its own and
 * must come back within the step's timeout. Redis Streams (ioredis: XADD, XREAD, then DEL), RabbitMQ AMQP 0-9-1
 * (amqplib: an exclusive auto-delete queue, publisher confirms, deleted afterwards), NATS (core subject: subscribe,
 * publish, flush; the subscription is closed).
 */
export async function queueCheck(
  step: QueueStep,
  password: string | undefined,
  signal: AbortSignal,
): Promise<DeepCheckOutcome> {
  const timeout = step.timeoutMs;
  const nonce = randomUUID();
  const name = loopbackName(step.engine);
  const t0 = performance.now();
  const done = (extra: string): DeepCheckOutcome => ({
    ok: true,
    excerpt: `${step.engine} ${step.host}: published and consumed in ${ms(
      t0,
    )} ms${extra}`,
  });
  const mismatch = (got: string | undefined): DeepCheckOutcome => ({
    ok: false,
    error: `the consumed message was not the one published (${String(got).slice(
      0,
      60,
    )})`,
  });

  if (step.engine === 'redis') {
    const redis = new Redis({
      host: step.host,
      port: step.port ?? 6379,
      username: step.user,
      password,
      lazyConnect: true,
      connectTimeout: timeout,
      commandTimeout: timeout,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    redis.on('error', () => {});
    try {
      await untilAborted(redis.connect(), signal, timeout);
      await untilAborted(
        redis
          .multi()
          .xadd(name, '*', 'nonce', nonce)
          .pexpire(name, Math.max(60_000, timeout * 2))
          .exec(),
        signal,
        timeout,
      );
      const read = await untilAborted(
        redis.xread('COUNT', 1, 'STREAMS', name, '0'),
        signal,
        timeout,
      );
      const fields = read?.[0]?.[1]?.[0]?.[1] ?? [];
      const got = fields[fields.indexOf('nonce') + 1];
      return got === nonce ? done(` (stream ${name})`) : mismatch(got);
    } finally {
      await redis.del(name).catch(() => {});
      redis.disconnect();
    }
  }

  if (step.engine === 'amqp') {
    const url = new URL('amqp://localhost');
    url.hostname = step.host;
    url.port = String(step.port ?? 5672);
    if (step.user) url.username = step.user;
    if (password !== undefined) url.password = password;
    url.pathname = `/${encodeURIComponent(step.vhost ?? '/')}`;
    const conn = await untilAborted(
      amqp.connect(url.toString(), { timeout }),
      signal,
      timeout,
      late => late.close(),
    );
    conn.on('error', () => {});
    try {
      const ch = await untilAborted(
        conn.createConfirmChannel(),
        signal,
        timeout,
      );
      ch.on('error', () => {});
      await untilAborted(
        ch.assertQueue(name, {
          exclusive: true,
          autoDelete: true,
          durable: false,
        }),
        signal,
        timeout,
      );
      try {
        const got = await untilAborted(
          new Promise<string>((resolve, reject) => {
            ch.consume(
              name,
              msg => {
                if (msg) resolve(msg.content.toString('utf8'));
              },
              { noAck: true },
            ).then(() => {
              ch.sendToQueue(name, Buffer.from(nonce), {}, err =>
                err ? reject(new Error('the broker refused the message')) : 0,
              );
            }, reject);
          }),
          signal,
          timeout,
        );
        return got === nonce ? done(` (queue ${name})`) : mismatch(got);
      } finally {
        await ch.deleteQueue(name).catch(() => {});
      }
    } finally {
      await conn.close().catch(() => {});
    }
  }

  const nc = await untilAborted(
    natsConnect({
      servers: `${step.host}:${step.port ?? 4222}`,
      user: step.user,
      pass: step.user ? password : undefined,
      token: step.user ? undefined : password,
      timeout,
      reconnect: false,
      name: 'reliability-synthetics',
    }),
    signal,
    timeout,
    late => late.close(),
  );
  try {
    const sub = nc.subscribe(name, { max: 1 });
    try {
      const received = (async () => {
        for await (const m of sub) return new TextDecoder().decode(m.data);
        return undefined;
      })();
      nc.publish(name, new TextEncoder().encode(nonce));
      await untilAborted(nc.flush(), signal, timeout);
      const got = await untilAborted(received, signal, timeout);
      return got === nonce ? done(` (subject ${name})`) : mismatch(got);
    } finally {
      sub.unsubscribe();
    }
  } finally {
    await nc.close().catch(() => {});
  }
}
