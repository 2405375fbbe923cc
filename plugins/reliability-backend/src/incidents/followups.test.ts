import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Entity } from '@backstage/catalog-model';
import { Knex } from 'knex';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { IncidentStore } from './IncidentStore';
import { IncidentFollowUps } from './IncidentFollowUps';

jest.setTimeout(90_000);

const OWNER = 'user:default/owner';
const MIN = 60_000;
const T0 = Date.parse('2026-12-05T10:00:00.000Z');

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'incident status-update cadence and links on %p',
  databaseId => {
    let knex: Knex;
    let store: IncidentStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      await ReliabilityDatabase.create(knex);
      store = new IncidentStore(knex);
    });

    const declare = (updateCadenceMinutes?: number) =>
      store.declare({
        entityRef: 'component:default/checkout',
        title: 'Checkout errors',
        severity: 'SEV2',
        roles: { commander: OWNER, comms: 'user:default/comms' },
        updateCadenceMinutes,
        author: OWNER,
        now: T0,
      });

    it('is due one cadence after the last status update, which a status change moves', async () => {
      const byDefault = await declare();
      expect(byDefault.updateCadenceMinutes).toBe(30);
      expect(byDefault.lastUpdateAt).toBe('2026-12-05T10:00:00.000Z');
      // 10:00 + 30 min
      expect(byDefault.nextUpdateDueAt).toBe('2026-12-05T10:30:00.000Z');

      const i = await declare(15);
      expect(i.nextUpdateDueAt).toBe('2026-12-05T10:15:00.000Z');
      // an update at 10:20 (5 min late) -> next due 10:35
      const updated = await store.updateStatus(
        i.id,
        OWNER,
        'identified',
        'Bad deploy found',
        T0 + 20 * MIN,
      );
      expect(updated.lastUpdateAt).toBe('2026-12-05T10:20:00.000Z');
      expect(updated.nextUpdateDueAt).toBe('2026-12-05T10:35:00.000Z');
      // a plain timeline note is not a status update
      const noted = await store.appendTimeline(
        i.id,
        OWNER,
        'looking at logs',
        T0 + 25 * MIN,
      );
      expect(noted.nextUpdateDueAt).toBe('2026-12-05T10:35:00.000Z');
      // cadence 60 from the 10:20 update -> 11:20
      const slower = await store.setCadence(i.id, OWNER, 60, T0 + 26 * MIN);
      expect(slower.updateCadenceMinutes).toBe(60);
      expect(slower.nextUpdateDueAt).toBe('2026-12-05T11:20:00.000Z');
      // resolved: nothing more is due
      const resolved = await store.updateStatus(
        i.id,
        OWNER,
        'resolved',
        'Rolled back',
        T0 + 30 * MIN,
      );
      expect(resolved.nextUpdateDueAt).toBeNull();
    });

    it('holds at most 50 links, once per URL, removed by position', async () => {
      const i = await declare();
      expect(i.links).toEqual([]);
      for (let n = 1; n <= 50; n++)
        await store.addLink(i.id, {
          kind: n % 2 ? 'dashboard' : 'logs',
          title: `link ${n}`,
          url: `https://grafana.example/d/${n}`,
        });
      // the same URL again is not a 51st link
      const again = await store.addLink(i.id, {
        kind: 'dashboard',
        title: 'dup',
        url: 'https://grafana.example/d/1',
      });
      expect(again.links).toHaveLength(50);
      await expect(
        store.addLink(i.id, {
          kind: 'pull-request',
          title: 'fix',
          url: 'https://git.example/pr/1',
        }),
      ).rejects.toThrow(/links: an incident holds at most 50 links/);
      const after = await store.removeLink(i.id, 1);
      expect(after.links).toHaveLength(49);
      expect(after.links![0].title).toBe('link 1');
      expect(after.links![1].title).toBe('link 3');
      await expect(store.removeLink(i.id, 49)).rejects.toThrow(/no link 49/);
    });
  },
);

const component = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { owner: 'group:default/payments-sre' },
  relations: [{ type: 'ownedBy', targetRef: 'group:default/payments-sre' }],
});

describe('incident links and cadence over HTTP', () => {
  it('validates links and cadence with 400s naming the field, adds and removes links', async () => {
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        catalogServiceMock.factory({ entities: [component('checkout')] }),
        mockServices.database.factory({
          knex: await databases.init('SQLITE_3'),
        }),
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              evaluation: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 24 },
                },
              },
            },
          },
        }),
      ],
    });
    const as = { Authorization: mockCredentials.user.header(OWNER) };
    const badCadence = await request(server)
      .post('/api/reliability/incidents')
      .set(as)
      .send({
        entityRef: 'component:default/checkout',
        title: 'Checkout errors',
        severity: 'SEV2',
        updateCadenceMinutes: 3,
      });
    expect(badCadence.status).toBe(400);
    expect(badCadence.body.error.message).toMatch(
      /updateCadenceMinutes: must be at least 5 minutes/,
    );
    const declared = await request(server)
      .post('/api/reliability/incidents')
      .set(as)
      .send({
        entityRef: 'component:default/checkout',
        title: 'Checkout errors',
        severity: 'SEV2',
        updateCadenceMinutes: 10,
      });
    expect(declared.status).toBe(201);
    expect(declared.body.updateCadenceMinutes).toBe(10);
    const id = declared.body.id;

    const patch = (body: object) =>
      request(server)
        .patch(`/api/reliability/incidents/${id}`)
        .set(as)
        .send(body);
    expect(
      (await patch({ updateCadenceMinutes: 121 })).body.error.message,
    ).toMatch(/updateCadenceMinutes: must be at most 120 minutes/);
    const patched = await patch({ updateCadenceMinutes: 45 });
    expect(patched.status).toBe(200);
    expect(patched.body.updateCadenceMinutes).toBe(45);

    const link = (body: object) =>
      request(server)
        .post(`/api/reliability/incidents/${id}/links`)
        .set(as)
        .send(body);
    const ftp = await link({
      kind: 'logs',
      title: 'Logs',
      url: 'ftp://logs.example/x',
    });
    expect(ftp.status).toBe(400);
    expect(ftp.body.error.message).toMatch(/url: must be an http\(s\) URL/);
    const js = await link({
      kind: 'logs',
      title: 'x',
      // eslint-disable-next-line no-script-url -- a hostile link the API must refuse
      url: 'javascript:alert(1)',
    });
    expect(js.status).toBe(400);
    const kind = await link({
      kind: 'runbook',
      title: 'x',
      url: 'https://a.example',
    });
    expect(kind.status).toBe(400);
    expect(kind.body.error.message).toMatch(
      /kind: must be one of dashboard, logs, pull-request, other/,
    );
    const ok = await link({
      kind: 'pull-request',
      title: 'Revert #42',
      url: 'https://git.example/shop/pull/43',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.links).toEqual([
      {
        kind: 'pull-request',
        title: 'Revert #42',
        url: 'https://git.example/shop/pull/43',
      },
    ]);
    const zero = await request(server)
      .delete(`/api/reliability/incidents/${id}/links/0`)
      .set(as);
    expect(zero.status).toBe(400);
    expect(zero.body.error.message).toMatch(
      /position: must be a positive integer/,
    );
    const removed = await request(server)
      .delete(`/api/reliability/incidents/${id}/links/1`)
      .set(as);
    expect(removed.status).toBe(200);
    expect(removed.body.links).toEqual([]);
    const anonymous = await request(server)
      .post(`/api/reliability/incidents/${id}/links`)
      .set('Authorization', mockCredentials.none.header())
      .send({ kind: 'logs', title: 'x', url: 'https://a.example' });
    expect(anonymous.status).toBe(401);
  });
});

describe.each(databases.eachSupportedId())(
  'overdue status updates on %p',
  databaseId => {
    it('marks the incident overdue and tells its Comms holder once per overdue period', async () => {
      const knex = await databases.init(databaseId);
      await ReliabilityDatabase.create(knex);
      const store = new IncidentStore(knex);
      let now = T0;
      const told: { recipient: string; id: number; overdueMs: number }[] = [];
      const followUps = new IncidentFollowUps({
        store,
        notices: {
          actionItemOverdue: async () => {},
          statusUpdateOverdue: async a => {
            told.push({
              recipient: a.recipient,
              id: a.incident.id,
              overdueMs: a.overdueMs,
            });
          },
        },
        logger: mockServices.logger.mock(),
        now: () => now,
      });
      // declared 10:00, cadence 10 min -> due 10:10
      const i = await store.declare({
        entityRef: 'component:default/checkout',
        title: 'Checkout errors',
        severity: 'SEV2',
        roles: { commander: OWNER, comms: 'user:default/comms' },
        updateCadenceMinutes: 10,
        author: OWNER,
        now: T0,
      });
      now = T0 + 9 * MIN; // 10:09: not yet due
      expect(await followUps.checkStatusUpdates()).toBe(0);
      expect((await store.get(i.id))!.updateOverdue).toBe(false);

      now = T0 + 14 * MIN; // 10:14: overdue by 4 min
      expect(await followUps.checkStatusUpdates()).toBe(1);
      expect(told).toEqual([
        { recipient: 'user:default/comms', id: i.id, overdueMs: 4 * MIN },
      ]);
      expect((await store.get(i.id))!.updateOverdue).toBe(true);
      now = T0 + 19 * MIN; // same period (10:10-10:20): no second notice
      expect(await followUps.checkStatusUpdates()).toBe(0);

      now = T0 + 21 * MIN; // 10:21: the next period (due 10:20) began
      expect(await followUps.checkStatusUpdates()).toBe(1);
      expect(told[1].overdueMs).toBe(11 * MIN);

      // an update at 10:22 clears the mark; due 10:32
      const updated = await store.updateStatus(
        i.id,
        OWNER,
        'identified',
        'found it',
        T0 + 22 * MIN,
      );
      expect(updated.updateOverdue).toBe(false);
      expect(updated.nextUpdateDueAt).toBe('2026-12-05T10:32:00.000Z');
      now = T0 + 31 * MIN;
      expect(await followUps.checkStatusUpdates()).toBe(0);
      now = T0 + 33 * MIN;
      expect(await followUps.checkStatusUpdates()).toBe(1);
      expect(told).toHaveLength(3);
      // resolved incidents are never due
      await store.updateStatus(i.id, OWNER, 'resolved', 'ok', T0 + 34 * MIN);
      now = T0 + 120 * MIN;
      expect(await followUps.checkStatusUpdates()).toBe(0);
    });
  },
);
