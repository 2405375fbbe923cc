import { Readable } from 'stream';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  DocumentCollatorFactory,
  IndexableDocument,
} from '@backstage/plugin-search-common';
import {
  formatPercent,
  SloSummary,
} from '@reliability-suite/plugin-reliability-common';
import { ReliabilityApi } from '../http/ReliabilityApi';
import { reliabilityTabPath } from '../http/links';

/** The search type of SLO documents. @public */
export const RELIABILITY_SLO_DOCUMENT_TYPE = 'reliability-slo';

/** One SLO in search: its objective, its state and the budget left, linking to the SLO's Reliability tab. @public */
export interface ReliabilitySloDocument extends IndexableDocument {
  /** The SLO entity, e.g. `slo:default/checkout-success`; search shows the document to who may read it. */
  entityRef: string;
  /** The component it measures. */
  componentRef: string;
  /** e.g. 0.995 */
  objective: number;
  /** e.g. `30d rolling` */
  window: string;
  /** healthy, burning, exhausted or no_data; `unknown` before the first evaluation. */
  state: string;
  /** Fraction of the error budget left (1 = untouched, below 0 = overspent); null without data. */
  budgetRemaining: number | null;
  authorization: { resourceRef: string };
}

/** The SLO document of one SLO as `GET /slos` lists it. */
export function sloDocument(slo: SloSummary): ReliabilitySloDocument {
  const state = slo.status?.state ?? 'unknown';
  const budget = slo.status?.budgetRemaining ?? null;
  const facts = [
    `Objective ${formatPercent(slo.objective)} over ${slo.windowLabel}.`,
    `State: ${state.replace('_', ' ')}.`,
    budget === null
      ? 'Error budget left: no data yet.'
      : `Error budget left: ${formatPercent(budget, 1)}.`,
    `Measures ${slo.componentRef}.`,
  ];
  return {
    title: slo.title || slo.name,
    text: [slo.description, ...facts].filter(Boolean).join(' '),
    location: reliabilityTabPath(slo.entityRef),
    entityRef: slo.entityRef,
    componentRef: slo.componentRef,
    objective: slo.objective,
    window: slo.windowLabel,
    state,
    budgetRemaining: budget,
    authorization: { resourceRef: slo.entityRef },
  };
}

/**
 * Collates every SLO of the reliability backend (`GET /slos`, every page) into `reliability-slo` documents. Their
 * visibility is the catalog's: search shows an SLO to who may read its entity (`catalog.entity.read`).
 * @public
 */
export class SloCollatorFactory implements DocumentCollatorFactory {
  readonly type = RELIABILITY_SLO_DOCUMENT_TYPE;
  readonly visibilityPermission = catalogEntityReadPermission;

  constructor(private readonly api: ReliabilityApi) {}

  async getCollator(): Promise<Readable> {
    return Readable.from(this.execute());
  }

  async *execute(): AsyncGenerator<ReliabilitySloDocument> {
    for await (const slo of this.api.slos()) yield sloDocument(slo);
  }
}
