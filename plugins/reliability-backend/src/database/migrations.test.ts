import { TestDatabases } from '@backstage/backend-test-utils';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { shardHash } from '@reliability-suite/plugin-reliability-common';

jest.setTimeout(60_000);

const migrationsDir = resolvePackagePath(
  '@reliability-suite/plugin-reliability-backend',
  'migrations',
);
const config = {
  directory: migrationsDir,
  tableName: 'reliability_knex_migrations',
};

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('migrations on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('run up, down and up again, and going down keeps late counts in the cumulative values', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(config);
    const T = 3_600_000;
    await knex('reliability_buckets').insert([
      {
        slo_ref: 'default/a',
        bucket_end: T,
        bucket_ms: T,
        good: 5,
        total: 10,
        cum_good: 5,
        cum_total: 10,
      },
      {
        slo_ref: 'default/a',
        bucket_end: 2 * T,
        bucket_ms: T,
        good: 5,
        total: 10,
        cum_good: 10,
        cum_total: 20,
      },
    ]);
    await knex('reliability_late_counts').insert({
      slo_ref: 'default/a',
      at: T,
      good: 1,
      total: 3,
    });
    // escalations leave their table for the SLO alert table on the way down, and come back on the way up
    await knex('reliability_escalations').insert({
      rule_id: 'flush',
      entity_ref: 'component:default/inventory',
      state: 'open',
      open_key: 'flush',
      opened_at: T,
      execution_id: 4,
      attempts: 3,
      attempt_window: '10m',
    });
    await knex.migrate.down({
      ...config,
      name: '20261123040000_escalations.js',
    });
    expect(await knex.schema.hasTable('reliability_escalations')).toBe(false);
    expect(
      await knex('reliability_alerts').select('slo_ref', 'state', 'open_key'),
    ).toEqual([
      {
        slo_ref: 'remediation:flush',
        state: 'firing',
        open_key: 'remediation:flush|escalated',
      },
    ]);
    await knex.migrate.up({ ...config, name: '20261123040000_escalations.js' });
    expect(
      Number((await knex('reliability_alerts').count({ n: '*' }))[0].n),
    ).toBe(0);
    expect(
      await knex('reliability_escalations').select(
        'rule_id',
        'entity_ref',
        'state',
        'open_key',
        'execution_id',
        'attempts',
      ),
    ).toEqual([
      {
        rule_id: 'flush',
        entity_ref: 'component:default/inventory',
        state: 'open',
        open_key: 'flush',
        execution_id: 4,
        attempts: 3,
      },
    ]);
    // the registry forgets its document hashes (the next sync parses every document again)
    expect(await knex.schema.hasColumn('reliability_slos', 'doc_hash')).toBe(
      true,
    );
    await knex.migrate.down({
      ...config,
      name: '20261123020000_registry_hash.js',
    });
    expect(await knex.schema.hasColumn('reliability_slos', 'doc_hash')).toBe(
      false,
    );
    // without the late counts: they move into every later cumulative value
    await knex.migrate.down({
      ...config,
      name: '20261123010000_late_counts.js',
    });
    expect(await knex.schema.hasTable('reliability_late_counts')).toBe(false);
    expect(
      (
        await knex('reliability_buckets')
          .orderBy('bucket_end')
          .select('cum_good', 'cum_total')
      ).map(r => [Number(r.cum_good), Number(r.cum_total)]),
    ).toEqual([
      [6, 13],
      [11, 23],
    ]);
    // all the way down, then up again
    await knex.migrate.rollback(config, true);
    expect(await knex.schema.hasTable('reliability_buckets')).toBe(false);
    await knex.migrate.latest(config);
    for (const table of [
      'reliability_slos',
      'reliability_buckets',
      'reliability_status',
      'reliability_alerts',
      'reliability_am_alerts',
      'reliability_late_counts',
      'reliability_escalations',
      'reliability_chaos_experiments',
      'reliability_chaos_versions',
    ]) {
      expect([table, await knex.schema.hasTable(table)]).toEqual([table, true]);
    }
    // the Alertmanager columns take values of any length after the way down and up
    await knex('reliability_am_alerts').insert({
      dedup_key: 'k',
      fingerprint: 'f',
      status: 'firing',
      alertname: 'A'.repeat(400),
      group_key: 'g'.repeat(3_000),
      starts_at: 0,
      labels: '{}',
      annotations: '{}',
      received_at: 0,
    });
    expect(
      (await knex('reliability_am_alerts').first('group_key')).group_key,
    ).toHaveLength(3_000);
  });

  it('leave the status snapshots without a budget index (and half-filled pages on PostgreSQL), and bring the index back going down', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(config);
    const pg = knex.client.config.client === 'pg';
    const indexes = async (): Promise<string[]> =>
      pg
        ? (
            await knex.raw(
              "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'reliability_status'",
            )
          ).rows.map((r: { name: string }) => r.name)
        : (
            await knex.raw(
              "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reliability_status'",
            )
          ).map((r: { name: string }) => r.name);
    // SQLite has no fill factor: its answer stands for PostgreSQL's default
    const fillfactor = async () =>
      pg
        ? (
            await knex.raw(
              "SELECT reloptions FROM pg_class WHERE relname = 'reliability_status'",
            )
          ).rows[0].reloptions
        : null;
    expect(await indexes()).not.toContain('reliability_status_budget_idx');
    expect(await fillfactor()).toEqual(pg ? ['fillfactor=50'] : null);
    await knex.migrate.down({
      ...config,
      name: '20261126100000_status_hot.js',
    });
    expect(await indexes()).toContain('reliability_status_budget_idx');
    expect(await fillfactor()).toBeNull();
    await knex.migrate.latest(config);
    expect(await indexes()).not.toContain('reliability_status_budget_idx');
  });

  it('strip URL userinfo from the targets, details and errors executions stored, in batches, and keep the rest of the text', async () => {
    const knex = await databases.init(databaseId);
    // every migration before this one, then rows as the Kubernetes action used to write them
    const name = '20261204100000_redact_targets.js';
    for (;;) {
      const [, pending] = await knex.migrate.list(config);
      expect(pending.length).toBeGreaterThan(0);
      if (pending[0].file === name) break;
      await knex.migrate.up(config);
    }
    const kube = 'http://kube-user-1:kube-pass-1@10.0.0.1:6443';
    const target = `${kube} rollout restart Deployment shop/checkout`;
    const execution = (id: number, over: Record<string, unknown> = {}) => ({
      id,
      dedup_key: `k${id}`,
      rule_id: 'kube',
      entity_ref: 'component:default/checkout',
      action: 'kubernetes',
      target,
      trigger_kind: 'manual',
      trigger_id: `t${id}`,
      trigger_labels: '{"owner":"sre@example.com"}',
      trigger_annotations: '{}',
      lock_key: 'kubernetes:kube',
      state: 'failed',
      created_at: id,
      detail: `Not called: the circuit breaker for ${target} is open after repeated failures; earlier: attempt 1: ${kube}/apis refused`,
      ...over,
    });
    const kept = {
      target: 'POST http://127.0.0.1:1/hook',
      detail:
        'Dry run, nothing called. Would call POST http://127.0.0.1:1/hook with body {"url":"http://prom/graph?g0.expr=up","by":"sre@example.com"}',
    };
    // more rows than one batch holds, some of them clean already
    const rows = Array.from({ length: 1_234 }, (_, i) =>
      execution(i + 1, i % 100 === 7 ? kept : {}),
    );
    rows.push(
      execution(2_001, {
        target: '(https://u:p(a)r@h/path)',
        detail:
          'at https://u:p@h:99999/x now,ftp://ftp-user@files/x and ://who:pass@h/ end\ttab',
      }),
      execution(2_002, {
        target: 'a=http://x/y,b=http://inner-user:inner-pass@z/w',
        detail: null,
      }),
    );
    await knex.batchInsert('reliability_remediations', rows, 40);
    await knex('reliability_remediation_attempts').insert([
      {
        execution_id: 1,
        rule_id: 'kube',
        n: 1,
        outcome: 'failed',
        started_at: 1,
        error: `${kube}/apis/apps/v1 refused (ECONNREFUSED)`,
      },
      {
        execution_id: 8,
        rule_id: 'kube',
        n: 1,
        outcome: 'failed',
        started_at: 1,
        error: 'mail sre@example.com: http://h/x?q=1 timed out',
      },
    ]);

    await knex.migrate.up({ ...config, name });

    const after = await knex('reliability_remediations')
      .orderBy('id')
      .select('id', 'target', 'detail', 'trigger_labels');
    expect(after).toHaveLength(1_236);
    const secrets = [
      'kube-user-1',
      'kube-pass-1',
      'inner-user',
      'inner-pass',
      'ftp-user',
      'who:pass',
      'p(a)r',
    ];
    expect(
      after
        .filter(r => secrets.some(secret => JSON.stringify(r).includes(secret)))
        .map(r => Number(r.id)),
    ).toEqual([]);
    const byId = new Map(after.map(r => [Number(r.id), r]));
    expect(byId.get(1)).toEqual({
      id: byId.get(1).id,
      target: 'http://10.0.0.1:6443 rollout restart Deployment shop/checkout',
      detail:
        'Not called: the circuit breaker for http://10.0.0.1:6443 rollout restart Deployment shop/checkout is open after repeated failures; earlier: attempt 1: http://10.0.0.1:6443/apis refused',
      trigger_labels: '{"owner":"sre@example.com"}',
    });
    expect(byId.get(1_234)!.target).toBe(
      'http://10.0.0.1:6443 rollout restart Deployment shop/checkout',
    );
    expect(byId.get(8)).toMatchObject(kept);
    expect(byId.get(2_001)).toMatchObject({
      target: '(https://h/path)',
      detail: 'at https://h:99999/x now,ftp://files/x and ://h/ end\ttab',
    });
    expect(byId.get(2_002)).toMatchObject({
      target: 'a=http://x/y,b=http://z/w',
      detail: null,
    });
    expect(
      (
        await knex('reliability_remediation_attempts')
          .orderBy('execution_id')
          .select('error')
      ).map(r => r.error),
    ).toEqual([
      'http://10.0.0.1:6443/apis/apps/v1 refused (ECONNREFUSED)',
      'mail sre@example.com: http://h/x?q=1 timed out',
    ]);
    // down and up again: nothing to undo, nothing left to clean
    await knex.migrate.down({ ...config, name });
    await knex.migrate.up({ ...config, name });
    expect(
      await knex('reliability_remediations')
        .orderBy('id')
        .select('id', 'target', 'detail', 'trigger_labels'),
    ).toEqual(after);
  });
  it('mark chaos runs that ended before expectations as checked, leave open runs to check, and go down and up again', async () => {
    const knex = await databases.init(databaseId);
    const name = '20261206030000_chaos_expectations.js';
    for (;;) {
      const [, pending] = await knex.migrate.list(config);
      expect(pending.length).toBeGreaterThan(0);
      if (pending[0].file === name) break;
      await knex.migrate.up(config);
    }
    await knex('reliability_chaos_experiments').insert({
      id: 1,
      entity_ref: 'component:default/checkout',
      name: 'brownout',
      state: 'running',
      spec: '{}',
      version: 1,
      author: 'user:default/mei',
      created_at: 1,
      updated_at: 1,
    });
    const run = (id: number, state: string, finished: number | null) => ({
      id,
      experiment_id: 1,
      trigger: 'manual',
      state,
      started_at: 10,
      finished_at: finished,
      created_at: 10,
    });
    await knex('reliability_chaos_runs').insert([
      run(1, 'completed', 100),
      run(2, 'aborted', 200),
      run(3, 'refused', null),
      run(4, 'running', null),
    ]);
    await knex.migrate.up({ ...config, name });
    const rows = async () =>
      (
        await knex('reliability_chaos_runs')
          .orderBy('id')
          .select(
            'id',
            'evaluated_at',
            'expectations',
            'follow_up',
            'incident_id',
          )
      ).map(r => [
        Number(r.id),
        r.evaluated_at === null ? null : Number(r.evaluated_at),
        r.expectations,
        r.follow_up,
        r.incident_id,
      ]);
    expect(await rows()).toEqual([
      [1, 100, null, '[]', null],
      [2, 200, null, '[]', null],
      [3, 10, null, '[]', null],
      [4, null, null, '[]', null],
    ]);
    await knex.migrate.down({ ...config, name });
    expect(
      await knex.schema.hasColumn('reliability_chaos_runs', 'evaluated_at'),
    ).toBe(false);
    expect(
      Number((await knex('reliability_chaos_runs').count({ n: '*' }))[0].n),
    ).toBe(4);
    await knex.migrate.up({ ...config, name });
    expect((await rows())[3]).toEqual([4, null, null, '[]', null]);
  });
  it('create the stored SLO history and the replays, keep one point per SLO and instant, and go down and up again', async () => {
    const knex = await databases.init(databaseId);
    const name = '20261206100000_slo_history.js';
    for (;;) {
      const [, pending] = await knex.migrate.list(config);
      expect(pending.length).toBeGreaterThan(0);
      if (pending[0].file === name) break;
      await knex.migrate.up(config);
    }
    await knex.migrate.up({ ...config, name });
    const point = (t: number, replayed: boolean) => ({
      slo_ref: 'default/a',
      t,
      budget_remaining: 0.123456789012345,
      burn_rate: null,
      sli: 0.5,
      replayed,
      def_hash: replayed ? 'h' : null,
    });
    await knex('reliability_slo_history').insert([
      point(60_000, true),
      point(120_000, false),
    ]);
    // one point per SLO and instant
    expect(
      await knex('reliability_slo_history')
        .insert(point(60_000, false))
        .then(
          () => 'inserted',
          () => 'refused',
        ),
    ).toBe('refused');
    const rows = await knex('reliability_slo_history')
      .orderBy('t')
      .select('t', 'budget_remaining', 'replayed');
    expect(
      rows.map(r => [Number(r.t), Number(r.budget_remaining), !!r.replayed]),
    ).toEqual([
      [60_000, 0.123456789012345, true],
      [120_000, 0.123456789012345, false],
    ]);
    await knex('reliability_slo_replays').insert({
      slo_ref: 'default/a',
      def_hash: 'h',
      state: 'pending',
      from_t: 0,
      to_t: 86_400_000,
      step_ms: 300_000,
      updated_at: 1,
    });
    expect(
      await knex('reliability_slo_replays').first(
        'points',
        'attempts',
        'next_at',
        'cursor',
      ),
    ).toMatchObject({ points: 0, attempts: 0, cursor: null });
    await knex.migrate.down({ ...config, name });
    expect(await knex.schema.hasTable('reliability_slo_history')).toBe(false);
    expect(await knex.schema.hasTable('reliability_slo_replays')).toBe(false);
    await knex.migrate.up({ ...config, name });
    expect(await knex.schema.hasTable('reliability_slo_history')).toBe(true);
  });
  it("create the evaluation shards' leases, replicas and history, and drop them going down", async () => {
    const knex = await databases.init(databaseId);
    const name = '20261206110000_evaluation_shards.js';
    await knex.migrate.latest(config);
    await knex('reliability_shard_leases').insert({ shard: 0 });
    expect(
      await knex('reliability_shard_leases').select(
        'shard',
        'holder',
        'expires_at',
        'evaluated_period',
      ),
    ).toEqual([expect.objectContaining({ shard: 0, holder: null })]);
    const row = (await knex('reliability_shard_leases').first())!;
    expect([Number(row.expires_at), Number(row.evaluated_period)]).toEqual([
      0, -1,
    ]);
    await knex('reliability_shard_replicas').insert({
      replica: 'r1',
      expires_at: 1,
    });
    await knex('reliability_shard_events').insert({
      shard: 0,
      kind: 'claimed',
      replica: 'r1',
      at: 1,
    });
    for (;;) {
      const [done] = await knex.migrate.list(config);
      const last = done[done.length - 1];
      if ((last?.name ?? last?.file ?? last) === name) break;
      await knex.migrate.down(config);
    }
    await knex.migrate.down(config);
    for (const table of [
      'reliability_shard_leases',
      'reliability_shard_replicas',
      'reliability_shard_events',
    ])
      expect(await knex.schema.hasTable(table)).toBe(false);
    await knex.migrate.latest(config);
    expect(await knex.schema.hasTable('reliability_shard_leases')).toBe(true);
  });
  it("fill each registered SLO's shard hash as -common computes it, over several batches, and drop it going down", async () => {
    const knex = await databases.init(databaseId);
    const name = '20261207100000_slo_shard_hash.js';
    await knex.migrate.latest(config);
    for (;;) {
      const [done] = await knex.migrate.list(config);
      const last = done[done.length - 1];
      await knex.migrate.down(config);
      if ((last?.name ?? last?.file ?? last) === name) break;
    }
    expect(await knex.schema.hasColumn('reliability_slos', 'shard_hash')).toBe(
      false,
    );
    // more than a batch of 500, refs of any text
    const refs = [
      ...Array.from({ length: 1203 }, (_, i) => `default/slo-${i}`),
      'default/ünï ✓',
      "default/q'uote",
    ];
    for (let i = 0; i < refs.length; i += 100)
      await knex('reliability_slos').insert(
        refs.slice(i, i + 100).map(ref => ({
          ref,
          entity_ref: `slo:${ref}`,
          component_ref: 'component:default/checkout',
          definition: '{}',
          updated_at: 1,
        })),
      );
    await knex.migrate.latest(config);
    const rows = await knex('reliability_slos').select('ref', 'shard_hash');
    expect(rows).toHaveLength(refs.length);
    const wrong = rows.filter(r => Number(r.shard_hash) !== shardHash(r.ref));
    expect(wrong).toEqual([]);
    await knex.migrate.down(config);
    expect(await knex.schema.hasColumn('reliability_slos', 'shard_hash')).toBe(
      false,
    );
    expect(await knex('reliability_slos').count({ n: '*' })).toEqual([
      {
        n:
          knex.client.config.client === 'pg'
            ? String(refs.length)
            : refs.length,
      },
    ]);
  });
});
