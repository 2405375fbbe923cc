import { z } from 'zod';
import { pageParams } from '../model/pagination';
import { toCsv } from '../csv/csv';

const ENTITY_REF = /^[a-z0-9_-]+:[a-z0-9_.-]+\/[a-z0-9_.-]+$/;

/** GET /overview and /overview/export: filters on the component's owner, system and lifecycle. @public */
export const overviewQuerySchema = z
  .object({
    owner: z
      .string()
      .toLowerCase()
      .regex(
        ENTITY_REF,
        'must be an entity ref such as group:default/payments-sre',
      )
      .optional(),
    system: z
      .string()
      .toLowerCase()
      .regex(ENTITY_REF, 'must be an entity ref such as system:default/shop')
      .optional(),
    lifecycle: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be a lifecycle such as production')
      .optional(),
    ...pageParams,
  })
  .strict();

/** One SLO of the organisation, ranked by the budget it has left. @public */
export interface OverviewRow {
  ref: string;
  entityRef: string;
  title: string;
  componentRef: string;
  owner: string | null;
  system: string | null;
  lifecycle: string | null;
  objective: number;
  state: string;
  budgetRemaining: number | null;
  /** The multi-window rules firing now. */
  firing: string[];
  /** Whether the launch-freeze gate holds this SLO (budget under the gate's threshold). */
  frozen: boolean;
  /** One reading per day of the last 30 (oldest first): the sparkline. */
  sparkline: { day: number; budgetRemaining: number | null }[];
}

/** @public */
export interface OverviewResponse {
  items: OverviewRow[];
  nextCursor?: string;
  gateThreshold: number;
}

/** The ranked list as CSV (the overview's export). @public */
export function overviewToCsv(rows: OverviewRow[]): string {
  return toCsv(
    [
      'rank',
      'slo',
      'title',
      'component',
      'owner',
      'system',
      'lifecycle',
      'objective',
      'state',
      'budget_remaining',
      'firing',
      'frozen',
    ],
    rows.map((r, i) => [
      String(i + 1),
      r.ref,
      r.title,
      r.componentRef,
      r.owner ?? '',
      r.system ?? '',
      r.lifecycle ?? '',
      String(r.objective),
      r.state,
      r.budgetRemaining === null ? '' : r.budgetRemaining.toFixed(4),
      r.firing.join(' '),
      String(r.frozen),
    ]),
  );
}
