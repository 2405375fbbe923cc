import http from 'http';
import { AddressInfo } from 'net';
import {
  mockServices,
  ServiceFactoryTester,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { UrlReaderService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { RemediationAction } from '@reliability-suite/plugin-reliability-node';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { Redactor } from '../redaction/Redactor';
import { RemediationEngine } from './RemediationEngine';
import { RemediationMetrics } from './metrics';
import { buildRemediationRules } from './rules';
import { webhookAction } from './actions/webhook';
import { OwnerRules, readOwnerRulesPolicy } from './ownerRules';

jest.setTimeout(60_000);

const CHECKOUT = 'component:default/checkout';
const SEARCH = 'component:default/search';

/** A loopback git host: serves the files in `files` with an etag, answering 304 to a matching If-None-Match. */
async function gitHost() {
  const files: Record<string, string> = {};
  const reads: Array<{ path: string; status: number }> = [];
  const server = http.createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (body === undefined) {
      reads.push({ path: req.url ?? '', status: 404 });
      res.writeHead(404).end('not found');
      return;
    }
    const etag = `"${Buffer.from(body).toString('base64url').slice(-16)}-${
      body.length
    }"`;
    const status = req.headers['if-none-match'] === etag ? 304 : 200;
    reads.push({ path: req.url ?? '', status });
    if (status === 304) res.writeHead(304, { etag }).end();
    else res.writeHead(200, { etag, 'content-type': 'text/yaml' }).end(body);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { files, reads, server, base: `http://127.0.0.1:${port}` };
}

function annotated(name: string, base: string, rulesAnnotation?: string) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'backstage.io/managed-by-location': `url:${base}/${name}/catalog-info.yaml`,
        ...(rulesAnnotation
          ? { 'reliability.io/remediation-rules': rulesAnnotation }
          : {}),
      },
    },
    spec: { type: 'service', owner: 'group:default/team', lifecycle: 'x' },
  } as Entity;
}

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('Owner-written remediation rules on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let host: Awaited<ReturnType<typeof gitHost>>;

  beforeAll(async () => {
    host = await gitHost();
  });
  afterAll(async () => {
    await new Promise(r => host.server.close(r));
  });

  async function setup(entities: Entity[]) {
    const knex = await databases.init(databaseId);
    const stores = (await ReliabilityDatabase.create(knex)).stores();
    const calls: string[] = [];
    const recording: RemediationAction = {
      id: 'recording',
      description: 'records its calls',
      validate: p =>
        typeof p.deployment === 'string' ? [] : ['params.deployment: required'],
      target: p => `restart ${p.deployment}`,
      describe: c => `restart for ${c.entityRef}`,
      async execute(c) {
        calls.push(`${c.ruleId}:${c.trigger.id}`);
        return { detail: 'restarted' };
      },
    };
    const actions = new Map<string, RemediationAction>([
      [recording.id, recording],
      [webhookAction.id, webhookAction],
    ]);
    const redactor = new Redactor();
    const logger = mockServices.rootLogger({ level: 'error' });
    const platformRules = buildRemediationRules(
      [
        {
          path: 'reliability.remediation.rules[0]',
          id: 'platform-search',
          entityRef: SEARCH,
          match: ['severity="page"'],
          action: 'recording',
          params: { deployment: 'search' },
          cooldown: '0',
        },
      ],
      actions,
      redactor,
    );
    const engine = new RemediationEngine({
      store: stores.remediation,
      escalations: stores.escalations,
      rules: platformRules,
      actions,
      logger,
      auditor: mockServices.auditor.mock(),
      metrics: new RemediationMetrics(),
      holder: 'test',
      backoff: { baseMs: 1, capMs: 2 },
    });
    const catalogState = { entities };
    const catalog = {
      queryEntities: (req: any, opts: any) =>
        catalogServiceMock({ entities: catalogState.entities }).queryEntities(
          req,
          opts,
        ),
    } as unknown as CatalogService;
    // the backend's real UrlReader, allowed to read the loopback git host
    const urlReader = (await ServiceFactoryTester.from(
      mockServices.urlReader.factory(),
      {
        dependencies: [
          mockServices.rootConfig.factory({
            data: {
              backend: {
                reading: { allow: [{ host: host.base.slice(7) }] },
              },
            },
          }),
        ],
      },
    ).getSubject('reliability')) as UrlReaderService;
    const policy = readOwnerRulesPolicy(
      new ConfigReader({
        reliability: {
          remediation: {
            ownerRules: {
              allowedActions: ['recording', 'webhook'],
              allowedTargets: {
                recording: { any: true },
                webhook: { urlPrefixes: [`${host.base}/hooks/`] },
              },
              maxRulesPerEntity: 4,
            },
          },
        },
      }),
    );
    const ownerRules = new OwnerRules({
      catalog,
      auth: mockServices.auth(),
      urlReader,
      actions,
      redactor,
      logger,
      policy,
      apply: rules => engine.setOwnerRules(rules),
    });
    const alert = (id: string, entityRef: string | undefined) => ({
      kind: 'alert' as const,
      id,
      labels: { severity: 'page', alertname: 'SloBurnRateHigh' },
      annotations: {},
      entityRef,
      receivedAt: Date.now(),
    });
    return { engine, ownerRules, calls, catalogState, alert };
  }

  const restartRule = (id: string, match = 'severity="page"') =>
    [
      `  - id: ${id}`,
      `    match: ['${match}']`,
      '    action: recording',
      `    params: { deployment: ${id} }`,
      '    cooldown: "0"',
    ].join('\n');

  it('runs an owner rule for its own entity only, never for another entity or a trigger without one', async () => {
    host.files['/checkout/remediation-rules.yaml'] = `rules:\n${restartRule(
      'rollback',
    )}\n`;
    const { engine, ownerRules, calls, alert } = await setup([
      annotated('checkout', host.base, './remediation-rules.yaml'),
      annotated('search', host.base),
    ]);
    await ownerRules.refresh();
    expect(engine.rulesFor(CHECKOUT).map(r => r.id)).toEqual([
      `${CHECKOUT}#rollback`,
    ]);
    // the same matchers match the other entity's alert and an entity-less one: the owner rule ignores both
    expect(engine.matching(alert('s1', SEARCH)).map(r => r.id)).toEqual([
      'platform-search',
    ]);
    expect(
      engine.matching({ ...alert('am1', undefined), kind: 'alertmanager' }),
    ).toEqual(
      expect.not.arrayContaining([
        expect.objectContaining({ id: `${CHECKOUT}#rollback` }),
      ]),
    );
    await engine.submit(alert('c1', CHECKOUT));
    await engine.submit(alert('s1', SEARCH));
    await engine.idle();
    // the owner rule ran for checkout, the platform rule for search, unchanged
    expect(calls.sort()).toEqual([
      `${CHECKOUT}#rollback:c1`,
      'platform-search:s1',
    ]);
    expect(ownerRules.list(undefined, 10, undefined, () => true)).toEqual({
      items: [
        expect.objectContaining({
          entityRef: CHECKOUT,
          location: `${host.base}/checkout/remediation-rules.yaml`,
          rules: [`${CHECKOUT}#rollback`],
          refusals: [],
        }),
      ],
    });
  });

  it('refuses rules outside the policy or invalid, naming entity, file, index and field; the others load', async () => {
    host.files['/checkout/remediation-rules.yaml'] = [
      'rules:',
      restartRule('ok'),
      '  - id: exfiltrate',
      '    match: [\'severity="page"\']',
      '    action: webhook',
      '    params: { url: "https://elsewhere.example/hooks/x" }',
      '  - id: bad-matcher',
      '    match: [\'severity=~"("\']',
      '    action: recording',
      '    params: { deployment: x }',
      '  - id: other-entity',
      '    entityRef: component:default/search',
      '    match: []',
      '    action: recording',
      '    params: { deployment: x }',
      '',
    ].join('\n');
    host.files['/search/rules.yaml'] = 'rules: [ {id: a, ';
    const { engine, ownerRules } = await setup([
      annotated('checkout', host.base, './remediation-rules.yaml'),
      annotated('search', host.base, `${host.base}/search/rules.yaml`),
    ]);
    await ownerRules.refresh();
    expect(engine.rulesFor(CHECKOUT).map(r => r.id)).toEqual([
      `${CHECKOUT}#ok`,
    ]);
    const [checkout, search] = ownerRules.list(
      undefined,
      10,
      undefined,
      () => true,
    ).items;
    const location = `${host.base}/checkout/remediation-rules.yaml`;
    expect(checkout.refusals).toEqual([
      {
        entityRef: CHECKOUT,
        location,
        index: 1,
        field: 'params.url',
        message: expect.stringContaining('allowedTargets.webhook.urlPrefixes'),
      },
      expect.objectContaining({ index: 2, field: 'match[0]' }),
      expect.objectContaining({ index: 3, field: 'entityRef' }),
    ]);
    // a file that is not YAML is refused whole, naming it
    expect(search).toMatchObject({
      entityRef: SEARCH,
      rules: [],
      refusals: [
        {
          location: `${host.base}/search/rules.yaml`,
          field: 'file',
          message: expect.stringContaining('not YAML'),
        },
      ],
    });
    // an action the policy does not allow at all is refused on its action field
    host.files['/checkout/remediation-rules.yaml'] =
      'rules:\n  - id: k\n    match: []\n    action: kubernetes\n    params: {}\n';
    await ownerRules.refresh();
    expect(
      ownerRules.list(CHECKOUT, 10, undefined, () => true).items[0].refusals,
    ).toEqual([
      expect.objectContaining({
        index: 0,
        field: 'action',
        message: expect.stringContaining('allowedActions'),
      }),
    ]);
    // more rules than maxRulesPerEntity: the first ones load, the rest are refused
    host.files['/checkout/remediation-rules.yaml'] = `rules:\n${[
      'a',
      'b',
      'c',
      'd',
      'e',
    ]
      .map(id => restartRule(id))
      .join('\n')}\n`;
    await ownerRules.refresh();
    expect(engine.rulesFor(CHECKOUT)).toHaveLength(4);
    expect(
      ownerRules.list(CHECKOUT, 10, undefined, () => true).items[0].refusals,
    ).toEqual([
      expect.objectContaining({
        index: 4,
        field: 'rules',
        message: expect.stringContaining('maxRulesPerEntity'),
      }),
    ]);
  });

  it('reloads without restart: a changed file applies after a refresh (unchanged files by etag), a removed annotation removes the rules', async () => {
    host.files['/checkout/remediation-rules.yaml'] = `rules:\n${restartRule(
      'first',
    )}\n`;
    const { engine, ownerRules, calls, catalogState, alert } = await setup([
      annotated('checkout', host.base, './remediation-rules.yaml'),
    ]);
    await ownerRules.refresh();
    host.reads.length = 0;
    await ownerRules.refresh();
    expect(host.reads).toEqual([
      { path: '/checkout/remediation-rules.yaml', status: 304 },
    ]);
    expect(engine.rulesFor(CHECKOUT).map(r => r.id)).toEqual([
      `${CHECKOUT}#first`,
    ]);

    host.files['/checkout/remediation-rules.yaml'] = `rules:\n${restartRule(
      'second',
      'alertname="SloBurnRateHigh"',
    )}\n`;
    await ownerRules.refresh();
    expect(engine.rulesFor(CHECKOUT).map(r => r.id)).toEqual([
      `${CHECKOUT}#second`,
    ]);
    await engine.submit(alert('c2', CHECKOUT));
    await engine.idle();
    expect(calls).toEqual([`${CHECKOUT}#second:c2`]);

    catalogState.entities = [annotated('checkout', host.base)];
    await ownerRules.refresh();
    expect(engine.rulesFor(CHECKOUT)).toEqual([]);
    expect(engine.matching(alert('c3', CHECKOUT))).toEqual([]);
    expect(ownerRules.list(undefined, 10, undefined, () => true)).toEqual({
      items: [],
    });
  });

  it('refuses a relative path that leaves the directory of the catalog file', async () => {
    const { engine, ownerRules } = await setup([
      annotated('checkout', host.base, '../search/rules.yaml'),
    ]);
    await ownerRules.refresh();
    expect(engine.rulesFor(CHECKOUT)).toEqual([]);
    expect(
      ownerRules.list(CHECKOUT, 10, undefined, () => true).items[0].refusals,
    ).toEqual([
      expect.objectContaining({
        field: 'metadata.annotations.reliability.io/remediation-rules',
        message: expect.stringContaining('outside the directory'),
      }),
    ]);
  });
});

describe('readOwnerRulesPolicy', () => {
  const read = (ownerRules: JsonObject) =>
    readOwnerRulesPolicy(
      new ConfigReader({ reliability: { remediation: { ownerRules } } }),
    );
  it('has defaults and names the bad key', () => {
    expect(read({})).toMatchObject({
      enabled: true,
      allowedActions: [],
      maxRulesPerEntity: 20,
      refreshIntervalMs: 60_000,
    });
    expect(() => read({ maxRulesPerEntity: 0 })).toThrow(
      'reliability.remediation.ownerRules.maxRulesPerEntity',
    );
    expect(() => read({ refreshInterval: '1s' })).toThrow(
      'reliability.remediation.ownerRules.refreshInterval',
    );
    expect(() =>
      read({ allowedTargets: { kubernetes: { namespaces: ['prod'] } } }),
    ).toThrow(
      'reliability.remediation.ownerRules.allowedTargets.kubernetes.namespaces[0]',
    );
  });
});
