import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  Page,
  alertsQuerySchema,
  decodeCursor,
  pageOf,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { SloRegistry } from '../slos';
import { AlertRow, AlertStore } from './AlertStore';

/** The suite's own alerts as a caller sees them. */
export class AlertService {
  constructor(
    private readonly o: {
      alerts: AlertStore;
      registry: SloRegistry;
      access: CatalogAccess;
    },
  ) {}

  /** One page of alerts, newest first, about entities the caller may read. */
  async list(
    query: z.infer<typeof alertsQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<Page<AlertRow>> {
    const sloRefs = query.entityRef
      ? (
          await this.o.registry.forEntity(
            query.entityRef.toLocaleLowerCase('en-US'),
          )
        ).map(s => s.def.ref)
      : undefined;
    let states: string[] | undefined;
    if (query.state === 'active') states = ['pending', 'firing'];
    else if (query.state) states = [query.state];
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 200;
    const page = pageOf(
      await this.o.alerts.list({ sloRefs, states, limit: limit + 1, offset }),
      offset,
      limit,
      true,
    );
    // an alert belongs to its SLO entity
    const owner = (a: AlertRow) => `slo:${a.sloRef}`;
    // the visibility of the caller, remembered for 15 s as for the other reads
    const visible = await this.o.access.visibleRecently(
      page.items.map(owner),
      credentials,
    );
    return { ...page, items: page.items.filter(a => visible(owner(a))) };
  }
}
