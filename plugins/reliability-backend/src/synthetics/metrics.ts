import { Counter, Histogram, Registry } from 'prom-client';

/**
 * Synthetic results as Prometheus metrics (GET /api/reliability/metrics, beside the self-healing ones), tagged so that
 * dashboards can tell synthetic traffic from real: `synthetic="true"`, `region`, `journey` (and the entity). synthetic_runs_total counts runs by result;
 * synthetic_run_duration_seconds is the journeys' duration.
 */
export class SyntheticMetrics {
  private readonly runs: Counter<
    'synthetic' | 'entity' | 'journey' | 'region' | 'result'
  >;
  private readonly duration: Histogram<
    'synthetic' | 'entity' | 'journey' | 'region'
  >;

  constructor(registry: Registry) {
    this.runs = new Counter({
      name: 'synthetic_runs_total',
      help: 'Synthetic journey runs by result (success, failure)',
      labelNames: ['synthetic', 'entity', 'journey', 'region', 'result'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'synthetic_run_duration_seconds',
      help: 'Duration of synthetic journey runs',
      labelNames: ['synthetic', 'entity', 'journey', 'region'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60],
      registers: [registry],
    });
  }

  observe(run: {
    entityRef: string;
    journey: string;
    region: string;
    success: boolean;
    durationMs: number;
  }): void {
    const labels = {
      synthetic: 'true',
      entity: run.entityRef,
      journey: run.journey,
      region: run.region,
    };
    this.runs.inc({ ...labels, result: run.success ? 'success' : 'failure' });
    this.duration.observe(labels, run.durationMs / 1000);
  }
}
