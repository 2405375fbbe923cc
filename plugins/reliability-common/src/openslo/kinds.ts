import { z } from 'zod';
import { formatIssues, metricSourceSchema, ratioMetricSchema } from './openslo';
import type { ParseResult } from '../model/result';

/**
 * OpenSLO v1's other kinds, read as catalog documents of their own: `SLI`, `DataSource`, `AlertPolicy`,
 * `AlertCondition`, `AlertNotificationTarget` and `Service`. An SLO names them by reference (`indicatorRef`,
 * `alertPolicyRef`, `conditionRef`, `targetRef`); `resolveSloReferences` puts the referenced documents in place, so
 * the SLO evaluates as if they were written inline. Validation follows OpenSLO's go-sdk where it is simple: names
 * are RFC 1123 labels, descriptions at most 1,050 characters, the required fields required.
 */

/** @public */
export const OPENSLO_REFERENCED_KINDS = [
  'SLI',
  'DataSource',
  'AlertPolicy',
  'AlertCondition',
  'AlertNotificationTarget',
  'Service',
] as const;
/** @public */
export type OpenSloReferencedKind = (typeof OPENSLO_REFERENCED_KINDS)[number];

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const label = (what: string) =>
  z
    .string({ required_error: `${what} is required` })
    .regex(
      RFC1123_LABEL,
      `${what} must be an RFC 1123 name: lowercase letters, digits and -, at most 63`,
    );
const description = z
  .string()
  .max(1050, 'description must be at most 1050 characters')
  .optional();

const metadata = z
  .object({
    name: label('metadata.name'),
    namespace: z.string().optional(),
    displayName: z.string().optional(),
  })
  .passthrough();

const envelope = <K extends string, S extends z.ZodTypeAny>(kind: K, spec: S) =>
  z
    .object({
      apiVersion: z.literal('openslo/v1', {
        errorMap: () => ({ message: 'apiVersion must be openslo/v1' }),
      }),
      kind: z.literal(kind, {
        errorMap: () => ({ message: `kind must be ${kind}` }),
      }),
      metadata,
      spec,
    })
    .passthrough();

const alertConditionSpec = z
  .object({
    description,
    severity: z
      .string({ required_error: 'severity is required' })
      .min(1, 'severity is required'),
    condition: z
      .object({
        kind: z.literal('burnrate', {
          errorMap: () => ({ message: 'condition.kind must be burnrate' }),
        }),
        op: z.enum(['lt', 'lte', 'gt', 'gte'], {
          errorMap: () => ({
            message: 'condition.op must be lt, lte, gt or gte',
          }),
        }),
        threshold: z.number({
          invalid_type_error: 'condition.threshold must be a number',
          required_error: 'condition.threshold is required',
        }),
        lookbackWindow: z.string({
          required_error: 'condition.lookbackWindow is required',
        }),
        alertAfter: z.string().optional(),
      })
      .passthrough(),
  })
  .passthrough();

const notificationTargetSpec = z
  .object({
    description,
    target: z
      .string({ required_error: 'target is required' })
      .min(1, 'target is required'),
  })
  .passthrough();

const conditionEntry = z.union(
  [
    z.object({ conditionRef: label('conditionRef') }).strict(),
    z
      .object({
        kind: z.literal('AlertCondition'),
        metadata: metadata.optional(),
        spec: alertConditionSpec,
      })
      .passthrough(),
  ],
  {
    errorMap: () => ({
      message: 'each condition is a conditionRef or an inline AlertCondition',
    }),
  },
);

const targetEntry = z.union(
  [
    z.object({ targetRef: label('targetRef') }).strict(),
    z
      .object({
        kind: z.literal('AlertNotificationTarget'),
        metadata: metadata.optional(),
        spec: notificationTargetSpec,
      })
      .passthrough(),
  ],
  {
    errorMap: () => ({
      message:
        'each notification target is a targetRef or an inline AlertNotificationTarget',
    }),
  },
);

const alertPolicySpec = z
  .object({
    description,
    alertWhenNoData: z.boolean().optional(),
    alertWhenBreaching: z.boolean().optional(),
    alertWhenResolved: z.boolean().optional(),
    conditions: z
      .array(conditionEntry, { required_error: 'conditions is required' })
      .length(
        1,
        "conditions holds exactly one condition, as OpenSLO's go-sdk requires: write one AlertPolicy per condition",
      ),
    notificationTargets: z
      .array(targetEntry, {
        required_error:
          "notificationTargets is required, as OpenSLO's go-sdk requires: at least one AlertNotificationTarget",
      })
      .min(
        1,
        "notificationTargets needs at least one AlertNotificationTarget, as OpenSLO's go-sdk requires",
      ),
  })
  .passthrough();

/** The schema of each referenced kind, as a document of its own. @public */
export const openSloKindSchemas: Record<OpenSloReferencedKind, z.ZodTypeAny> = {
  SLI: envelope(
    'SLI',
    z
      .object({
        description,
        ratioMetric: ratioMetricSchema.optional(),
        thresholdMetric: z
          .object({ metricSource: metricSourceSchema })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .superRefine((s, ctx) => {
        if (!!s.ratioMetric === !!s.thresholdMetric)
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['ratioMetric'],
            message: 'an SLI has exactly one of ratioMetric or thresholdMetric',
          });
      }),
  ),
  DataSource: envelope(
    'DataSource',
    z
      .object({
        description,
        type: z
          .string({ required_error: 'type is required' })
          .min(1, 'type is required'),
        connectionDetails: z
          .unknown()
          .refine(
            v => v !== undefined && v !== null,
            'connectionDetails is required',
          ),
      })
      .passthrough(),
  ),
  AlertPolicy: envelope('AlertPolicy', alertPolicySpec),
  AlertCondition: envelope('AlertCondition', alertConditionSpec),
  AlertNotificationTarget: envelope(
    'AlertNotificationTarget',
    notificationTargetSpec,
  ),
  Service: envelope('Service', z.object({ description }).passthrough()),
};

/** Whether a document is one of OpenSLO's referenced kinds. @public */
export function isOpenSloReferencedKind(doc: unknown): doc is {
  apiVersion: 'openslo/v1';
  kind: OpenSloReferencedKind;
  metadata: { name: string; namespace?: string };
  spec: any;
} {
  const d = doc as { apiVersion?: unknown; kind?: unknown } | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    d.apiVersion === 'openslo/v1' &&
    (OPENSLO_REFERENCED_KINDS as readonly unknown[]).includes(d.kind)
  );
}

/** Validates a document of a referenced kind; the error names the field. @public */
export function validateOpenSloKind(doc: unknown): ParseResult<true> {
  if (!isOpenSloReferencedKind(doc))
    return {
      ok: false,
      error: `kind must be one of ${OPENSLO_REFERENCED_KINDS.join(', ')}`,
    };
  const r = openSloKindSchemas[doc.kind].safeParse(doc);
  return r.success
    ? { ok: true, value: true }
    : { ok: false, error: formatIssues(r.error) };
}

/** Finds a referenced document by kind and name in a namespace. @public */
export type OpenSloLookup = (
  kind: OpenSloReferencedKind,
  name: string,
  namespace: string,
) => Promise<
  { metadata: { name: string; displayName?: string }; spec: any } | undefined
>;

/** A document an SLO references. @public */
export interface OpenSloReference {
  kind: OpenSloReferencedKind;
  name: string;
  namespace: string;
  /** Where the SLO names it, e.g. `spec.alertPolicies.0.alertPolicyRef`. */
  field: string;
}

/**
 * The SLO with what it references put in place: `spec.indicatorRef` becomes `spec.indicator` (the SLI's metadata and
 * spec), an `alertPolicyRef` the AlertPolicy, a `conditionRef` the AlertCondition and a `targetRef` the
 * AlertNotificationTarget, all from the SLO's namespace. A dangling reference is an error naming the field and the
 * missing name. Answers the references too (for relations, and to re-read when one of them changes).
 * @public
 */
export async function resolveSloReferences(
  slo: Record<string, any>,
  lookup: OpenSloLookup,
): Promise<
  ParseResult<{ doc: Record<string, any>; references: OpenSloReference[] }>
> {
  const namespace: string = slo.metadata?.namespace ?? 'default';
  const spec = { ...(slo.spec ?? {}) };
  const references: OpenSloReference[] = [];
  const find = async (
    kind: OpenSloReferencedKind,
    name: unknown,
    field: string,
  ) => {
    if (typeof name !== 'string' || !RFC1123_LABEL.test(name))
      return {
        error: `${field}: must be an RFC 1123 name of a ${kind} document`,
      };
    const found = await lookup(kind, name, namespace);
    if (!found)
      return {
        error: `${field}: no ${kind} named ${name} in namespace ${namespace}`,
      };
    references.push({ kind, name, namespace, field });
    return { found };
  };

  if (spec.indicatorRef !== undefined) {
    if (spec.indicator !== undefined)
      return {
        ok: false,
        error: 'spec.indicatorRef: give indicator or indicatorRef, not both',
      };
    const r = await find('SLI', spec.indicatorRef, 'spec.indicatorRef');
    if (r.error) return { ok: false, error: r.error };
    spec.indicator = {
      metadata: {
        name: r.found!.metadata.name,
        ...(r.found!.metadata.displayName
          ? { displayName: r.found!.metadata.displayName }
          : {}),
      },
      spec: r.found!.spec,
    };
    delete spec.indicatorRef;
  }

  // a composite SLO's objectives may name their SLI documents too
  if (Array.isArray(spec.objectives)) {
    const objectives: any[] = [];
    for (const [i, o] of spec.objectives.entries()) {
      if (!o || typeof o !== 'object' || o.indicatorRef === undefined) {
        objectives.push(o);
        continue;
      }
      const field = `spec.objectives.${i}.indicatorRef`;
      if (o.indicator !== undefined)
        return {
          ok: false,
          error: `${field}: give indicator or indicatorRef, not both`,
        };
      const r = await find('SLI', o.indicatorRef, field);
      if (r.error) return { ok: false, error: r.error };
      const { indicatorRef: _ref, ...rest } = o;
      objectives.push({
        ...rest,
        indicator: {
          metadata: {
            name: r.found!.metadata.name,
            ...(r.found!.metadata.displayName
              ? { displayName: r.found!.metadata.displayName }
              : {}),
          },
          spec: r.found!.spec,
        },
      });
    }
    spec.objectives = objectives;
  }

  // metric sources that name a DataSource document: its type, and the configured instance it names (credentials
  // stay in app-config: nothing else of connectionDetails is read). A name with no DataSource document is left as
  // it is: it names a configured instance directly.
  const metricSources = async (
    metrics: Record<string, any> | undefined,
    field: string,
    keys = ['good', 'bad', 'total', 'raw'],
  ) => {
    if (!metrics) return undefined;
    const out: Record<string, any> = { ...metrics };
    for (const key of keys) {
      const src = out[key]?.metricSource;
      if (
        !src ||
        typeof src.metricSourceRef !== 'string' ||
        !RFC1123_LABEL.test(src.metricSourceRef)
      )
        continue;
      const found = await lookup('DataSource', src.metricSourceRef, namespace);
      if (!found) continue;
      references.push({
        kind: 'DataSource',
        name: src.metricSourceRef,
        namespace,
        field: `${field}.${key}.metricSource.metricSourceRef`,
      });
      const details = (found.spec?.connectionDetails ?? {}) as Record<
        string,
        unknown
      >;
      const instance =
        typeof details.instance === 'string'
          ? details.instance
          : found.metadata.name;
      const { metricSourceRef: _ref, ...rest } = src;
      out[key] = {
        ...out[key],
        metricSource: {
          ...rest,
          type: rest.type ?? found.spec?.type,
          spec: { ...(rest.spec ?? {}), instance },
        },
      };
    }
    return out;
  };
  // the metric sources of the spec's indicator and of each composite objective's: ratios and thresholds alike
  const resolveIndicator = async (indicator: any, field: string) => {
    if (!indicator?.spec) return indicator;
    const out = { ...indicator, spec: { ...indicator.spec } };
    if (out.spec.ratioMetric)
      out.spec.ratioMetric = await metricSources(
        out.spec.ratioMetric,
        `${field}.spec.ratioMetric`,
      );
    if (out.spec.thresholdMetric)
      out.spec = {
        ...out.spec,
        ...(await metricSources(
          { thresholdMetric: out.spec.thresholdMetric },
          `${field}.spec`,
          ['thresholdMetric'],
        )),
      };
    return out;
  };
  if (spec.indicator)
    spec.indicator = await resolveIndicator(spec.indicator, 'spec.indicator');
  if (Array.isArray(spec.objectives)) {
    spec.objectives = await Promise.all(
      spec.objectives.map(async (o: any, i: number) =>
        o?.indicator
          ? {
              ...o,
              indicator: await resolveIndicator(
                o.indicator,
                `spec.objectives.${i}.indicator`,
              ),
            }
          : o,
      ),
    );
  }

  // a `{ <refKey>: name }` entry becomes the named document of that kind, inline; anything else stays as written
  const inline = async (
    entry: any,
    refKey: 'conditionRef' | 'targetRef',
    kind: 'AlertCondition' | 'AlertNotificationTarget',
    field: string,
  ) => {
    if (!entry || typeof entry !== 'object' || !(refKey in entry))
      return { value: entry };
    const r = await find(kind, entry[refKey], `${field}.${refKey}`);
    if (r.error) return { error: r.error };
    return {
      value: {
        kind,
        metadata: { name: r.found!.metadata.name },
        spec: r.found!.spec,
      },
    };
  };

  if (Array.isArray(spec.alertPolicies)) {
    const policies: any[] = [];
    for (const [i, p] of spec.alertPolicies.entries()) {
      const field = `spec.alertPolicies.${i}`;
      let policy = p;
      if (p && typeof p === 'object' && 'alertPolicyRef' in p) {
        const r = await find(
          'AlertPolicy',
          p.alertPolicyRef,
          `${field}.alertPolicyRef`,
        );
        if (r.error) return { ok: false, error: r.error };
        policy = {
          kind: 'AlertPolicy',
          metadata: { name: r.found!.metadata.name },
          spec: r.found!.spec,
        };
      }
      if (policy?.spec && Array.isArray(policy.spec.conditions)) {
        const conditions = [];
        for (const [j, c] of policy.spec.conditions.entries()) {
          const r = await inline(
            c,
            'conditionRef',
            'AlertCondition',
            `${field}.spec.conditions.${j}`,
          );
          if (r.error) return { ok: false, error: r.error };
          conditions.push(r.value);
        }
        const targets = [];
        for (const [j, t] of (Array.isArray(policy.spec.notificationTargets)
          ? policy.spec.notificationTargets
          : []
        ).entries()) {
          const r = await inline(
            t,
            'targetRef',
            'AlertNotificationTarget',
            `${field}.spec.notificationTargets.${j}`,
          );
          if (r.error) return { ok: false, error: r.error };
          targets.push(r.value);
        }
        policy = {
          ...policy,
          spec: {
            ...policy.spec,
            conditions,
            ...(targets.length ? { notificationTargets: targets } : {}),
          },
        };
      }
      policies.push(policy);
    }
    spec.alertPolicies = policies;
  }
  return { ok: true, value: { doc: { ...slo, spec }, references } };
}
