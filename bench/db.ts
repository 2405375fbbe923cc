import knexFactory, { Knex } from 'knex';

/**
 * A fresh database for one benchmark run: SQLite in memory, or a new PostgreSQL database (created from `pgUrl`,
 * dropped by `close`).
 */
export async function openBenchDb(
  kind: string,
  pgUrl: string,
  options: { poolMax?: number } = {},
): Promise<{ knex: Knex; close: () => Promise<void>; url?: string }> {
  if (kind === 'sqlite') {
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: ':memory:' },
      useNullAsDefault: true,
    });
    return { knex, close: () => knex.destroy() };
  }
  const name = `reliability_bench_${process.pid}`;
  const admin = knexFactory({ client: 'pg', connection: pgUrl });
  await admin.raw(`CREATE DATABASE ${name}`);
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  const knex = knexFactory({
    client: 'pg',
    connection: url.toString(),
    pool: { min: 1, max: options.poolMax ?? 4 },
  });
  return {
    knex,
    /** The database's URL, for the benchmark's other processes. */
    url: url.toString(),
    close: async () => {
      await knex.destroy();
      await admin.raw(`DROP DATABASE ${name}`);
      await admin.destroy();
    },
  };
}
