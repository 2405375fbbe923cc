import { Entity } from '@backstage/catalog-model';

/** A Component entity in the default namespace. */
export const component = (name: string, owner = 'sre'): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { owner },
});

/** An OpenSLO SLO fed by the built-in ingest source: 99% over 30 days, measuring `component:default/<service>`. */
export const ingestSlo = (name: string, service = 'checkout'): Entity => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name, namespace: 'default' },
  spec: {
    service,
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
    objectives: [{ targetPercent: 99 }],
  },
  relations: [{ type: 'measures', targetRef: `component:default/${service}` }],
});
