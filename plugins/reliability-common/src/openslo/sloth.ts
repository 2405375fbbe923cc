import { z } from 'zod';
import { parseDocument } from './openslo';
import type { ParseResult } from './definition';

/**
 * Sloth's `prometheus/v1` SLO spec (one service, many SLOs), as Sloth documents it. Event-based SLIs
 * (`sli.events.error_query` / `total_query` with the `{{.window}}` placeholder) convert to OpenSLO ratio metrics
 * (bad/total, metricSource type Prometheus). Raw error-ratio and plugin SLIs have no OpenSLO counterpart and are
 * refused with the field named.
 */
const slothSloSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'slos[].name must be letters, digits, _, - or .'),
  objective: z.number().gt(0, 'slos[].objective must be > 0').lte(100, 'slos[].objective must be <= 100 (a percentage)'),
  description: z.string().optional(),
  labels: z.record(z.string()).optional(),
  sli: z
    .object({
      events: z
        .object({
          error_query: z.string().min(1, 'sli.events.error_query must not be empty'),
          total_query: z.string().min(1, 'sli.events.total_query must not be empty'),
        })
        .optional(),
      raw: z.any().optional(),
      plugin: z.any().optional(),
    })
    .superRefine((sli, ctx) => {
      if (sli.raw !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['raw'], message: 'raw error-ratio SLIs are not supported: use sli.events with error_query and total_query' });
      if (sli.plugin !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['plugin'], message: 'SLI plugins are not supported: use sli.events with error_query and total_query' });
      if (!sli.events && sli.raw === undefined && sli.plugin === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['events'], message: 'is required' });
    }),
  alerting: z.record(z.unknown()).optional(),
});

/** @public */
export const slothSpecSchema = z.object({
  version: z.literal('prometheus/v1', { errorMap: () => ({ message: 'version must be prometheus/v1' }) }),
  service: z.string().min(1, 'service must name the service'),
  labels: z.record(z.string()).optional(),
  slos: z.array(slothSloSchema).min(1, 'slos must hold at least one SLO'),
});

/** Options: the namespace and the SLO period (Sloth's default is 30 days). @public */
export interface SlothConversionOptions {
  namespace?: string;
  window?: string;
}

/** Converts a Sloth prometheus/v1 spec (YAML text or object) into OpenSLO v1 SLO documents. @public */
export function slothToOpenSlo(input: unknown, options: SlothConversionOptions = {}): ParseResult<Record<string, any>[]> {
  const parsed = parseDocument(input, slothSpecSchema, 'Sloth spec');
  if (!parsed.ok) return parsed;
  const spec = parsed.value;
  const prom = (query: string) => ({ metricSource: { type: 'Prometheus', spec: { query } } });
  return {
    ok: true,
    value: spec.slos.map(slo => ({
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: {
        name: `${spec.service}-${slo.name}`.toLocaleLowerCase('en-US').replace(/[_.]/g, '-'),
        namespace: options.namespace ?? 'default',
        ...(spec.labels || slo.labels ? { labels: { ...spec.labels, ...slo.labels } } : {}),
      },
      spec: {
        ...(slo.description ? { description: slo.description } : {}),
        service: spec.service,
        indicator: {
          metadata: { name: `${spec.service}-${slo.name}-sli` },
          spec: { ratioMetric: { counter: true, bad: prom(slo.sli.events!.error_query), total: prom(slo.sli.events!.total_query) } },
        },
        timeWindow: [{ duration: options.window ?? '30d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ targetPercent: slo.objective }],
      },
    })),
  };
}
