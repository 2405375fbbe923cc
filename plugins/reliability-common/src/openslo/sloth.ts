import { z } from 'zod';
import { parseAllDocuments } from 'yaml';
import { parseDocument } from './openslo';
import {
  ANNOTATION_SLOTH_ALERTING,
  ANNOTATION_SLOTH_SERVICE,
  ANNOTATION_SLOTH_SLO,
  SlothAlertMeta,
} from './definition';
import type { ParseResult } from '../model/result';

/**
 * Sloth's SLO specs, as Sloth documents them: the `prometheus/v1` file (one service, many SLOs) and the Kubernetes
 * custom resource `sloth.slok.dev/v1` `PrometheusServiceLevel` (the same spec under `spec`). Both spellings of the
 * fields are read (`errorQuery` and `error_query`, `errorRatioQuery` and `error_ratio_query`), label values of any
 * scalar type become strings (as Sloth's Go types make them), and:
 * - event SLIs (`sli.events`, with the `{{.window}}` placeholder) become OpenSLO ratio metrics, bad over total;
 * - raw SLIs (`sli.raw.errorRatioQuery`) become OpenSLO raw ratio metrics (`rawType: failure`);
 * - SLI plugins are refused: they are Go code that Sloth compiles into its binary. SLO plugin chains are accepted
 *   when every plugin in them is one that does not change the rules (Sloth's core rule generators, its debug plugin,
 *   a validator); any other plugin is refused, named.
 * - Google's `ManagedPrometheusServiceLevel` resource reads like `PrometheusServiceLevel`, and OpenSLO `v1alpha` SLOs
 *   (which Sloth also reads) become OpenSLO v1.
 */

/** A label value: Sloth reads every scalar as a string (`tier: 2` is "2"). */
const labelValue = z
  .union([z.string(), z.number(), z.boolean()], {
    errorMap: () => ({
      message: 'label values must be strings, numbers or booleans',
    }),
  })
  .transform(String);
const labels = z.record(labelValue).optional();

/** `alerting.page_alert` / `ticket_alert` (`pageAlert` / `ticketAlert` in the resource). */
const slothAlertSchema = z
  .object({ disable: z.boolean().optional(), labels, annotations: labels })
  .passthrough()
  .optional();

/** `alerting`: typed by hand, so that the schemas' inferred types stay within what the compiler writes out. */
const slothAlertingSchema: z.ZodType<
  SlothAlerting | undefined,
  z.ZodTypeDef,
  unknown
> = z
  .object({
    name: z.string().max(200).optional(),
    labels,
    annotations: labels,
    page_alert: slothAlertSchema,
    pageAlert: slothAlertSchema,
    ticket_alert: slothAlertSchema,
    ticketAlert: slothAlertSchema,
  })
  .passthrough()
  .optional();

/** Sloth's `alerting` block of an SLO, as read. @public */
export type SlothAlerting = {
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  page_alert?: SlothAlertSettings;
  pageAlert?: SlothAlertSettings;
  ticket_alert?: SlothAlertSettings;
  ticketAlert?: SlothAlertSettings;
};

/** Sloth's `page_alert` or `ticket_alert`. @public */
export type SlothAlertSettings = {
  disable?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};

/** Sloth's page and ticket alert of an SLO as Sloth merges them (alerting's labels and annotations, then the alert's), null when disabled. */
function slothAlertingAnnotation(a: SlothAlerting | undefined): string {
  const meta = (
    alert: z.infer<typeof slothAlertSchema>,
  ): SlothAlertMeta | null => {
    if (alert?.disable) return null;
    const l = { ...a?.labels, ...alert?.labels };
    const n = { ...a?.annotations, ...alert?.annotations };
    return {
      ...(a?.name ? { name: a.name } : {}),
      ...(Object.keys(l).length ? { labels: l } : {}),
      ...(Object.keys(n).length ? { annotations: n } : {}),
    };
  };
  return JSON.stringify({
    page: meta(a?.page_alert ?? a?.pageAlert),
    ticket: meta(a?.ticket_alert ?? a?.ticketAlert),
  });
}

const pluginRefusal = (what: string) =>
  `${what} are Go code that Sloth compiles into its binary and cannot run here: write the SLI as sli.events (errorQuery and totalQuery) or sli.raw (errorRatioQuery)`;

const slothSloSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/,
        'slos[].name must be letters, digits, _, - or .',
      ),
    objective: z
      .number({
        invalid_type_error: 'slos[].objective must be a number (a percentage)',
      })
      .gt(0, 'slos[].objective must be > 0')
      .lte(100, 'slos[].objective must be <= 100 (a percentage)'),
    description: z.string().optional(),
    labels,
    sli: z
      .object({
        events: z
          .object({
            errorQuery: z.string().optional(),
            error_query: z.string().optional(),
            totalQuery: z.string().optional(),
            total_query: z.string().optional(),
          })
          .passthrough()
          .optional(),
        raw: z
          .object({
            errorRatioQuery: z.string().optional(),
            error_ratio_query: z.string().optional(),
          })
          .passthrough()
          .optional(),
        plugin: z.unknown().optional(),
      })
      .passthrough()
      .superRefine((sli, ctx) => {
        if (sli.plugin !== undefined)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['plugin'],
            message: pluginRefusal('SLI plugins'),
          });
        if (sli.events) {
          if (!(sli.events.errorQuery ?? sli.events.error_query)?.trim())
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: ['events', 'errorQuery'],
              message: 'sli.events.errorQuery must not be empty',
            });
          if (!(sli.events.totalQuery ?? sli.events.total_query)?.trim())
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: ['events', 'totalQuery'],
              message: 'sli.events.totalQuery must not be empty',
            });
        }
        if (
          sli.raw &&
          !(sli.raw.errorRatioQuery ?? sli.raw.error_ratio_query)?.trim()
        ) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['raw', 'errorRatioQuery'],
            message: 'sli.raw.errorRatioQuery must not be empty',
          });
        }
        const kinds = [sli.events, sli.raw, sli.plugin].filter(
          k => k !== undefined,
        ).length;
        if (kinds === 0)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['events'],
            message: 'sli needs events, raw or plugin',
          });
        if (kinds > 1)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['events'],
            message: 'sli takes one of events, raw or plugin',
          });
      }),
    plugins: z.unknown().optional(),
    alerting: slothAlertingSchema,
  })
  .passthrough()
  .superRefine((slo, ctx) => checkPluginChain(slo.plugins, ['plugins'], ctx));

/**
 * SLO plugins that leave Sloth's rules as they are: its core generators (what Sloth does without plugins), its debug
 * plugin (a log line) and validators. A chain of these means what the spec means without it.
 * @public
 */
export const SLOTH_NEUTRAL_PLUGINS = [
  'sloth.dev/core/sli_rules/v1',
  'sloth.dev/core/metadata_rules/v1',
  'sloth.dev/core/alert_rules/v1',
  'sloth.dev/core/debug/v1',
  'sloth.dev/core/noop/v1',
  'sloth.dev/core/validate/v1',
  'sloth.dev/contrib/validate_victoria_metrics/v1',
];

/** An SLO plugin chain (`{ chain: [{ id, priority, config }] }`): accepted when every plugin is neutral. */
function checkPluginChain(
  plugins: unknown,
  path: (string | number)[],
  ctx: z.RefinementCtx,
) {
  if (plugins === undefined) return;
  const chain = (plugins as { chain?: unknown } | null)?.chain;
  if (!Array.isArray(chain)) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path,
      message:
        'must be a plugin chain: { chain: [{ id: sloth.dev/core/... }] }',
    });
    return;
  }
  chain.forEach((p, i) => {
    const id = (p as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || !SLOTH_NEUTRAL_PLUGINS.includes(id)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [...path, 'chain', i, 'id'],
        message: `${String(id).slice(0, 100)}: ${pluginRefusal(
          "SLO plugins other than Sloth's core rule generators, its debug plugin and validators",
        )}`,
      });
    }
  });
}

const slothBody = {
  service: z
    .string({ required_error: 'service must name the service' })
    .min(1, 'service must name the service'),
  labels,
  sloPlugins: z.unknown().optional(),
  slo_plugins: z.unknown().optional(),
  slos: z
    .array(slothSloSchema, { required_error: 'slos is required' })
    .min(1, 'slos must hold at least one SLO'),
};
const noSpecPlugins = (
  spec: { sloPlugins?: unknown; slo_plugins?: unknown },
  ctx: z.RefinementCtx,
) => {
  checkPluginChain(spec.sloPlugins, ['sloPlugins'], ctx);
  checkPluginChain(spec.slo_plugins, ['slo_plugins'], ctx);
};

/** Sloth's `prometheus/v1` spec file. @public */
export const slothSpecSchema = z
  .object({
    version: z.literal('prometheus/v1', {
      errorMap: () => ({ message: 'version must be prometheus/v1' }),
    }),
    ...slothBody,
  })
  .passthrough()
  .superRefine(noSpecPlugins);

/** The apiVersion and kind of Sloth's Kubernetes custom resource. @public */
export const SLOTH_K8S_API_VERSION = 'sloth.slok.dev/v1';
/** @public */
export const SLOTH_K8S_KIND = 'PrometheusServiceLevel';
/** The same spec, for Google Cloud Managed Prometheus. @public */
export const SLOTH_K8S_MANAGED_KIND = 'ManagedPrometheusServiceLevel';

/** Sloth's Kubernetes custom resource, `sloth.slok.dev/v1` `PrometheusServiceLevel`. @public */
export const slothServiceLevelSchema = z
  .object({
    apiVersion: z.literal(SLOTH_K8S_API_VERSION, {
      errorMap: () => ({
        message: `apiVersion must be ${SLOTH_K8S_API_VERSION}`,
      }),
    }),
    kind: z.enum([SLOTH_K8S_KIND, SLOTH_K8S_MANAGED_KIND], {
      errorMap: () => ({
        message: `kind must be ${SLOTH_K8S_KIND} or ${SLOTH_K8S_MANAGED_KIND}`,
      }),
    }),
    metadata: z
      .object({
        name: z.string().min(1, 'metadata.name is required'),
        namespace: z.string().optional(),
      })
      .passthrough(),
    spec: z.object(slothBody).passthrough().superRefine(noSpecPlugins),
  })
  .passthrough();

/** Options: the namespace (default: the resource's, else default) and the SLO period (Sloth's default is 30 days). @public */
export interface SlothConversionOptions {
  namespace?: string;
  window?: string;
}

/** Whether a parsed document is Sloth's Kubernetes resource (rather than a `prometheus/v1` file). @public */
export function isSlothServiceLevel(doc: unknown): boolean {
  const d = doc as { apiVersion?: unknown; kind?: unknown } | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    d.apiVersion === SLOTH_K8S_API_VERSION &&
    (d.kind === SLOTH_K8S_KIND || d.kind === SLOTH_K8S_MANAGED_KIND)
  );
}

type SlothBody = z.infer<typeof slothSpecSchema>;

/** The OpenSLO name of a Sloth SLO: `<service>-<slo>`, lowercase, `_` and `.` as `-`. @public */
export const slothSloName = (service: string, slo: string) =>
  `${service}-${slo}`.toLocaleLowerCase('en-US').replace(/[_.]/g, '-');

/**
 * Converts a Sloth spec, a `prometheus/v1` file or a `PrometheusServiceLevel` resource (YAML text or object), into
 * OpenSLO v1 SLO documents. Each keeps Sloth's service and SLO names as annotations, so its rule export carries
 * Sloth's `sloth_id`, `sloth_service` and `sloth_slo`.
 * @public
 */
export function slothToOpenSlo(
  input: unknown,
  options: SlothConversionOptions = {},
): ParseResult<Record<string, any>[]> {
  // several specs in one file (`---` between them): each converted, the errors naming the document
  if (typeof input === 'string') {
    const docs = parseAllDocuments(input);
    if (Array.isArray(docs) && docs.length > 1) {
      const out: Record<string, any>[] = [];
      for (const [i, doc] of docs.entries()) {
        if (doc.errors.length)
          return {
            ok: false,
            error: `document ${i + 1}: Sloth spec is not valid YAML: ${
              doc.errors[0].message
            }`,
          };
        const one = slothToOpenSlo(doc.toJS(), options);
        if (!one.ok)
          return { ok: false, error: `document ${i + 1}: ${one.error}` };
        out.push(...one.value);
      }
      return { ok: true, value: out };
    }
  }
  let spec: Pick<SlothBody, 'service' | 'labels' | 'slos'>;
  let namespace = options.namespace;
  const probe = parseDocument(input, z.unknown(), 'Sloth spec');
  if (!probe.ok) return probe;
  if (
    (probe.value as { apiVersion?: unknown } | null)?.apiVersion ===
    'openslo/v1alpha'
  )
    return openSloV1alphaToV1(probe.value, namespace);
  if (isSlothServiceLevel(probe.value)) {
    const parsed = parseDocument(
      probe.value,
      slothServiceLevelSchema,
      'Sloth PrometheusServiceLevel',
    );
    if (!parsed.ok) return parsed;
    spec = parsed.value.spec;
    namespace ??= parsed.value.metadata.namespace;
  } else {
    const parsed = parseDocument(probe.value, slothSpecSchema, 'Sloth spec');
    if (!parsed.ok) return parsed;
    spec = parsed.value;
  }
  // queries as written (a YAML block keeps its last newline): Sloth's rules carry them verbatim
  const prom = (query: string) => ({
    metricSource: { type: 'Prometheus', spec: { query } },
  });
  return {
    ok: true,
    value: spec.slos.map(slo => {
      const events = slo.sli.events;
      const rawQuery = slo.sli.raw
        ? (slo.sli.raw.errorRatioQuery ?? slo.sli.raw.error_ratio_query)!
        : undefined;
      const ratioMetric = rawQuery
        ? { counter: false, rawType: 'failure', raw: prom(rawQuery) }
        : {
            counter: true,
            bad: prom((events!.errorQuery ?? events!.error_query)!),
            total: prom((events!.totalQuery ?? events!.total_query)!),
          };
      const allLabels = { ...spec.labels, ...slo.labels };
      return {
        apiVersion: 'openslo/v1',
        kind: 'SLO',
        metadata: {
          name: slothSloName(spec.service, slo.name),
          namespace: namespace ?? 'default',
          annotations: {
            [ANNOTATION_SLOTH_SERVICE]: spec.service,
            [ANNOTATION_SLOTH_SLO]: slo.name,
            [ANNOTATION_SLOTH_ALERTING]: slothAlertingAnnotation(
              slo.alerting as SlothAlerting | undefined,
            ),
          },
          ...(Object.keys(allLabels).length ? { labels: allLabels } : {}),
        },
        spec: {
          ...(slo.description ? { description: slo.description } : {}),
          service: spec.service,
          indicator: {
            metadata: { name: `${slothSloName(spec.service, slo.name)}-sli` },
            spec: { ratioMetric },
          },
          timeWindow: [{ duration: options.window ?? '30d', isRolling: true }],
          budgetingMethod: 'Occurrences',
          objectives: [{ targetPercent: slo.objective }],
        },
      };
    }),
  };
}

const V1ALPHA_UNITS: Record<string, string> = {
  Minute: 'm',
  Hour: 'h',
  Day: 'd',
  Week: 'w',
  Month: 'M',
  Quarter: 'Q',
  Year: 'Y',
};

const v1alphaQuery = z
  .object({
    source: z.string().optional(),
    queryType: z.string().optional(),
    query: z
      .string({ required_error: 'query is required' })
      .min(1, 'query must not be empty'),
  })
  .passthrough();

/** OpenSLO `v1alpha` SLOs, as Sloth reads them (ratio metrics, good or bad over total, per objective; count and unit windows), and threshold objectives (op and value on spec.indicator.thresholdMetric), which Sloth does not read. */
const v1alphaSchema = z
  .object({
    apiVersion: z.literal('openslo/v1alpha'),
    kind: z.literal('SLO', {
      errorMap: () => ({ message: 'kind must be SLO' }),
    }),
    metadata: z
      .object({
        name: z.string().min(1, 'metadata.name is required'),
        displayName: z.string().optional(),
      })
      .passthrough(),
    spec: z
      .object({
        service: z
          .string({ required_error: 'spec.service is required' })
          .min(1, 'spec.service is required'),
        description: z.string().optional(),
        indicator: z
          .object({ thresholdMetric: v1alphaQuery.optional() })
          .passthrough()
          .optional(),
        objectives: z
          .array(
            z
              .object({
                ratioMetrics: z
                  .object({
                    good: v1alphaQuery.optional(),
                    bad: v1alphaQuery.optional(),
                    total: v1alphaQuery,
                    incremental: z.boolean().optional(),
                  })
                  .passthrough()
                  .optional(),
                // a threshold objective (spec.indicator.thresholdMetric): the values that are good, such as lte 300
                op: z
                  .enum(['lt', 'lte', 'gt', 'gte'], {
                    errorMap: () => ({
                      message: 'op must be one of lt, lte, gt, gte',
                    }),
                  })
                  .optional(),
                value: z.number().optional(),
                target: z
                  .number({ required_error: 'target is required' })
                  .gt(0, 'target must be > 0')
                  .lt(1, 'target must be < 1'),
                displayName: z.string().optional(),
              })
              .passthrough()
              .refine(
                o =>
                  !o.ratioMetrics ||
                  !!o.ratioMetrics.good !== !!o.ratioMetrics.bad,
                {
                  message: 'ratioMetrics needs exactly one of good or bad',
                  path: ['ratioMetrics'],
                },
              ),
          )
          .min(1, 'spec.objectives needs at least one objective'),
        timeWindows: z
          .array(
            z
              .object({
                count: z
                  .number()
                  .int()
                  .positive('count must be a positive whole number'),
                unit: z.enum(
                  Object.keys(V1ALPHA_UNITS) as [string, ...string[]],
                  {
                    errorMap: () => ({
                      message: `unit must be one of ${Object.keys(
                        V1ALPHA_UNITS,
                      ).join(', ')}`,
                    }),
                  },
                ),
                isRolling: z.boolean().optional(),
              })
              .passthrough(),
          )
          .length(1, 'spec.timeWindows must hold one window'),
      })
      .passthrough()
      .superRefine((spec, ctx) => {
        const threshold = spec.indicator?.thresholdMetric;
        spec.objectives.forEach((o, i) => {
          const path = ['objectives', i];
          if (o.ratioMetrics) return;
          if (!threshold)
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: [...path, 'ratioMetrics'],
              message:
                'ratioMetrics is required, or op and value with spec.indicator.thresholdMetric',
            });
          else if (!o.op)
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: [...path, 'op'],
              message:
                'op is required with a thresholdMetric: lt, lte, gt or gte',
            });
          else if (o.value === undefined)
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: [...path, 'value'],
              message:
                'value is required with a thresholdMetric: the threshold, such as 300',
            });
        });
      }),
  })
  .passthrough();

/** An OpenSLO v1alpha SLO (Sloth reads those too) as OpenSLO v1 documents, one per objective as Sloth makes them. */
function openSloV1alphaToV1(
  doc: unknown,
  namespace?: string,
): ParseResult<Record<string, any>[]> {
  const parsed = parseDocument(doc, v1alphaSchema, 'OpenSLO v1alpha SLO');
  if (!parsed.ok) return parsed;
  const d = parsed.value;
  const w = d.spec.timeWindows[0];
  // the query's source as written (Sloth reads Prometheus only); another vendor's is kept, so the SLO says what it reads
  const prom = (q: { query: string; source?: string }) => ({
    metricSource: {
      type:
        !q.source || q.source.toLocaleLowerCase('en-US') === 'prometheus'
          ? 'Prometheus'
          : q.source,
      spec: { query: q.query },
    },
  });
  return {
    ok: true,
    value: d.spec.objectives.map((o, i) => {
      // as Sloth reads it: objective i is the SLO `<name>-<i>` of the service, and its rules carry those ids
      const slothSlo = `${d.metadata.name}-${i}`;
      const name = slothSloName(d.spec.service, slothSlo);
      return {
        apiVersion: 'openslo/v1',
        kind: 'SLO',
        metadata: {
          name,
          namespace: namespace ?? 'default',
          ...(d.metadata.displayName
            ? { displayName: d.metadata.displayName }
            : {}),
          annotations: {
            [ANNOTATION_SLOTH_SERVICE]: d.spec.service,
            [ANNOTATION_SLOTH_SLO]: slothSlo,
            // Sloth generates no alerts for an OpenSLO v1alpha SLO
            [ANNOTATION_SLOTH_ALERTING]: JSON.stringify({
              page: null,
              ticket: null,
            }),
          },
        },
        spec: {
          ...(d.spec.description ? { description: d.spec.description } : {}),
          service: d.spec.service,
          indicator: {
            metadata: { name: `${name}-sli` },
            spec: o.ratioMetrics
              ? {
                  ratioMetric: {
                    counter: true,
                    ...(o.ratioMetrics.good
                      ? { good: prom(o.ratioMetrics.good) }
                      : { bad: prom(o.ratioMetrics.bad!) }),
                    total: prom(o.ratioMetrics.total),
                  },
                }
              : { thresholdMetric: prom(d.spec.indicator!.thresholdMetric!) },
          },
          timeWindow: [
            { duration: `${w.count}${V1ALPHA_UNITS[w.unit]}`, isRolling: true },
          ],
          budgetingMethod: 'Occurrences',
          objectives: [
            {
              target: o.target,
              ...(o.displayName ? { displayName: o.displayName } : {}),
              ...(o.ratioMetrics ? {} : { op: o.op, value: o.value }),
            },
          ],
        },
      };
    }),
  };
}
