import { z } from 'zod';
import { parseAllDocuments } from 'yaml';
import { parseDocument } from './openslo';
import { ANNOTATION_SLOTH_SERVICE, ANNOTATION_SLOTH_SLO } from './definition';
import type { ParseResult } from './definition';

/**
 * Sloth's SLO specs, as Sloth documents them: the `prometheus/v1` file (one service, many SLOs) and the Kubernetes
 * custom resource `sloth.slok.dev/v1` `PrometheusServiceLevel` (the same spec under `spec`). Both spellings of the
 * fields are read (`errorQuery` and `error_query`, `errorRatioQuery` and `error_ratio_query`), label values of any
 * scalar type become strings (as Sloth's Go types make them), and:
 * - event SLIs (`sli.events`, with the `{{.window}}` placeholder) become OpenSLO ratio metrics, bad over total;
 * - raw SLIs (`sli.raw.errorRatioQuery`) become OpenSLO raw ratio metrics (`rawType: failure`);
 * - SLI plugins and SLO plugins are refused: they are Go code that Sloth compiles into its binary.
 */

/** A label value: Sloth reads every scalar as a string (`tier: 2` is "2"). */
const labelValue = z.union([z.string(), z.number(), z.boolean()], { errorMap: () => ({ message: 'label values must be strings, numbers or booleans' }) }).transform(String);
const labels = z.record(labelValue).optional();

const pluginRefusal = (what: string) =>
  `${what} are Go code that Sloth compiles into its binary and cannot run here: write the SLI as sli.events (errorQuery and totalQuery) or sli.raw (errorRatioQuery)`;

const slothSloSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'slos[].name must be letters, digits, _, - or .'),
    objective: z.number({ invalid_type_error: 'slos[].objective must be a number (a percentage)' }).gt(0, 'slos[].objective must be > 0').lte(100, 'slos[].objective must be <= 100 (a percentage)'),
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
        raw: z.object({ errorRatioQuery: z.string().optional(), error_ratio_query: z.string().optional() }).passthrough().optional(),
        plugin: z.unknown().optional(),
      })
      .passthrough()
      .superRefine((sli, ctx) => {
        if (sli.plugin !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['plugin'], message: pluginRefusal('SLI plugins') });
        if (sli.events) {
          if (!(sli.events.errorQuery ?? sli.events.error_query)?.trim()) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['events', 'errorQuery'], message: 'sli.events.errorQuery must not be empty' });
          if (!(sli.events.totalQuery ?? sli.events.total_query)?.trim()) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['events', 'totalQuery'], message: 'sli.events.totalQuery must not be empty' });
        }
        if (sli.raw && !(sli.raw.errorRatioQuery ?? sli.raw.error_ratio_query)?.trim()) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['raw', 'errorRatioQuery'], message: 'sli.raw.errorRatioQuery must not be empty' });
        }
        const kinds = [sli.events, sli.raw, sli.plugin].filter(k => k !== undefined).length;
        if (kinds === 0) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['events'], message: 'sli needs events, raw or plugin' });
        if (kinds > 1) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['events'], message: 'sli takes one of events, raw or plugin' });
      }),
    plugins: z.unknown().optional(),
    alerting: z.record(z.unknown()).optional(),
  })
  .passthrough()
  .superRefine((slo, ctx) => {
    if (slo.plugins !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['plugins'], message: pluginRefusal('SLO plugins') });
  });

const slothBody = {
  service: z.string({ required_error: 'service must name the service' }).min(1, 'service must name the service'),
  labels,
  sloPlugins: z.unknown().optional(),
  slo_plugins: z.unknown().optional(),
  slos: z.array(slothSloSchema, { required_error: 'slos is required' }).min(1, 'slos must hold at least one SLO'),
};
const noSpecPlugins = (spec: { sloPlugins?: unknown; slo_plugins?: unknown }, ctx: z.RefinementCtx) => {
  if (spec.sloPlugins !== undefined || spec.slo_plugins !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sloPlugins'], message: pluginRefusal('SLO plugins') });
};

/** Sloth's `prometheus/v1` spec file. @public */
export const slothSpecSchema = z
  .object({ version: z.literal('prometheus/v1', { errorMap: () => ({ message: 'version must be prometheus/v1' }) }), ...slothBody })
  .passthrough()
  .superRefine(noSpecPlugins);

/** The apiVersion and kind of Sloth's Kubernetes custom resource. @public */
export const SLOTH_K8S_API_VERSION = 'sloth.slok.dev/v1';
/** @public */
export const SLOTH_K8S_KIND = 'PrometheusServiceLevel';

/** Sloth's Kubernetes custom resource, `sloth.slok.dev/v1` `PrometheusServiceLevel`. @public */
export const slothServiceLevelSchema = z
  .object({
    apiVersion: z.literal(SLOTH_K8S_API_VERSION, { errorMap: () => ({ message: `apiVersion must be ${SLOTH_K8S_API_VERSION}` }) }),
    kind: z.literal(SLOTH_K8S_KIND, { errorMap: () => ({ message: `kind must be ${SLOTH_K8S_KIND}` }) }),
    metadata: z.object({ name: z.string().min(1, 'metadata.name is required'), namespace: z.string().optional() }).passthrough(),
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
  return typeof d === 'object' && d !== null && d.apiVersion === SLOTH_K8S_API_VERSION && d.kind === SLOTH_K8S_KIND;
}

type SlothBody = z.infer<typeof slothSpecSchema>;

/** The OpenSLO name of a Sloth SLO: `<service>-<slo>`, lowercase, `_` and `.` as `-`. @public */
export const slothSloName = (service: string, slo: string) => `${service}-${slo}`.toLocaleLowerCase('en-US').replace(/[_.]/g, '-');

/**
 * Converts a Sloth spec, a `prometheus/v1` file or a `PrometheusServiceLevel` resource (YAML text or object), into
 * OpenSLO v1 SLO documents. Each keeps Sloth's service and SLO names as annotations, so its rule export carries
 * Sloth's `sloth_id`, `sloth_service` and `sloth_slo`.
 * @public
 */
export function slothToOpenSlo(input: unknown, options: SlothConversionOptions = {}): ParseResult<Record<string, any>[]> {
  // several specs in one file (`---` between them): each converted, the errors naming the document
  if (typeof input === 'string') {
    const docs = parseAllDocuments(input);
    if (Array.isArray(docs) && docs.length > 1) {
      const out: Record<string, any>[] = [];
      for (const [i, doc] of docs.entries()) {
        if (doc.errors.length) return { ok: false, error: `document ${i + 1}: Sloth spec is not valid YAML: ${doc.errors[0].message}` };
        const one = slothToOpenSlo(doc.toJS(), options);
        if (!one.ok) return { ok: false, error: `document ${i + 1}: ${one.error}` };
        out.push(...one.value);
      }
      return { ok: true, value: out };
    }
  }
  let spec: Pick<SlothBody, 'service' | 'labels' | 'slos'>;
  let namespace = options.namespace;
  const probe = parseDocument(input, z.unknown(), 'Sloth spec');
  if (!probe.ok) return probe;
  if (isSlothServiceLevel(probe.value)) {
    const parsed = parseDocument(probe.value, slothServiceLevelSchema, 'Sloth PrometheusServiceLevel');
    if (!parsed.ok) return parsed;
    spec = parsed.value.spec;
    namespace ??= parsed.value.metadata.namespace;
  } else {
    const parsed = parseDocument(probe.value, slothSpecSchema, 'Sloth spec');
    if (!parsed.ok) return parsed;
    spec = parsed.value;
  }
  const prom = (query: string) => ({ metricSource: { type: 'Prometheus', spec: { query: query.trim() } } });
  return {
    ok: true,
    value: spec.slos.map(slo => {
      const events = slo.sli.events;
      const rawQuery = slo.sli.raw ? (slo.sli.raw.errorRatioQuery ?? slo.sli.raw.error_ratio_query)! : undefined;
      const ratioMetric = rawQuery
        ? { counter: false, rawType: 'failure', raw: prom(rawQuery) }
        : { counter: true, bad: prom((events!.errorQuery ?? events!.error_query)!), total: prom((events!.totalQuery ?? events!.total_query)!) };
      const allLabels = { ...spec.labels, ...slo.labels };
      return {
        apiVersion: 'openslo/v1',
        kind: 'SLO',
        metadata: {
          name: slothSloName(spec.service, slo.name),
          namespace: namespace ?? 'default',
          annotations: { [ANNOTATION_SLOTH_SERVICE]: spec.service, [ANNOTATION_SLOTH_SLO]: slo.name },
          ...(Object.keys(allLabels).length ? { labels: allLabels } : {}),
        },
        spec: {
          ...(slo.description ? { description: slo.description } : {}),
          service: spec.service,
          indicator: { metadata: { name: `${slothSloName(spec.service, slo.name)}-sli` }, spec: { ratioMetric } },
          timeWindow: [{ duration: options.window ?? '30d', isRolling: true }],
          budgetingMethod: 'Occurrences',
          objectives: [{ targetPercent: slo.objective }],
        },
      };
    }),
  };
}
