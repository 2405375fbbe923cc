import { readFileSync } from 'fs';
import path from 'path';
import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { UrlReaderServiceReadTreeOptions } from '@backstage/backend-plugin-api';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { component, ingestSlo } from '../__testUtils__/entities';
import { SloRegistry } from '../slos/SloRegistry';
import { ChaosFiles } from './ChaosFiles';

jest.setTimeout(60_000);

const seeds = path.join(__dirname, '../../../../catalog/chaos/experiments');
const seedText = (name: string) => readFileSync(path.join(seeds, name), 'utf8');

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('ChaosFiles on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  async function setup(
    tree: Record<string, string>,
    annotation = 'https://git.example/shop/checkout/tree/main/chaos/experiments',
  ) {
    const checkout = {
      ...component('checkout'),
      metadata: {
        name: 'checkout',
        namespace: 'default',
        annotations: { 'reliability.io/chaos-experiments': annotation },
      },
    };
    const catalog = catalogServiceMock({
      entities: [
        checkout,
        component('plain'),
        ingestSlo('checkout-success', 'checkout'),
      ],
    });
    const { slos } = (
      await ReliabilityDatabase.create(await databases.init(databaseId))
    ).stores();
    const registry = new SloRegistry(
      catalog,
      mockServices.auth(),
      slos.registry,
      mockServices.rootLogger({ level: 'error' }),
    );
    await registry.sync();
    const asked: string[] = [];
    // the UrlReader contract: readTree applies the filter (with each file's size) and answers the files
    const urlReader = mockServices.urlReader.mock({
      readTree: async (
        url: string,
        options?: UrlReaderServiceReadTreeOptions,
      ) => {
        asked.push(url);
        if (url.includes('unreachable'))
          throw new Error(
            `request to ${url}?token=s3cr3t failed, reason: connect ECONNREFUSED`,
          );
        const files = Object.entries(tree)
          .filter(
            ([p, text]) =>
              !options?.filter ||
              options.filter(p, { size: Buffer.byteLength(text) }),
          )
          .map(([p, text]) => ({
            path: p,
            content: async () => Buffer.from(text),
          }));
        return {
          files: async () => files,
          archive: async () => {
            throw new Error('unused');
          },
          dir: async () => {
            throw new Error('unused');
          },
          etag: 'e1',
        } as any;
      },
    });
    return {
      files: new ChaosFiles({
        catalog,
        auth: mockServices.auth(),
        urlReader,
        registry,
      }),
      asked,
    };
  }

  it("lints the annotated folder's experiment files with the entity's SLOs", async () => {
    const drifted = seedText('latency_checkout.yaml').replace(
      'trafficPercent: 5',
      'trafficPercent: 50',
    );
    const { files, asked } = await setup({
      'latency_checkout.yaml': drifted,
      'brownout_checkout.yaml': seedText('brownout_checkout.yaml'),
      'README.md': '# not an experiment',
    });
    const r = await files.lint(
      'component:default/checkout',
      mockCredentials.user(),
    );
    expect(asked).toEqual([
      'https://git.example/shop/checkout/tree/main/chaos/experiments',
    ]);
    expect(
      r.files.map(f => [
        f.path,
        f.experiments.map(e => [e.name, e.ok, e.violations.map(v => v.field)]),
      ]),
    ).toEqual([
      ['brownout_checkout.yaml', [['brownout-checkout', true, []]]],
      [
        'latency_checkout.yaml',
        [['latency-checkout', false, ['blastRadius.trafficPercent']]],
      ],
    ]);
    expect(r.skipped).toEqual([]);
  });

  it('answers no files for an entity without the annotation, 404 for an unknown one, and a redacted 503 when the folder cannot be read', async () => {
    const { files } = await setup({});
    expect(
      await files.lint('component:default/plain', mockCredentials.user()),
    ).toEqual({
      entityRef: 'component:default/plain',
      location: null,
      files: [],
      skipped: [],
    });
    await expect(
      files.lint('component:default/nope', mockCredentials.user()),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
    const { files: broken } = await setup(
      {},
      'https://user:pw@unreachable.example/chaos',
    );
    const err = await broken
      .lint('component:default/checkout', mockCredentials.user())
      .catch(e => e);
    expect(err.name).toBe('ServiceUnavailableError');
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toMatch(/pw|s3cr3t/);
  });

  it('reads at most 100 files and skips oversized ones, saying so', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 105; i++)
      tree[`e${String(i).padStart(3, '0')}.yaml`] = seedText(
        'brownout_checkout.yaml',
      );
    tree['huge.yaml'] = 'x'.repeat(1_000_001);
    const { files } = await setup(tree);
    const r = await files.lint(
      'component:default/checkout',
      mockCredentials.user(),
    );
    expect(r.files).toHaveLength(100);
    expect(r.skipped).toEqual(
      expect.arrayContaining([
        'huge.yaml (larger than 1000000 bytes)',
        'e104.yaml (more than 100 files)',
      ]),
    );
    expect(r.skipped).toHaveLength(6);
  });
});
