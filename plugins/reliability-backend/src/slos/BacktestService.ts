import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  alertPolicyOf,
  backtest,
  backtestSummary,
  buildOpenSlo,
  CumulativePoint,
  HourlyCounts,
  SloBacktestResponse,
  sloBacktestRequestSchema,
  syntheticSliOf,
} from '@reliability-suite/plugin-reliability-common';
import { EntityAccess } from '../catalog/entityAccess';
import { fromUpstream, Redacts } from '../http/upstream';
import type { SloStores } from './stores';
import { SloRegistry } from './SloRegistry';
import { PrometheusSliSource } from './sources/PrometheusSliSource';

const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface BacktestServiceOptions {
  entities: EntityAccess;
  registry: SloRegistry;
  store: Pick<SloStores, 'counts'>;
  prometheus?: PrometheusSliSource;
  /** A journey's runs (the synthetic store), for a Synthetic SLI. */
  journeyOutcomes?: (
    entityRef: string,
    journey: string,
    from: number,
    max: number,
  ) => Promise<{ startedAt: number; success: boolean; region: string }[]>;
  /** The redaction step for an SLI source's failure (the plugin's Redactor). */
  redactor?: Redacts;
  now?: () => number;
}

/** Hour by hour counts from cumulative points: the counts between consecutive hour boundaries. */
export function hourlyFromCumulative(
  points: CumulativePoint[],
  from: number,
  to: number,
): HourlyCounts[] {
  const sorted = [...points].sort((a, b) => a.end - b.end);
  const out: HourlyCounts[] = [];
  let i = 0;
  let prev = { good: 0, total: 0 };
  // the cumulative value at the first boundary
  const first = Math.ceil(from / HOUR) * HOUR;
  while (i < sorted.length && sorted[i].end <= first)
    prev = { good: sorted[i].cumGood, total: sorted[i++].cumTotal };
  for (let b = first + HOUR; b <= to; b += HOUR) {
    let cur = prev;
    while (i < sorted.length && sorted[i].end <= b)
      cur = { good: sorted[i].cumGood, total: sorted[i++].cumTotal };
    out.push({
      t: b - HOUR,
      good: cur.good - prev.good,
      total: cur.total - prev.total,
    });
    prev = cur;
  }
  return out;
}

/**
 * POST /slos/backtest: a new SLO replayed over its SLI's own history before it is created (the scaffolder's dry run):
 * Prometheus range queries, the journey's stored runs, or, for an ingest SLI, the stored counts of an existing SLO.
 * Reads only. A Prometheus that fails (unreachable, a 5xx) is a 503 with the redacted reason, as for `/history`;
 * what the new SLO gets wrong (an instance not configured, a query that cannot be rendered or that Prometheus
 * rejects) is a 400.
 */
export class BacktestService {
  constructor(private readonly o: BacktestServiceOptions) {}

  async run(
    body: z.infer<typeof sloBacktestRequestSchema>,
    credentials: BackstageCredentials,
  ): Promise<SloBacktestResponse> {
    const built = buildOpenSlo(body.slo);
    if (!built.ok) throw new InputError(`Invalid slo: ${built.error}`);
    const def = built.definition;
    await this.o.entities.annotations(def.componentRef, credentials);
    const now = (this.o.now ?? Date.now)();
    const to = Math.floor(now / HOUR) * HOUR;
    const from = to - body.days * DAY;
    let hourly: HourlyCounts[];
    let history: string;
    const type = (def.indicator.sourceType ?? '').toLocaleLowerCase('en-US');
    const synthetic = syntheticSliOf(def);
    if (type === 'prometheus') {
      if (!this.o.prometheus)
        throw new InputError(
          'slo.source: no Prometheus is configured (reliability.prometheus.instances)',
        );
      const prometheus = this.o.prometheus;
      hourly = await fromUpstream(
        `The backtest of ${def.ref} is unavailable`,
        () => prometheus.hourlyCounts(def, from, to),
        { keep: ['InputError'], redactor: this.o.redactor },
      );
      history =
        'Prometheus range queries of its good and total queries, hour by hour';
    } else if (synthetic) {
      const { journey, region } = synthetic;
      const runs =
        (await this.o.journeyOutcomes?.(
          def.componentRef,
          journey,
          from,
          500_000,
        )) ?? [];
      const byHour = new Map<number, HourlyCounts>();
      for (const r of runs) {
        if (region && r.region !== region) continue;
        const t = Math.floor(r.startedAt / HOUR) * HOUR;
        const h = byHour.get(t) ?? { t, good: 0, total: 0 };
        h.total++;
        if (r.success) h.good++;
        byHour.set(t, h);
      }
      hourly = [...byHour.values()];
      history = `the stored runs of journey ${journey}${
        region ? ` in ${region}` : ''
      }`;
    } else {
      if (!body.historyFrom) {
        throw new InputError(
          'historyFrom: an ingest SLI has no history until its service reports; name an existing SLO whose counts stand in for it',
        );
      }
      const source = await this.o.registry.byRef(body.historyFrom);
      if (!source)
        throw new NotFoundError(`historyFrom: no SLO ${body.historyFrom}`);
      await this.o.entities.annotations(source.def.componentRef, credentials);
      hourly = hourlyFromCumulative(
        await this.o.store.counts.readCumulative(
          body.historyFrom,
          from - HOUR,
          to,
        ),
        from,
        to,
      );
      history = `the counts reported for ${body.historyFrom}`;
    }
    const result = backtest(hourly, def.target, alertPolicyOf(def).rules);
    return {
      ...result,
      history,
      days: body.days,
      summary: backtestSummary(result, body.days),
    };
  }
}
