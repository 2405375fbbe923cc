import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import request from 'supertest';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'fs';
import os from 'os';
import path from 'path';
import { parse } from 'yaml';
import { parseOpenSlo } from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const SEED_SLOS = [
  'slo_id,description,objective,window,owner',
  'checkout_success,Checkout success rate,>=99.5%,30d,Payments SRE',
  'api_availability,HTTP 5xx inverted,>=99.9%,30d,Platform SRE',
  'otp_verify_latency_p95,p95 ms for /otp/verify,<=300ms,7d,Identity SRE',
].join('\n');
const SEED_BURN =
  'slo_id,window,threshold_x\ncheckout_success,5m,14\ncheckout_success,1h,6\napi_availability,30m,14\napi_availability,6h,6\n';

const group = (name: string, title: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default', title },
  spec: { type: 'team', children: [] },
});
const owned = (name: string, owner: string): Entity => ({
  ...component(name, owner),
  relations: [{ type: 'ownedBy', targetRef: `group:default/${owner}` }],
});
/** api-availability, already in the catalog from a hand-written file: 99.9% over 30d, for api-gateway. */
const handWritten = (): Entity => {
  const slo = ingestSlo('api-availability', 'api-gateway');
  (slo.spec as any).objectives = [{ targetPercent: 99.9 }];
  slo.metadata.annotations = {
    'backstage.io/managed-by-location':
      'file:/repo/catalog/slos/api-availability.yaml',
  };
  return slo;
};

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('registry imports on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let scheduler: ReturnType<typeof manualScheduler>;
  let dir: string;

  const start = async (entities: Entity[]) => {
    const knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        // a request without an Authorization header comes from CI importing registries: a token whose access restrictions grant the import permissions
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.service('external:ci', {
            permissionNames: [
              'reliability.registry.import',
              'reliability.synthetics.update',
              'reliability.drills.update',
            ],
          }),
        }),
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            group('payments-sre', 'Payments SRE'),
            group('identity-sre', 'Identity SRE'),
            group('platform-sre', 'Platform SRE'),
            owned('checkout', 'payments-sre'),
            owned('login-otp', 'identity-sre'),
            owned('api-gateway', 'platform-sre'),
            owned('search', 'platform-sre'),
            ...entities,
          ],
        }),
        mockServices.database.factory({ knex }),
        // the organisation-wide registries: services (CI) and the platform team's lead may import them
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(r => {
              const user = (credentials.principal as { userEntityRef?: string })
                .userEntityRef;
              if (r.permission.name === 'reliability.registry.import')
                return {
                  result:
                    !user || user === 'user:default/lead'
                      ? AuthorizeResult.ALLOW
                      : AuthorizeResult.DENY,
                };
              return { result: AuthorizeResult.ALLOW };
            }) as any,
          authorizeConditional: async requests =>
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
              scaffolder: { publishDir: dir },
            },
          },
        }),
      ],
    }));
    await scheduler.evaluate();
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'registry-import-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const csv = (p: string, text: string, user?: string) =>
    request(server)
      .post(`/api/reliability${p}`)
      .set('Authorization', user ? mockCredentials.user.header(user) : '')
      .set('Content-Type', 'text/csv')
      .send(text);
  const files = () =>
    existsSync(path.join(dir, 'slos'))
      ? readdirSync(path.join(dir, 'slos')).sort()
      : [];
  const doc = (name: string) =>
    parse(readFileSync(path.join(dir, 'slos', `${name}.yaml`), 'utf8'));

  it("turns the seed's SLO registry into OpenSLO files where the scaffolder publishes: a dry run first, then for real, then unchanged", async () => {
    await start([handWritten()]);
    const dry = await csv('/import/slos?dryRun=true', SEED_SLOS);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      registry: 'slos',
      dryRun: true,
      created: 2,
      updated: 0,
      unchanged: 1,
    });
    expect(dry.body.rows).toEqual([
      {
        line: 2,
        id: 'checkout_success',
        outcome: 'created',
        detail: 'slos/checkout-success.yaml',
      },
      {
        line: 3,
        id: 'api_availability',
        outcome: 'unchanged',
        detail:
          'slo:default/api-availability, defined in slos/api-availability.yaml',
      },
      {
        line: 4,
        id: 'otp_verify_latency_p95',
        outcome: 'created',
        detail: 'slos/otp-verify-latency-p95.yaml',
      },
    ]);
    expect(files()).toEqual([]);

    const real = await csv('/import/slos', SEED_SLOS, 'user:default/lead');
    expect([real.status, real.body.created, real.body.unchanged]).toEqual([
      200, 2, 1,
    ]);
    expect(files()).toEqual([
      'checkout-success.yaml',
      'otp-verify-latency-p95.yaml',
    ]);

    // a ratio row: an availability SLI of the owner's one component, 99.5% over 30 days, alerts left to the burn-rate registry
    const checkout = doc('checkout-success');
    expect(checkout).toMatchObject({
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: {
        name: 'checkout-success',
        displayName: 'Checkout success rate',
      },
      spec: {
        service: 'checkout',
        budgetingMethod: 'Occurrences',
        objectives: [{ targetPercent: 99.5 }],
        timeWindow: [{ duration: '30d', isRolling: true }],
      },
    });
    expect(checkout.spec.alertPolicies).toBeUndefined();
    // the latency row (p95 under 300 ms) as a threshold SLO judged per minute: p95 <= 300 ms in 99% of the week's minutes
    const otp = parseOpenSlo({ ...doc('otp-verify-latency-p95') });
    expect(
      otp.ok && {
        component: otp.value.componentRef,
        target: otp.value.target,
        window: otp.value.window.duration,
        threshold: otp.value.threshold,
        budgeting: otp.value.budgeting,
        mode: otp.value.indicator.mode,
      },
    ).toEqual({
      component: 'component:default/login-otp',
      target: 0.99,
      window: { amount: 7, unit: 'd' },
      threshold: { op: 'lte', value: 300 },
      budgeting: { method: 'Timeslices', sliceMs: 60_000, timeSliceTarget: 1 },
      mode: 'threshold',
    });
    expect(doc('otp-verify-latency-p95').spec.description).toContain(
      'p95 ms for /otp/verify; from the SLO registry (otp_verify_latency_p95, Identity SRE)',
    );

    const before = statSync(
      path.join(dir, 'slos', 'checkout-success.yaml'),
    ).mtimeMs;
    const again = await csv('/import/slos', SEED_SLOS);
    expect([
      again.body.created,
      again.body.updated,
      again.body.unchanged,
    ]).toEqual([0, 0, 3]);
    expect(
      statSync(path.join(dir, 'slos', 'checkout-success.yaml')).mtimeMs,
    ).toBe(before);

    // a changed objective rewrites the file it wrote
    const changed = await csv(
      '/import/slos',
      SEED_SLOS.replace('>=99.5%', '>=99.0%'),
    );
    expect(changed.body.rows[0]).toEqual({
      line: 2,
      id: 'checkout_success',
      outcome: 'updated',
      detail: 'slos/checkout-success.yaml',
    });
    expect(doc('checkout-success').spec.objectives).toEqual([
      { displayName: '>= 99%', targetPercent: 99 },
    ]);
  });

  it('refuses a broken registry listing every bad row with its line and field, and writes nothing of it', async () => {
    await start([handWritten()]);
    const broken = [
      'slo_id,description,objective,window,owner,service',
      'search_ok,"Search, answered",>=99%,30d,Platform SRE,search',
      'bad id!,x,>=99%,30d,Payments SRE,',
      'checkout_ok,x,99.5,30d,Payments SRE,',
      'otp_fast,fast OTP,<=300ms,7d,Identity SRE,',
      'login_ok,x,>=99%,5 days,Identity SRE,',
      'ghost_ok,x,>=99%,30d,Ghost SRE,',
      'api_availability,x,>=99.95%,30d,Platform SRE,',
      'platform_ok,x,>=99%,30d,Platform SRE,',
      'checkout_wrong,x,>=99%,30d,Identity SRE,checkout',
      'search_ok,again,>=99%,30d,Platform SRE,search',
      'full_ok,x,>=100%,30d,Payments SRE,',
    ].join('\n');
    const res = await csv('/import/slos', broken);
    expect(res.status).toBe(400);
    const message: string = res.body.error.message;
    expect(message.startsWith('Invalid CSV, nothing imported: ')).toBe(true);
    // the rows that parse are checked against the catalog too: owners, components, SLOs already defined elsewhere
    expect(message.split('; ')).toEqual([
      "Invalid CSV, nothing imported: line 3, slo_id: 'bad id!' must be letters, digits, - and _ (at most 63), such as checkout_success",
      "line 4, objective: '99.5' must be a success ratio such as >=99.5% or a latency such as <=300ms",
      'line 5, objective: a latency objective needs its percentile: write it in the description or the slo_id, such as p95',
      "line 6, window: '5 days' must be a duration such as 30d, 4w or 1M",
      'line 7, owner: no group named Ghost SRE in the catalog (its name, title or display name)',
      'line 8, objective: slo:default/api-availability is already defined in slos/api-availability.yaml with 99.9% (change it there, or change the row to match)',
      'line 9, service: Platform SRE owns 2 components: add a service column naming the component, or import with entityRef=',
      'line 10, owner: component:default/checkout is owned by group:default/payments-sre, not Identity SRE',
      'line 11, slo_id: search_ok is already on line 2',
      "line 12, objective: '>=100%' must be above 0% and below 100% (100% leaves no budget)",
    ]);
    expect(files()).toEqual([]);

    // a component that does not exist
    const catalogErrors = [
      'slo_id,description,objective,window,owner,service',
      'search_ok,"Search, answered",>=99%,30d,Platform SRE,search',
      'ghost_ok,x,>=99%,30d,Ghost SRE,',
      'api_availability,x,>=99.95%,30d,Platform SRE,',
      'platform_ok,x,>=99%,30d,Platform SRE,',
      'checkout_wrong,x,>=99%,30d,Identity SRE,checkout',
      'nowhere_ok,x,>=99%,30d,Payments SRE,warehouse',
    ].join('\n');
    const second = await csv('/import/slos', catalogErrors);
    expect(second.status).toBe(400);
    expect(second.body.error.message.split('; ')).toEqual([
      'Invalid CSV, nothing imported: line 3, owner: no group named Ghost SRE in the catalog (its name, title or display name)',
      'line 4, objective: slo:default/api-availability is already defined in slos/api-availability.yaml with 99.9% (change it there, or change the row to match)',
      'line 5, service: Platform SRE owns 2 components: add a service column naming the component, or import with entityRef=',
      'line 6, owner: component:default/checkout is owned by group:default/payments-sre, not Identity SRE',
      'line 7, service: no component component:default/warehouse in the catalog',
    ]);
    expect(files()).toEqual([]);
    // the one good row alone goes in (quoted commas and all)
    const good = await csv(
      '/import/slos',
      catalogErrors.split('\n').slice(0, 2).join('\n'),
    );
    expect([good.status, files()]).toEqual([200, ['search-ok.yaml']]);
    expect(doc('search-ok').metadata.displayName).toBe('Search, answered');
  });

  it('asks for the import permission and answers a 400 naming the registry, the query and the body', async () => {
    await start([]);
    const denied = await csv('/import/slos', SEED_SLOS, 'user:default/mei');
    // the safe default: the 403 names the permission and the setting that opens it
    expect([denied.status, denied.body.error.message]).toEqual([
      403,
      expect.stringMatching(
        /^Missing permission reliability\.registry\.import: .*reliability\.permissions\.platformGroups/,
      ),
    ]);
    expect(
      (await csv('/import/burn-rate-alerts', SEED_BURN, 'user:default/mei'))
        .status,
    ).toBe(403);
    expect((await csv('/import/owners', SEED_SLOS)).body.error.message).toBe(
      'Invalid path: registry: must be one of slos, burn-rate-alerts, synthetics, drills, slo-documents',
    );
    expect(
      (await csv('/import/slos?dryRun=yes', SEED_SLOS)).body.error.message,
    ).toBe('Invalid query: dryRun: must be true or false');
    expect(
      (await csv('/import/drills', 'date,region,duration_min,success,notes\n'))
        .body.error.message,
    ).toBe(
      'Invalid query: entityRef: is required for the drills registry (the entity whose drill log it holds)',
    );
    const json = await request(server)
      .post('/api/reliability/import/slos')
      .set('Authorization', '')
      .send({ csv: SEED_SLOS });
    expect([json.status, json.body.error.message]).toEqual([
      400,
      'Invalid body: send the registry as CSV with Content-Type: text/csv',
    ]);
    expect(
      (await csv('/import/slos', 'slo_id,description,objective,window,owner\n'))
        .body.error.message,
    ).toBe('Invalid CSV, nothing imported: line 2: no SLOs after the header');
    expect(files()).toEqual([]);
  });

  it("imports the seed's burn-rate registry as the SLOs' alert rules, refuses unknown SLOs, and the synthetic and drill registries through the same door", async () => {
    await start([handWritten(), ingestSlo('checkout-success')]);
    const unknown = await csv(
      '/import/burn-rate-alerts',
      `${SEED_BURN}search_ok,5m,14\ncheckout_success,45m,3\n`,
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toBe(
      "Invalid CSV, nothing imported: line 7, window: '45m' is not one the suite evaluates (5m, 30m, 1h, 2h, 6h, 1d, 3d, 30d)",
    );
    const missing = await csv(
      '/import/burn-rate-alerts',
      `${SEED_BURN}search_ok,5m,14\n`,
    );
    expect(missing.body.error.message).toBe(
      'Invalid CSV, nothing imported: line 6, slo_id: no SLO named search_ok (nor search-ok); import the SLO registry first',
    );

    const res = await csv('/import/burn-rate-alerts', SEED_BURN);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      registry: 'burn-rate-alerts',
      created: 2,
      updated: 0,
      unchanged: 0,
    });
    expect(res.body.rows).toEqual([
      {
        line: 2,
        id: 'checkout_success',
        outcome: 'created',
        detail: '2 rules for default/checkout-success',
      },
      {
        line: 4,
        id: 'api_availability',
        outcome: 'created',
        detail: '2 rules for default/api-availability',
      },
    ]);
    // the next tick applies them
    await scheduler.evaluate();
    const items = (
      await request(server)
        .get('/api/reliability/slos')
        .query({ entityRef: 'component:default/checkout' })
        .set('Authorization', mockCredentials.user.header())
    ).body.items;
    expect(
      items.find((i: any) => i.name === 'checkout-success').alertPolicy,
    ).toEqual({
      source: 'csv',
      rules: ['page 14x 5m', 'page 6x 1h&5m'],
      noData: true,
    });
    expect(
      (await csv('/import/burn-rate-alerts', SEED_BURN)).body,
    ).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect(
      (
        await csv(
          '/import/burn-rate-alerts',
          'slo_id,window,threshold_x\ncheckout_success,5m,10\n',
        )
      ).body.rows,
    ).toEqual([
      {
        line: 2,
        id: 'checkout_success',
        outcome: 'updated',
        detail: '1 rule for default/checkout-success',
      },
    ]);

    const journeys = await csv(
      '/import/synthetics?entityRef=component:default/checkout',
      'journey,region,frequency,deadline_ms\ncheckout_full,ap-sg,5m,3000\n',
    );
    expect([journeys.status, journeys.body]).toEqual([
      200,
      {
        registry: 'synthetics',
        dryRun: false,
        created: 1,
        updated: 0,
        unchanged: 0,
        rows: [],
        notes: [
          'journeys without steps yet (they run once they have some): checkout_full',
        ],
      },
    ]);
    const drills = await csv(
      '/import/drills?entityRef=component:default/checkout',
      'date,region,duration_min,success,notes\n2025-09-10,ap-sg,18,true,"rds promotion 3m; cache warm 5m"\n',
    );
    expect([drills.status, drills.body.created]).toEqual([200, 1]);
    const badDrill = await csv(
      '/import/drills?entityRef=component:default/checkout',
      'date,region,duration_min,success,notes\n2026-13-01,ap-sg,4,true,x\n',
    );
    expect(badDrill.body.error.message).toBe(
      "Invalid CSV, nothing imported: line 2, date: must be a date such as 2025-09-10, got '2026-13-01'",
    );
  });
});
