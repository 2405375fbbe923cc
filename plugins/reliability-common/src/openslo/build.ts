import { parseEntityRef } from '@backstage/catalog-model';
import { z } from 'zod';
import { stringify } from 'yaml';
import { parseDuration } from '../math/duration';
import { DEFAULT_MWMB_RULES } from '../math/mwmb';
import { ANNOTATION_RUNBOOK, SloDefinition } from './definition';
import { parseOpenSlo } from './parse';
import { parseRunbookRef } from '../model/runbookRef';

const RFC1123 = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENTITY_REF = /^[a-zA-Z0-9_-]+:[a-zA-Z0-9_.-]+\/[a-zA-Z0-9_.-]+$/;

/** The SLI of a new SLO: what the scaffolder's form offers. @public */
export const sloSliInputSchema = z.discriminatedUnion('type', [
  /** Good requests over all requests: from the built-in ingest, or two Prometheus counters. */
  z
    .object({
      type: z.literal('availability'),
      goodQuery: z.string().max(1_000).optional(),
      totalQuery: z.string().max(1_000).optional(),
    })
    .strict(),
  /** Requests under a threshold from a Prometheus histogram (`<metric>_bucket{le=…}` over `<metric>_count`), or the ingest. */
  z
    .object({
      type: z.literal('latency'),
      histogram: z
        .string()
        .regex(
          /^[a-zA-Z_:][a-zA-Z0-9_:]*$/,
          'must be a metric name such as http_request_duration_seconds',
        )
        .optional(),
      selector: z.string().max(500).optional(),
      thresholdSeconds: z
        .number({ invalid_type_error: 'must be a number of seconds' })
        .positive('must be above 0'),
      /** The histogram's unit: its `le` bounds in seconds (Prometheus's convention) or in milliseconds (`request_duration_ms`). */
      histogramUnit: z
        .enum(['seconds', 'milliseconds'], {
          errorMap: () => ({ message: 'must be seconds or milliseconds' }),
        })
        .optional(),
    })
    .strict(),
  /**
   * A percentile under a threshold, judged slice by slice (OpenSLO thresholdMetric with Timeslices): p95 <= 300 ms in
   * each one-minute slice. From a Prometheus histogram (histogram_quantile over its buckets) or values reported to
   * POST /sli-values in `unit`. The objective is then the share of good slices.
   */
  z
    .object({
      type: z.literal('percentile'),
      percentile: z
        .number({ invalid_type_error: 'must be a number' })
        .gt(0, 'must be above 0')
        .lt(100, 'must be below 100'),
      op: z
        .enum(['lt', 'lte'], {
          errorMap: () => ({ message: 'must be lt or lte' }),
        })
        .default('lte'),
      threshold: z
        .number({ invalid_type_error: 'must be a number' })
        .positive('must be above 0'),
      unit: z.enum(['ms', 's'], {
        errorMap: () => ({ message: 'must be ms or s' }),
      }),
      sliceWindow: z
        .enum(['1m', '5m', '10m', '1h'], {
          errorMap: () => ({ message: 'must be 1m, 5m, 10m or 1h' }),
        })
        .default('1m'),
      histogram: z
        .string()
        .regex(
          /^[a-zA-Z_:][a-zA-Z0-9_:]*$/,
          'must be a metric name such as http_request_duration_seconds',
        )
        .optional(),
      selector: z.string().max(500).optional(),
      histogramUnit: z
        .enum(['seconds', 'milliseconds'], {
          errorMap: () => ({ message: 'must be seconds or milliseconds' }),
        })
        .optional(),
    })
    .strict(),
  /** A synthetic journey of the component: a run that succeeds within its deadline is good. */
  z
    .object({
      type: z.literal('synthetic'),
      journey: z
        .string()
        .regex(
          /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/,
          'must be a journey name such as checkout_full',
        ),
      region: z.string().max(64).optional(),
    })
    .strict(),
  /** Any two PromQL expressions: good and total (`{{.window}}` for the window, or counter selectors). */
  z
    .object({
      type: z.literal('prometheus'),
      goodQuery: z.string().min(1, 'is required').max(2_000),
      totalQuery: z.string().min(1, 'is required').max(2_000),
    })
    .strict(),
]);

/** One row of a custom alert policy. @public */
export const sloAlertRowSchema = z
  .object({
    severity: z.enum(['page', 'ticket'], {
      errorMap: () => ({ message: 'must be page or ticket' }),
    }),
    burnRate: z
      .number({ invalid_type_error: 'must be a number' })
      .positive('must be above 0'),
    window: z.enum(['5m', '30m', '1h', '2h', '6h', '1d', '3d'], {
      errorMap: () => ({
        message: 'must be one of 5m, 30m, 1h, 2h, 6h, 1d, 3d',
      }),
    }),
  })
  .strict();

/** What `reliability:slo:create` and the "New SLO" template ask for. @public */
export const sloCreateInputSchema = z
  .object({
    name: z
      .string({ required_error: 'is required' })
      .regex(
        RFC1123,
        'must be lowercase letters, digits and - (RFC 1123, at most 63), such as checkout-availability',
      ),
    displayName: z
      .string()
      .max(63, 'must be at most 63 characters (OpenSLO displayName)')
      .optional(),
    description: z.string().max(1_000).optional(),
    /** The component measured, as the EntityPicker gives it: `component:default/checkout`. */
    component: z
      .string({ required_error: 'is required' })
      .regex(
        ENTITY_REF,
        'must be an entity ref such as component:default/checkout',
      ),
    namespace: z
      .string()
      .regex(RFC1123, 'must be a namespace such as default')
      .default('default'),
    sli: sloSliInputSchema,
    objectivePercent: z
      .number({
        required_error: 'is required',
        invalid_type_error: 'must be a number',
      })
      .gt(0, 'must be above 0')
      .lt(100, 'must be below 100 (100% leaves no budget)'),
    window: z
      .object({
        duration: z
          .string()
          .refine(
            v => parseDuration(v) !== undefined,
            'must be a duration such as 30d, 4w or 1M',
          ),
        type: z.enum(['rolling', 'calendar']).default('rolling'),
        timeZone: z.string().max(64).default('UTC'),
      })
      .strict()
      .default({ duration: '30d', type: 'rolling', timeZone: 'UTC' }),
    /**
     * `workbook`: the SRE workbook's four rules; `custom`: the rows given; `registry`: none in the document, so the
     * burn-rate registry's rows for it apply (and the workbook's table when it has none).
     */
    alerting: z
      .discriminatedUnion('policy', [
        z.object({ policy: z.literal('workbook') }).strict(),
        z.object({ policy: z.literal('registry') }).strict(),
        z
          .object({
            policy: z.literal('custom'),
            rows: z
              .array(sloAlertRowSchema)
              .min(1, 'needs at least one row')
              .max(10),
          })
          .strict(),
      ])
      .default({ policy: 'workbook' }),
    /** `ingest` (POST /sli-events) or a Prometheus instance configured in app-config. */
    source: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('ingest') }).strict(),
        z
          .object({
            type: z.literal('prometheus'),
            instance: z.string().max(100).optional(),
          })
          .strict(),
      ])
      .default({ type: 'ingest' }),
    // the entity annotation the portal resolves: refused here, with the parser's reason, rather than a 400 later
    runbook: z
      .string()
      .max(2_000)
      .superRefine((v, ctx) => {
        const r = parseRunbookRef(v);
        if (!r.ok)
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: r.error });
      })
      .optional(),
  })
  .strict();

/** @public */
export type SloCreateInput = z.input<typeof sloCreateInputSchema>;

/** Where the suite's own alerts go: the entity's owners, through Backstage notifications (pages), and the portal. */
const BACKSTAGE_TARGET = {
  kind: 'AlertNotificationTarget',
  metadata: { name: 'backstage-owners' },
  spec: {
    target: 'backstage:notifications',
    description:
      "the owners of the measured entity, through Backstage notifications, and the SLO's page in the portal",
  },
};

/** The built-in ingest's metric source spec: where its events are reported (OpenSLO's go-sdk wants a spec). */
const INGEST_EVENTS = { endpoint: '/api/reliability/sli-events' };

const metric = (
  type: string,
  spec: Record<string, unknown>,
  instance?: string,
) => ({
  metricSource: {
    ...(instance ? { metricSourceRef: instance } : {}),
    type,
    spec,
  },
});

/**
 * A new SLO as an OpenSLO v1 document and its YAML, checked by the same parser the catalog uses. Errors name the
 * field: a Prometheus SLI without queries, a latency SLI from Prometheus without its histogram, and so on.
 * @public
 */
export function buildOpenSlo(raw: unknown):
  | {
      ok: true;
      doc: Record<string, unknown>;
      yaml: string;
      definition: SloDefinition;
    }
  | { ok: false; error: string } {
  const parsed = sloCreateInputSchema.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      error: parsed.error.issues
        .map(i => `${i.path.join('.') || 'input'}: ${i.message}`)
        .join('; '),
    };
  const i = parsed.data;
  const {
    kind,
    namespace: componentNs,
    name: componentName,
  } = parseEntityRef(i.component);
  const prom = i.source.type === 'prometheus';
  const instance =
    i.source.type === 'prometheus' ? i.source.instance : undefined;
  let ratioMetric: Record<string, unknown> | undefined;
  let thresholdMetric: Record<string, unknown> | undefined;
  let objective: Record<string, unknown> = {
    displayName: `>= ${i.objectivePercent}%`,
    targetPercent: i.objectivePercent,
  };
  const annotations: Record<string, string> = {};
  switch (i.sli.type) {
    case 'percentile': {
      const p = i.sli;
      const label = `p${p.percentile}`;
      let value = p.threshold;
      let unit: string = p.unit;
      if (prom) {
        if (!p.histogram)
          return {
            ok: false,
            error: 'sli.histogram: is required for a Prometheus source',
          };
        // the threshold in the histogram's unit
        const seconds = p.unit === 'ms' ? p.threshold / 1000 : p.threshold;
        value =
          p.histogramUnit === 'milliseconds'
            ? Number((seconds * 1000).toPrecision(12))
            : Number(seconds.toPrecision(12));
        unit = p.histogramUnit === 'milliseconds' ? 'ms' : 's';
        const sel = p.selector ? `{${p.selector.replace(/^\{|\}$/g, '')}}` : '';
        thresholdMetric = metric(
          'Prometheus',
          {
            query: `histogram_quantile(${
              p.percentile / 100
            }, sum by (le) (rate(${p.histogram}_bucket${sel}[{{.window}}])))`,
          },
          instance,
        );
      } else
        thresholdMetric = metric('Ingest', {
          endpoint: '/api/reliability/sli-values',
        });
      const sign = p.op === 'lt' ? '<' : '<=';
      objective = {
        displayName:
          `${label} ${sign} ${value} ${unit} in ${i.objectivePercent}% of ${p.sliceWindow} slices`.slice(
            0,
            63,
          ),
        op: p.op,
        value,
        targetPercent: i.objectivePercent,
        timeSliceTarget: 1,
        timeSliceWindow: p.sliceWindow,
      };
      annotations['reliability.io/display-label'] = label;
      annotations['reliability.io/display-unit'] = unit;
      break;
    }
    case 'availability':
      if (prom) {
        if (!i.sli.goodQuery || !i.sli.totalQuery)
          return {
            ok: false,
            error:
              'sli.goodQuery and sli.totalQuery: are required for a Prometheus source',
          };
        ratioMetric = {
          counter: true,
          good: metric('Prometheus', { query: i.sli.goodQuery }, instance),
          total: metric('Prometheus', { query: i.sli.totalQuery }, instance),
        };
      } else
        ratioMetric = {
          counter: true,
          good: metric('Ingest', INGEST_EVENTS),
          total: metric('Ingest', INGEST_EVENTS),
        };
      break;
    case 'latency': {
      if (prom) {
        if (!i.sli.histogram)
          return {
            ok: false,
            error: 'sli.histogram: is required for a Prometheus source',
          };
        const labels = i.sli.selector
          ? `${i.sli.selector.replace(/^\{|\}$/g, '')},`
          : '';
        const le =
          i.sli.histogramUnit === 'milliseconds'
            ? Number((i.sli.thresholdSeconds * 1000).toPrecision(12))
            : i.sli.thresholdSeconds;
        ratioMetric = {
          counter: true,
          good: metric(
            'Prometheus',
            { query: `${i.sli.histogram}_bucket{${labels}le="${le}"}` },
            instance,
          ),
          total: metric(
            'Prometheus',
            {
              query: `${i.sli.histogram}_count${
                labels ? `{${labels.slice(0, -1)}}` : ''
              }`,
            },
            instance,
          ),
        };
      } else
        ratioMetric = {
          counter: true,
          good: metric('Ingest', INGEST_EVENTS),
          total: metric('Ingest', INGEST_EVENTS),
        };
      break;
    }
    case 'synthetic': {
      const spec = {
        journey: i.sli.journey,
        ...(i.sli.region ? { region: i.sli.region } : {}),
      };
      ratioMetric = {
        counter: true,
        good: metric('Synthetic', spec),
        total: metric('Synthetic', spec),
      };
      break;
    }
    default:
      ratioMetric = {
        counter: true,
        good: metric('Prometheus', { query: i.sli.goodQuery }, instance),
        total: metric('Prometheus', { query: i.sli.totalQuery }, instance),
      };
  }
  let rows: {
    severity: 'page' | 'ticket';
    burnRate: number;
    window: string;
  }[] = [];
  if (i.alerting.policy === 'custom') rows = i.alerting.rows;
  else if (i.alerting.policy === 'workbook')
    rows = DEFAULT_MWMB_RULES.map(r => ({
      severity: r.severity,
      burnRate: r.burnRate,
      window: r.longWindow,
    }));
  const doc: Record<string, unknown> = {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: {
      name: i.name,
      namespace: i.namespace,
      ...(i.displayName ? { displayName: i.displayName } : {}),
      annotations: {
        ...annotations,
        ...(i.runbook ? { [ANNOTATION_RUNBOOK]: i.runbook } : {}),
        // the component in full, when it is not a component of the SLO's namespace
        ...(kind.toLowerCase() !== 'component' ||
        componentNs.toLowerCase() !== i.namespace
          ? { 'reliability.io/component': i.component.toLowerCase() }
          : {}),
      },
    },
    spec: {
      ...(i.description ? { description: i.description } : {}),
      service: componentName.toLowerCase(),
      indicator: {
        metadata: { name: `${i.name}-sli` },
        spec: thresholdMetric ? { thresholdMetric } : { ratioMetric },
      },
      timeWindow: [
        i.window.type === 'rolling'
          ? { duration: i.window.duration, isRolling: true }
          : {
              duration: i.window.duration,
              isRolling: false,
              calendar: {
                startTime: '2020-01-01 00:00:00',
                timeZone: i.window.timeZone,
              },
            },
      ],
      budgetingMethod: thresholdMetric ? 'Timeslices' : 'Occurrences',
      objectives: [objective],
      // one AlertPolicy per condition, each naming where its alerts go, as OpenSLO's go-sdk requires
      alertPolicies:
        rows.length === 0
          ? undefined
          : rows.map(r => {
              const rule = `${r.severity}-${String(r.burnRate).replace(
                '.',
                '-',
              )}x-${r.window}`;
              return {
                kind: 'AlertPolicy',
                metadata: {
                  name: `${i.name}-${rule}`.slice(0, 63).replace(/-+$/, ''),
                },
                spec: {
                  alertWhenNoData: true,
                  alertWhenBreaching: true,
                  conditions: [
                    {
                      kind: 'AlertCondition',
                      metadata: { name: rule },
                      spec: {
                        severity: r.severity,
                        condition: {
                          kind: 'burnrate',
                          op: 'gte',
                          threshold: r.burnRate,
                          lookbackWindow: r.window,
                        },
                      },
                    },
                  ],
                  notificationTargets: [BACKSTAGE_TARGET],
                },
              };
            }),
    },
  };
  if (!rows.length)
    delete (doc.spec as { alertPolicies?: unknown }).alertPolicies;
  if (
    !Object.keys((doc.metadata as { annotations: object }).annotations).length
  )
    delete (doc.metadata as { annotations?: object }).annotations;
  const checked = parseOpenSlo(doc);
  if (!checked.ok) return { ok: false, error: checked.error };
  return {
    ok: true,
    doc,
    yaml: stringify(doc, { lineWidth: 0 }),
    definition: checked.value,
  };
}

/**
 * The "New SLO" template's form (catalog/templates/new-slo) as the SLO input, the same mapping as its step: empty
 * fields are not given, and only the chosen SLI type's fields and alert rows are kept. The form's preview field and
 * the scaffolder action both read it this way.
 * @public
 */
export function sloInputFromForm(
  form: Record<string, unknown>,
): Record<string, unknown> {
  const given = (v: unknown) => v !== undefined && v !== null && v !== '';
  const pick = (keys: string[]) =>
    Object.fromEntries(keys.filter(k => given(form[k])).map(k => [k, form[k]]));
  const type = String(form.sliType ?? 'availability');
  const prom = form.source === 'prometheus' || type === 'prometheus';
  const sliKeys: Record<string, string[]> = {
    availability: prom ? ['goodQuery', 'totalQuery'] : [],
    latency: prom
      ? ['histogram', 'selector', 'thresholdSeconds']
      : ['thresholdSeconds'],
    synthetic: ['journey', 'region'],
    prometheus: ['goodQuery', 'totalQuery'],
  };
  return {
    ...pick([
      'name',
      'displayName',
      'component',
      'objectivePercent',
      'runbook',
    ]),
    sli: { type, ...pick(sliKeys[type] ?? []) },
    source: prom ? { type: 'prometheus' } : { type: 'ingest' },
    window: {
      duration: form.windowDuration ?? '30d',
      type: form.windowType ?? 'rolling',
    },
    alerting:
      form.alertPolicy === 'custom'
        ? { policy: 'custom', rows: form.rows ?? [] }
        : { policy: 'workbook' },
  };
}
