import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { RELEASED_SCHEMAS, ReleasedSchema } from './releasedSchemas';

jest.setTimeout(120_000);

const directory = resolvePackagePath(
  '@reliability-suite/plugin-reliability-backend',
  'migrations',
);
const tableName = 'reliability_knex_migrations';
const ROWS = 40;

const current = readdirSync(directory)
  .filter(f => f.endsWith('.js'))
  .sort();
const digest = (file: string) =>
  createHash('sha256')
    .update(readFileSync(join(directory, file)))
    .digest('hex')
    .slice(0, 16);

/** Knex's migration source limited to one release's files: the database that release left behind. */
function releaseSource(release: ReleasedSchema): Knex.MigrationSource<string> {
  return {
    getMigrations: async () => Object.keys(release.migrations),
    getMigrationName: name => name,
    getMigration: async name => require(join(directory, name)),
  };
}

async function tables(knex: Knex): Promise<string[]> {
  const rows: { name: string }[] = knex.client.config.client.includes('sqlite')
    ? await knex('sqlite_master').where({ type: 'table' }).select('name')
    : await knex('pg_tables')
        .whereRaw('schemaname = current_schema()')
        .select({ name: 'tablename' });
  return rows
    .map(r => r.name)
    .filter(n => n.startsWith('reliability_') && !n.startsWith(tableName))
    .sort();
}

/** A value of the column's type for row i, distinct per row (so unique keys hold) and within its length. */
function valueFor(info: Knex.ColumnInfo, i: number): unknown {
  const type = String(info.type).toLowerCase();
  if (/int|serial/.test(type)) return i;
  if (/float|double|real|numeric|decimal/.test(type)) return i + 0.5;
  if (type.startsWith('bool')) return i % 2 === 0;
  if (type.startsWith('json')) return JSON.stringify({ row: i });
  if (/timestamp|datetime|date/.test(type))
    return new Date(Date.UTC(2026, 0, 1) + i * 60_000);
  const text = `v${i}-${'x'.repeat(8)}`;
  const max = Number(info.maxLength) || Infinity;
  return text.slice(0, Math.max(1, Math.min(max, text.length)));
}

/** Fills every table with ROWS rows; a table whose foreign keys need rows elsewhere waits for a later pass. */
async function fill(knex: Knex, names: string[]): Promise<void> {
  let pending = [...names];
  for (let pass = 0; pending.length > 0 && pass < names.length; pass++) {
    const failed: { table: string; error: string }[] = [];
    for (const table of pending) {
      const columns = await knex(table).columnInfo();
      const rows = Array.from({ length: ROWS }, (_, k) =>
        Object.fromEntries(
          Object.entries(columns).map(([c, info]) => [
            c,
            valueFor(info, k + 1),
          ]),
        ),
      );
      try {
        await knex.transaction(async tx => {
          for (let k = 0; k < rows.length; k += 10) {
            await tx(table).insert(rows.slice(k, k + 10));
          }
        });
      } catch (e) {
        failed.push({
          table,
          error: String((e as Error).message).slice(0, 300),
        });
      }
    }
    if (failed.length === pending.length) {
      throw new Error(`cannot fill: ${JSON.stringify(failed)}`);
    }
    pending = failed.map(f => f.table);
  }
}

async function snapshot(knex: Knex, names: string[]) {
  const out: Record<string, { rows: number; content: string[] }> = {};
  for (const table of names) {
    const rows = await knex(table).select('*');
    out[table] = {
      rows: rows.length,
      content: rows.map(r => JSON.stringify(r, Object.keys(r).sort())).sort(),
    };
  }
  return out;
}

describe('released migrations', () => {
  it.each(RELEASED_SCHEMAS.map(r => [r.version, r] as const))(
    '%s: every file is still there, unchanged, and runs before any newer one',
    (_version, release) => {
      const files = Object.keys(release.migrations);
      expect(current.slice(0, files.length)).toEqual(files);
      expect(Object.fromEntries(files.map(f => [f, digest(f)]))).toEqual(
        release.migrations,
      );
    },
  );
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('upgrading on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it.each(RELEASED_SCHEMAS.map(r => [r.version, r] as const))(
    'a database filled by %s migrates to the current schema with every row kept',
    async (_version, release) => {
      const knex = await databases.init(databaseId);
      await knex.migrate.latest({
        migrationSource: releaseSource(release),
        tableName,
      });
      const names = await tables(knex);
      expect(names.length).toBeGreaterThan(20);
      await fill(knex, names);
      const before = await snapshot(knex, names);
      for (const t of names) expect(before[t].rows).toBe(ROWS);

      await knex.migrate.latest({ directory, tableName });

      const ran = await knex(tableName).orderBy('name').pluck('name');
      expect(ran).toEqual(current);
      const after = await snapshot(knex, names);
      const counts = (s: typeof before) =>
        Object.fromEntries(names.map(t => [t, s[t].rows]));
      expect(counts(after)).toEqual(counts(before));
      // a later migration may add columns, not lose values: every value stored before is still there
      for (const t of names) {
        const kept = after[t].content.map(json => JSON.parse(json));
        before[t].content.forEach((json, k) =>
          expect(kept[k]).toMatchObject(JSON.parse(json)),
        );
      }
    },
  );
});
