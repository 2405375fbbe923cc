import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { component, ingestSlo } from '../__testUtils__/entities';

jest.setTimeout(90_000);

const OWNER = 'user:default/owner';
const STRANGER = 'user:default/stranger';

const everything = [
  component('public'),
  component('secret'),
  ingestSlo('public-a', 'public'),
  ingestSlo('public-b', 'public'),
  ingestSlo('public-c', 'public'),
  ingestSlo('secret-slo', 'secret'),
];
// what the stranger may read: the catalog's own permission rules would hide the secret component and its SLO
const forStranger = everything.filter(
  e => !e.metadata.name.startsWith('secret'),
);

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('access follows the catalog on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  const as = (user: string) => ({
    get: (path: string) =>
      request(server)
        .get(`/api/reliability${path}`)
        .set('Authorization', mockCredentials.user.header(user)),
  });
  const post = (user: string, path: string, body: object) =>
    request(server)
      .post(`/api/reliability${path}`)
      .set('Authorization', mockCredentials.user.header(user))
      .send(body);
  const put = (user: string, path: string, body: object) =>
    request(server)
      .put(`/api/reliability${path}`)
      .set('Authorization', mockCredentials.user.header(user))
      .send(body);

  beforeAll(async () => {
    const knex = await databases.init(databaseId);
    const full = catalogServiceMock({ entities: everything });
    const limited = catalogServiceMock({ entities: forStranger });
    // one catalog that answers each caller as the real one would: by the credentials it is given
    const catalog = new Proxy(full, {
      get(target, prop) {
        const method = (target as any)[prop];
        if (typeof method !== 'function') return method;
        return (...args: any[]) => {
          const principal = args[args.length - 1]?.credentials?.principal;
          const which =
            principal?.userEntityRef === STRANGER ? limited : target;
          return (which as any)[prop](...args);
        };
      },
    });
    const scheduler = manualScheduler();
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        mockServices.database.factory({ knex }),
        createServiceFactory({
          service: catalogServiceRef,
          deps: {},
          factory: () => catalog,
        }),
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(r => {
              const user = (credentials.principal as { userEntityRef?: string })
                .userEntityRef;
              const resourceRef =
                'resourceRef' in r ? r.resourceRef : undefined;
              // resource permissions: the owner, on entities that exist; basic ones: everyone
              const exists =
                !resourceRef ||
                everything.some(
                  e =>
                    `${e.kind.toLowerCase()}:default/${e.metadata.name}` ===
                    resourceRef,
                );
              // the organisation's registries: the owner stands for a platform group, the stranger is outside it
              if (r.permission.name === 'reliability.registry.import')
                return {
                  result:
                    user === OWNER
                      ? AuthorizeResult.ALLOW
                      : AuthorizeResult.DENY,
                };
              return {
                result:
                  !resourceRef || (user === OWNER && exists)
                    ? AuthorizeResult.ALLOW
                    : AuthorizeResult.DENY,
              };
            }) as any,
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
    server = backend.server;
    // the scheduled tick registers the catalog's SLOs (with the plugin's own credentials: it sees them all)
    await scheduler.evaluate();
  });

  it('lists and reads only what the caller can see in the catalog', async () => {
    const mine = (await as(OWNER).get('/slos')).body.items.map(
      (i: any) => i.ref,
    );
    expect(mine).toEqual([
      'default/public-a',
      'default/public-b',
      'default/public-c',
      'default/secret-slo',
    ]);
    const theirs = (await as(STRANGER).get('/slos')).body.items.map(
      (i: any) => i.ref,
    );
    expect(theirs).toEqual([
      'default/public-a',
      'default/public-b',
      'default/public-c',
    ]);
    expect((await as(STRANGER).get('/slos/default/secret-slo')).status).toBe(
      404,
    );
    expect(
      (await as(STRANGER).get('/slos/default/secret-slo/history')).status,
    ).toBe(404);
    expect(
      (
        await as(STRANGER)
          .get('/slos')
          .query({ entityRef: 'component:default/secret' })
      ).body.items,
    ).toEqual([]);
    expect(
      (await as(STRANGER).get('/runbooks/component/default/secret')).status,
    ).toBe(404);
    expect((await as(OWNER).get('/slos/default/secret-slo')).status).toBe(200);
  });

  it('hides incidents of hidden entities, and checks permission before existence on mutations', async () => {
    const declared = await post(OWNER, '/incidents', {
      entityRef: 'component:default/secret',
      title: 'secret outage',
      severity: 'SEV2',
    });
    expect(declared.status).toBe(201);
    expect(
      (await as(STRANGER).get('/incidents')).body.items.map(
        (i: any) => i.title,
      ),
    ).not.toContain('secret outage');
    expect(
      (await as(OWNER).get('/incidents')).body.items.map((i: any) => i.title),
    ).toContain('secret outage');
    expect(
      (await as(STRANGER).get(`/incidents/${declared.body.id}`)).status,
    ).toBe(404);
    expect(
      (
        await post(STRANGER, `/incidents/${declared.body.id}/timeline`, {
          text: 'peek',
        })
      ).status,
    ).toBe(404);
    // a runbook save on an entity that does not exist and on one the caller does not own: the same 403
    const missing = await put(
      STRANGER,
      '/runbooks/component/default/does-not-exist',
      { baseVersion: 0, markdown: '# x', failureModes: [] },
    );
    const notOwned = await put(STRANGER, '/runbooks/component/default/public', {
      baseVersion: 0,
      markdown: '# x',
      failureModes: [],
    });
    expect([missing.status, notOwned.status]).toEqual([403, 403]);
    expect(
      (
        await put(OWNER, '/runbooks/component/default/does-not-exist', {
          baseVersion: 0,
          markdown: '# x',
          failureModes: [],
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await post(STRANGER, '/incidents', {
          entityRef: 'component:default/secret',
          title: 'x',
          severity: 'SEV3',
        })
      ).status,
    ).toBe(404);
  });

  it("keeps working an incident to its entity's owners and its role holders", async () => {
    const incident = (
      await post(OWNER, '/incidents', {
        entityRef: 'component:default/public',
        title: 'public outage',
        severity: 'SEV2',
      })
    ).body;
    expect(incident.roles).toEqual({ commander: OWNER });
    // a reader who neither owns the entity nor holds a role: 403 naming the permission and who may
    const refused = await post(STRANGER, `/incidents/${incident.id}/timeline`, {
      text: 'a stranger writes',
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(
      `Missing permission reliability.incident.update on component:default/public: incident ${incident.id} is worked by the owners of component:default/public and by its role holders (commander, ops, comms, scribe)`,
    );
    const roles = request(server)
      .put(`/api/reliability/incidents/${incident.id}/roles`)
      .set('Authorization', mockCredentials.user.header(STRANGER))
      .send({ commander: STRANGER });
    expect((await roles).status).toBe(403);
    expect(
      (
        await post(STRANGER, `/incidents/${incident.id}/close`, {
          impact: 'none',
          rootCauses: ['x'],
          actionItems: [],
        })
      ).status,
    ).toBe(403);
    // the owner makes the stranger Scribe (a bare name is a user of the default namespace): now they may work it
    expect(
      (
        await request(server)
          .put(`/api/reliability/incidents/${incident.id}/roles`)
          .set('Authorization', mockCredentials.user.header(OWNER))
          .send({ commander: OWNER, scribe: 'stranger' })
      ).status,
    ).toBe(200);
    expect(
      (
        await post(STRANGER, `/incidents/${incident.id}/timeline`, {
          text: 'the scribe writes',
        })
      ).status,
    ).toBe(200);
    // and an incident the stranger declares is theirs to work (they are its commander)
    const own = (
      await post(STRANGER, '/incidents', {
        entityRef: 'component:default/public',
        title: 'seen by a stranger',
        severity: 'SEV3',
      })
    ).body;
    expect(own.roles).toEqual({ commander: STRANGER });
    expect(
      (
        await post(STRANGER, `/incidents/${own.id}/status`, {
          status: 'identified',
          text: 'found it',
        })
      ).status,
    ).toBe(200);
  });

  it('names the setting that opens an organisation-wide import when the policy refuses it', async () => {
    const refused = await request(server)
      .post('/api/reliability/import/slos?dryRun=true')
      .set('Authorization', mockCredentials.user.header(STRANGER))
      .set('Content-Type', 'text/csv')
      .send('slo_id,service\n');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(
      /^Missing permission reliability\.registry\.import: .*reliability\.permissions\.platformGroups is not configured/,
    );
    const secrets = await as(STRANGER).get('/secrets');
    expect(secrets.status).toBe(403);
    expect(secrets.body.error.message).toContain(
      'reliability.permissions.platformGroups is not configured',
    );
    expect((await as(OWNER).get('/secrets')).status).toBe(200);
  });

  it('pages every list with limit and cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const res = await as(OWNER)
        .get('/slos')
        .query({ limit: 1, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...res.body.items.map((i: any) => i.ref));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([
      'default/public-a',
      'default/public-b',
      'default/public-c',
      'default/secret-slo',
    ]);
    for (const path of [
      '/slos',
      '/alerts',
      '/alertmanager/alerts',
      '/delivery',
      '/delivery/targets',
      '/remediations',
      '/incidents',
      '/commander/alerts',
      '/runbooks/component/default/public/versions',
    ]) {
      const bad = await as(OWNER).get(path).query({ cursor: 'not-a-cursor' });
      expect([path, bad.status]).toEqual([path, 400]);
      expect(bad.body.error.message).toMatch(
        /cursor: must be a cursor from a previous answer/,
      );
      const big = await as(OWNER).get(path).query({ limit: 5000 });
      expect([path, big.status]).toEqual([path, 400]);
    }
  });
});
