import { TestDatabases } from '@backstage/backend-test-utils';
import { SloDefinition } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { itemJson, sloSummaryOf, withStatus } from './summary';

const def: SloDefinition = {
  ref: 'default/checkout-success',
  namespace: 'default',
  name: 'checkout-success',
  title: 'Checkout success',
  description: 'Checkouts that "succeed" — quotes and all',
  componentRef: 'component:default/checkout',
  target: 0.995,
  window: { kind: 'rolling', duration: { amount: 30, unit: 'd' } },
  indicator: { mode: 'good-total', sourceType: 'Ingest', total: {} },
  labels: { team: 'payments' },
};

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

describe('GET /slos items from stored texts', () => {
  it('joins a summary and a status without parsing either', () => {
    expect(JSON.parse(withStatus('{"a":1}', '{"state":"healthy"}'))).toEqual({
      a: 1,
      status: { state: 'healthy' },
    });
    expect(JSON.parse(withStatus('{}', null))).toEqual({ status: null });
  });

  it.each(databases.eachSupportedId())(
    'reads the same item from a stored summary as from a definition alone on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { slos: store } = (await ReliabilityDatabase.create(knex)).stores();
      const other = { ...def, ref: 'default/old', name: 'old' };
      await store.registry.syncSlos({
        upserts: [
          {
            def,
            entityRef: 'slo:default/checkout-success',
            docHash: 'a',
            summary: JSON.stringify(
              sloSummaryOf(def, 'slo:default/checkout-success'),
            ),
          },
          // registered before summaries were stored
          { def: other, entityRef: 'slo:default/old', docHash: 'b' },
        ],
        remove: [],
      });
      const status = {
        evaluatedAt: '2026-11-24T00:00:00.000Z',
        state: 'healthy',
        sli: 0.999,
      } as any;
      await store.statuses.saveStatuses([{ sloRef: def.ref, status }]);
      const rows = await store.registry.summaryRows({
        componentRef: 'component:default/checkout',
      });
      expect(
        rows.map(r => [r.ref, r.summary !== null, r.definition !== null]),
      ).toEqual([
        ['default/checkout-success', true, false],
        ['default/old', false, true],
      ]);
      const [stored, built] = rows.map(r => JSON.parse(itemJson(r)));
      expect(stored).toEqual({
        ...sloSummaryOf(def, 'slo:default/checkout-success'),
        status,
      });
      expect(built).toEqual({
        ...sloSummaryOf(other, 'slo:default/old'),
        status: null,
      });
      expect(stored.description).toBe(def.description);
    },
  );
});
