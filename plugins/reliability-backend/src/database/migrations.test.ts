import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath('@internal/plugin-reliability-backend', 'migrations');
const config = { directory: migrationsDir, tableName: 'reliability_knex_migrations' };

describe.each(TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId())('migrations on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('run up, down and up again, and going down keeps late counts in the cumulative values', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(config);
    const T = 3_600_000;
    await knex('reliability_buckets').insert([
      { slo_ref: 'default/a', bucket_end: T, bucket_ms: T, good: 5, total: 10, cum_good: 5, cum_total: 10 },
      { slo_ref: 'default/a', bucket_end: 2 * T, bucket_ms: T, good: 5, total: 10, cum_good: 10, cum_total: 20 },
    ]);
    await knex('reliability_late_counts').insert({ slo_ref: 'default/a', at: T, good: 1, total: 3 });
    // escalations leave their table for the SLO alert table on the way down, and come back on the way up
    await knex('reliability_escalations').insert({ rule_id: 'flush', entity_ref: 'component:default/inventory', state: 'open', open_key: 'flush', opened_at: T, execution_id: 4, attempts: 3, attempt_window: '10m' });
    await knex.migrate.down({ ...config, name: '20261123040000_escalations.js' });
    expect(await knex.schema.hasTable('reliability_escalations')).toBe(false);
    expect(await knex('reliability_alerts').select('slo_ref', 'state', 'open_key')).toEqual([{ slo_ref: 'remediation:flush', state: 'firing', open_key: 'remediation:flush|escalated' }]);
    await knex.migrate.up({ ...config, name: '20261123040000_escalations.js' });
    expect(Number((await knex('reliability_alerts').count({ n: '*' }))[0].n)).toBe(0);
    expect(await knex('reliability_escalations').select('rule_id', 'entity_ref', 'state', 'open_key', 'execution_id', 'attempts')).toEqual([
      { rule_id: 'flush', entity_ref: 'component:default/inventory', state: 'open', open_key: 'flush', execution_id: 4, attempts: 3 },
    ]);
    // the registry forgets its document hashes (the next sync parses every document again)
    expect(await knex.schema.hasColumn('reliability_slos', 'doc_hash')).toBe(true);
    await knex.migrate.down({ ...config, name: '20261123020000_registry_hash.js' });
    expect(await knex.schema.hasColumn('reliability_slos', 'doc_hash')).toBe(false);
    // without the late counts: they move into every later cumulative value
    await knex.migrate.down({ ...config, name: '20261123010000_late_counts.js' });
    expect(await knex.schema.hasTable('reliability_late_counts')).toBe(false);
    expect((await knex('reliability_buckets').orderBy('bucket_end').select('cum_good', 'cum_total')).map(r => [Number(r.cum_good), Number(r.cum_total)])).toEqual([
      [6, 13],
      [11, 23],
    ]);
    // all the way down, then up again
    await knex.migrate.rollback(config, true);
    expect(await knex.schema.hasTable('reliability_buckets')).toBe(false);
    await knex.migrate.latest(config);
    for (const table of ['reliability_slos', 'reliability_buckets', 'reliability_status', 'reliability_alerts', 'reliability_am_alerts', 'reliability_late_counts', 'reliability_escalations', 'reliability_chaos_experiments', 'reliability_chaos_versions']) {
      expect([table, await knex.schema.hasTable(table)]).toEqual([table, true]);
    }
    // the Alertmanager columns take values of any length after the way down and up
    await knex('reliability_am_alerts').insert({
      dedup_key: 'k', fingerprint: 'f', status: 'firing', alertname: 'A'.repeat(400), group_key: 'g'.repeat(3_000), starts_at: 0, labels: '{}', annotations: '{}', received_at: 0,
    });
    expect((await knex('reliability_am_alerts').first('group_key')).group_key).toHaveLength(3_000);
  });

  it('leave the status snapshots without a budget index (and half-filled pages on PostgreSQL), and bring the index back going down', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(config);
    const pg = knex.client.config.client === 'pg';
    const indexes = async (): Promise<string[]> =>
      pg
        ? (await knex.raw("SELECT indexname AS name FROM pg_indexes WHERE tablename = 'reliability_status'")).rows.map((r: { name: string }) => r.name)
        : (await knex.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reliability_status'")).map((r: { name: string }) => r.name);
    // SQLite has no fill factor: its answer stands for PostgreSQL's default
    const fillfactor = async () => (pg ? (await knex.raw("SELECT reloptions FROM pg_class WHERE relname = 'reliability_status'")).rows[0].reloptions : null);
    expect(await indexes()).not.toContain('reliability_status_budget_idx');
    expect(await fillfactor()).toEqual(pg ? ['fillfactor=50'] : null);
    await knex.migrate.down({ ...config, name: '20261126100000_status_hot.js' });
    expect(await indexes()).toContain('reliability_status_budget_idx');
    expect(await fillfactor()).toBeNull();
    await knex.migrate.latest(config);
    expect(await indexes()).not.toContain('reliability_status_budget_idx');
  });
});
