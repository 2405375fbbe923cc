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
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'fs';
import os from 'os';
import path from 'path';
import { parse } from 'yaml';
import { parseSlo } from '@reliability-suite/plugin-reliability-common';
import { reliabilityPlugin } from '../plugin';
import { component, ingestSlo } from '../__testUtils__/entities';
import { manualScheduler } from '../__testUtils__/scheduler';

jest.setTimeout(60_000);

const UPSTREAM = path.resolve(__dirname, '../../../../test/upstream');
const upstream = (p: string) => readFileSync(path.join(UPSTREAM, p), 'utf8');

/** Pyrra's own examples: a latency indicator in the default namespace, a ratio one in `monitoring`. */
const PYRRA_LATENCY = upstream(
  'pyrra-dev-pyrra/examples/caddy-response-latency.yaml',
);
const PYRRA_COREDNS = upstream(
  'pyrra-dev-pyrra/examples/kubernetes/manifests/slos/slo-coredns-response-errors.yaml',
);
/** Sloth's OpenSLO v1alpha example (Sloth reads v1alpha). */
const V1ALPHA = upstream('slok-sloth/examples/openslo-getting-started.yml');
/** OpenSLO v2alpha, after the go-sdk's examples: the SLO names its SLI, the SLI its DataSource, all three in one text. */
const V2ALPHA = `apiVersion: openslo.com/v2alpha
kind: SLO
metadata:
  name: web-availability
  labels:
    env: prod
spec:
  description: X% of search requests are successful
  serviceRef: checkout
  sliRef: web-successful-requests-ratio
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Good
      target: 0.995
---
apiVersion: openslo.com/v2alpha
kind: SLI
metadata:
  name: web-successful-requests-ratio
spec:
  ratioMetric:
    counter: true
    good:
      dataSourceRef: my-prometheus
      spec:
        query: sum(http_requests{component="web",code=~"2xx|4xx"})
    total:
      dataSourceRef: my-prometheus
      spec:
        query: sum(http_requests{component="web"})
---
apiVersion: openslo.com/v2alpha
kind: DataSource
metadata:
  name: my-prometheus
spec:
  type: Prometheus
  connectionDetails:
    - url: http://prometheus.example.com
`;

const group = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default' },
  spec: { type: 'team', children: [] },
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('SLO documents import on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let server: any;
  let dir: string;

  const start = async (entities: Entity[] = []) => {
    const knex = await databases.init(databaseId);
    const scheduler = manualScheduler();
    ({ server } = await startTestBackend({
      features: [
        reliabilityPlugin,
        // a request without an Authorization header comes from CI: a token granted the import permission
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.service('external:ci', {
            permissionNames: ['reliability.registry.import'],
          }),
        }),
        scheduler.factory,
        catalogServiceMock.factory({
          entities: [
            group('payments-sre'),
            component('checkout', 'payments-sre'),
            ...entities,
          ],
        }),
        mockServices.database.factory({ knex }),
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(r => {
              const user = (credentials.principal as { userEntityRef?: string })
                .userEntityRef;
              if (r.permission.name === 'reliability.registry.import')
                return {
                  result: !user ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
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
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'slo-documents-import-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const post = (
    p: string,
    body: string,
    type = 'application/yaml',
    user?: string,
  ) =>
    request(server)
      .post(`/api/reliability${p}`)
      .set('Authorization', user ? mockCredentials.user.header(user) : '')
      .set('Content-Type', type)
      .send(body);
  /** Every file under publishDir, relative to it. */
  const files = (): string[] => {
    const out: string[] = [];
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      for (const e of require('fs').readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else out.push(path.relative(dir, p));
      }
    };
    walk(dir);
    return out.sort();
  };
  const read = (rel: string) => readFileSync(path.join(dir, rel), 'utf8');
  /** The written file read back as the catalog reads it: objective, window, component. */
  const readBack = (rel: string) => {
    const parsed = parseSlo(parse(read(rel)));
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value.map(d => ({
      ref: d.ref,
      target: d.target,
      window: d.window,
      component: d.componentRef,
    }));
  };

  it('writes a Pyrra, an OpenSLO v1alpha and an OpenSLO v2alpha file as OpenSLO v1 SLOs: a dry run first, then for real, then unchanged', async () => {
    await start();
    const text = [PYRRA_LATENCY, PYRRA_COREDNS, V1ALPHA, V2ALPHA].join(
      '\n---\n',
    );
    const dry = await post('/import/slo-documents?dryRun=true', text);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      registry: 'slo-documents',
      dryRun: true,
      created: 4,
      updated: 0,
      unchanged: 0,
    });
    expect(dry.body.rows).toEqual([
      {
        line: 1,
        id: 'slo:default/caddy-response-latency',
        outcome: 'created',
        detail: 'slos/caddy-response-latency.yaml',
      },
      {
        line: 2,
        id: 'slo:monitoring/coredns-response-errors',
        outcome: 'created',
        detail: 'slos/monitoring/coredns-response-errors.yaml',
      },
      {
        line: 3,
        id: 'slo:default/my-service-sloth-slo-my-service-0',
        outcome: 'created',
        detail: 'slos/my-service-sloth-slo-my-service-0.yaml',
      },
      {
        line: 4,
        id: 'slo:default/web-availability',
        outcome: 'created',
        detail: 'slos/web-availability.yaml',
      },
    ]);
    // the source format of each, and the components the catalog does not have
    expect(dry.body.notes).toEqual([
      'document 1: read as Pyrra (pyrra.dev/v1alpha1), written as OpenSLO v1 slo:default/caddy-response-latency',
      'document 2: read as Pyrra (pyrra.dev/v1alpha1), written as OpenSLO v1 slo:monitoring/coredns-response-errors',
      'document 3: read as OpenSLO v1alpha (openslo/v1alpha), written as OpenSLO v1 slo:default/my-service-sloth-slo-my-service-0',
      'document 4: read as OpenSLO v2alpha (openslo.com/v2alpha), written as OpenSLO v1 slo:default/web-availability',
      'document 5 (OpenSLO v2alpha SLI web-successful-requests-ratio): not an SLO; read only for what the SLOs name',
      'document 6 (OpenSLO v2alpha DataSource my-prometheus): not an SLO; read only for what the SLOs name',
      'slo:default/caddy-response-latency measures component:default/caddy-response-latency, which is not in the catalog: name the component with entityRef= (--entity) or the reliability.io/component annotation',
      'slo:monitoring/coredns-response-errors measures component:monitoring/coredns-response-errors, which is not in the catalog: name the component with entityRef= (--entity) or the reliability.io/component annotation',
      'slo:default/my-service-sloth-slo-my-service-0 measures component:default/my-service, which is not in the catalog: name the component with entityRef= (--entity) or the reliability.io/component annotation',
    ]);
    expect(files()).toEqual([]);

    const real = await post('/import/slo-documents', text);
    expect([real.status, real.body.created, real.body.dryRun]).toEqual([
      200,
      4,
      false,
    ]);
    expect(files()).toEqual([
      'slos/caddy-response-latency.yaml',
      'slos/monitoring/coredns-response-errors.yaml',
      'slos/my-service-sloth-slo-my-service-0.yaml',
      'slos/web-availability.yaml',
    ]);
    // each file is OpenSLO v1, and parseSlo reads back the objective and window the source stated
    for (const f of files()) {
      expect(parse(read(f))).toMatchObject({
        apiVersion: 'openslo/v1',
        kind: 'SLO',
      });
      expect(read(f).startsWith('# OpenSLO v1, read from ')).toBe(true);
    }
    expect(readBack('slos/caddy-response-latency.yaml')).toEqual([
      {
        ref: 'default/caddy-response-latency',
        target: 0.9,
        window: { kind: 'rolling', duration: { amount: 4, unit: 'w' } },
        component: 'component:default/caddy-response-latency',
      },
    ]);
    expect(readBack('slos/monitoring/coredns-response-errors.yaml')).toEqual([
      {
        ref: 'monitoring/coredns-response-errors',
        target: 0.9999,
        window: { kind: 'rolling', duration: { amount: 2, unit: 'w' } },
        component: 'component:monitoring/coredns-response-errors',
      },
    ]);
    expect(readBack('slos/my-service-sloth-slo-my-service-0.yaml')).toEqual([
      {
        ref: 'default/my-service-sloth-slo-my-service-0',
        target: 0.999,
        window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
        component: 'component:default/my-service',
      },
    ]);
    expect(readBack('slos/web-availability.yaml')).toEqual([
      {
        ref: 'default/web-availability',
        target: 0.995,
        window: { kind: 'rolling', duration: { amount: 28, unit: 'd' } },
        component: 'component:default/checkout',
      },
    ]);
    // the v2alpha SLO carries its SLI in place, with the DataSource's type
    const v2 = parse(read('slos/web-availability.yaml'));
    expect(v2.spec.indicator).toEqual({
      metadata: { name: 'web-successful-requests-ratio' },
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              metricSourceRef: 'my-prometheus',
              type: 'Prometheus',
              spec: {
                query: 'sum(http_requests{component="web",code=~"2xx|4xx"})',
              },
            },
          },
          total: {
            metricSource: {
              metricSourceRef: 'my-prometheus',
              type: 'Prometheus',
              spec: { query: 'sum(http_requests{component="web"})' },
            },
          },
        },
      },
    });

    // again: unchanged, the files untouched
    const mtime = statSync(
      path.join(dir, 'slos/caddy-response-latency.yaml'),
    ).mtimeMs;
    const again = await post('/import/slo-documents', text);
    expect([
      again.body.created,
      again.body.updated,
      again.body.unchanged,
    ]).toEqual([0, 0, 4]);
    expect(
      statSync(path.join(dir, 'slos/caddy-response-latency.yaml')).mtimeMs,
    ).toBe(mtime);

    // a changed target rewrites the one file
    const changed = await post(
      '/import/slo-documents',
      PYRRA_LATENCY.replace('target: "90"', 'target: "95"'),
    );
    expect(changed.body.rows).toEqual([
      {
        line: 1,
        id: 'slo:default/caddy-response-latency',
        outcome: 'updated',
        detail: 'slos/caddy-response-latency.yaml',
      },
    ]);
    expect(readBack('slos/caddy-response-latency.yaml')[0].target).toBe(0.95);
  });

  it('names the component with entityRef, reads JSON, and writes an OpenSLO v1 SLO with the SLI given alongside in place', async () => {
    await start();
    const res = await post(
      '/import/slo-documents?entityRef=component:default/checkout',
      PYRRA_LATENCY,
      'text/yaml',
    );
    expect([res.status, res.body.notes]).toEqual([
      200,
      [
        'document 1: read as Pyrra (pyrra.dev/v1alpha1), written as OpenSLO v1 slo:default/caddy-response-latency',
      ],
    ]);
    expect(readBack('slos/caddy-response-latency.yaml')[0].component).toBe(
      'component:default/checkout',
    );

    // JSON: a list of OpenSLO v1 documents, the SLO naming its SLI
    const sli = {
      apiVersion: 'openslo/v1',
      kind: 'SLI',
      metadata: { name: 'checkout-ok' },
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              type: 'Prometheus',
              spec: {
                query: 'sum(rate(http_requests_total{code!~"5.."}[5m]))',
              },
            },
          },
          total: {
            metricSource: {
              type: 'Prometheus',
              spec: { query: 'sum(rate(http_requests_total[5m]))' },
            },
          },
        },
      },
    };
    const slo = {
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: { name: 'checkout-availability' },
      spec: {
        service: 'checkout',
        indicatorRef: 'checkout-ok',
        timeWindow: [{ duration: '30d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ targetPercent: 99.9 }],
      },
    };
    const json = await request(server)
      .post('/api/reliability/import/slo-documents')
      .set('Authorization', '')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify([slo, sli]));
    expect([json.status, json.body.rows]).toEqual([
      200,
      [
        {
          line: 1,
          id: 'slo:default/checkout-availability',
          outcome: 'created',
          detail: 'slos/checkout-availability.yaml',
        },
      ],
    ]);
    const written = parse(read('slos/checkout-availability.yaml'));
    expect(written.spec.indicatorRef).toBeUndefined();
    expect(written.spec.indicator).toEqual({
      metadata: { name: 'checkout-ok' },
      spec: sli.spec,
    });
    expect(readBack('slos/checkout-availability.yaml')).toEqual([
      {
        ref: 'default/checkout-availability',
        target: 0.999,
        window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
        component: 'component:default/checkout',
      },
    ]);
  });

  it('refuses bad documents all at once, naming each document and field, and writes nothing', async () => {
    // checkout-errors is already in the catalog from a hand-written file: 99% over 30 days
    const handWritten = ingestSlo('checkout-errors');
    handWritten.metadata.annotations = {
      'backstage.io/managed-by-location':
        'file:/repo/catalog/slos/checkout-errors.yaml',
    };
    await start([handWritten]);
    const pyrra = (name: string, target: string, window = '4w') =>
      PYRRA_LATENCY.replace('name: caddy-response-latency', `name: ${name}`)
        .replace('target: "90"', `target: "${target}"`)
        .replace('window: 4w', `window: ${window}`);
    const text = [
      pyrra('good-one', '99'),
      pyrra('bad-target', 'ninety'),
      V2ALPHA.replace(
        'sliRef: web-successful-requests-ratio',
        'sliRef: missing-sli',
      ),
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec: {}\n',
      pyrra('good-one', '99.5'),
      pyrra('checkout-errors', '99.5', '30d'),
      pyrra('bad-window', '99', 'fortnight'),
    ].join('\n---\n');
    const res = await post('/import/slo-documents', text);
    expect(res.status).toBe(400);
    expect(res.body.error.message.split('; ')).toEqual([
      'Invalid SLO documents, nothing imported: document 2 (Pyrra ServiceLevelObjective bad-target): spec.target: target must be a percentage such as "99.9"',
      'document 3 (OpenSLO v2alpha SLO web-availability): spec.sliRef: no SLI named missing-sli alongside the SLO (give the SLI document in the same file)',
      // documents 4 and 5 are the SLI and DataSource of document 3
      'document 6 (backstage.io/v1alpha1 Component x): apiVersion: not an SLO format the suite reads (openslo/v1, openslo/v1alpha, openslo.com/v2alpha, pyrra.dev/v1alpha1, Sloth prometheus/v1 or sloth.slok.dev/v1)',
      'document 7 (Pyrra ServiceLevelObjective good-one): metadata.name: slo:default/good-one is also document 1',
      'document 8: spec.objectives: slo:default/checkout-errors is already defined in slos/checkout-errors.yaml with 99%, not 99.5% (change it there, or import it under another name)',
      'document 9 (Pyrra ServiceLevelObjective bad-window): spec.window: window must be a duration such as 4w or 28d',
    ]);
    expect(files()).toEqual([]);

    // not YAML: the document, its line and column; the others are read all the same
    const broken = await post(
      '/import/slo-documents',
      `${pyrra('fine', '99')}\n---\nkind: [unclosed\n---\n${pyrra(
        'bad-target',
        'x',
      )}`,
    );
    expect(broken.status).toBe(400);
    const parts = broken.body.error.message.split('; ');
    expect(parts).toHaveLength(2);
    // the line and column are the file's, not the document's
    expect(parts[0]).toBe(
      'Invalid SLO documents, nothing imported: document 2: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 19, column 1',
    );
    expect(parts[1]).toBe(
      'document 3 (Pyrra ServiceLevelObjective bad-target): spec.target: target must be a percentage such as "99.9"',
    );
    // an SLO that says the same as the catalog's is unchanged, and not written
    const same = await post(
      '/import/slo-documents',
      pyrra('checkout-errors', '99', '30d'),
    );
    expect([same.status, same.body.rows]).toEqual([
      200,
      [
        {
          line: 1,
          id: 'slo:default/checkout-errors',
          outcome: 'unchanged',
          detail: 'defined in slos/checkout-errors.yaml',
        },
      ],
    ]);
    expect(files()).toEqual([]);
  });

  it('asks for the import permission, takes YAML or JSON up to 2 MB, and nothing else', async () => {
    await start();
    const denied = await post(
      '/import/slo-documents',
      PYRRA_LATENCY,
      'application/yaml',
      'user:default/mei',
    );
    // the safe default: the 403 names the permission and the setting that opens it
    expect([denied.status, denied.body.error.message]).toEqual([
      403,
      expect.stringMatching(
        /^Missing permission reliability\.registry\.import: .*reliability\.permissions\.platformGroups/,
      ),
    ]);
    const csv = await post('/import/slo-documents', PYRRA_LATENCY, 'text/csv');
    expect([csv.status, csv.body.error.message]).toEqual([
      400,
      'Invalid body: send the SLO documents as YAML or JSON with Content-Type: application/yaml, text/yaml, application/json or text/plain',
    ]);
    // and a CSV registry is not sent YAML
    const yamlToCsv = await post(
      '/import/slos',
      'slo_id\n',
      'application/yaml',
    );
    expect([yamlToCsv.status, yamlToCsv.body.error.message]).toEqual([
      400,
      'Invalid body: send the registry as CSV with Content-Type: text/csv',
    ]);
    const empty = await request(server)
      .post('/api/reliability/import/slo-documents')
      .set('Authorization', '');
    expect(empty.status).toBe(400);
    expect(
      (await post('/import/slo-documents', '# nothing\n', 'text/plain')).body
        .error.message,
    ).toBe(
      'Invalid SLO documents, nothing imported: no SLO in the documents: nothing to import',
    );

    // over 2 MB: YAML answered by the body parser, JSON by the route; nothing written
    const padding = `# ${'x'.repeat(2 * 1024 * 1024)}\n`;
    const big = await post(
      '/import/slo-documents',
      `${padding}${PYRRA_LATENCY}`,
    );
    expect(big.status).toBe(413);
    const bigJson = await request(server)
      .post('/api/reliability/import/slo-documents')
      .set('Authorization', '')
      .set('Content-Type', 'application/json')
      .send(
        JSON.stringify({
          ...parse(PYRRA_LATENCY),
          padding: 'x'.repeat(2 * 1024 * 1024),
        }),
      );
    expect([bigJson.status, bigJson.body.error.message]).toEqual([
      413,
      'request entity too large: an import takes at most 2 MB',
    ]);
    expect(files()).toEqual([]);
  });
});
