import { z } from 'zod';
import { CsvError, MAX_CSV_ERRORS, parseCsv } from '../csv/csv';
import {
  BURN_RATE_WINDOWS,
  BurnRateWindow,
  DEFAULT_MWMB_RULES,
  MwmbRule,
} from '../math/mwmb';
import { durationMs, parseDuration } from '../math/duration';
import type { ParseResult } from '../model/result';

/**
 * An SLO's alert policy: the burn-rate rules its alerts come from, where they were written, and whether a silent
 * SLI raises a no-data alert. Without one, the SRE workbook's table (DEFAULT_MWMB_RULES) applies.
 * @public
 */
export interface SloAlertPolicy {
  source: 'openslo' | 'annotation' | 'csv' | 'default';
  rules: MwmbRule[];
  /** OpenSLO alertWhenNoData; true unless a policy says otherwise. */
  noData: boolean;
  /** Where the alerts go: the policies' AlertNotificationTargets (delivered to those reliability.delivery.targets names). */
  targets?: { name: string; target: string }[];
}

/** @public */
export const DEFAULT_ALERT_POLICY: SloAlertPolicy = {
  source: 'default',
  rules: [...DEFAULT_MWMB_RULES],
  noData: true,
};

const WINDOW_LIST = BURN_RATE_WINDOWS.join(', ');

/** A window the evaluator computes a burn rate for, or undefined. */
function evaluatedWindow(text: string): BurnRateWindow | undefined {
  const d = parseDuration(text);
  if (!d) return undefined;
  const ms = durationMs(d);
  return BURN_RATE_WINDOWS.find(w => durationMs(w) === ms);
}

/**
 * The short window the workbook pairs with a long one (1/12 of it: 1h -> 5m, 6h -> 30m, 1d -> 2h, 3d -> 6h);
 * the long window itself when 1/12 of it is not evaluated (a single-window condition).
 */
function shortWindowFor(long: BurnRateWindow): BurnRateWindow {
  const twelfth = durationMs(long) / 12;
  return BURN_RATE_WINDOWS.find(w => durationMs(w) === twelfth) ?? long;
}

/** Page at 6x and above (the workbook's page rows are 14.4x and 6x), ticket below. */
const defaultSeverity = (burnRate: number): 'page' | 'ticket' =>
  burnRate >= 6 ? 'page' : 'ticket';

const BURN_RE = /^([0-9]+(?:\.[0-9]+)?)x?$/;

/**
 * The compact format's annotation `reliability.io/burn-rate-alerts`: rules separated by `;`, each
 * `<burn>x:<window>[,<window>][:page|ticket]`, e.g. `14x:5m,30m;6x:1h,6h`. With two windows the longer is the
 * long window; with one, the short window is 1/12 of it where evaluated.
 * @public
 */
export function parseBurnRateAnnotation(
  text: string,
  field = 'reliability.io/burn-rate-alerts',
): ParseResult<MwmbRule[]> {
  const rules: MwmbRule[] = [];
  const parts = text
    .split(';')
    .map(p => p.trim())
    .filter(Boolean);
  if (!parts.length)
    return {
      ok: false,
      error: `${field}: must hold at least one rule like 14x:5m,30m`,
    };
  for (const [i, part] of parts.entries()) {
    const [burn, windows, severity, ...rest] = part
      .split(':')
      .map(p => p.trim());
    const where = `${field} rule ${i + 1} ('${part}')`;
    const m = BURN_RE.exec(burn ?? '');
    if (!m || rest.length || !windows)
      return {
        ok: false,
        error: `${where}: must look like 14x:5m,30m or 6x:6h:page`,
      };
    const burnRate = Number(m[1]);
    if (!(burnRate > 0))
      return { ok: false, error: `${where}: the burn rate must be above 0` };
    const ws = windows.split(',').map(w => w.trim());
    if (ws.length > 2)
      return {
        ok: false,
        error: `${where}: at most two windows (long and short)`,
      };
    const parsed = ws.map(evaluatedWindow);
    const bad = ws.find((_w, j) => !parsed[j]);
    if (bad !== undefined)
      return {
        ok: false,
        error: `${where}: window '${bad}' is not one the suite evaluates (${WINDOW_LIST})`,
      };
    if (severity !== undefined && severity !== 'page' && severity !== 'ticket')
      return { ok: false, error: `${where}: severity must be page or ticket` };
    const sorted = (parsed as BurnRateWindow[]).sort(
      (a, b) => durationMs(b) - durationMs(a),
    );
    rules.push({
      severity:
        (severity as 'page' | 'ticket' | undefined) ??
        defaultSeverity(burnRate),
      burnRate,
      longWindow: sorted[0],
      shortWindow: sorted[1] ?? shortWindowFor(sorted[0]),
    });
  }
  return { ok: true, value: rules };
}

/** One row of the burn-rate registry: its line, its slo_id and the rule it adds. @public */
export interface BurnRateRow {
  line: number;
  sloId: string;
  rule: MwmbRule;
}

/**
 * The burn-rate registry, row by row: CSV with the header `slo_id,window,threshold_x` (an optional fourth column
 * `severity`), one single-window rule per row, paired with the workbook's short window (1/12) where evaluated. Every
 * bad row is reported with its line and column.
 * @public
 */
export function parseBurnRateRows(
  text: string,
): { ok: true; rows: BurnRateRow[] } | { ok: false; errors: CsvError[] } {
  const csv = parseCsv(text, { maxRows: 10_000 });
  if (!csv.ok) return csv;
  const header = csv.header;
  if (
    header[0] !== 'slo_id' ||
    header[1] !== 'window' ||
    header[2] !== 'threshold_x' ||
    (header[3] !== undefined && header[3] !== 'severity') ||
    header.length > 4
  ) {
    return {
      ok: false,
      errors: [
        {
          line: 1,
          message:
            'the header must be slo_id,window,threshold_x (optionally ,severity)',
        },
      ],
    };
  }
  const rows: BurnRateRow[] = [];
  const errors: CsvError[] = [];
  for (const { line, cells } of csv.rows) {
    const { slo_id: sloId, window, threshold_x: threshold, severity } = cells;
    const before = errors.length;
    if (!/^[a-zA-Z0-9_.\/-]{1,253}$/.test(sloId))
      errors.push({ line, field: 'slo_id', message: 'must be an SLO name' });
    const long = evaluatedWindow(window);
    if (!long)
      errors.push({
        line,
        field: 'window',
        message: `'${window}' is not one the suite evaluates (${WINDOW_LIST})`,
      });
    const m = BURN_RE.exec(threshold);
    if (!m || !(Number(m[1]) > 0))
      errors.push({
        line,
        field: 'threshold_x',
        message: `must be a number above 0, got '${threshold}'`,
      });
    if (
      severity !== undefined &&
      severity !== '' &&
      severity !== 'page' &&
      severity !== 'ticket'
    )
      errors.push({
        line,
        field: 'severity',
        message: 'must be page or ticket',
      });
    if (errors.length >= MAX_CSV_ERRORS) break;
    if (errors.length > before || !long || !m) continue;
    const burnRate = Number(m[1]);
    const sev =
      severity === 'page' || severity === 'ticket'
        ? severity
        : defaultSeverity(burnRate);
    rows.push({
      line,
      sloId,
      rule: {
        severity: sev,
        burnRate,
        longWindow: long,
        shortWindow: shortWindowFor(long),
      },
    });
  }
  return errors.length ? { ok: false, errors } : { ok: true, rows };
}

/** The burn-rate rows grouped per slo_id, in file order. @public */
export function burnRateRulesById(
  rows: readonly BurnRateRow[],
): Map<string, MwmbRule[]> {
  const out = new Map<string, MwmbRule[]>();
  for (const r of rows) out.set(r.sloId, [...(out.get(r.sloId) ?? []), r.rule]);
  return out;
}

/**
 * The burn-rate registry as rules per slo_id (see `parseBurnRateRows`); the first error names the line and the
 * column.
 * @public
 */
export function parseBurnRateCsv(
  text: string,
): ParseResult<Map<string, MwmbRule[]>> {
  const parsed = parseBurnRateRows(text);
  if (!parsed.ok) {
    const e = parsed.errors[0];
    return {
      ok: false,
      error: `line ${e.line}: ${e.field ? `${e.field} ` : ''}${e.message}`,
    };
  }
  return { ok: true, value: burnRateRulesById(parsed.rows) };
}

/** The CSV's slo_id for an SLO: its name with `-` as `_` (`checkout-success` becomes `checkout_success`), or `namespace/name`. @public */
export function csvRulesFor(
  csv: ReadonlyMap<string, MwmbRule[]>,
  slo: { namespace: string; name: string },
): MwmbRule[] | undefined {
  return (
    csv.get(`${slo.namespace}/${slo.name}`) ??
    csv.get(slo.name) ??
    csv.get(slo.name.replace(/-/g, '_'))
  );
}

const message = (m: string) => ({ message: m });
const RFC1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const alertConditionSchema = z
  .object({
    apiVersion: z.string().optional(),
    kind: z.literal('AlertCondition', {
      errorMap: () => message('must be AlertCondition'),
    }),
    metadata: z
      .object({
        name: z
          .string()
          .regex(
            RFC1123,
            'metadata.name must be an RFC 1123 name: lowercase letters, digits and -, at most 63',
          ),
      })
      .passthrough()
      .optional(),
    spec: z
      .object({
        description: z.string().optional(),
        severity: z.enum(['page', 'ticket'], {
          errorMap: () => message('must be page or ticket'),
        }),
        condition: z
          .object({
            kind: z.literal('burnrate', {
              errorMap: () =>
                message(
                  'must be burnrate (the only condition kind OpenSLO v1 defines)',
                ),
            }),
            op: z.enum(['gte', 'gt'], {
              errorMap: () =>
                message(
                  'must be gte or gt: a burn-rate alert fires above its threshold',
                ),
            }),
            threshold: z
              .number({ invalid_type_error: 'must be a number' })
              .positive('must be above 0'),
            lookbackWindow: z
              .string()
              .refine(
                w => evaluatedWindow(w) !== undefined,
                `must be one of the evaluated windows (${WINDOW_LIST})`,
              ),
            alertAfter: z
              .string()
              .refine(
                w => parseDuration(w) !== undefined,
                'must be a duration like 5m',
              )
              .optional(),
          })
          .strict(),
      })
      .passthrough(),
  })
  .passthrough();

const alertTargetSchema = z
  .object({
    kind: z.literal('AlertNotificationTarget', {
      errorMap: () =>
        message(
          'must be AlertNotificationTarget, or a targetRef to an AlertNotificationTarget document',
        ),
    }),
    metadata: z
      .object({
        name: z
          .string()
          .regex(
            RFC1123,
            'metadata.name must be an RFC 1123 name: lowercase letters, digits and -, at most 63',
          ),
      })
      .passthrough(),
    spec: z
      .object({
        target: z
          .string({
            required_error:
              'is required: where the alerts go, such as slack:#payments-oncall',
          })
          .min(1, 'must not be empty'),
        description: z.string().optional(),
      })
      .passthrough(),
  })
  .passthrough();

/**
 * A policy's entry: the inline document, checked with its schema. The catalog puts referenced documents in place, so
 * a reference left here names no document of that kind.
 */
const inlineOrUnresolved = (
  refKey: string,
  kind: string,
  schema: z.ZodTypeAny,
) =>
  z.any().superRefine((v, ctx) => {
    if (v && typeof v === 'object' && refKey in v) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `${refKey} ${String(
          (v as Record<string, unknown>)[refKey],
        )} was not resolved: no ${kind} document of that name in the catalog`,
      });
      return;
    }
    const r = schema.safeParse(v);
    if (!r.success) r.error.issues.forEach(issue => ctx.addIssue(issue));
  });

const alertPolicySchema = z
  .object({
    apiVersion: z.string().optional(),
    kind: z.literal('AlertPolicy', {
      errorMap: () =>
        message(
          'must be AlertPolicy, or an alertPolicyRef to an AlertPolicy document',
        ),
    }),
    metadata: z.object({ name: z.string() }).passthrough().optional(),
    spec: z
      .object({
        description: z.string().optional(),
        alertWhenNoData: z
          .boolean({ invalid_type_error: 'must be true or false' })
          .optional(),
        alertWhenBreaching: z
          .boolean({ invalid_type_error: 'must be true or false' })
          .optional(),
        alertWhenResolved: z
          .boolean({ invalid_type_error: 'must be true or false' })
          .optional(),
        conditions: z
          .array(
            inlineOrUnresolved(
              'conditionRef',
              'AlertCondition',
              alertConditionSchema,
            ),
            {
              invalid_type_error: 'must be a list of AlertConditions',
              required_error: 'is required: one AlertCondition',
            },
          )
          .length(
            1,
            "holds exactly one condition, as OpenSLO's go-sdk requires: write one AlertPolicy per condition",
          ),
        notificationTargets: z
          .array(
            inlineOrUnresolved(
              'targetRef',
              'AlertNotificationTarget',
              alertTargetSchema,
            ),
            {
              invalid_type_error: 'must be a list of AlertNotificationTargets',
              required_error:
                "is required, as OpenSLO's go-sdk requires: at least one AlertNotificationTarget (where the alerts go)",
            },
          )
          .min(
            1,
            "needs at least one AlertNotificationTarget, as OpenSLO's go-sdk requires",
          ),
      })
      .passthrough(),
  })
  .passthrough();

/** spec.alertPolicies of an OpenSLO SLO: inline AlertPolicy documents. @public */
export const openSloAlertPoliciesSchema = z
  .array(alertPolicySchema, {
    invalid_type_error: 'must be a list of AlertPolicy documents',
  })
  .min(1, 'must hold at least one AlertPolicy');

/**
 * Turns inline OpenSLO AlertPolicies into burn-rate rules. Each burnrate AlertCondition becomes a rule over
 * its lookbackWindow (paired with the workbook's 1/12 short window where evaluated) that holds for alertAfter
 * before firing. alertWhenNoData: false in every policy turns the no-data alert off.
 * @public
 */
export function openSloAlertPolicy(
  policies: z.infer<typeof openSloAlertPoliciesSchema>,
): SloAlertPolicy {
  const rules: MwmbRule[] = [];
  for (const p of policies) {
    if (p.spec.alertWhenBreaching === false) continue;
    for (const c of p.spec.conditions as z.infer<
      typeof alertConditionSchema
    >[]) {
      const long = evaluatedWindow(c.spec.condition.lookbackWindow)!;
      rules.push({
        severity: c.spec.severity,
        burnRate: c.spec.condition.threshold,
        longWindow: long,
        shortWindow: shortWindowFor(long),
        ...(c.metadata?.name ? { name: c.metadata.name } : {}),
        ...(c.spec.condition.alertAfter
          ? { pendingMs: durationMs(c.spec.condition.alertAfter) }
          : {}),
      });
    }
  }
  const targets: { name: string; target: string }[] = [];
  for (const p of policies) {
    for (const t of (p.spec.notificationTargets ?? []) as {
      metadata?: { name?: string };
      spec?: { target?: unknown };
    }[]) {
      if (t && typeof t.spec?.target === 'string')
        targets.push({
          name: t.metadata?.name ?? t.spec.target,
          target: t.spec.target,
        });
    }
  }
  return {
    source: 'openslo',
    rules,
    noData: policies.every(p => p.spec.alertWhenNoData !== false),
    ...(targets.length ? { targets } : {}),
  };
}
