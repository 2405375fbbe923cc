import path from 'path';
import os from 'os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleReliability from '@reliability-suite/plugin-catalog-backend-module-reliability';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { catalogLocationsExtensionPoint } from '@backstage/plugin-catalog-node';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';

// lets the test register (dry-run) a file location, as a repository's catalog-import would register a URL
const allowFileLocations = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'test-file-locations',
  register(reg) {
    reg.registerInit({
      deps: { locations: catalogLocationsExtensionPoint },
      async init({ locations }) {
        locations.setAllowedLocationTypes(['url', 'file']);
      },
    });
  },
});

jest.setTimeout(120_000);

const catalogDir = path.resolve(__dirname, '../../../../catalog');

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Cross-plugin: the real catalog backend with our OpenSLO module reads catalog/ from this repository, and the
 * reliability backend finds the SLOs through the catalog and evaluates them.
 */
describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('catalog + reliability on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('loads the demo SLOs as entities related to their components, and serves them', async () => {
    const knex = await databases.init(databaseId);
    const scheduler = manualScheduler();
    const { server } = await startTestBackend({
      features: [
        scheduler.factory,
        catalogPlugin,
        catalogModuleReliability,
        allowFileLocations,
        reliabilityPlugin,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              processingInterval: { seconds: 1 },
              rules: [
                {
                  allow: [
                    'Component',
                    'System',
                    'Group',
                    'User',
                    'Location',
                    'SLO',
                    'PrometheusServiceLevel',
                    'SLI',
                    'AlertPolicy',
                    'AlertCondition',
                    'AlertNotificationTarget',
                    'DataSource',
                    'Service',
                  ],
                },
              ],
              locations: [
                { type: 'file', target: path.join(catalogDir, 'all.yaml') },
                // Sloth's Kubernetes resource, read as it is: each of its SLOs becomes an SLO entity
                {
                  type: 'file',
                  target: path.join(
                    catalogDir,
                    'sloth/checkout-errors.sloth.yaml',
                  ),
                },
                // OpenSLO's other kinds, several per file, and an SLO that names them by reference
                {
                  type: 'file',
                  target: path.join(
                    __dirname,
                    '../__fixtures__/openslo-references.yaml',
                  ),
                },
                {
                  type: 'file',
                  target: path.join(
                    __dirname,
                    '../__fixtures__/invalid-slo.yaml',
                  ),
                },
              ],
            },
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

    const sloEntity = await until(
      'the checkout SLO with its owner',
      async () => {
        const res = await request(server).get(
          '/api/catalog/entities/by-name/slo/default/checkout-success',
        );
        const rels =
          res.body?.relations?.map((r: any) => `${r.type} ${r.targetRef}`) ??
          [];
        return rels.includes('ownedBy group:default/payments-sre')
          ? res.body
          : undefined;
      },
    );
    expect(
      sloEntity.relations.map((r: any) => `${r.type} ${r.targetRef}`).sort(),
    ).toEqual([
      'measures component:default/checkout',
      'ownedBy group:default/payments-sre',
    ]);
    const component = await request(server).get(
      '/api/catalog/entities/by-name/component/default/checkout',
    );
    expect(
      component.body.relations.map((r: any) => `${r.type} ${r.targetRef}`),
    ).toContain('measuredBy slo:default/checkout-success');

    // the Sloth resource is an entity, and each of its SLOs an OpenSLO SLO of checkout
    const slothSlo = await until("the Sloth resource's SLOs", async () => {
      const res = await request(server).get(
        '/api/catalog/entities/by-name/slo/default/checkout-requests-error-ratio',
      );
      // the owner's relation may come a processing pass after the component's
      return res.status === 200 && res.body.relations?.length >= 2
        ? res.body
        : undefined;
    });
    expect(
      slothSlo.relations.map((r: any) => `${r.type} ${r.targetRef}`).sort(),
    ).toEqual([
      'measures component:default/checkout',
      'ownedBy group:default/payments-sre',
    ]);
    expect(
      (
        await request(server).get(
          '/api/catalog/entities/by-name/prometheusservicelevel/default/checkout-errors',
        )
      ).status,
    ).toBe(200);
    await until(
      'the other Sloth SLO',
      async () =>
        (
          await request(server).get(
            '/api/catalog/entities/by-name/slo/default/checkout-requests-availability',
          )
        ).status === 200 || undefined,
    );

    // an SLO's references resolve across documents: the SLI, the policy, its condition and its target are put in place
    const refSlo = await until(
      'the SLO that names its SLI and policy',
      async () => {
        const res = await request(server).get(
          '/api/catalog/entities/by-name/slo/default/inventory-availability',
        );
        return res.status === 200 &&
          res.body.relations?.some((r: any) => r.type === 'ownedBy')
          ? res.body
          : undefined;
      },
    );
    expect(
      refSlo.relations.map((r: any) => `${r.type} ${r.targetRef}`).sort(),
    ).toEqual([
      'dependsOn alertcondition:default/inventory-fast-burn',
      'dependsOn alertnotificationtarget:default/platform-pager',
      'dependsOn alertpolicy:default/inventory-paging',
      'dependsOn sli:default/inventory-errors',
      'measures component:default/inventory',
      'ownedBy group:default/platform-sre',
    ]);
    expect(
      (
        await request(server).get(
          '/api/catalog/entities/by-name/service/default/inventory',
        )
      ).status,
    ).toBe(200);
    // a list label value, which the catalog cannot keep in metadata.labels, travels in an annotation
    expect([
      refSlo.metadata.labels,
      refSlo.metadata.annotations['reliability.io/openslo-labels'],
    ]).toEqual([{ env: 'prod' }, '{"team":"platform-sre,inventory-squad"}']);
    // a dangling reference (in a JSON file): the SLO is kept, with a processing error naming the field and the
    // missing name in its status (what the catalog's EntityProcessingErrorsPanel shows on its page)
    const dangling = await request(server)
      .post('/api/catalog/locations?dryRun=true')
      .send({
        type: 'file',
        target: path.join(__dirname, '../__fixtures__/openslo-dangling.json'),
      });
    expect(
      dangling.body.entities
        ?.flatMap((e: any) => e.status?.items ?? [])
        .map((i: any) => i.error?.message),
    ).toEqual([
      expect.stringMatching(
        /openslo-dangling\.json: spec\.indicatorRef: no SLI named inventory-latency-sli in namespace default/,
      ),
    ]);

    // the invalid document is refused with the file and the field named
    const errors = await until(
      'the processing error of the invalid SLO',
      async () => {
        const res = await request(server)
          .post('/api/catalog/locations?dryRun=true')
          .send({
            type: 'file',
            target: path.join(__dirname, '../__fixtures__/invalid-slo.yaml'),
          });
        return res.status >= 400 ? res.body : undefined;
      },
    );
    expect(errors.error.message).toMatch(
      /invalid-slo\.yaml: spec\.objectives\.0\.timeSliceTarget: timeSliceTarget is required with budgetingMethod Timeslices/,
    );
    expect(
      (
        await request(server).get(
          '/api/catalog/entities/by-name/slo/default/timeslices-slo',
        )
      ).status,
    ).toBe(404);

    // the reliability registry learns the catalog's SLOs on its scheduled tick
    await scheduler.evaluate();
    const list = await request(server)
      .get('/api/reliability/slos')
      .query({ entityRef: 'component:default/checkout' });
    expect(list.status).toBe(200);
    expect(
      list.body.items.map((i: any) => [
        i.ref,
        i.sourceType,
        i.objective,
        i.windowLabel,
        i.status.state,
      ]),
    ).toEqual([
      // the seed's SRE-001: the synthetic checkout journey as an SLI
      ['default/checkout-journey', 'Synthetic', 0.995, '7d rolling', 'no_data'],
      // SRE-001's second objective: the same journey's p95 at most 2 s (95% of runs within 2,000 ms)
      [
        'default/checkout-journey-latency',
        'Synthetic',
        0.95,
        '7d rolling',
        'no_data',
      ],
      // from the Sloth resource: Prometheus SLIs (no Prometheus here, so no data yet)
      [
        'default/checkout-requests-availability',
        'Prometheus',
        0.995,
        '30d rolling',
        'no_data',
      ],
      [
        'default/checkout-requests-error-ratio',
        'Prometheus',
        0.99,
        '30d rolling',
        'no_data',
      ],
      ['default/checkout-success', 'Ingest', 0.995, '30d rolling', 'no_data'],
    ]);
    const inventory = await request(server)
      .get('/api/reliability/slos')
      .query({ entityRef: 'component:default/inventory' });
    const referenced = inventory.body.items.find(
      (i: any) => i.ref === 'default/inventory-availability',
    );
    // the title comes from the referenced SLI's displayName: its content arrived
    expect([
      referenced.title,
      referenced.objective,
      referenced.alertPolicy.source,
      referenced.alertPolicy.rules.length,
      referenced.alertPolicy.targets,
    ]).toEqual([
      'Inventory answers without a server error',
      0.995,
      'openslo',
      1,
      [{ name: 'platform-pager', target: 'pagerduty:platform-sre' }],
    ]);
    const search = await request(server)
      .get('/api/reliability/slos')
      .query({ entityRef: 'component:default/search' });
    expect(search.body.items[0].windowLabel).toBe(
      '1M calendar (Europe/Berlin)',
    );
  });

  it('re-reads an SLO when the SLI it references changes, and the suite re-parses it', async () => {
    const knex = await databases.init(databaseId);
    const scheduler = manualScheduler();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'openslo-refs-'));
    const file = path.join(dir, 'inventory.yaml');
    const fixture = readFileSync(
      path.join(__dirname, '../__fixtures__/openslo-references.yaml'),
      'utf8',
    );
    writeFileSync(file, fixture);
    const { server } = await startTestBackend({
      features: [
        scheduler.factory,
        catalogPlugin,
        catalogModuleReliability,
        reliabilityPlugin,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              processingInterval: { seconds: 1 },
              rules: [
                {
                  allow: [
                    'Component',
                    'Group',
                    'Location',
                    'SLO',
                    'SLI',
                    'AlertPolicy',
                    'AlertCondition',
                    'AlertNotificationTarget',
                    'Service',
                  ],
                },
              ],
              locations: [
                { type: 'file', target: path.join(catalogDir, 'org.yaml') },
                {
                  type: 'file',
                  target: path.join(catalogDir, 'components.yaml'),
                },
                { type: 'file', target: file },
              ],
            },
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
    try {
      const title = async () => {
        await scheduler.evaluate();
        const res = await request(server)
          .get('/api/reliability/slos')
          .query({ entityRef: 'component:default/inventory' });
        return res.body.items?.find(
          (i: any) => i.ref === 'default/inventory-availability',
        )?.title as string | undefined;
      };
      expect(
        await until('the SLO with its SLI', async () =>
          (await title()) === 'Inventory answers without a server error'
            ? true
            : undefined,
        ),
      ).toBe(true);
      // the SLI document changes in its file: the SLO, unchanged in its own document, follows on the next passes
      writeFileSync(
        file,
        fixture.replace(
          'displayName: Inventory answers without a server error',
          'displayName: Inventory answers fast and right',
        ),
      );
      expect(
        await until(
          'the SLO with the changed SLI',
          async () =>
            (await title()) === 'Inventory answers fast and right'
              ? true
              : undefined,
          90_000,
        ),
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
