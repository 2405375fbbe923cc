import { InputError } from '@backstage/errors';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BURN_RATE_WINDOWS,
  Counts,
  SloDefinition,
  compositeParentRef,
  durationMs,
  meetsThreshold,
  recordedWindows,
  renderQuery,
  sliceContribution,
  slothIds,
  urlSecrets,
} from '@reliability-suite/plugin-reliability-common';
import { canonicalPromQL } from './promqlCanonical';
import { MergedQuery, Shape, planMerges, sumOfRateShape } from './promqlMerge';
import { Redactor } from '../../redaction/Redactor';
import type {
  PrometheusInstanceConfig,
  RecordedRulesMode,
} from '../../config/readReliabilityConfig';
import type {
  SliCountRequest,
  SliCountResult,
  SliHistoryPoint,
  SliHistoryRequest,
  SliSource,
} from '@reliability-suite/plugin-reliability-node';

/** A Prometheus server from config: `reliability.prometheus.instances[]` (read by config/readReliabilityConfig.ts). */
export type PrometheusInstance = PrometheusInstanceConfig;
export type { RecordedRulesMode };

type Sample = [number, string];
const HOUR = 3_600_000;

/** Minimal Prometheus HTTP API client: instant and range queries, with bounded retries and timeouts. */
export class PrometheusClient {
  /** Queries sent (instant and range), and reads of the rules API. */
  queriesSent = 0;
  rulesReads = 0;

  private readonly redact: (text: string) => string;

  constructor(
    private readonly instance: PrometheusInstance,
    private readonly options: {
      timeoutMs?: number;
      retries?: number;
      baseDelayMs?: number;
      redactor?: Redactor;
    } = {},
  ) {
    // the instance's own secrets (header values, URL userinfo and query) plus the plugin's: error text from the
    // server or from fetch goes through this before anyone sees it
    const own = new Redactor([
      ...Object.values(instance.headers),
      ...Object.values(instance.headers).map(v => v.split(' ').pop() ?? ''),
      ...urlSecrets(instance.url),
    ]);
    this.redact = text =>
      options.redactor ? options.redactor.text(own.text(text)) : own.text(text);
  }

  get name() {
    return this.instance.name;
  }

  get recordedRules(): RecordedRulesMode {
    return this.instance.recordedRules ?? 'detect';
  }

  private async call(
    path: string,
    params: Record<string, string> | URLSearchParams,
    method: 'GET' | 'POST' = 'POST',
  ): Promise<any> {
    const retries = this.options.retries ?? 2;
    // one deadline for the call, its retries included: a Prometheus that accepts connections and never answers costs
    // the tick at most timeoutMs, never (retries + 1) times it
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        // exponential backoff with full jitter, within the deadline
        const cap = (this.options.baseDelayMs ?? 100) * 2 ** attempt;
        const wait = Math.random() * cap;
        if (Date.now() + wait >= deadline) break;
        await new Promise(r => setTimeout(r, wait));
      }
      try {
        if (path === '/api/v1/rules') this.rulesReads++;
        else this.queriesSent++;
        const form = new URLSearchParams(params).toString();
        const res = await fetch(
          method === 'GET'
            ? `${this.instance.url}${path}?${form}`
            : `${this.instance.url}${path}`,
          {
            method,
            headers:
              method === 'GET'
                ? this.instance.headers
                : {
                    'Content-Type': 'application/x-www-form-urlencoded',
                    ...this.instance.headers,
                  },
            ...(method === 'POST' ? { body: form } : {}),
            signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
          },
        );
        const body: any = await res.json().catch(() => ({}));
        if (res.status === 400 || res.status === 422) {
          // a bad query does not get better by retrying
          throw Object.assign(
            new Error(
              `Prometheus ${this.instance.name} rejected the query: ${
                body.error ?? res.statusText
              }`,
            ),
            { final: true },
          );
        }
        if (!res.ok || body.status !== 'success')
          throw new Error(
            `Prometheus ${this.instance.name} answered ${res.status}: ${
              body.error ?? res.statusText
            }`,
          );
        return body.data;
      } catch (e) {
        lastError = e as Error;
        if ((e as any).final) break;
        // the deadline is spent (an instance that hangs): no attempt is left
        if (Date.now() >= deadline) break;
      }
    }
    const message = lastError?.message.startsWith('Prometheus')
      ? lastError.message
      : `Prometheus ${this.instance.name} is unreachable: ${lastError?.message}`;
    throw Object.assign(new Error(this.redact(message)), {
      final: (lastError as any)?.final,
    });
  }

  /** The value of a scalar-or-single-series query at time t (seconds); null when the result is empty or NaN. */
  async instant(query: string, t: number): Promise<number | null> {
    const data = await this.call('/api/v1/query', {
      query,
      time: String(t / 1000),
    });
    const v: Sample | undefined =
      data.resultType === 'scalar' ? data.result : data.result?.[0]?.value;
    if (!v) return null;
    const n = Number(v[1]);
    return Number.isFinite(n) ? n : null;
  }

  /**
   * Every series of many expressions at one instant, in one request: each expression is tagged with a label
   * (`label_replace(expr, "__reliability_q", "<i>", "", "")`) and joined with `or`. Each expression's series (its own
   * labels, NaN values as NaN), in order.
   */
  async seriesMany(
    queries: string[],
    t: number,
  ): Promise<{ labels: Record<string, string>; value: number }[][]> {
    const out: { labels: Record<string, string>; value: number }[][] =
      queries.map(() => []);
    if (queries.length === 0) return out;
    const expr = queries
      .map((q, i) => `label_replace(${q}, "__reliability_q", "${i}", "", "")`)
      .join(' or ');
    const data = await this.call('/api/v1/query', {
      query: expr,
      time: String(t / 1000),
    });
    for (const r of (data.result ?? []) as {
      metric: Record<string, string>;
      value: Sample;
    }[]) {
      const { __reliability_q: tag, ...labels } = r.metric;
      const i = Number(tag);
      if (Number.isInteger(i) && i >= 0 && i < out.length)
        out[i].push({ labels, value: Number(r.value[1]) });
    }
    return out;
  }

  /** Every series of a selector at one instant, with its labels; NaN values as NaN. */
  async series(
    selector: string,
    t: number,
  ): Promise<{ labels: Record<string, string>; value: number }[]> {
    const data = await this.call('/api/v1/query', {
      query: selector,
      time: String(t / 1000),
    });
    return (
      (data.result ?? []) as { metric: Record<string, string>; value: Sample }[]
    ).map(r => ({ labels: r.metric, value: Number(r.value[1]) }));
  }

  /**
   * The recording rules loaded in this Prometheus (`GET /api/v1/rules?type=record`), as name, labels, query and health.
   * Servers that filter by name (2.49 and later) are asked for these names only; older ones answer every rule.
   */
  async recordingRules(names: string[]): Promise<
    {
      name: string;
      labels: Record<string, string>;
      query: string;
      health: string;
    }[]
  > {
    const params = new URLSearchParams({ type: 'record' });
    for (const n of names) params.append('rule_name[]', n);
    const data = await this.call('/api/v1/rules', params, 'GET');
    const out: {
      name: string;
      labels: Record<string, string>;
      query: string;
      health: string;
    }[] = [];
    for (const g of (data.groups ?? []) as { rules?: any[] }[]) {
      for (const r of g.rules ?? []) {
        if (r && typeof r.name === 'string' && typeof r.query === 'string')
          out.push({
            name: r.name,
            labels: r.labels ?? {},
            query: r.query,
            health: String(r.health),
          });
      }
    }
    return out;
  }

  /** Range query of a single-series expression; points keyed by epoch ms. */
  async range(
    query: string,
    start: number,
    end: number,
    stepMs: number,
  ): Promise<Map<number, number>> {
    const data = await this.call('/api/v1/query_range', {
      query,
      start: String(start / 1000),
      end: String(end / 1000),
      step: String(stepMs / 1000),
    });
    const out = new Map<number, number>();
    for (const [t, v] of (data.result?.[0]?.values ?? []) as Sample[]) {
      const n = Number(v);
      if (Number.isFinite(n)) out.set(Math.round(t * 1000), n);
    }
    return out;
  }
}

const promDuration = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;

/** Runs async jobs with a concurrency limit. */
async function pool<T>(
  jobs: (() => Promise<T>)[],
  limit: number,
): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}

/** Prometheus answers at most 11,000 points per series and range query: longer ranges are asked in parts. */
const MAX_POINTS = 10_000;

/**
 * Whether an SLO is read slice by slice (a range query at the slice step) rather than as window totals: a threshold
 * SLI (each point judged against op/value; with Occurrences each one-minute point is one event), or time-slice
 * budgeting.
 */
const bySlice = (slo: SloDefinition) =>
  slo.indicator.mode === 'threshold' || !!slo.budgeting;

/** Whether the SLO's SLI is a raw ratio (one query, no counters). */
const isRaw = (slo: SloDefinition) =>
  slo.indicator.mode === 'raw-success' || slo.indicator.mode === 'raw-failure';

/** The recorded error ratios this source reads, one per burn-rate window below 30d. */
const RECORDED_NAMES = BURN_RATE_WINDOWS.slice(0, -1).map(
  w => `slo:sli_error:ratio_rate${w}`,
);
const RULES_REFRESH_MS = 5 * 60_000;

/** A query of the raw path: a merged one (its values by label), or one expression as written (its place). */
type Item = { query: string; merged?: MergedQuery; place?: number };
/** One SLO's distinct interval to ask as raw queries: the places among its intervals it answers, and its two queries. */
type RawWantedQueries = {
  slo: SloDefinition;
  is: number[];
  len: number;
  counted: string;
  total: string;
};
/** One (SLO, interval) to count: its index among the SLO's intervals, the instant it ends at and its length. */
type RawWanted = {
  slo: SloDefinition;
  client: PrometheusClient;
  i: number;
  t: number;
  len: number;
};
/** The same, with the recorded window that may answer it and the SLO's expression for that window. */
type RecordedWanted = RawWanted & { window: string; expr: string };

/**
 * Counts from a recorded error ratio r over a window of S seconds: S events, (1 - r)·S of them good (a raw ratio SLI
 * clamped to [0, 1], as its raw path does). NaN (0/0: no traffic in the window) is no data. Only ratios matter for
 * the lookbacks this serves; the compliance window's counts always come from the raw queries.
 */
function recordedCounts(
  slo: SloDefinition,
  r: number,
  windowMs: number,
): Counts {
  const seconds = Math.round(windowMs / 1000);
  if (!Number.isFinite(r)) return { good: 0, total: 0 };
  const ratio = isRaw(slo) ? Math.min(1, Math.max(0, r)) : r;
  return { good: (1 - ratio) * seconds, total: seconds };
}

/**
 * SLIs from Prometheus. The counts of a window are the SLO's good (or bad) and total queries evaluated over that
 * window at its end, times its length in seconds: with the `sum(rate(x[w]))` form that is what `increase` gives,
 * so ratios are exactly Prometheus's `sum(rate(good[w])) / sum(rate(total[w]))`.
 * An SLO picks its instance with `metricSource.metricSourceRef` (or `spec.instance`); the first configured one
 * is the default. Queries per instance run with a bounded concurrency; an unreachable instance makes its SLOs
 * report no data with the reason.
 */
export class PrometheusSliSource implements SliSource {
  readonly types = ['prometheus'];
  private readonly clients: Map<string, PrometheusClient>;

  constructor(
    instances: PrometheusInstance[],
    private readonly logger: LoggerService,
    private readonly options: {
      concurrency?: number;
      batchSize?: number;
      timeoutMs?: number;
      retries?: number;
      baseDelayMs?: number;
      redactor?: Redactor;
      rulesRefreshMs?: number;
    } = {},
  ) {
    this.clients = new Map(
      instances.map(i => [i.name, new PrometheusClient(i, options)]),
    );
  }

  /** Queries sent so far, per instance. */
  queriesSent(): Record<string, number> {
    return Object.fromEntries(
      [...this.clients].map(([n, c]) => [n, c.queriesSent]),
    );
  }

  /** The instance the SLO names (`metricSourceRef`, else `spec.instance`); undefined: the first configured one. */
  private instanceOf(slo: SloDefinition): string | undefined {
    const src = slo.indicator.total as {
      metricSourceRef?: string;
      spec?: { instance?: string };
    };
    return src.metricSourceRef ?? src.spec?.instance;
  }

  private clientFor(slo: SloDefinition): PrometheusClient | undefined {
    const name = this.instanceOf(slo);
    return name ? this.clients.get(name) : this.clients.values().next().value;
  }

  /** A metric source's query rendered for a window (Sloth's specs keep queries without `{{.window}}` as written). */
  private render(
    slo: SloDefinition,
    source: Record<string, unknown> | undefined,
    windowMs: number,
  ): string {
    const text = (source?.spec as { query?: unknown } | undefined)?.query;
    if (typeof text !== 'string')
      throw new Error(
        'metricSource.spec.query is required for Prometheus SLIs',
      );
    const r = renderQuery(text, promDuration(windowMs), {
      verbatim: !!slo.sloth,
    });
    if (!r.ok) throw new Error(r.error);
    return r.value;
  }

  private queries(
    slo: SloDefinition,
    windowMs: number,
  ): { counted: string; total: string } {
    const q = (s?: Record<string, unknown>) => this.render(slo, s, windowMs);
    const mode = slo.indicator.mode;
    const counted = q(
      mode === 'good-total' || mode === 'raw-success'
        ? slo.indicator.good
        : slo.indicator.bad,
    );
    // a raw ratio is one query; every second of the window is one event, so the total is the window's seconds
    return {
      counted,
      total:
        mode === 'raw-success' || mode === 'raw-failure'
          ? 'vector(1)'
          : q(slo.indicator.total),
    };
  }

  private toCounts(
    slo: SloDefinition,
    counted: number | null,
    total: number | null,
    windowMs: number,
  ): Counts {
    const seconds = Math.round(windowMs / 1000);
    const mode = slo.indicator.mode;
    if (isRaw(slo)) {
      // no value: no data in the window; a ratio outside [0, 1] is clamped (a raw query may overshoot by rounding)
      if (counted === null) return { good: 0, total: 0 };
      const ratio = Math.min(1, Math.max(0, counted));
      const good = (mode === 'raw-success' ? ratio : 1 - ratio) * seconds;
      return { good, total: seconds };
    }
    const t = (total ?? 0) * seconds;
    const c = (counted ?? 0) * seconds;
    return mode === 'good-total'
      ? { good: c, total: t }
      : { good: t - c, total: t };
  }

  /**
   * Counts of many SLOs' intervals. The burn-rate lookbacks of an SLO whose rules are loaded come from the recorded
   * series, one selector per window for all such SLOs (`readRecorded`); everything else, and every lookback whose
   * series is missing, from the raw queries: two values per (SLO, interval), batched per instance and instant, each
   * distinct interval of an SLO asked once.
   */
  async countWindows(
    requests: SliCountRequest[],
  ): Promise<Map<string, SliCountResult>> {
    const out = new Map<string, SliCountResult>();
    const sliced: (() => Promise<void>)[] = [];
    const raw: RawWanted[] = [];
    const recorded: RecordedWanted[] = [];
    for (const r of requests) {
      const client = this.clientFor(r.slo);
      if (!client) {
        out.set(r.slo.ref, {
          counts: [],
          error:
            'no Prometheus instance is configured (reliability.prometheus.instances)',
        });
        continue;
      }
      if (bySlice(r.slo)) {
        sliced.push(async () => {
          try {
            const from = Math.min(...r.intervals.map(i => i.start));
            const to = Math.max(...r.intervals.map(i => i.end));
            const slices = await this.slices(client, r.slo, from, to);
            out.set(r.slo.ref, {
              counts: r.intervals.map(i => slices.between(i.start, i.end)),
            });
          } catch (e) {
            out.set(r.slo.ref, { counts: [], error: (e as Error).message });
          }
        });
        continue;
      }
      out.set(r.slo.ref, { counts: new Array(r.intervals.length) });
      const windows =
        client.recordedRules === 'off' ? undefined : this.recordable(r.slo);
      const end = Math.max(...r.intervals.map(i => i.end));
      r.intervals.forEach((interval, i) => {
        const len = interval.end - interval.start;
        const rec =
          windows && interval.end === end ? windows.get(len) : undefined;
        if (rec)
          recorded.push({
            slo: r.slo,
            client,
            i,
            t: interval.end,
            len,
            window: rec.window,
            expr: rec.expr,
          });
        else raw.push({ slo: r.slo, client, i, t: interval.end, len });
      });
    }
    this.lastCount = { recorded: 0, raw: 0 };
    // the raw queries (the compliance windows, at least) need neither the rules API nor the recorded series: they run
    // while those are read, then the lookbacks that fell back to raw queries
    const concurrency = this.options.concurrency ?? 4;
    const [fallback] = await Promise.all([
      this.readRecorded(recorded, out),
      pool([...this.rawJobs(raw, out), ...sliced], concurrency),
    ]);
    await pool(this.rawJobs(fallback, out), concurrency);
    for (const [ref, r] of out) {
      if (r.error) this.logger.warn(`SLO ${ref}: ${r.error}`);
    }
    return out;
  }

  /** How the last countWindows read its (SLO, interval) values: from recorded series, or from raw queries. */
  lastCount = { recorded: 0, raw: 0 };

  /**
   * An SLO's recorded windows (length in ms to window and expression) when its lookbacks may be read from them: not a
   * slice-by-slice SLO, not an objective of a composite SLO (the rules are the composite's), without a minimum-traffic
   * guard (the recorded series are ratios, the guard counts events), and never its compliance window (the status
   * reports that window's events).
   */
  private recordable(
    slo: SloDefinition,
  ): Map<number, { window: string; expr: string }> | undefined {
    if (
      bySlice(slo) ||
      slo.minEvents ||
      compositeParentRef(slo.ref) !== undefined ||
      slo.window.kind !== 'rolling'
    )
      return undefined;
    const windows = recordedWindows(slo);
    if (!windows.ok) return undefined;
    const periodMs = durationMs(slo.window.duration);
    windows.value.delete(periodMs);
    return windows.value;
  }

  /** Each instance's loaded recording rules, read at most every five minutes. */
  private readonly loadedRules = new Map<
    PrometheusClient,
    { at: number; rules: Promise<Map<string, Set<string>>> }
  >();
  /** Canonical forms of the SLOs' expressions and of the loaded rules' queries, kept between ticks (bounded). */
  private readonly canonical = new Map<string, string | undefined>();

  /** The shapes of the raw expressions (see planMerges), kept between ticks (bounded): each text is parsed once. */
  private readonly shapes = new Map<string, Shape | undefined>();

  private shapeOf(expr: string): Shape | undefined {
    if (!this.shapes.has(expr)) {
      if (this.shapes.size >= 100_000) this.shapes.clear();
      this.shapes.set(expr, sumOfRateShape(expr));
    }
    return this.shapes.get(expr);
  }

  private canonicalOf(expr: string): string | undefined {
    if (!this.canonical.has(expr)) {
      if (this.canonical.size >= 100_000) this.canonical.clear();
      this.canonical.set(expr, canonicalPromQL(expr));
    }
    return this.canonical.get(expr);
  }

  /**
   * What an instance's rules API says is loaded and not failing, by `sloth_id` and window: the canonical queries of
   * the `slo:sli_error:ratio_rate<w>` records (a rule not evaluated yet has no series, and its SLO falls back). An instance that cannot answer has none (its SLOs use their raw queries)
   * until the next read.
   */
  private loaded(client: PrometheusClient): Promise<Map<string, Set<string>>> {
    const cached = this.loadedRules.get(client);
    if (
      cached &&
      Date.now() - cached.at < (this.options.rulesRefreshMs ?? RULES_REFRESH_MS)
    )
      return cached.rules;
    const rules = client.recordingRules(RECORDED_NAMES).then(
      list => {
        const byKey = new Map<string, Set<string>>();
        for (const r of list) {
          const { sloth_id: id, sloth_window: w } = r.labels;
          if (
            r.health === 'err' ||
            !id ||
            !w ||
            r.name !== `slo:sli_error:ratio_rate${w}` ||
            !RECORDED_NAMES.includes(r.name)
          )
            continue;
          const key = `${id}\u0000${w}`;
          const set = byKey.get(key) ?? new Set<string>();
          // a query that does not parse here is kept as written: it then matches no SLO's. Parsed once, while its text
          // stays the same
          set.add(this.canonicalOf(r.query) ?? `unparsed\u0000${r.query}`);
          byKey.set(key, set);
        }
        return byKey;
      },
      e => {
        this.logger.warn(
          `Prometheus ${
            client.name
          }: its rules could not be read, SLOs use their raw queries until the next try in five minutes (recordedRules: declared reads the recorded series without the rules API, off never reads them): ${
            (e as Error).message
          }`,
        );
        return new Map<string, Set<string>>();
      },
    );
    this.loadedRules.set(client, { at: Date.now(), rules });
    return rules;
  }

  /**
   * Reads the recorded lookbacks: one selector per (instance, instant, window) answers every SLO's series at once.
   * In `detect` mode a lookback is read only when exactly one healthy rule for the SLO's id and window is loaded and
   * its query is the SLO's current expression (compared in canonical form, so a rule file left behind after the SLO
   * changed is not used). Returns the lookbacks to count from the raw queries instead: unmatched, without a series
   * (no evaluation yet, or the rule failing for five minutes), or with more than one.
   */
  private async readRecorded(
    wanted: RecordedWanted[],
    out: Map<string, SliCountResult>,
  ): Promise<RawWanted[]> {
    const fallback: RawWanted[] = [];
    const groups = new Map<
      string,
      {
        client: PrometheusClient;
        t: number;
        window: string;
        wanted: (RecordedWanted & { id: string })[];
      }
    >();
    // each instance's rules, once for the whole batch
    const rulesOf = new Map<PrometheusClient, Map<string, Set<string>>>();
    for (const w of wanted) {
      const id = slothIds(w.slo).sloth_id;
      if (w.client.recordedRules === 'detect') {
        if (!rulesOf.has(w.client))
          rulesOf.set(w.client, await this.loaded(w.client));
        const loaded = rulesOf.get(w.client)!.get(`${id}\u0000${w.window}`);
        const ours = this.canonicalOf(w.expr);
        if (
          !loaded ||
          loaded.size !== 1 ||
          ours === undefined ||
          !loaded.has(ours)
        ) {
          fallback.push(w);
          continue;
        }
      }
      const key = `${w.client.name}\u0000${w.t}\u0000${w.window}`;
      const g = groups.get(key) ?? {
        client: w.client,
        t: w.t,
        window: w.window,
        wanted: [],
      };
      g.wanted.push({ ...w, id });
      groups.set(key, g);
    }
    await pool(
      [...groups.values()].map(g => async () => {
        let series: { labels: Record<string, string>; value: number }[];
        try {
          series = await g.client.series(
            `slo:sli_error:ratio_rate${g.window}{sloth_window="${g.window}"}`,
            g.t,
          );
        } catch (e) {
          this.logger.warn(
            `Prometheus ${g.client.name}: recorded ${
              g.window
            } ratios could not be read, using raw queries: ${
              (e as Error).message
            }`,
          );
          fallback.push(...g.wanted);
          return;
        }
        // sloth_id to value; an id with two series (two rule files) is ambiguous
        const byId = new Map<string, number | null>();
        for (const s of series) {
          const id = s.labels.sloth_id;
          if (id) byId.set(id, byId.has(id) ? null : s.value);
        }
        for (const w of g.wanted) {
          const value = byId.get(w.id);
          if (value === undefined || value === null) {
            fallback.push(w);
            continue;
          }
          out.get(w.slo.ref)!.counts[w.i] = recordedCounts(w.slo, value, w.len);
          this.lastCount.recorded++;
        }
      }),
      this.options.concurrency ?? 4,
    );
    return fallback;
  }

  /**
   * Raw queries for what is left, each distinct interval of an SLO once. Per instance and instant, expressions that
   * differ in one label's value only are asked as one `sum by` query each (`planMerges`: the same numbers, from one
   * selector instead of hundreds); the others are batched, 50 SLO-intervals a request. A merged query that fails is
   * asked again as its expressions, batched, so that an error lands on its own SLOs.
   */
  private rawJobs(
    raw: RawWanted[],
    out: Map<string, SliCountResult>,
  ): (() => Promise<void>)[] {
    const groups = new Map<
      string,
      { client: PrometheusClient; t: number; wanted: RawWantedQueries[] }
    >();
    const seen = new Map<string, RawWantedQueries>();
    for (const w of raw) {
      const entry = out.get(w.slo.ref)!;
      if (entry.error) continue;
      const key = `${w.client.name}\u0000${w.t}`;
      const same = seen.get(`${w.slo.ref}\u0000${key}\u0000${w.len}`);
      if (same) {
        same.is.push(w.i);
        continue;
      }
      try {
        const q = this.queries(w.slo, w.len);
        const g = groups.get(key) ?? { client: w.client, t: w.t, wanted: [] };
        const wanted = {
          slo: w.slo,
          is: [w.i],
          len: w.len,
          counted: q.counted,
          total: q.total,
        };
        g.wanted.push(wanted);
        groups.set(key, g);
        seen.set(`${w.slo.ref}\u0000${key}\u0000${w.len}`, wanted);
      } catch (e) {
        entry.error = (e as Error).message;
      }
    }
    return [...groups.values()].flatMap(({ client, t, wanted }) =>
      this.groupJobs(client, t, wanted, out),
    );
  }

  /** Queries a request: batchSize SLO-intervals of two expressions each. */
  private get perRequest(): number {
    return 2 * (this.options.batchSize ?? 50);
  }

  /** The jobs of one instance and instant: its merged queries and its expressions as written, then the counts. */
  private groupJobs(
    client: PrometheusClient,
    t: number,
    wanted: RawWantedQueries[],
    out: Map<string, SliCountResult>,
  ): (() => Promise<void>)[] {
    // expression 2j is wanted[j]'s counted query, 2j + 1 its total
    const exprs = wanted.flatMap(w => [w.counted, w.total]);
    const values: (number | null | Error)[] = exprs.map(() => null);
    // each merged query and each expression left as written is one item; up to perRequest items a request
    const { merged, rest } = planMerges(exprs, e => this.shapeOf(e));
    const items: Item[] = [
      ...merged.map(m => ({ query: m.query, merged: m })),
      ...rest.map(i => ({ query: exprs[i], place: i })),
    ];
    const groupJobs: (() => Promise<void>)[] = [];
    for (let k = 0; k < items.length; k += this.perRequest)
      groupJobs.push(() =>
        this.askItems(
          client,
          t,
          items.slice(k, k + this.perRequest),
          exprs,
          values,
        ),
      );
    // the counts, once every query of this instance and instant has answered
    let left = groupJobs.length;
    const assign = () => {
      wanted.forEach((w, j) => {
        const entry = out.get(w.slo.ref)!;
        if (entry.error) return;
        const counted = values[2 * j];
        const total = values[2 * j + 1];
        if (counted instanceof Error || total instanceof Error) {
          entry.error = (
            (counted instanceof Error ? counted : total) as Error
          ).message;
          return;
        }
        const counts = this.toCounts(w.slo, counted, total, w.len);
        for (const i of w.is) entry.counts[i] = counts;
        this.lastCount.raw += w.is.length;
      });
    };
    return groupJobs.map(job => async () => {
      try {
        await job();
      } finally {
        left -= 1;
        if (left === 0) assign();
      }
    });
  }

  /**
   * Asks items (a merged query, or one expression as written) in one request and puts their values in place. When
   * Prometheus rejects the request, each item alone; a merged query it rejects, as its expressions (so that an error
   * lands on its own SLOs).
   */
  private async askItems(
    client: PrometheusClient,
    t: number,
    items: Item[],
    exprs: string[],
    values: (number | null | Error)[],
  ): Promise<void> {
    let answers: (
      | { labels: Record<string, string>; value: number }[]
      | Error
    )[];
    try {
      answers = await client.seriesMany(
        items.map(i => i.query),
        t,
      );
    } catch (e) {
      answers = (e as any).final
        ? await Promise.all(
            items.map(i =>
              client.series(i.query, t).catch(err => err as Error),
            ),
          )
        : items.map(() => e as Error);
    }
    for (const [k, item] of items.entries()) {
      const answer = answers[k];
      if (item.merged) {
        const places = [...item.merged.members.values()].flat();
        if (answer instanceof Error && !(answer as any).final) {
          for (const i of places) values[i] = answer;
        } else if (answer instanceof Error) {
          // rejected: its expressions, as written and batched like the rest (they do not merge again)
          for (let p = 0; p < places.length; p += this.perRequest) {
            await this.askItems(
              client,
              t,
              places
                .slice(p, p + this.perRequest)
                .map(i => ({ query: exprs[i], place: i })),
              exprs,
              values,
            );
          }
        } else {
          for (const series of answer) {
            const at = item.merged.members.get(
              series.labels[item.merged.label],
            );
            if (at && Number.isFinite(series.value))
              for (const i of at) values[i] = series.value;
          }
        }
      } else if (answer instanceof Error) values[item.place!] = answer;
      else
        values[item.place!] =
          answer.find(x => Number.isFinite(x.value))?.value ?? null;
    }
  }

  /**
   * Hour by hour counts of an SLO's queries between from and to (two range queries at a one-hour step: the rate over
   * each hour times its seconds), for backtesting an objective before the SLO exists. What the SLO gets wrong (an
   * instance that is not configured, a query that cannot be rendered or that Prometheus rejects) is an InputError;
   * a Prometheus that fails throws the client's (redacted) error.
   */
  async hourlyCounts(
    slo: SloDefinition,
    from: number,
    to: number,
  ): Promise<{ t: number; good: number; total: number }[]> {
    const client = this.clientFor(slo);
    if (!client)
      throw new InputError(
        `no Prometheus instance${
          this.instanceOf(slo) ? ` named ${this.instanceOf(slo)}` : ''
        } is configured (reliability.prometheus.instances)`,
      );
    let queries: { counted: string; total: string };
    try {
      queries = this.queries(slo, HOUR);
    } catch (e) {
      throw new InputError((e as Error).message);
    }
    const start = Math.ceil(from / HOUR) * HOUR + HOUR;
    const end = Math.floor(to / HOUR) * HOUR;
    const [c, t] = await Promise.all([
      client.range(queries.counted, start, end, HOUR),
      client.range(queries.total, start, end, HOUR),
    ]).catch(e => {
      // a query Prometheus rejects (400, 422: `final`) does not get better by asking again
      throw (e as { final?: boolean }).final
        ? new InputError((e as Error).message)
        : e;
    });
    const out: { t: number; good: number; total: number }[] = [];
    const raw = isRaw(slo);
    for (const [at, rate] of t) {
      // a raw ratio's hour without a value has no data (its total is a constant)
      if (raw && !c.has(at)) continue;
      const counts = this.toCounts(slo, c.get(at) ?? 0, rate, HOUR);
      out.push({ t: at - HOUR, good: counts.good, total: counts.total });
    }
    return out.sort((a, b) => a.t - b.t);
  }

  /** A PromQL expression's value at t on the SLO's instance (a chaos experiment's abort condition, say). */
  async query(
    slo: SloDefinition,
    expr: string,
    t: number,
  ): Promise<number | null> {
    const client = this.clientFor(slo);
    if (!client)
      throw new Error(
        'no Prometheus instance is configured (reliability.prometheus.instances)',
      );
    return client.instant(expr, t);
  }

  async displayValue(slo: SloDefinition, t: number): Promise<number | null> {
    const client = this.clientFor(slo);
    if (!client || !slo.display) return null;
    return client.instant(slo.display.query, t);
  }

  /**
   * An SLO's slices in (from, to]: the SLI at every multiple of the slice length (a range query at that step, in parts
   * of 10,000 points), each point standing for the slice that ends there, turned into its contribution to the counts
   * with the pure math of -common. A point without a value (no data) is not counted. The answer sums the slices of
   * any interval (start, end] by binary search over prefix sums.
   */
  async slices(
    client: PrometheusClient,
    slo: SloDefinition,
    from: number,
    to: number,
  ): Promise<{
    between(start: number, end: number): Counts;
    points: number[];
  }> {
    const step = slo.budgeting?.sliceMs ?? 60_000;
    const first = Math.floor(from / step) * step + step;
    const last = Math.floor(to / step) * step;
    const times: number[] = [];
    const goods: number[] = [0];
    const totals: number[] = [0];
    const threshold = slo.indicator.mode === 'threshold';
    const queries = threshold
      ? { counted: this.render(slo, slo.indicator.total, step), total: '' }
      : this.queries(slo, step);
    for (let start = first; start <= last; start += MAX_POINTS * step) {
      const end = Math.min(last, start + (MAX_POINTS - 1) * step);
      const [counted, total] = await Promise.all([
        client.range(queries.counted, start, end, step),
        threshold
          ? Promise.resolve(undefined)
          : client.range(queries.total, start, end, step),
      ]);
      for (let t = start; t <= end; t += step) {
        let c: Counts | null;
        if (threshold) {
          const v = counted.get(t);
          if (v === undefined) continue;
          const good = meetsThreshold(
            v,
            slo.threshold!.op,
            slo.threshold!.value,
          )
            ? 1
            : 0;
          c = slo.budgeting
            ? sliceContribution({ n: 1, good }, slo.budgeting)
            : { good, total: 1 };
        } else {
          if (!total!.has(t) || (isRaw(slo) && !counted.has(t))) continue;
          // the slice's good share divided as Prometheus divides it (good rate over total rate), so a share at the
          // timeSliceTarget is judged the same on both sides
          const mode = slo.indicator.mode;
          const rate = total!.get(t)!;
          const value = counted.get(t) ?? 0;
          const tally = isRaw(slo)
            ? { n: 1, good: mode === 'raw-success' ? value : 1 - value }
            : { n: rate, good: mode === 'good-total' ? value : rate - value };
          c = sliceContribution(tally, slo.budgeting!);
        }
        if (!c) continue;
        times.push(t);
        goods.push(goods[goods.length - 1] + c.good);
        totals.push(totals[totals.length - 1] + c.total);
      }
    }
    // how many slices end at or before t
    const upTo = (t: number) => {
      let lo = 0;
      let hi = times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid] <= t) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return {
      points: times,
      between: (a, b) => {
        const [i, j] = [upTo(a), upTo(b)];
        return { good: goods[j] - goods[i], total: totals[j] - totals[i] };
      },
    };
  }

  async history(
    slo: SloDefinition,
    req: SliHistoryRequest,
  ): Promise<SliHistoryPoint[]> {
    const client = this.clientFor(slo);
    if (!client)
      throw new Error(
        'no Prometheus instance is configured (reliability.prometheus.instances)',
      );
    if (bySlice(slo)) {
      const slices = await this.slices(
        client,
        slo,
        req.from - Math.max(req.windowMs, req.lookbackMs),
        req.to,
      );
      const points: SliHistoryPoint[] = [];
      for (let t = req.from; t <= req.to; t += req.stepMs) {
        const look = slices.between(t - req.lookbackMs, t);
        const win = slices.between(t - req.windowMs, t);
        points.push({
          t,
          lookback: look.total > 0 ? look : null,
          window: win.total > 0 ? win : null,
        });
      }
      return points;
    }
    const look = this.queries(slo, req.lookbackMs);
    const win = this.queries(slo, req.windowMs);
    const [lc, lt, wc, wt] = await Promise.all([
      client.range(look.counted, req.from, req.to, req.stepMs),
      client.range(look.total, req.from, req.to, req.stepMs),
      client.range(win.counted, req.from, req.to, req.stepMs),
      client.range(win.total, req.from, req.to, req.stepMs),
    ]);
    const points: SliHistoryPoint[] = [];
    const raw = isRaw(slo);
    for (let t = req.from; t <= req.to; t += req.stepMs) {
      points.push({
        t,
        lookback:
          lt.has(t) && (!raw || lc.has(t))
            ? this.toCounts(slo, lc.get(t) ?? 0, lt.get(t)!, req.lookbackMs)
            : null,
        window:
          wt.has(t) && (!raw || wc.has(t))
            ? this.toCounts(slo, wc.get(t) ?? 0, wt.get(t)!, req.windowMs)
            : null,
      });
    }
    return points;
  }
}
