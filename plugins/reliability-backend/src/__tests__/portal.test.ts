import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Entity } from '@backstage/catalog-model';
import request from 'supertest';
import {
  runbookSkeleton,
  STANDARD_FAILURE_MODES,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';

jest.setTimeout(90_000);

const OWNER = 'user:default/owner';
const STRANGER = 'user:default/stranger';
const SECRET = 'am-shared-secret-for-tests';

const component = (
  name: string,
  annotations: Record<string, string> = {},
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { owner: 'group:default/payments-sre', system: 'shop' },
  relations: [{ type: 'ownedBy', targetRef: 'group:default/payments-sre' }],
});
const slo: Entity = {
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: {
    name: 'checkout-success',
    namespace: 'default',
    annotations: { 'reliability.io/runbook': 'link://runbooks/checkout' },
  },
  spec: {
    service: 'checkout',
    indicator: {
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
          total: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
        },
      },
    },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99.5 }],
  },
  relations: [{ type: 'measures', targetRef: 'component:default/checkout' }],
};

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  'portal runbooks, commander and incidents on %p',
  databaseId => {
    let server: any;

    beforeEach(async () => {
      const backend = await startTestBackend({
        features: [
          reliabilityPlugin,
          catalogServiceMock.factory({
            entities: [
              component('checkout'),
              component('repo', {
                'reliability.io/runbook': 'https://runbooks.example/repo.md',
              }),
              slo,
            ],
          }),
          mockServices.urlReader.mock({
            readUrl: async () =>
              ({
                buffer: async () =>
                  Buffer.from('# Repo runbook\n## Symptoms\n'),
              } as any),
          }).factory,
          mockServices.database.factory({
            knex: await databases.init(databaseId),
          }),
          mockServices.permissions.mock({
            authorize: async (requests, { credentials }) =>
              requests.map(r => ({
                result:
                  !('resourceRef' in r) ||
                  !r.resourceRef ||
                  (credentials.principal as { userEntityRef?: string })
                    .userEntityRef === OWNER
                    ? AuthorizeResult.ALLOW
                    : AuthorizeResult.DENY,
              })) as any,
          }).factory,
          mockServices.rootConfig.factory({
            data: {
              reliability: {
                alertmanager: { sharedSecret: SECRET },
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
    });

    const as = (user: string) => ({
      Authorization: mockCredentials.user.header(user),
    });
    const save = (user: string, body: object, name = 'checkout') =>
      request(server)
        .put(`/api/reliability/runbooks/component/default/${name}`)
        .set(as(user))
        .send(body);

    it('authors a runbook in the portal: owner-only, versioned with who, when and a diff, link:// resolves to it', async () => {
      const empty = await request(server).get(
        '/api/reliability/runbooks/component/default/checkout',
      );
      expect(empty.status).toBe(404);
      expect(empty.body.error.message).toMatch(
        /has no runbook yet: write one in the portal/,
      );

      const skeleton = runbookSkeleton({
        name: 'checkout',
        owner: 'payments-sre',
      });
      const denied = await save(STRANGER, {
        baseVersion: 0,
        markdown: skeleton,
        failureModes: [...STANDARD_FAILURE_MODES],
      });
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toMatch(
        /only its owners may edit its runbook/,
      );

      const v1 = await save(OWNER, {
        baseVersion: 0,
        markdown: skeleton,
        failureModes: [...STANDARD_FAILURE_MODES],
        message: 'from the skeleton',
      });
      expect(v1.status).toBe(200);
      expect(v1.body).toMatchObject({ version: 1, author: OWNER });
      const edited = skeleton.replace(
        '- <common alerts + meanings>',
        '- fast burn: the PSP browns out',
      );
      expect(
        (
          await save(OWNER, {
            baseVersion: 1,
            markdown: edited,
            failureModes: STANDARD_FAILURE_MODES.slice(0, 3),
          })
        ).body.version,
      ).toBe(2);
      // a second editor on the old base loses, with the reason
      const stale = await save(OWNER, {
        baseVersion: 1,
        markdown: 'mine',
        failureModes: [],
      });
      expect(stale.status).toBe(409);
      expect(stale.body.error.message).toMatch(
        /baseVersion: the runbook is at version 2 \(saved by user:default\/owner/,
      );

      const owner = await request(server)
        .get('/api/reliability/runbooks/component/default/checkout')
        .set(as(OWNER));
      expect(owner.body).toMatchObject({
        source: { type: 'portal', version: 2, author: OWNER },
        version: 2,
        canEdit: true,
        editableMarkdown: true,
        failureModesTemplate: false,
      });
      expect(owner.body.failureModes).toHaveLength(3);
      expect(
        owner.body.sections.find((s: any) => s.id === 'symptoms').alerts,
      ).toEqual(['SLOBurnRate']);
      expect(
        (
          await request(server)
            .get('/api/reliability/runbooks/component/default/checkout')
            .set(as(STRANGER))
        ).body.canEdit,
      ).toBe(false);

      const versions = (
        await request(server).get(
          '/api/reliability/runbooks/component/default/checkout/versions',
        )
      ).body.items;
      expect(
        versions.map((v: any) => [v.version, v.author, v.message]),
      ).toEqual([
        [2, OWNER, null],
        [1, OWNER, 'from the skeleton'],
      ]);
      const v2 = (
        await request(server).get(
          '/api/reliability/runbooks/component/default/checkout/versions/2',
        )
      ).body;
      expect(v2.diff.filter((d: any) => d.op !== ' ')).toEqual([
        { op: '-', text: '- <common alerts + meanings>' },
        { op: '+', text: '- fast burn: the PSP browns out' },
      ]);
      expect(
        (
          await request(server).get(
            '/api/reliability/runbooks/component/default/checkout/versions/9',
          )
        ).status,
      ).toBe(404);
      expect(
        (
          await request(server).get(
            '/api/reliability/runbooks/component/default/checkout/versions/x',
          )
        ).status,
      ).toBe(400);

      // the SLO's link://runbooks/checkout is checkout's portal runbook
      const viaLink = await request(server).get(
        '/api/reliability/runbooks/slo/default/checkout-success',
      );
      expect(viaLink.status).toBe(200);
      expect(viaLink.body.source).toMatchObject({
        type: 'portal',
        location: 'component:default/checkout',
        version: 2,
      });
      const linkEdit = await save(
        OWNER,
        { baseVersion: 0, markdown: 'x', failureModes: [] },
        'checkout-success',
      );
      expect(linkEdit.status).toBe(404); // not a component
    });

    it('answers 413 for a diff between versions too far apart, instead of computing it', async () => {
      expect(
        (
          await save(OWNER, {
            baseVersion: 0,
            markdown: '# small',
            failureModes: [],
          })
        ).status,
      ).toBe(200);
      const big = Array.from({ length: 8_000 }, (_, i) => `line ${i}`).join(
        '\n',
      );
      expect(
        (await save(OWNER, { baseVersion: 1, markdown: big, failureModes: [] }))
          .status,
      ).toBe(200);
      const res = await request(server).get(
        '/api/reliability/runbooks/component/default/checkout/versions/2',
      );
      expect(res.status).toBe(413);
      expect(res.body.error.message).toMatch(
        /diff: the versions differ in more than 2000 lines/,
      );
      // the version itself is still there, without its diff
      expect(
        (
          await request(server)
            .get(
              '/api/reliability/runbooks/component/default/checkout/versions',
            )
            .query({ limit: 1 })
        ).body,
      ).toMatchObject({
        items: [{ version: 2 }],
        nextCursor: expect.any(String),
      });
    });

    it('refuses bad runbook input with 4xx naming the field', async () => {
      const big = await save(OWNER, {
        baseVersion: 0,
        markdown: 'x'.repeat(513 * 1024),
        failureModes: [],
      });
      expect(big.status).toBe(400);
      expect(big.body.error.message).toMatch(
        /markdown: must be at most 512 KiB/,
      );
      const bad = await save(OWNER, {
        baseVersion: -1,
        failureModes: [{ mode: '', detection: 'x', mitigation: 'y' }],
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(
        /baseVersion: must be at least 0.*failureModes\.0\.mode: must not be empty/,
      );
      expect(
        (await save(OWNER, { baseVersion: 0, failureModes: [] }, 'unknown'))
          .status,
      ).toBe(404);
      // a repository runbook is edited in its repository; its failure modes live in the portal
      const repo = await save(
        OWNER,
        { baseVersion: 0, markdown: '# mine', failureModes: [] },
        'repo',
      );
      expect(repo.status).toBe(409);
      expect(repo.body.error.message).toMatch(
        /markdown: component:default\/repo's runbook lives in its repository/,
      );
      expect(
        (
          await save(
            OWNER,
            {
              baseVersion: 0,
              failureModes: STANDARD_FAILURE_MODES.slice(0, 1),
            },
            'repo',
          )
        ).status,
      ).toBe(200);
      const read = (
        await request(server).get(
          '/api/reliability/runbooks/component/default/repo',
        )
      ).body;
      expect(read).toMatchObject({
        source: { type: 'url' },
        failureModes: [STANDARD_FAILURE_MODES[0]],
        failureModesTemplate: false,
        editableMarkdown: false,
        version: 1,
      });
    });

    it('lists what burns for the commander, with owner, system and the runbook section that answers it', async () => {
      await save(OWNER, {
        baseVersion: 0,
        markdown:
          '# Checkout\n## Checks\n## PSP\nAlerts: CheckoutHighErrorRate{env="prod"}\n## Symptoms\n',
        failureModes: [],
      });
      const alert = {
        status: 'firing',
        labels: {
          alertname: 'CheckoutHighErrorRate',
          severity: 'error',
          env: 'prod',
          service: 'checkout',
        },
        annotations: { summary: 'checkout errors' },
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: '00000000000000f1',
      };
      const res = await request(server)
        .post('/api/reliability/alertmanager/webhook')
        .set('Authorization', `Bearer ${SECRET}`)
        .send({
          version: '4',
          groupKey: 'g',
          status: 'firing',
          receiver: 'r',
          groupLabels: {},
          commonLabels: {},
          commonAnnotations: {},
          externalURL: '',
          alerts: [alert],
        });
      expect(res.status).toBe(200);
      const items = (
        await request(server).get('/api/reliability/commander/alerts')
      ).body.items;
      expect(items).toEqual([
        expect.objectContaining({
          source: 'alertmanager',
          name: 'CheckoutHighErrorRate',
          severity: 'error',
          entityRef: 'component:default/checkout',
          owner: 'group:default/payments-sre',
          system: 'shop',
          summary: 'checkout errors',
          runbook: {
            entityRef: 'component:default/checkout',
            section: 'psp',
            sectionTitle: 'PSP',
          },
        }),
      ]);
      expect(items[0].ageMs).toBeGreaterThanOrEqual(59_000);
    });

    it('runs an incident from declaration to a closed PIR with MTTR, and exports it', async () => {
      const declare = (body: object) =>
        request(server)
          .post('/api/reliability/incidents')
          .set(as(OWNER))
          .send(body);
      const bad = await declare({
        entityRef: 'component:default/checkout',
        title: '',
        severity: 'P1',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(
        /title: must not be empty.*severity: must be SEV1, SEV2 or SEV3/,
      );
      expect(
        (
          await declare({
            entityRef: 'component:default/nope',
            title: 'x',
            severity: 'SEV2',
          })
        ).status,
      ).toBe(404);

      const created = await declare({
        entityRef: 'component:default/checkout',
        title: 'Checkout errors',
        severity: 'SEV2',
        trigger: 'CheckoutHighErrorRate',
      });
      expect(created.status).toBe(201);
      const id = created.body.id;
      expect(created.body).toMatchObject({
        state: 'active',
        status: 'investigating',
        roles: { commander: OWNER },
        declaredBy: OWNER,
      });
      const post = (path: string, body: object) =>
        request(server)
          .post(`/api/reliability/incidents/${id}/${path}`)
          .set(as(OWNER))
          .send(body);
      expect(
        (
          await request(server)
            .put(`/api/reliability/incidents/${id}/roles`)
            .set(as(OWNER))
            .send({ scribe: 'user:default/ann', ops: 'user:default/bob' })
        ).body.roles,
      ).toEqual({
        commander: OWNER,
        scribe: 'user:default/ann',
        ops: 'user:default/bob',
      });
      expect(
        (await post('timeline', { text: 'PSP 5xx since 10:02' })).status,
      ).toBe(200);
      expect(
        (await post('status', { status: 'mitigating', text: 'x' })).body.error
          .message,
      ).toMatch(
        /status: must be one of investigating, identified, monitoring, resolved/,
      );
      await post('status', {
        status: 'resolved',
        text: 'multibuy off, errors back to normal',
      });
      expect(
        (
          await request(server)
            .get('/api/reliability/incidents')
            .query({ state: 'active' })
        ).body.items.map((i: any) => i.id),
      ).toEqual([id]);
      const badClose = await post('close', {
        impact: 'x',
        rootCauses: [],
        actionItems: [],
      });
      expect(badClose.status).toBe(400);
      expect(badClose.body.error.message).toMatch(
        /rootCauses: needs at least one root cause/,
      );
      const closed = await post('close', {
        impact: '3% of checkouts failed',
        rootCauses: ['PSP brownout'],
        actionItems: [
          {
            title: 'Add jitter',
            owner: 'group:default/payments-sre',
            due: '2026-12-01',
          },
        ],
      });
      expect(closed.body).toMatchObject({
        state: 'closed',
        status: 'resolved',
        rootCauses: ['PSP brownout'],
      });
      expect(closed.body.mttrMs).toBeGreaterThanOrEqual(0);
      expect(closed.body.events.map((e: any) => e.kind)).toEqual([
        'declared',
        'roles',
        'timeline',
        'status',
        'closed',
      ]);
      expect((await post('timeline', { text: 'late' })).status).toBe(409);
      expect(
        (
          await request(server)
            .get('/api/reliability/incidents')
            .query({ state: 'active' })
        ).body.items,
      ).toEqual([]);
      expect(
        (
          await request(server)
            .get('/api/reliability/incidents')
            .query({ entityRef: 'component:default/checkout' })
        ).body.items,
      ).toHaveLength(1);
      const md = await request(server).get(
        `/api/reliability/incidents/${id}/markdown`,
      );
      expect(md.headers['content-type']).toMatch(/^text\/markdown/);
      expect(md.text).toContain(
        '| Add jitter | group:default/payments-sre | 2026-12-01 |',
      );
      expect(md.text).toContain('PSP 5xx since 10:02');
      expect(
        (await request(server).get('/api/reliability/incidents/abc')).status,
      ).toBe(400);
      expect(
        (await request(server).get('/api/reliability/incidents/999')).status,
      ).toBe(404);
      expect(
        (
          await request(server)
            .get('/api/reliability/incidents')
            .query({ state: 'open' })
        ).status,
      ).toBe(400);
    });
  },
);
