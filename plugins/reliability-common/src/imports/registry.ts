import { z } from 'zod';
import { entityRefParam } from '../model/params';
import { CsvError, MAX_CSV_ERRORS, parseCsv } from '../csv/csv';
import { parseDuration } from '../math/duration';
import { SloCreateInput } from '../openslo/build';

/** The four CSV registries, as `POST /import/:registry` names them. @public */
export const REGISTRY_NAMES = [
  'slos',
  'burn-rate-alerts',
  'synthetics',
  'drills',
] as const;
/** @public */
export type RegistryName = (typeof REGISTRY_NAMES)[number];

/** What each registry is, for the upload and the docs. @public */
export const REGISTRY_TITLES: Record<
  RegistryName,
  { title: string; header: string; perEntity: boolean }
> = {
  slos: {
    title: 'SLO registry',
    header:
      'slo_id,description,objective,window,owner[,service,histogram,selector,instance]',
    perEntity: false,
  },
  'burn-rate-alerts': {
    title: 'Burn-rate alerts',
    header: 'slo_id,window,threshold_x[,severity]',
    perEntity: false,
  },
  synthetics: {
    title: 'Synthetic registry',
    header: 'journey,region,frequency,deadline_ms',
    perEntity: true,
  },
  drills: {
    title: 'Failover drill log',
    header: 'date,region,duration_min,success,notes',
    perEntity: true,
  },
};

/**
 * SLO documents in any format the suite reads (OpenSLO v1, v1alpha and v2alpha, Sloth, Pyrra), as YAML or JSON:
 * `POST /import/slo-documents` writes each SLO as an OpenSLO v1 file where the scaffolder publishes.
 * @public
 */
export const SLO_DOCUMENTS_REGISTRY = 'slo-documents' as const;

/** Every registry `POST /import/:registry` takes: the four CSV registries and the SLO documents. @public */
export const IMPORT_REGISTRY_NAMES = [
  ...REGISTRY_NAMES,
  SLO_DOCUMENTS_REGISTRY,
] as const;
/** @public */
export type ImportRegistryName = (typeof IMPORT_REGISTRY_NAMES)[number];

/** The largest file `POST /import/:registry` takes: 2 MB. @public */
export const MAX_REGISTRY_IMPORT_BYTES = 2 * 1024 * 1024;

/** POST /import/:registry (path). @public */
export const registryImportParamsSchema = z.object({
  registry: z.enum(IMPORT_REGISTRY_NAMES, {
    errorMap: () => ({
      message: `must be one of ${IMPORT_REGISTRY_NAMES.join(', ')}`,
    }),
  }),
});

/** POST /import/:registry (query): the entity for per-entity registries (or the SLO registry's default service); `dryRun=true` validates and writes nothing. @public */
export const registryImportQuerySchema = z
  .object({
    entityRef: entityRefParam.optional(),
    dryRun: z
      .enum(['true', 'false'], {
        errorMap: () => ({ message: 'must be true or false' }),
      })
      .optional(),
  })
  .strict();

/** What one row (or one SLO of the burn-rate registry, or one SLO of the SLO documents) became. @public */
export interface RegistryImportRow {
  /** The row's line; for the SLO documents, the document's number in the file (1 for the first). */
  line: number;
  /** The SLO, journey or drill it names (for the SLO documents, the SLO's entity ref). */
  id: string;
  outcome: 'created' | 'updated' | 'unchanged';
  /** Where it went (a file, an SLO), or why it did not change. */
  detail?: string;
}

/** The answer of `POST /import/:registry`: every row's outcome; on a bad file, a 400 listing every bad row instead. @public */
export interface RegistryImportResult {
  registry: ImportRegistryName;
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  rows: RegistryImportRow[];
  /**
   * Things worth knowing that are not errors (an SLO whose own alert policy wins over the burn-rate registry; for
   * the SLO documents, the format each document was read as).
   */
  notes: string[];
}

/** The objective of an SLO registry row: a success ratio (`>=99.5%`) or a latency percentile under a threshold (`<=300ms`). @public */
export type SloRegistryObjective =
  | { kind: 'ratio'; percent: number }
  | {
      kind: 'latency';
      thresholdSeconds: number;
      percentile: number;
      op: 'lt' | 'lte';
      unit: 'ms' | 's';
    };

/** The share of good one-minute slices a registry latency row (`<=300ms`, p95) asks for: 99%. @public */
export const REGISTRY_SLICE_TARGET_PERCENT = 99;

/** One row of the SLO registry, checked. @public */
export interface SloRegistryRow {
  line: number;
  sloId: string;
  /** The OpenSLO name: the slo_id in lowercase with `_` and `.` as `-` (`checkout_success` becomes `checkout-success`). */
  name: string;
  description: string;
  objective: SloRegistryObjective;
  window: string;
  owner: string;
  /** The optional `service` column: a component name or ref. */
  service?: string;
  /** Optional, for latency rows: the Prometheus histogram whose buckets count the requests under the threshold. */
  histogram?: { name: string; selector?: string; instance?: string };
}

const RFC1123 = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/;
const INSTANCE_NAME = /^[a-zA-Z0-9_.-]{1,100}$/;

/** The number at the start of `text` (digits with at most one decimal point), and what follows it. */
function leadingNumber(
  text: string,
): { value: number; rest: string } | undefined {
  let i = 0;
  let dot = false;
  while (i < text.length && i < 32) {
    const c = text[i];
    if (c >= '0' && c <= '9') i++;
    else if (c === '.' && !dot) {
      dot = true;
      i++;
    } else break;
  }
  if (i === 0 || text.slice(0, i) === '.') return undefined;
  return { value: Number(text.slice(0, i)), rest: text.slice(i).trim() };
}

/** The percentile a latency row states in its description or slo_id: `p95`, `p99.9`, `P50`. */
function percentileIn(...texts: string[]): number | undefined {
  for (const text of texts) {
    // tokens split on anything that is not a letter, a digit or a dot: one pass, no regex on the user's text
    let token = '';
    for (const c of `${text.slice(0, 1_000)} `) {
      const word =
        (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') ||
        c === '.';
      if (word) {
        token += c;
        continue;
      }
      if ((token[0] === 'p' || token[0] === 'P') && token.length > 1) {
        const n = leadingNumber(token.slice(1));
        if (n && n.rest === '' && n.value > 0 && n.value < 100) return n.value;
      }
      token = '';
    }
  }
  return undefined;
}

/** `>=99.5%` (or `99.5%`) as a ratio objective; `<=300ms`, `<300ms`, `<=0.3s` as a latency objective. */
function parseObjective(
  raw: string,
  row: { sloId: string; description: string },
): SloRegistryObjective | string {
  const text = raw.trim();
  if (text.startsWith('<')) {
    const n = leadingNumber(text.slice(text.startsWith('<=') ? 2 : 1).trim());
    const unit = n?.rest;
    if (!n || !(n.value > 0) || (unit !== 'ms' && unit !== 's'))
      return `'${raw}' must be a latency such as <=300ms or <=1s`;
    const percentile = percentileIn(row.description, row.sloId);
    if (percentile === undefined)
      return `a latency objective needs its percentile: write it in the description or the slo_id, such as p95`;
    return {
      kind: 'latency',
      thresholdSeconds: unit === 'ms' ? n.value / 1000 : n.value,
      percentile,
      op: text.startsWith('<=') ? 'lte' : 'lt',
      unit,
    };
  }
  const n = leadingNumber(text.startsWith('>=') ? text.slice(2).trim() : text);
  if (!n || n.rest !== '%')
    return `'${raw}' must be a success ratio such as >=99.5% or a latency such as <=300ms`;
  if (!(n.value > 0 && n.value < 100))
    return `'${raw}' must be above 0% and below 100% (100% leaves no budget)`;
  return { kind: 'ratio', percent: n.value };
}

/**
 * The SLO registry (`slo_id,description,objective,window,owner`, an optional `service` column naming the
 * component). Every row is checked; every bad row is reported with its line and column, and the good rows are
 * answered beside them (the backend checks those against the catalog, so one answer lists every problem). At most
 * 2,000 rows.
 * @public
 */
export function parseSloRegistry(text: string): {
  rows: SloRegistryRow[];
  errors: CsvError[];
} {
  const required = ['slo_id', 'description', 'objective', 'window', 'owner'];
  const csv = parseCsv(text, {
    required,
    known: [...required, 'service', 'histogram', 'selector', 'instance'],
    maxRows: 2_000,
  });
  if (!csv.ok) return { rows: [], errors: csv.errors };
  const rows: SloRegistryRow[] = [];
  const errors: CsvError[] = [];
  const seen = new Map<string, number>();
  for (const { line, cells } of csv.rows) {
    if (errors.length >= MAX_CSV_ERRORS) break;
    const before = errors.length;
    const sloId = cells.slo_id;
    const name = sloId.toLowerCase().replace(/[_.]/g, '-');
    if (!RFC1123.test(name))
      errors.push({
        line,
        field: 'slo_id',
        message: `'${sloId.slice(
          0,
          80,
        )}' must be letters, digits, - and _ (at most 63), such as checkout_success`,
      });
    else if (seen.has(name))
      errors.push({
        line,
        field: 'slo_id',
        message: `${sloId} is already on line ${seen.get(name)}`,
      });
    else seen.set(name, line);
    if (cells.description.length > 1_000)
      errors.push({
        line,
        field: 'description',
        message: 'must be at most 1,000 characters',
      });
    const objective = parseObjective(cells.objective, {
      sloId,
      description: cells.description,
    });
    if (typeof objective === 'string')
      errors.push({ line, field: 'objective', message: objective });
    if (parseDuration(cells.window) === undefined)
      errors.push({
        line,
        field: 'window',
        message: `'${cells.window}' must be a duration such as 30d, 4w or 1M`,
      });
    if (!cells.owner)
      errors.push({
        line,
        field: 'owner',
        message:
          'is required: the group that owns the SLO, such as Payments SRE',
      });
    else if (cells.owner.length > 200)
      errors.push({
        line,
        field: 'owner',
        message: 'must be at most 200 characters',
      });
    if (cells.service !== undefined && cells.service.length > 300)
      errors.push({
        line,
        field: 'service',
        message: 'must be a component name or ref',
      });
    if (cells.histogram) {
      if (!METRIC_NAME.test(cells.histogram))
        errors.push({
          line,
          field: 'histogram',
          message: `'${cells.histogram.slice(
            0,
            80,
          )}' must be a metric name such as request_duration_ms (without _bucket)`,
        });
      else if (typeof objective !== 'string' && objective.kind !== 'latency')
        errors.push({
          line,
          field: 'histogram',
          message: 'only latency rows (<=300ms) read histogram buckets',
        });
    }
    if ((cells.selector || cells.instance) && !cells.histogram)
      errors.push({
        line,
        field: cells.selector ? 'selector' : 'instance',
        message: 'goes with a histogram',
      });
    if (cells.selector && cells.selector.length > 500)
      errors.push({
        line,
        field: 'selector',
        message: 'must be at most 500 characters',
      });
    if (cells.instance && !INSTANCE_NAME.test(cells.instance))
      errors.push({
        line,
        field: 'instance',
        message:
          'must name a Prometheus instance of reliability.prometheus.instances',
      });
    if (errors.length > before || typeof objective === 'string') continue;
    rows.push({
      line,
      sloId,
      name,
      description: cells.description,
      objective,
      window: cells.window,
      owner: cells.owner,
      ...(cells.service ? { service: cells.service } : {}),
      ...(cells.histogram
        ? {
            histogram: {
              name: cells.histogram,
              ...(cells.selector ? { selector: cells.selector } : {}),
              ...(cells.instance ? { instance: cells.instance } : {}),
            },
          }
        : {}),
    });
  }
  return { rows, errors };
}

/**
 * An SLO registry row as the scaffolder's SLO input: a ratio row is an availability SLI; a latency row (`<=300ms`,
 * with its percentile in the description or slo_id) a threshold SLI judged minute by minute: its percentile at most
 * the threshold in 99% of the window's one-minute slices (Timeslices). The percentile comes from a Prometheus
 * histogram's buckets (histogram_quantile) when the row names one (`histogram`, `selector`, `instance`), else from
 * values reported to POST /sli-values, in the unit the row wrote. The alert policy is left to the burn-rate registry
 * (the workbook's table when it has no rows for it).
 * @public
 */
export function sloRegistryInput(
  row: SloRegistryRow,
  componentRef: string,
): SloCreateInput {
  const latency = row.objective.kind === 'latency' ? row.objective : undefined;
  return {
    name: row.name,
    displayName: (row.description || row.sloId).slice(0, 63),
    description: `${
      row.description ? `${row.description}; ` : ''
    }from the SLO registry (${row.sloId}, ${row.owner})`,
    component: componentRef,
    sli: latency
      ? {
          type: 'percentile',
          percentile: latency.percentile,
          op: latency.op,
          threshold:
            latency.unit === 'ms'
              ? Number((latency.thresholdSeconds * 1000).toPrecision(12))
              : latency.thresholdSeconds,
          unit: latency.unit,
          // a histogram named *_ms / *_milliseconds counts in milliseconds, as request_duration_ms does
          ...(row.histogram
            ? {
                histogram: row.histogram.name,
                ...(row.histogram.selector
                  ? { selector: row.histogram.selector }
                  : {}),
                histogramUnit: /_(ms|milliseconds)$/.test(row.histogram.name)
                  ? 'milliseconds'
                  : 'seconds',
              }
            : {}),
        }
      : { type: 'availability' },
    objectivePercent: latency
      ? REGISTRY_SLICE_TARGET_PERCENT
      : (row.objective as { percent: number }).percent,
    window: { duration: row.window, type: 'rolling' },
    alerting: { policy: 'registry' },
    source: row.histogram
      ? {
          type: 'prometheus',
          ...(row.histogram.instance
            ? { instance: row.histogram.instance }
            : {}),
        }
      : { type: 'ingest' },
  };
}
