import { TestDatabases } from '@backstage/backend-test-utils';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { AlertStore } from './AlertStore';

jest.setTimeout(60_000);

const MIN = 60_000;
const T0 = Date.parse('2026-11-22T10:00:00Z');
const page = {
  sloRef: 'default/a',
  rule: 'page 14.4x 1h&5m',
  severity: 'page',
  details: { burn: 20 },
};

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('AlertStore on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let alerts: AlertStore;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    await ReliabilityDatabase.create(knex);
    alerts = new AlertStore(knex);
  });

  const states = async () =>
    (await alerts.list({})).map(a => [a.sloRef, a.rule, a.state]);

  it('moves an alert from pending to firing to resolved', async () => {
    expect(
      await alerts.apply(['default/a', 'default/b'], [page], T0, 2 * MIN),
    ).toEqual([]);
    expect(await states()).toEqual([
      ['default/a', 'page 14.4x 1h&5m', 'pending'],
    ]);
    expect(
      await alerts.apply(['default/a', 'default/b'], [page], T0 + MIN, 2 * MIN),
    ).toEqual([]);
    expect(await states()).toEqual([
      ['default/a', 'page 14.4x 1h&5m', 'pending'],
    ]);
    // the evaluation in which it fires reports it once: the trigger for remediation
    const fired = await alerts.apply(
      ['default/a', 'default/b'],
      [page],
      T0 + 2 * MIN,
      2 * MIN,
    );
    expect(fired).toEqual([
      {
        id: expect.any(Number),
        sloRef: 'default/a',
        rule: 'page 14.4x 1h&5m',
        severity: 'page',
        details: { burn: 20 },
      },
    ]);
    expect(
      await alerts.apply(
        ['default/a', 'default/b'],
        [page],
        T0 + 2.5 * MIN,
        2 * MIN,
      ),
    ).toEqual([]);
    const [firing] = await alerts.list({ states: ['firing'] });
    expect(firing).toMatchObject({
      state: 'firing',
      startedAt: new Date(T0).toISOString(),
      firedAt: new Date(T0 + 2 * MIN).toISOString(),
      details: { burn: 20 },
    });
    await alerts.apply(['default/a', 'default/b'], [], T0 + 3 * MIN, 2 * MIN);
    const [resolved] = await alerts.list({});
    expect(resolved).toMatchObject({
      state: 'resolved',
      resolvedAt: new Date(T0 + 3 * MIN).toISOString(),
    });
    // the same condition later opens a new alert
    await alerts.apply(['default/a'], [page], T0 + 10 * MIN, 2 * MIN);
    expect(await states()).toEqual([
      ['default/a', 'page 14.4x 1h&5m', 'pending'],
      ['default/a', 'page 14.4x 1h&5m', 'resolved'],
    ]);
  });

  it('keeps one open alert per SLO and rule, and leaves SLOs that were not evaluated alone', async () => {
    const noData = {
      sloRef: 'default/b',
      rule: 'no_data',
      severity: 'ticket',
      details: { reason: 'x' },
    };
    expect(
      (
        await alerts.apply(['default/a', 'default/b'], [page, noData], T0, 0)
      ).map(f => f.rule),
    ).toEqual(['page 14.4x 1h&5m', 'no_data']);
    await Promise.all([
      alerts.apply(['default/a'], [page], T0 + MIN, 0),
      alerts.apply(['default/a'], [page], T0 + MIN, 0),
    ]);
    // default/b was not in the second evaluation: its alert stays open
    expect(
      (await alerts.list({ states: ['firing'] })).map(a => a.sloRef).sort(),
    ).toEqual(['default/a', 'default/b']);
    expect(await alerts.list({ sloRefs: ['default/b'] })).toHaveLength(1);
  });

  it("lets a condition's own pendingMs (OpenSLO alertAfter) override the evaluation's", async () => {
    const quick = { ...page, rule: 'spike: page 14x 5m', pendingMs: 0 };
    const slow = { ...page, rule: 'slow: page 6x 6h&30m', pendingMs: 10 * MIN };
    const fired = await alerts.apply(['default/a'], [quick, slow], T0, 2 * MIN);
    expect(fired.map(f => f.rule)).toEqual(['spike: page 14x 5m']);
    expect(
      await alerts.apply(['default/a'], [quick, slow], T0 + 5 * MIN, 2 * MIN),
    ).toEqual([]);
    expect(
      (
        await alerts.apply(['default/a'], [quick, slow], T0 + 10 * MIN, 2 * MIN)
      ).map(f => f.rule),
    ).toEqual(['slow: page 6x 6h&30m']);
  });
});
