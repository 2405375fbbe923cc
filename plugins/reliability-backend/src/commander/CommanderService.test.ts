import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { component, ingestSlo } from '../__testUtils__/entities';
import { RunbookService } from '../runbooks/RunbookService';
import { SloRegistry } from '../slos/SloRegistry';
import { CommanderService } from './CommanderService';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-11-23T10:00:00Z');

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('CommanderService on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('brings the SLO alerts, escalations and Alertmanager alerts together, most urgent first, each with its runbook section', async () => {
    const knex = await databases.init(databaseId);
    const stores = (await ReliabilityDatabase.create(knex)).stores();
    // no runbook annotation: its runbook is the one kept in the portal
    const checkout = component('checkout', 'payments-sre');
    const hidden = component('ledger', 'finance');
    const catalog = catalogServiceMock({
      entities: [checkout, hidden, ingestSlo('checkout-success', 'checkout')],
    });
    const auth = mockServices.auth();
    const logger = mockServices.rootLogger({ level: 'error' });
    const registry = new SloRegistry(
      catalog,
      auth,
      stores.slos.registry,
      logger,
    );
    await registry.sync();
    await stores.runbooks.save({
      entityRef: 'component:default/checkout',
      baseVersion: 0,
      markdown:
        '# Checkout\n## Fast burn\nAlerts: SLOBurnRate{severity="page"}\n## Stuck fixes\nAlerts: RemediationEscalated\n## Symptoms\nanything else',
      failureModes: [],
      author: 'user:default/guest',
      now: T0,
    });

    // the suite's own page alert, a rule that gave up, and a ticket from Alertmanager
    await stores.alerts.apply(
      ['default/checkout-success'],
      [
        {
          sloRef: 'default/checkout-success',
          rule: 'page 14.4x 1h&5m',
          severity: 'page',
          details: {},
        },
      ],
      T0,
      0,
    );
    await stores.escalations.open(
      {
        ruleId: 'checkout-rollback',
        entityRef: 'component:default/checkout',
        executionId: 3,
        attempts: 3,
        attemptWindow: '10m',
      },
      T0 + 1_000,
    );
    await stores.alertmanager.receive(
      {
        version: '4',
        groupKey: 'g',
        status: 'firing',
        receiver: 'reliability',
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://127.0.0.1:9093',
        truncatedAlerts: 0,
        alerts: [
          {
            status: 'firing',
            labels: {
              alertname: 'DiskFilling',
              severity: 'ticket',
              service: 'checkout',
            },
            annotations: { summary: 'disk 90%' },
            startsAt: new Date(T0 - 60_000).toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint: '00000000000000a1',
          },
          {
            status: 'firing',
            labels: {
              alertname: 'LedgerLag',
              severity: 'page',
              entity: 'component:default/ledger',
            },
            annotations: {},
            startsAt: new Date(T0).toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint: '00000000000000a2',
          },
        ],
      } as any,
      T0,
    );

    const commander = new CommanderService({
      catalog: catalogServiceMock({
        entities: [checkout, ingestSlo('checkout-success', 'checkout')],
      }),
      auth,
      alerts: stores.alerts,
      alertmanager: stores.alertmanager,
      store: stores.slos.statuses,
      remediations: stores.remediation,
      escalations: stores.escalations,
      runbooks: new RunbookService(
        catalog,
        auth,
        mockServices.urlReader.mock(),
        stores.runbooks,
      ),
      registry,
      logger,
    });
    // the caller sees checkout but not ledger (the catalog answers with their credentials)
    const rows = await commander.alerts(T0 + 60_000, mockCredentials.user());
    expect(
      rows.map(r => [
        r.name,
        r.severity,
        r.entityRef,
        r.runbook?.section ?? null,
      ]),
    ).toEqual([
      ['SLOBurnRate', 'page', 'component:default/checkout', 'fast-burn'],
      [
        'RemediationEscalated',
        'page',
        'component:default/checkout',
        'stuck-fixes',
      ],
      ['DiskFilling', 'ticket', 'component:default/checkout', 'symptoms'],
    ]);
    expect(rows[0]).toMatchObject({
      owner: 'payments-sre',
      slo: { ref: 'default/checkout-success' },
      ageMs: 60_000,
    });
    expect(rows[1].summary).toBe(
      'Remediation checkout-rollback gave up after 3 attempts in 10m',
    );
  });
});
