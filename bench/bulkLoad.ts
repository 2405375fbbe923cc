/*
 * The benchmarks' fast load of many bucket rows, for stores of 100,000 SLOs (about 110 million rows with 30 days):
 * on PostgreSQL, the table's indexes are dropped, the rows inserted 50,000 at a time as arrays (`INSERT ... SELECT
 * FROM unnest(...)`, one statement per batch), and the indexes built again from their own definitions; on SQLite, one
 * prepared statement in a transaction per batch. Rows are the rows the store's writers write (SliCountsStore's
 * `loadBuckets`, which builds one INSERT per 5,000 rows through knex: about 19,000 rows a second here).
 *
 * Built after the load, the indexes are as compact as after a restore; a portal that wrote its rows over 30 days has
 * the same rows in indexes grown page by page.
 */
import { Knex } from 'knex';
import type { BucketRow } from '../plugins/reliability-backend/src/slos/stores/SliCountsStore';

/** The definitions of a PostgreSQL table's indexes and primary key, to build again after a load. */
async function dropIndexes(knex: Knex, table: string): Promise<string[]> {
  const constraints = (
    await knex.raw(
      `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = ?::regclass AND contype = 'p'`,
      [table],
    )
  ).rows as { conname: string; def: string }[];
  const indexes = (
    await knex.raw(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ? AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = ?::regclass)`,
      [table, table],
    )
  ).rows as { indexname: string; indexdef: string }[];
  for (const c of constraints)
    await knex.raw(`ALTER TABLE ${table} DROP CONSTRAINT "${c.conname}"`);
  for (const i of indexes) await knex.raw(`DROP INDEX "${i.indexname}"`);
  return [
    ...constraints.map(
      c => `ALTER TABLE ${table} ADD CONSTRAINT "${c.conname}" ${c.def}`,
    ),
    ...indexes.map(i => i.indexdef),
  ];
}

/** A loader: `add(rows)` many times, then `done()` (which builds the indexes on PostgreSQL). */
export async function bulkBuckets(
  knex: Knex,
  writtenAt: () => number,
): Promise<{
  add: (rows: BucketRow[]) => Promise<void>;
  done: () => Promise<void>;
}> {
  if (knex.client.config.client === 'pg') {
    const rebuild = await dropIndexes(knex, 'reliability_buckets');
    return {
      async add(rows) {
        const conn = await knex.client.acquireConnection();
        try {
          const w = writtenAt();
          await conn.query(
            `INSERT INTO reliability_buckets (slo_ref, bucket_end, bucket_ms, good, total, cum_good, cum_total, written_at)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::bigint[])`,
            [
              rows.map(r => r.sloRef),
              rows.map(r => r.end),
              rows.map(r => r.bucketMs),
              rows.map(r => r.good),
              rows.map(r => r.total),
              rows.map(r => r.cumGood),
              rows.map(r => r.cumTotal),
              rows.map(() => w),
            ],
          );
        } finally {
          await knex.client.releaseConnection(conn);
        }
      },
      async done() {
        await knex.transaction(async tx => {
          await tx.raw(`SET LOCAL maintenance_work_mem = '1GB'`);
          for (const sql of rebuild) await tx.raw(sql);
        });
      },
    };
  }
  return {
    async add(rows) {
      const db = await knex.client.acquireConnection();
      try {
        const insert = db.prepare(
          'INSERT INTO reliability_buckets (slo_ref, bucket_end, bucket_ms, good, total, cum_good, cum_total, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        );
        const w = writtenAt();
        db.transaction(() => {
          for (const r of rows)
            insert.run(
              r.sloRef,
              r.end,
              r.bucketMs,
              r.good,
              r.total,
              r.cumGood,
              r.cumTotal,
              w,
            );
        })();
      } finally {
        await knex.client.releaseConnection(db);
      }
    },
    async done() {},
  };
}
