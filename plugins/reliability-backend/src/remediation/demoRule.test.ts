import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';
import { ConfigReader } from '@backstage/config';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  alertPolicyOf,
  NO_DATA_RULE,
  parseSlo,
  ruleId,
  SloDefinition,
} from '@reliability-suite/plugin-reliability-common';
import type { RemediationAction } from '@reliability-suite/plugin-reliability-node';
import { readReliabilityConfig } from '../config/readReliabilityConfig';
import { Redactor } from '../redaction/Redactor';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { featureFlagAction } from './actions/featureFlag';
import { createKubernetesAction } from './actions/kubernetes';
import { webhookAction } from './actions/webhook';
import { RemediationMetrics } from './metrics';
import { RemediationEngine } from './RemediationEngine';
import { buildRemediationRules } from './rules';
import { sloAlertTrigger } from './triggers';

/**
 * The demo's flag rollback (`checkout-multibuy-rollback`), read from the repository's app-config.yaml (and with the
 * end-to-end overlay, which repeats it) through the plugin's own config reader and rule builder, runs on the alert
 * the suite raises for checkout's SLO (what the AlertFired subscriber submits), not on another entity's, and still
 * runs on an Alertmanager alert with severity="error".
 */

jest.setTimeout(60_000);

const RULE = 'checkout-multibuy-rollback';
const repo = path.resolve(__dirname, '../../../..');
const yamlOf = (file: string) =>
  parse(fs.readFileSync(path.join(repo, file), 'utf8'));
const sloOf = (file: string): SloDefinition => {
  const r = parseSlo(yamlOf(file));
  if (!r.ok) throw new Error(`${file}: ${r.error}`);
  return r.value[0];
};

const configs: [string, string[]][] = [
  ['app-config.yaml', ['app-config.yaml']],
  [
    'app-config.yaml + test/e2e/app-config.e2e.yaml',
    ['app-config.yaml', 'test/e2e/app-config.e2e.yaml'],
  ],
];

/** The rules as the plugin builds them (remediation/feature.ts): the config reader, the built-in actions. */
function demoRules(files: string[]) {
  const config = ConfigReader.fromConfigs(
    files.map(context => ({ context, data: yamlOf(context) })),
  );
  // the backend runs in packages/backend: the config's relative paths (the burn-rate CSV) are read from there
  const cwd = process.cwd();
  process.chdir(path.join(repo, 'packages/backend'));
  let rc: ReturnType<typeof readReliabilityConfig>;
  try {
    rc = readReliabilityConfig(config);
  } finally {
    process.chdir(cwd);
  }
  // the demo module's chaos engine (reliability-backend-module-demo adds it through the extension point): its rules
  // answer the brownout experiment's start and halt only, so on these alerts it must never run
  const demoPspFault: RemediationAction = {
    id: 'demo-psp-fault',
    description: "the demo module's payment provider fault (a stand-in)",
    validate: () => [],
    target: () => 'demo PSP stub',
    describe: () => 'the demo PSP fault',
    execute: async () => {
      throw new Error('the demo PSP fault ran on an SLO alert');
    },
  };
  const actions = new Map<string, RemediationAction>(
    [
      webhookAction,
      featureFlagAction,
      createKubernetesAction(rc.remediation.clusters),
      demoPspFault,
    ].map(a => [a.id, a]),
  );
  return buildRemediationRules(
    rc.remediation.rules,
    actions,
    Redactor.forConfig(rc.raw),
  );
}

const checkout = sloOf('catalog/slos/checkout-success.yaml');
const search = sloOf('catalog/slos/search-latency.yaml');
const burn = (slo: SloDefinition, severity: 'page' | 'ticket') => {
  const r = alertPolicyOf(slo).rules.find(x => x.severity === severity);
  if (!r) throw new Error(`${slo.ref} has no ${severity} rule`);
  return ruleId(r);
};

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe.each(databases.eachSupportedId())(
  "the demo's flag rollback on %p",
  databaseId => {
    async function setup(files: string[]) {
      const knex = await databases.init(databaseId);
      const stores = (await ReliabilityDatabase.create(knex)).stores();
      const calls: string[] = [];
      // the real flag action, except that its call is recorded: the demo has no flag service on :8013
      const recording: RemediationAction = {
        ...featureFlagAction,
        async execute(c) {
          calls.push(`${c.ruleId}:${c.trigger.id}`);
          return { detail: `turned off by ${c.ruleId}` };
        },
      };
      const engine = new RemediationEngine({
        store: stores.remediation,
        escalations: stores.escalations,
        rules: demoRules(files),
        actions: new Map([[recording.id, recording]]),
        logger: mockServices.rootLogger({ level: 'error' }),
        auditor: mockServices.auditor.mock(),
        metrics: new RemediationMetrics(),
        holder: 'test',
        backoff: { baseMs: 1, capMs: 2 },
      });
      return { engine, calls };
    }

    it.each(configs)(
      "runs on checkout's own page burn alert, not on another entity's (%s)",
      async (_name, files) => {
        const { engine, calls } = await setup(files);
        expect(engine.rules.find(r => r.id === RULE)).toMatchObject({
          entityRef: 'component:default/checkout',
          action: 'feature-flag',
          triggers: expect.arrayContaining(['alert']),
        });
        expect(checkout.componentRef).toBe('component:default/checkout');
        const fired = sloAlertTrigger(
          {
            id: 1,
            sloRef: checkout.ref,
            rule: burn(checkout, 'page'),
            severity: 'page',
            details: {},
          },
          checkout,
          Date.now(),
        );
        expect(fired.labels).toMatchObject({
          alertname: 'SLOBurnRate',
          severity: 'page',
          impact: 'slo_breach',
          entity: 'component:default/checkout',
        });
        const results = await engine.submit(fired);
        expect(results.map(r => [r.ruleId, r.state])).toEqual([
          [RULE, 'running'],
        ]);
        await engine.idle();
        expect(calls).toEqual([`${RULE}:alert:1`]);

        // search's page burn carries the same severity and impact, on another entity: no rule of checkout's runs
        expect(search.componentRef).toBe('component:default/search');
        const other = sloAlertTrigger(
          {
            id: 2,
            sloRef: search.ref,
            rule: burn(search, 'page'),
            severity: 'page',
            details: {},
          },
          search,
          Date.now(),
        );
        expect(other.labels).toMatchObject({
          severity: 'page',
          impact: 'slo_breach',
        });
        expect(
          (await engine.submit(other)).filter(r => r.ruleId === RULE),
        ).toEqual([]);
        await engine.idle();
        expect(calls).toEqual([`${RULE}:alert:1`]);
      },
    );

    it('leaves checkout\'s slow ticket burn and its no-data alert alone, and still runs on Alertmanager\'s severity="error"', async () => {
      const { engine, calls } = await setup(['app-config.yaml']);
      for (const [id, rule, severity] of [
        [3, burn(checkout, 'ticket'), 'ticket'],
        [4, NO_DATA_RULE, 'ticket'],
      ] as const) {
        const trigger = sloAlertTrigger(
          { id, sloRef: checkout.ref, rule, severity, details: {} },
          checkout,
          Date.now(),
        );
        expect(await engine.submit(trigger)).toEqual([]);
      }
      const alertmanager = (id: string, severity: string) => ({
        kind: 'alertmanager' as const,
        id,
        labels: {
          alertname: 'CheckoutHighErrorRate',
          severity,
          impact: 'slo_breach',
          service: 'checkout',
        },
        annotations: {},
        receivedAt: Date.now(),
      });
      expect(
        await engine.submit(alertmanager('fp-warning', 'warning')),
      ).toEqual([]);
      const results = await engine.submit(alertmanager('fp-error', 'error'));
      expect(results.map(r => [r.ruleId, r.state])).toEqual([
        [RULE, 'running'],
      ]);
      await engine.idle();
      expect(calls).toEqual([`${RULE}:fp-error`]);
    });
  },
);
