import { z } from 'zod';
import { parseDuration } from '../math/duration';
import { ANNOTATION_ALERTS, ANNOTATION_RUNBOOK } from './definition';
import { parseDocument } from './openslo';
import type { ParseResult } from '../model/result';

/**
 * The compact SLO format (one YAML map per SLO):
 *   slo: { id: checkout_success, objective: ">=99.5%", window: 30d }
 *   sli: { numerator: { metric: '...' }, denominator: { metric: '...' } }
 *   alerts: [ { burn_rate: 14x, windows: [5m, 30m] } ]
 *   runbook: "link://runbooks/checkout"
 */
const PERCENT_RE = /^>=\s*([0-9]+(?:\.[0-9]+)?)\s*%$/;

/** @public */
export const compactSloSchema = z.object({
  slo: z.object({
    id: z
      .string()
      .regex(
        /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/,
        'slo.id must be letters, digits, _, - or .',
      ),
    description: z.string().optional(),
    objective: z
      .string()
      .regex(
        PERCENT_RE,
        'slo.objective must be a success ratio like ">=99.5%" (latency thresholds go into the SLI ratio)',
      ),
    window: z
      .string()
      .refine(
        v => parseDuration(v) !== undefined,
        'slo.window must be a duration like 30d',
      ),
  }),
  sli: z.object({
    numerator: z.object({
      metric: z.string().min(1, 'sli.numerator.metric must not be empty'),
    }),
    denominator: z.object({
      metric: z.string().min(1, 'sli.denominator.metric must not be empty'),
    }),
  }),
  alerts: z
    .array(
      z.object({
        burn_rate: z.union([
          z.number().positive(),
          z
            .string()
            .regex(
              /^[0-9]+(\.[0-9]+)?x$/,
              'alerts[].burn_rate must be like 14x',
            ),
        ]),
        windows: z
          .array(
            z
              .string()
              .refine(
                v => parseDuration(v) !== undefined,
                'alerts[].windows must be durations',
              ),
          )
          .min(1),
      }),
    )
    .optional(),
  runbook: z.string().optional(),
});

/** @public */
export type CompactSlo = z.infer<typeof compactSloSchema>;

/** Options for the conversion: which component the SLO measures and where it lives. @public */
export interface CompactConversionOptions {
  service: string;
  namespace?: string;
  displayName?: string;
}

/** Entity-safe name from a registry id: `checkout_success` becomes `checkout-success`. @public */
export function sloNameFromId(id: string): string {
  return id.toLocaleLowerCase('en-US').replace(/[_.]/g, '-');
}

/**
 * Converts a compact SLO (object or YAML text) into an OpenSLO v1 SLO document with the numerator as the
 * good metric and the denominator as total (metricSource type Prometheus, the query as written).
 * @public
 */
export function compactToOpenSlo(
  input: unknown,
  options: CompactConversionOptions,
): ParseResult<Record<string, any>> {
  const parsed = parseDocument(input, compactSloSchema, 'compact SLO');
  if (!parsed.ok) return parsed;
  const c = parsed.value;
  const percent = Number(PERCENT_RE.exec(c.slo.objective)![1]);
  if (percent <= 0 || percent > 100) {
    return {
      ok: false,
      error: 'slo.objective: must be between 0% (exclusive) and 100%',
    };
  }
  const annotations: Record<string, string> = {};
  if (c.runbook) annotations[ANNOTATION_RUNBOOK] = c.runbook;
  if (c.alerts?.length) {
    annotations[ANNOTATION_ALERTS] = c.alerts
      .map(
        a =>
          `${
            typeof a.burn_rate === 'number' ? `${a.burn_rate}x` : a.burn_rate
          }:${a.windows.join(',')}`,
      )
      .join(';');
  }
  const promSource = (query: string) => ({
    metricSource: { type: 'Prometheus', spec: { query } },
  });
  const doc = {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: {
      name: sloNameFromId(c.slo.id),
      namespace: options.namespace ?? 'default',
      ...(options.displayName || c.slo.description
        ? { displayName: options.displayName ?? c.slo.description }
        : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      ...(c.slo.description ? { description: c.slo.description } : {}),
      service: options.service,
      indicator: {
        metadata: { name: `${sloNameFromId(c.slo.id)}-sli` },
        spec: {
          ratioMetric: {
            counter: true,
            good: promSource(c.sli.numerator.metric),
            total: promSource(c.sli.denominator.metric),
          },
        },
      },
      timeWindow: [{ duration: c.slo.window, isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ displayName: c.slo.objective, targetPercent: percent }],
    },
  };
  return { ok: true, value: doc };
}
