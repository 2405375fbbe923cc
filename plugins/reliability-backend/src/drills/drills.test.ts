import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { parseDrillCsv } from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';
import { ownersAndServices } from '../__testUtils__/permissions';
import { component } from '../__testUtils__/entities';

jest.setTimeout(60_000);

const OWNER = 'user:default/mei';
const STRANGER = 'user:default/stranger';
const SEED =
  'date,region,duration_min,success,notes\n2025-09-10,ap-sg,18,true,"rds promotion 3m; cache warm 5m"\n';

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('failover drills on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;

  beforeEach(async () => {
    const knex = await databases.init(databaseId);
    const checkout = component('checkout');
    checkout.metadata.annotations = {
      'reliability.io/rto': '5m',
      'reliability.io/rpo': '60s',
    };
    const search = component('search');
    search.metadata.annotations = { 'reliability.io/rto': 'soon' };
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        // a request without an Authorization header comes from CI posting drill logs: a token whose access restrictions grant the drill permission
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.service('external:ci', {
            permissionNames: ['reliability.drills.update'],
          }),
        }),
        catalogServiceMock.factory({ entities: [checkout, search] }),
        mockServices.database.factory({ knex }),
        // owners record drills; services (CI) import logs
        ownersAndServices(OWNER, 'reliability.drills.update'),
      ],
    }));
  });

  const as = (user?: string) => {
    const auth = user ? mockCredentials.user.header(user) : '';
    return {
      get: (p: string) =>
        request(server).get(`/api/reliability${p}`).set('Authorization', auth),
      post: (p: string, body: object) =>
        request(server)
          .post(`/api/reliability${p}`)
          .set('Authorization', auth)
          .send(body),
      csv: (p: string, text: string) =>
        request(server)
          .post(`/api/reliability${p}`)
          .set('Authorization', auth)
          .set('Content-Type', 'text/csv')
          .send(text),
    };
  };
  const log = async (ref = 'component:default/checkout') =>
    (await as(OWNER).get(`/drills?entityRef=${ref}`)).body;

  it("imports the seed's drill log as is (again: updated, not doubled) and warns: no success this quarter, RTO missed", async () => {
    const first = await as().csv(
      '/drills/import?entityRef=component:default/checkout',
      SEED,
    );
    expect([first.status, first.body]).toEqual([200, { added: 1, updated: 0 }]);
    expect(
      (
        await as().csv(
          '/drills/import?entityRef=component:default/checkout',
          SEED,
        )
      ).body,
    ).toEqual({ added: 0, updated: 1 });
    const body = await log();
    expect(body.items).toEqual([
      expect.objectContaining({
        date: '2025-09-10',
        region: 'ap-sg',
        durationMin: 18,
        success: true,
        notes: 'rds promotion 3m; cache warm 5m',
        kind: 'regional-failover',
        measuredRtoSeconds: 1080,
        recordedBy: expect.stringMatching(/^service:/),
      }),
    ]);
    expect(body.targets).toEqual({ rtoSeconds: 300, rpoSeconds: 60 });
    expect(body.warnings.map((w: any) => w.code)).toEqual([
      'stale',
      'rto-missed',
    ]);
    expect(body.warnings[1].message).toBe(
      'The last drill (2025-09-10, ap-sg) took 18 min, over the RTO of 5 min.',
    );
    expect(body.last).toMatchObject({ date: '2025-09-10' });
  });

  it('refuses a broken log naming each line and column, and imports nothing of it', async () => {
    const broken = [
      'date,region,duration_min,success,notes',
      '2026-11-01,ap-sg,4,true,fine',
      '2026-13-01,ap-sg,4,true,wrong date',
      '2026-11-02,Asia Pacific,4,true,unknown region format',
      '2026-11-03,ap-sg,4,maybe,non-boolean success',
    ].join('\n');
    const res = await as(OWNER).csv(
      '/drills/import?entityRef=component:default/checkout',
      broken,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      "Invalid CSV, nothing imported: line 3, date: must be a date such as 2025-09-10, got '2026-13-01'; line 4, region: must be a region such as ap-sg or us-east-1 (lowercase letters and digits, joined by -), got 'Asia Pacific'; line 5, success: must be true or false, got 'maybe'",
    );
    const missing = await as(OWNER).csv(
      '/drills/import?entityRef=component:default/checkout',
      'date,region,duration_min,notes\n2026-11-01,ap-sg,4,x\n',
    );
    expect(missing.body.error.message).toBe(
      'Invalid CSV, nothing imported: line 1: the header must have the column success (it has date,region,duration_min,notes)',
    );
    const future = await as(OWNER).csv(
      '/drills/import?entityRef=component:default/checkout',
      'date,region,duration_min,success,notes\n2099-01-01,ap-sg,4,true,x\n',
    );
    expect(future.body.error.message).toBe(
      "Invalid CSV, nothing imported: line 2, date: must not be in the future, got '2099-01-01'",
    );
    expect((await log()).items).toEqual([]);
    expect((await log()).warnings.map((w: any) => w.code)).toEqual(['none']);
    // JSON instead of CSV, an empty file, a missing entity ref
    expect(
      (
        await as(OWNER).post(
          '/drills/import?entityRef=component:default/checkout',
          { csv: SEED },
        )
      ).body.error.message,
    ).toBe(
      'Invalid body: send the drill log as CSV with Content-Type: text/csv',
    );
    expect(
      (
        await as(OWNER).csv(
          '/drills/import?entityRef=component:default/checkout',
          'date,region,duration_min,success,notes\n',
        )
      ).body.error.message,
    ).toBe('Invalid CSV, nothing imported: no drills after the header');
    expect(
      (await as(OWNER).csv('/drills/import', SEED)).body.error.message,
    ).toMatch(
      /^Invalid query: entityRef: is required|^Invalid query: entityRef/,
    );
    // not an owner; an unknown entity
    expect(
      (
        await as(STRANGER).csv(
          '/drills/import?entityRef=component:default/checkout',
          SEED,
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await as(OWNER).csv(
          '/drills/import?entityRef=component:default/nope',
          SEED,
        )
      ).status,
    ).toBe(404);
  });

  it('records one drill from the form, refuses a duplicate and bad fields, and pages the log', async () => {
    const drill = {
      date: '2026-11-10',
      region: 'ap-sg',
      toRegion: 'ap-jp',
      durationMin: 4,
      success: true,
      rtoSeconds: 250,
      rpoSeconds: 40,
      replicationLagSeconds: 12,
      steps: ['block egress in ap-sg', 'promote ap-jp'],
      notes: 'SRE-101',
      evidence: ['https://grafana.example/d/sre-101'],
    };
    const created = await as(OWNER).post('/drills', {
      entityRef: 'component:default/checkout',
      drill,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      ...drill,
      measuredRtoSeconds: 250,
      recordedBy: OWNER,
    });
    expect(
      (
        await as(OWNER).post('/drills', {
          entityRef: 'component:default/checkout',
          drill,
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await as(STRANGER).post('/drills', {
          entityRef: 'component:default/checkout',
          drill: { ...drill, date: '2026-11-11' },
        })
      ).status,
    ).toBe(403);
    const bad = await as(OWNER).post('/drills', {
      entityRef: 'component:default/checkout',
      drill: { ...drill, date: '10/11/2026', success: 'yes', region: 'AP' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'Invalid drill: date: must be a date such as 2025-09-10; region: must be a region such as ap-sg or us-east-1 (lowercase letters and digits, joined by -); success: must be true or false',
    );
    expect(
      (
        await as(OWNER).post('/drills', {
          entityRef: 'component:default/checkout',
          drill: { ...drill, date: '2099-01-01' },
        })
      ).body.error.message,
    ).toBe('Invalid drill: date: must not be in the future');
    // a recent successful drill within its targets: no warning
    expect((await log()).warnings).toEqual([]);
    // older ones, then the page
    await as().csv(
      '/drills/import?entityRef=component:default/checkout',
      `${SEED}2026-06-10,ap-sg,4,true,q2\n2026-03-11,ap-sg,6,false,"q1, failed"\n`,
    );
    const first = await as(OWNER).get(
      '/drills?entityRef=component:default/checkout&limit=2',
    );
    expect(first.body.items.map((d: any) => d.date)).toEqual([
      '2026-11-10',
      '2026-06-10',
    ]);
    const second = await as(OWNER).get(
      `/drills?entityRef=component:default/checkout&limit=2&cursor=${encodeURIComponent(
        first.body.nextCursor,
      )}`,
    );
    expect([
      second.body.items.map((d: any) => d.date),
      second.body.nextCursor,
    ]).toEqual([['2026-03-11', '2025-09-10'], undefined]);
  });

  it('exports the log as CSV that imports back the same, notes with commas and quotes included', async () => {
    const notes = 'promoted, then "warmed" the cache, in 3m';
    await as(OWNER).post('/drills', {
      entityRef: 'component:default/checkout',
      drill: {
        date: '2026-10-01',
        region: 'ap-sg',
        toRegion: 'ap-jp',
        durationMin: 5,
        success: true,
        notes,
        steps: ['a', 'b'],
      },
    });
    await as().csv('/drills/import?entityRef=component:default/checkout', SEED);
    const res = await as(OWNER).get(
      '/drills/export?entityRef=component:default/checkout',
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="component-default-checkout-drills.csv"',
    );
    const back = parseDrillCsv(res.text);
    expect(
      back.ok && back.drills.map(d => [d.notes, d.toRegion, d.steps]),
    ).toEqual([
      [notes, 'ap-jp', ['a', 'b']],
      ['rds promotion 3m; cache warm 5m', undefined, []],
    ]);
    // imported into another entity, the same log
    expect(
      (
        await as().csv(
          '/drills/import?entityRef=component:default/search',
          res.text,
        )
      ).body,
    ).toEqual({ added: 2, updated: 0 });
    const search = await log('component:default/search');
    expect(search.items.map((d: any) => d.notes)).toEqual([
      notes,
      'rds promotion 3m; cache warm 5m',
    ]);
    // a bad RTO annotation is reported, not guessed
    expect([search.targets, search.targetProblems]).toEqual([
      { rtoSeconds: null, rpoSeconds: null },
      [
        "reliability.io/rto: must be a duration such as 60s, 5m or 4h, got 'soon'",
      ],
    ]);
  });
});
