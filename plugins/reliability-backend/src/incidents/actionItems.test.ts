import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Entity } from '@backstage/catalog-model';
import { Knex } from 'knex';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { IncidentStore } from './IncidentStore';
import { IncidentFollowUps } from './IncidentFollowUps';

jest.setTimeout(90_000);

const OWNER = 'user:default/owner';
const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-12-05T10:00:00.000Z');

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

const component = (name: string, owner: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { owner, type: 'service', lifecycle: 'production' },
});

const config = mockServices.rootConfig.factory({
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
});

async function closedWithItems(
  store: IncidentStore,
  actionItems: { title: string; owner: string; due: string }[],
  at = T0,
) {
  const i = await store.declare({
    entityRef: 'component:default/checkout',
    title: 'Checkout errors',
    severity: 'SEV2',
    roles: { commander: OWNER },
    author: OWNER,
    now: at,
  });
  return store.close(
    i.id,
    OWNER,
    { impact: '3% failed', rootCauses: ['PSP brownout'], actionItems },
    at + 60 * MIN,
  );
}

describe.each(databases.eachSupportedId())(
  'action items followed after close on %p',
  databaseId => {
    let knex: Knex;
    let store: IncidentStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      await ReliabilityDatabase.create(knex);
      store = new IncidentStore(knex);
    });

    it("tells each overdue, open item's owner once, from the day after its due date", async () => {
      let now = T0;
      const told: { recipient: string; position: number; title: string }[] = [];
      const followUps = new IncidentFollowUps({
        store,
        notices: {
          statusUpdateOverdue: async () => {},
          actionItemOverdue: async a => {
            told.push({
              recipient: a.recipient,
              position: a.position,
              title: a.item.title,
            });
            expect(a.overdueMs).toBe(
              now - Date.parse(`${a.item.due}T00:00:00Z`) - DAY,
            );
          },
        },
        logger: mockServices.logger.mock(),
        now: () => now,
      });
      const i = await closedWithItems(store, [
        { title: 'Add jitter', owner: 'jane', due: '2026-12-07' },
        {
          title: 'Alert on PSP 5xx',
          owner: 'group:default/payments-sre',
          due: '2026-12-07',
        },
        { title: 'Write the runbook', owner: 'Jane Doe', due: '2026-12-10' },
        { title: 'Load test', owner: 'user:default/bob', due: '2026-12-07' },
      ]);
      expect(i.actionItems.map(a => a.doneAt)).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      // bob's item is done before it falls due: never told
      const done = await store.setActionItemDone(
        i.id,
        3,
        true,
        'user:default/bob',
        T0 + DAY,
      );
      expect(done.actionItems[3]).toMatchObject({
        doneAt: new Date(T0 + DAY).toISOString(),
        doneBy: 'user:default/bob',
      });
      expect(done.events.at(-1)!.text).toBe('Action item 4 done: Load test');

      now = Date.parse('2026-12-07T23:59:00Z'); // the due day itself: not overdue yet
      expect(await followUps.checkActionItems()).toBe(0);
      now = Date.parse('2026-12-08T00:05:00Z');
      expect(await followUps.checkActionItems()).toBe(2);
      expect(told).toEqual([
        { recipient: 'user:default/jane', position: 1, title: 'Add jitter' },
        {
          recipient: 'group:default/payments-sre',
          position: 2,
          title: 'Alert on PSP 5xx',
        },
      ]);
      const after = (await store.get(i.id))!;
      expect(after.actionItems[0].notifiedAt).toBe('2026-12-08T00:05:00.000Z');
      expect(after.actionItems[2].notifiedAt).toBeUndefined();
      // once: the next runs tell nobody again
      now += 10 * MIN;
      expect(await followUps.checkActionItems()).toBe(0);
      // opened again and done again: still told only once
      await store.setActionItemDone(i.id, 0, true, OWNER, now);
      await store.setActionItemDone(i.id, 0, false, OWNER, now);
      now = Date.parse('2026-12-11T08:00:00Z');
      // the free-text owner's item goes to the owners of the incident's entity
      expect(await followUps.checkActionItems()).toBe(1);
      expect(told[2]).toEqual({
        recipient: 'component:default/checkout',
        position: 3,
        title: 'Write the runbook',
      });
      now += DAY;
      expect(await followUps.checkActionItems()).toBe(0);
      // nothing is left to look at: the incident is not read again
      expect(await store.withOverdueActionItems(now)).toEqual([]);
    });

    it('claims each item once when two replicas run at the same time', async () => {
      const i = await closedWithItems(store, [
        { title: 'a', owner: 'jane', due: '2026-12-01' },
        { title: 'b', owner: 'bob', due: '2026-12-01' },
      ]);
      const at = Date.parse('2026-12-03T00:00:00Z');
      const [x, y] = await Promise.all([
        store.claimOverdueActionItems(i.id, at),
        store.claimOverdueActionItems(i.id, at),
      ]);
      expect([...x!.items, ...y!.items].map(c => c.position).sort()).toEqual([
        1, 2,
      ]);
    });

    it('refuses a position it does not hold and changes nothing when marked twice', async () => {
      const i = await closedWithItems(store, [
        { title: 'a', owner: 'jane', due: '2026-12-01' },
      ]);
      await expect(
        store.setActionItemDone(i.id, 1, true, OWNER, T0),
      ).rejects.toThrow(/has no action item 2/);
      await store.setActionItemDone(i.id, 0, true, OWNER, T0 + MIN);
      const twice = await store.setActionItemDone(
        i.id,
        0,
        true,
        'user:default/late',
        T0 + 2 * MIN,
      );
      expect(twice.actionItems[0]).toMatchObject({
        doneAt: new Date(T0 + MIN).toISOString(),
        doneBy: OWNER,
      });
      expect(
        twice.events.filter(e => e.text.startsWith('Action item')),
      ).toHaveLength(1);
    });

    it('aggregates MTTR per service and per team over resolved incidents of the window, with counts and pages', async () => {
      const send = jest.fn(async () => undefined);
      const { server } = await startTestBackend({
        features: [
          reliabilityPlugin,
          manualScheduler().factory,
          catalogServiceMock.factory({
            entities: [
              component('checkout', 'payments-sre'),
              component('ledger', 'group:default/payments-sre'),
              component('search', 'search-team'),
            ],
          }),
          mockServices.database.factory({ knex }),
          createServiceFactory({
            service: notificationService,
            deps: {},
            factory: () => ({ send }),
          }),
          config,
        ],
      });
      const now = Date.now();
      const resolved = async (
        entityRef: string,
        declaredAgo: number,
        minutes: number,
      ) => {
        const i = await store.declare({
          entityRef,
          title: 'x',
          severity: 'SEV2',
          roles: {},
          author: OWNER,
          now: now - declaredAgo,
        });
        await store.updateStatus(
          i.id,
          OWNER,
          'resolved',
          'ok',
          now - declaredAgo + minutes * MIN,
        );
      };
      await resolved('component:default/checkout', 2 * DAY, 30);
      await resolved('component:default/checkout', 3 * DAY, 90);
      await resolved('component:default/ledger', 5 * DAY, 120);
      await resolved('component:default/search', 1 * DAY, 10);
      // outside the 90 days, still open, and about an entity the catalog does not hold: not counted
      await resolved('component:default/checkout', 100 * DAY, 600);
      await store.declare({
        entityRef: 'component:default/search',
        title: 'open',
        severity: 'SEV3',
        roles: {},
        author: OWNER,
        now: now - DAY,
      });
      await resolved('component:default/ghost', DAY, 5);

      const get = (q: string) =>
        request(server)
          .get(`/api/reliability/incidents/mttr${q}`)
          .set('Authorization', mockCredentials.user.header());
      const services = await get('');
      expect(services.status).toBe(200);
      expect(services.body).toMatchObject({ by: 'service', days: 90 });
      expect(services.body.items).toEqual([
        {
          entityRef: 'component:default/checkout',
          incidents: 2,
          mttrMs: 60 * MIN,
          maxMs: 90 * MIN,
        },
        {
          entityRef: 'component:default/ledger',
          incidents: 1,
          mttrMs: 120 * MIN,
          maxMs: 120 * MIN,
        },
        {
          entityRef: 'component:default/search',
          incidents: 1,
          mttrMs: 10 * MIN,
          maxMs: 10 * MIN,
        },
      ]);
      const teams = await get('?by=team');
      expect(teams.body.items).toEqual([
        {
          entityRef: 'group:default/payments-sre',
          incidents: 3,
          mttrMs: 80 * MIN,
          maxMs: 120 * MIN,
          services: 2,
        },
        {
          entityRef: 'group:default/search-team',
          incidents: 1,
          mttrMs: 10 * MIN,
          maxMs: 10 * MIN,
          services: 1,
        },
      ]);
      // the window: the 100-day-old incident joins at 365 days
      const year = await get('?days=365&limit=1');
      expect(year.body.items).toEqual([
        expect.objectContaining({
          entityRef: 'component:default/checkout',
          incidents: 3,
          mttrMs: 240 * MIN,
        }),
      ]);
      // page 2 holds the ghost's incident, hidden from the caller: empty, and a cursor to go on
      const hidden = await get(
        `?days=365&limit=1&cursor=${encodeURIComponent(year.body.nextCursor)}`,
      );
      expect([hidden.body.items, typeof hidden.body.nextCursor]).toEqual([
        [],
        'string',
      ]);
      const next = await get(
        `?days=365&limit=1&cursor=${encodeURIComponent(
          hidden.body.nextCursor,
        )}`,
      );
      expect(next.body.items.map((r: any) => r.entityRef)).toEqual([
        'component:default/ledger',
      ]);
      const teamPage = await get('?by=team&limit=1');
      expect([
        teamPage.body.items.map((r: any) => r.entityRef),
        typeof teamPage.body.nextCursor,
      ]).toEqual([['group:default/payments-sre'], 'string']);
      const bad = await get('?by=system&days=0');
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(
        /by: must be one of service, team/,
      );
      expect((await get('?days=400')).body.error.message).toMatch(
        /days: must be at most 365/,
      );
      const anonymous = await request(server)
        .get('/api/reliability/incidents/mttr')
        .set('Authorization', mockCredentials.none.header());
      expect(anonymous.status).toBe(401);
    });
  },
);

describe('incident follow-ups reach people through Backstage notifications', () => {
  it("tells the Comms holder of an overdue update and an item's owner of an overdue item, and marks an item done over HTTP", async () => {
    const knex = await databases.init('SQLITE_3');
    const send = jest.fn(async () => undefined);
    const scheduler = manualScheduler();
    const { server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [component('checkout', 'payments-sre')],
        }),
        mockServices.database.factory({ knex }),
        mockServices.permissions.mock({
          authorize: async requests =>
            requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
        }).factory,
        createServiceFactory({
          service: notificationService,
          deps: {},
          factory: () => ({ send }),
        }),
        config,
      ],
    });
    const store = new IncidentStore(knex);
    const now = Date.now();
    const active = await store.declare({
      entityRef: 'component:default/checkout',
      title: 'Checkout errors',
      severity: 'SEV1',
      roles: { commander: OWNER, comms: 'user:default/comms' },
      updateCadenceMinutes: 10,
      author: OWNER,
      now: now - 25 * MIN,
    });
    const closed = await closedWithItems(
      store,
      [
        { title: 'Add jitter', owner: 'user:default/jane', due: '2020-01-01' },
        { title: 'Later', owner: 'user:default/jane', due: '2999-01-01' },
      ],
      now - 2 * DAY,
    );
    await scheduler.run('reliability-incident-status-updates');
    await scheduler.run('reliability-incident-action-items');
    await scheduler.run('reliability-incident-action-items');
    const calls = (send.mock.calls as any[]).map(([o]) => o);
    expect(calls).toEqual([
      {
        recipients: { type: 'entity', entityRef: 'user:default/comms' },
        payload: expect.objectContaining({
          title: `Incident #${active.id} needs a status update: overdue by 15m`,
          link: `/reliability/incidents/${active.id}`,
          severity: 'critical',
          topic: 'incident-update-overdue:component:default/checkout',
        }),
      },
      {
        recipients: { type: 'entity', entityRef: 'user:default/jane' },
        payload: expect.objectContaining({
          title: 'Action item overdue: Add jitter',
          description: expect.stringContaining(
            `Action item 1 of incident #${closed.id}`,
          ),
          link: `/reliability/incidents/${closed.id}`,
          severity: 'normal',
          topic: 'incident-action-overdue:component:default/checkout',
        }),
      },
    ]);

    const as = { Authorization: mockCredentials.user.header(OWNER) };
    const patch = (position: string, body: object) =>
      request(server)
        .patch(
          `/api/reliability/incidents/${closed.id}/action-items/${position}`,
        )
        .set(as)
        .send(body);
    const done = await patch('2', { done: true });
    expect(done.status).toBe(200);
    expect(done.body.actionItems[1]).toMatchObject({
      title: 'Later',
      doneBy: OWNER,
    });
    expect(done.body.actionItems[0].notifiedAt).toEqual(expect.any(String));
    const badBody = await patch('1', { done: 'yes' });
    expect([badBody.status, badBody.body.error.message]).toEqual([
      400,
      expect.stringMatching(/done: must be true or false/),
    ]);
    const badPosition = await patch('0', { done: true });
    expect(badPosition.body.error.message).toMatch(
      /position: must be a positive integer/,
    );
    const missing = await patch('3', { done: true });
    expect(missing.status).toBe(404);
    const anonymous = await request(server)
      .patch(`/api/reliability/incidents/${closed.id}/action-items/1`)
      .set('Authorization', mockCredentials.none.header())
      .send({ done: true });
    expect(anonymous.status).toBe(401);
  });
});
