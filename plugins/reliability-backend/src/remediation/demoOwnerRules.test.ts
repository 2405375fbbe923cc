import fs from 'fs';
import os from 'os';
import path from 'path';
import { parseAllDocuments } from 'yaml';
import { mockServices } from '@backstage/backend-test-utils';
import { UrlReaderService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { RemediationAction } from '@reliability-suite/plugin-reliability-node';
import { Redactor } from '../redaction/Redactor';
import { featureFlagAction } from './actions/featureFlag';
import { createKubernetesAction } from './actions/kubernetes';
import { webhookAction } from './actions/webhook';
import { OwnerRules, readOwnerRulesPolicy } from './ownerRules';
import { RemediationRule } from './rules';

/**
 * The demo's owner-written rule: checkout's reliability.io/remediation-rules annotation (catalog/components.yaml)
 * names catalog/remediation/checkout.yaml beside it, and app-config.yaml's reliability.remediation.ownerRules allows
 * it. Loaded as the portal loads it (the catalog's file: location, the plugin's policy reader and built-in actions),
 * the rule is read, valid and listed as GET /remediation/owner-rules lists it.
 */

const repo = path.resolve(__dirname, '../../../..');
const CHECKOUT = 'component:default/checkout';
const RULE = `${CHECKOUT}#payment-worker-restart`;

/** An entity of a catalog file as the catalog stores it: with the file: location it was read from. */
function entityOf(file: string, name: string, location = file): Entity {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map(
    d => d.toJS() as Entity,
  );
  const entity = docs.find(
    e => e?.kind === 'Component' && e.metadata.name === name,
  );
  if (!entity) throw new Error(`${file}: no component ${name}`);
  entity.metadata.namespace = 'default';
  entity.metadata.annotations = {
    ...entity.metadata.annotations,
    'backstage.io/managed-by-location': `file:${location}`,
  };
  return entity;
}

function load(entities: Entity[]) {
  const config = new ConfigReader(
    parseAllDocuments(
      fs.readFileSync(path.join(repo, 'app-config.yaml'), 'utf8'),
    )[0].toJS(),
  );
  const actions = new Map<string, RemediationAction>(
    [webhookAction, featureFlagAction, createKubernetesAction([])].map(a => [
      a.id,
      a,
    ]),
  );
  const applied: RemediationRule[][] = [];
  const logger = mockServices.logger.mock();
  const ownerRules = new OwnerRules({
    catalog: catalogServiceMock({ entities }),
    auth: mockServices.auth(),
    // a file: location is read from disk: the UrlReader is never asked
    urlReader: {
      readUrl: async () => {
        throw new Error('the UrlReader was asked');
      },
    } as unknown as UrlReaderService,
    actions,
    redactor: new Redactor(),
    logger,
    policy: readOwnerRulesPolicy(config),
    apply: rules => applied.push(rules),
  });
  return { ownerRules, applied, logger };
}

describe("the demo's owner-written rule", () => {
  it("is read beside checkout's catalog file, valid under the platform policy, and listed", async () => {
    const checkout = entityOf(
      path.join(repo, 'catalog/components.yaml'),
      'checkout',
    );
    expect(
      checkout.metadata.annotations?.['reliability.io/remediation-rules'],
    ).toBe('./remediation/checkout.yaml');
    const { ownerRules, applied } = load([checkout]);
    await ownerRules.refresh();
    const page = ownerRules.list(undefined, 100, undefined, () => true);
    expect(page.items).toEqual([
      {
        entityRef: CHECKOUT,
        // never the server's absolute path
        location: 'file:catalog/remediation/checkout.yaml',
        loadedAt: expect.any(String),
        rules: [RULE],
        refusals: [],
      },
    ]);
    const [rule] = applied[0];
    expect(rule).toMatchObject({
      id: RULE,
      entityRef: CHECKOUT,
      action: 'webhook',
      triggers: ['manual'],
      owner: { location: 'file:catalog/remediation/checkout.yaml', index: 0 },
    });
    expect(rule.configPath).toBeUndefined();
    // its target is the one the policy allows
    expect(webhookAction.target(rule.params)).toBe(
      'POST http://127.0.0.1:8015/ops/payment-worker/restart',
    );
  });

  describe('a rules file beside a file: catalog location', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owner-rules-'));
      fs.mkdirSync(path.join(dir, 'catalog'));
      fs.writeFileSync(
        path.join(dir, 'catalog/components.yaml'),
        fs
          .readFileSync(path.join(repo, 'catalog/components.yaml'), 'utf8')
          .replace('./remediation/checkout.yaml', '../outside/checkout.yaml'),
      );
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is refused when the path leaves the catalog file's directory, or the file is missing; nothing loads", async () => {
      const catalogFile = path.join(dir, 'catalog/components.yaml');
      const outside = entityOf(catalogFile, 'checkout');
      const { ownerRules, applied } = load([outside]);
      await ownerRules.refresh();
      expect(applied).toEqual([[]]);
      expect(
        ownerRules.list(CHECKOUT, 10, undefined, () => true).items[0].refusals,
      ).toEqual([
        expect.objectContaining({
          field: 'metadata.annotations.reliability.io/remediation-rules',
          message: expect.stringContaining(
            'points outside the directory of the entity',
          ),
        }),
      ]);

      fs.writeFileSync(
        catalogFile,
        fs
          .readFileSync(catalogFile, 'utf8')
          .replace('../outside/checkout.yaml', './missing.yaml'),
      );
      const missing = load([entityOf(catalogFile, 'checkout')]);
      await missing.ownerRules.refresh();
      const [state] = missing.ownerRules.list(
        CHECKOUT,
        10,
        undefined,
        () => true,
      ).items;
      expect(state.location).toBe('file:catalog/missing.yaml');
      expect(state.refusals).toEqual([
        expect.objectContaining({
          field: 'file',
          message: 'cannot read: no such file',
        }),
      ]);
      expect(JSON.stringify(state)).not.toContain(dir);
    });

    it('reads a changed file on the next refresh, and an unchanged one is not parsed again', async () => {
      const catalogFile = path.join(dir, 'catalog/components.yaml');
      fs.writeFileSync(
        catalogFile,
        fs
          .readFileSync(catalogFile, 'utf8')
          .replace('../outside/checkout.yaml', './rules.yaml'),
      );
      const rulesFile = path.join(dir, 'catalog/rules.yaml');
      const written = fs.readFileSync(
        path.join(repo, 'catalog/remediation/checkout.yaml'),
        'utf8',
      );
      fs.writeFileSync(rulesFile, written);
      const { ownerRules, applied } = load([entityOf(catalogFile, 'checkout')]);
      await ownerRules.refresh();
      const first = ownerRules.list(CHECKOUT, 10, undefined, () => true)
        .items[0];
      await ownerRules.refresh();
      // unchanged: the state (and its load time) is kept
      expect(
        ownerRules.list(CHECKOUT, 10, undefined, () => true).items[0].loadedAt,
      ).toBe(first.loadedAt);
      // a second rule, outside the policy: refused by field, the first still loads
      fs.writeFileSync(
        rulesFile,
        `${written}  - id: elsewhere\n    triggers: [manual]\n    action: webhook\n    params: { url: 'http://127.0.0.1:9999/x' }\n`,
      );
      const later = Date.now() / 1000 + 5;
      fs.utimesSync(rulesFile, later, later);
      await ownerRules.refresh();
      const state = ownerRules.list(CHECKOUT, 10, undefined, () => true)
        .items[0];
      expect(state.rules).toEqual([RULE]);
      expect(state.refusals).toEqual([
        expect.objectContaining({
          index: 1,
          field: 'params.url',
          message: expect.stringContaining('is not under any of'),
        }),
      ]);
      expect(applied.map(rules => rules.map(r => r.id))).toEqual([
        [RULE],
        [RULE],
        [RULE],
      ]);
    });
  });
});
