import { AuthService, BackstageCredentials, LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { MwmbRule, OPENSLO_API_VERSION, RELATION_MEASURES, SLO_KIND, SloDefinition, csvRulesFor, parseOpenSlo } from '@internal/plugin-reliability-common';
import { ReliabilityStore } from './ReliabilityStore';

/** Reads SLO entities from the catalog and keeps the evaluator's registry in step. */
export class SloCatalog {
  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly store: ReliabilityStore,
    private readonly logger: LoggerService,
    /** Burn-rate rules per slo_id from reliability.alerting.burnRateCsv, for SLOs without a policy of their own. */
    private readonly csvPolicies: ReadonlyMap<string, MwmbRule[]> = new Map(),
  ) {}

  private toDefinitions(entities: Entity[]): { def: SloDefinition; entityRef: string }[] {
    const out: { def: SloDefinition; entityRef: string }[] = [];
    for (const e of entities) {
      if (e.apiVersion !== OPENSLO_API_VERSION) continue;
      const parsed = parseOpenSlo(e);
      if (!parsed.ok) {
        this.logger.warn(`Skipping SLO ${stringifyEntityRef(e)}: ${parsed.error}`);
        continue;
      }
      const def = parsed.value;
      if (!def.alertPolicy) {
        const rules = csvRulesFor(this.csvPolicies, def);
        if (rules) def.alertPolicy = { source: 'csv', rules, noData: true };
      }
      out.push({ def, entityRef: stringifyEntityRef(e) });
    }
    return out;
  }

  /** All SLOs in the catalog; replaces the registry. */
  async syncAll(): Promise<SloDefinition[]> {
    const credentials = await this.auth.getOwnServiceCredentials();
    const entities: Entity[] = [];
    let cursor: string | undefined;
    // paginate: a large catalog holds thousands of SLOs
    for (let page = 0; page < 10_000; page++) {
      const res: any = await this.catalog.queryEntities(
        cursor ? { cursor, limit: 500 } : { filter: { kind: SLO_KIND }, limit: 500 },
        { credentials },
      );
      entities.push(...res.items);
      cursor = res.pageInfo?.nextCursor;
      if (!cursor) break;
    }
    const defs = this.toDefinitions(entities);
    await this.store.syncSlos(defs);
    return defs.map(d => d.def);
  }

  /**
   * SLOs measuring an entity (or the SLO entity itself), straight from the catalog as the caller sees it;
   * registers them. Without credentials (internal use), the plugin's own.
   */
  async forEntity(entityRef: string, callerCredentials?: BackstageCredentials): Promise<{ def: SloDefinition; entityRef: string }[]> {
    const credentials = callerCredentials ?? (await this.auth.getOwnServiceCredentials());
    const [measuring, self] = await Promise.all([
      this.catalog.getEntities({ filter: { kind: SLO_KIND, [`relations.${RELATION_MEASURES}`]: entityRef } }, { credentials }),
      entityRef.startsWith('slo:') ? this.catalog.getEntityByRef(entityRef, { credentials }) : Promise.resolve(undefined),
    ]);
    const defs = this.toDefinitions([...measuring.items, ...(self ? [self] : [])]);
    // register SLOs the evaluation task has not seen yet (the source queries join the registry); the task keeps
    // known ones in step, so a read does not rewrite them
    const known = new Set((await this.store.listSlos({ refs: defs.map(d => d.def.ref) })).map(s => s.def.ref));
    for (const d of defs.filter(x => !known.has(x.def.ref))) await this.store.upsertSlo(d.def, d.entityRef);
    return defs;
  }

  /**
   * Many SLOs by `namespace/name`: one registry query, then one catalog query for the refs it lacks (in chunks of
   * 500), whatever the number of refs.
   */
  async byRefs(refs: string[]): Promise<Map<string, { def: SloDefinition; entityRef: string }>> {
    const out = new Map<string, { def: SloDefinition; entityRef: string }>();
    for (let i = 0; i < refs.length; i += 500) {
      for (const s of await this.store.listSlos({ refs: refs.slice(i, i + 500) })) out.set(s.def.ref, s);
    }
    const missing = refs.filter(r => !out.has(r));
    if (!missing.length) return out;
    const credentials = await this.auth.getOwnServiceCredentials();
    for (let i = 0; i < missing.length; i += 500) {
      const part = missing.slice(i, i + 500);
      const res = await this.catalog.getEntitiesByRefs(
        { entityRefs: part.map(r => stringifyEntityRef({ kind: SLO_KIND, namespace: r.split('/')[0], name: r.split('/')[1] ?? '' })) },
        { credentials },
      );
      const found = res.items.filter((e): e is Entity => Boolean(e));
      const defs = this.toDefinitions(found);
      for (const d of defs) {
        await this.store.upsertSlo(d.def, d.entityRef);
        out.set(d.def.ref, d);
      }
    }
    return out;
  }

  /** One SLO by `namespace/name`: the registry first, then the catalog. */
  async byRef(ref: string): Promise<{ def: SloDefinition; entityRef: string } | undefined> {
    const known = await this.store.getSlo(ref);
    if (known) return known;
    const [namespace, name] = ref.split('/');
    const credentials = await this.auth.getOwnServiceCredentials();
    const entity = await this.catalog.getEntityByRef({ kind: SLO_KIND, namespace, name }, { credentials });
    if (!entity) return undefined;
    const [def] = this.toDefinitions([entity]);
    if (def) await this.store.upsertSlo(def.def, def.entityRef);
    return def;
  }
}
