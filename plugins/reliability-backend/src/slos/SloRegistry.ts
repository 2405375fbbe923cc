import { createHash } from 'crypto';
import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  MwmbRule,
  OPENSLO_API_VERSION,
  SLO_KIND,
  SloDefinition,
  csvRulesFor,
  parseSlo,
} from '@reliability-suite/plugin-reliability-common';
import { sloSummaryOf } from './summary';
import type { SloRegistryStore } from './stores';

/** An SLO the registry knows: its parsed definition and the catalog entity it came from. */
export interface RegisteredSlo {
  def: SloDefinition;
  entityRef: string;
}

/** What one sync did. */
export interface SyncResult {
  /** Every SLO in the registry after the sync. */
  slos: SloDefinition[];
  /** Documents parsed (new or changed since the last sync). */
  parsed: number;
  /** SLOs removed (gone from the catalog, or no longer valid). */
  removed: number;
}

/** The hash of the parts of an SLO entity its definition is built from. */
function documentHash(e: Entity): string {
  const { uid: _uid, etag: _etag, ...metadata } = e.metadata;
  return createHash('sha256')
    .update(
      JSON.stringify([
        e.apiVersion,
        e.kind,
        metadata,
        e.spec ?? null,
        e.relations ?? [],
      ]),
    )
    .digest('hex');
}

/**
 * The SLO registry: the suite's copy of the catalog's SLO entities, parsed.
 *
 * Only `sync()` writes, and only the scheduled evaluation task calls it: it parses a document once per change of
 * that document (a hash of the entity is kept beside the definition) and removes SLOs the catalog no longer holds.
 * Every read (`forEntity`, `byRef`, `byRefs`, `all`) answers from the registry and never writes; what a caller may
 * see of it is the caller's catalog access (`CatalogAccess`), checked by the services.
 */
export class SloRegistry {
  /** The first sync after a start parses every document (the parser or the burn-rate CSV may have changed). */
  private parsedSinceStart = false;
  /** Invalid documents already reported, by ref: not parsed (nor logged) again until they change. */
  private readonly invalid = new Map<string, string>();

  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly store: SloRegistryStore,
    private readonly logger: LoggerService,
    /** Burn-rate rules per slo_id from reliability.alerting.burnRateCsv, for SLOs without a policy of their own. */
    private readonly csvPolicies: ReadonlyMap<string, MwmbRule[]> = new Map(),
    /** Burn-rate rules per slo_id imported through POST /import/burn-rate-alerts: they win over the file's. */
    private readonly importedPolicies?: () => Promise<
      ReadonlyMap<string, MwmbRule[]>
    >,
  ) {}

  /** The imported rules of the last sync, and their fingerprint: a new import re-parses every SLO. */
  private imported: ReadonlyMap<string, MwmbRule[]> = new Map();
  private importedHash = '';

  /**
   * Parses one SLO entity into one registered SLO per objective (with the CSV policy folded in), or explains why it
   * is skipped.
   */
  private parse(e: Entity): RegisteredSlo[] | undefined {
    const parsed = parseSlo(e);
    if (!parsed.ok) {
      this.logger.warn(
        `Skipping SLO ${stringifyEntityRef(e)}: ${parsed.error}`,
      );
      return undefined;
    }
    return parsed.value.map(def => {
      if (!def.alertPolicy) {
        const rules =
          csvRulesFor(this.imported, def) ?? csvRulesFor(this.csvPolicies, def);
        if (rules) def.alertPolicy = { source: 'csv', rules, noData: true };
      }
      return { def, entityRef: stringifyEntityRef(e) };
    });
  }

  /** Reads every SLO entity of the catalog (paginated) and brings the registry in step. */
  async sync(): Promise<SyncResult> {
    const credentials = await this.auth.getOwnServiceCredentials();
    if (this.importedPolicies) {
      const imported = await this.importedPolicies();
      const hash = createHash('sha256')
        .update(JSON.stringify([...imported]))
        .digest('hex');
      if (hash !== this.importedHash) {
        this.imported = imported;
        this.importedHash = hash;
        this.parsedSinceStart = false;
      }
    }
    const known = await this.store.registryHashes();
    // an SLO's objectives after its first are `<ref>.<slug>` (SLO names have no dots): grouped by the SLO's ref
    const objectivesOf = new Map<string, string[]>();
    for (const ref of known.keys()) {
      const dot = ref.indexOf('.', ref.indexOf('/'));
      const base = dot < 0 ? ref : ref.slice(0, dot);
      objectivesOf.set(base, [...(objectivesOf.get(base) ?? []), ref]);
    }
    const seen = new Set<string>();
    const upserts: {
      def: SloDefinition;
      entityRef: string;
      docHash: string;
      summary: string;
    }[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.catalog.queryEntities(
        cursor
          ? { cursor, limit: 500 }
          : { filter: { kind: SLO_KIND }, limit: 500 },
        { credentials },
      );
      for (const e of res.items) {
        if (e.apiVersion !== OPENSLO_API_VERSION) continue;
        const ref = `${e.metadata.namespace ?? 'default'}/${e.metadata.name}`;
        const docHash = documentHash(e);
        if (this.invalid.get(ref) === docHash) continue;
        if (this.parsedSinceStart && known.get(ref) === docHash) {
          for (const r of objectivesOf.get(ref) ?? [ref]) seen.add(r);
          continue;
        }
        const slos = this.parse(e);
        if (!slos) {
          this.invalid.set(ref, docHash);
          continue;
        }
        this.invalid.delete(ref);
        for (const slo of slos) {
          seen.add(slo.def.ref);
          upserts.push({
            ...slo,
            docHash,
            summary: JSON.stringify(sloSummaryOf(slo.def, slo.entityRef)),
          });
        }
      }
      cursor = res.pageInfo?.nextCursor;
      if (!cursor) break;
    }
    const remove = [...known.keys()].filter(ref => !seen.has(ref));
    if (upserts.length || remove.length)
      await this.store.syncSlos({ upserts, remove });
    this.parsedSinceStart = true;
    const slos = (await this.store.listSlos()).map(s => s.def);
    // the overview's filters are an extra: the registry is in step even when they cannot be read this time
    await this.syncComponentFacts(slos, credentials).catch(e =>
      this.logger.warn(
        `Could not read the owner, system and lifecycle of the SLOs' components: ${
          (e as Error).message
        }`,
      ),
    );
    return { slos, parsed: upserts.length, removed: remove.length };
  }

  /** The owner, system and lifecycle of the SLOs' components (the overview's filters), one catalog call per 500. */
  private async syncComponentFacts(
    slos: SloDefinition[],
    credentials: Awaited<ReturnType<AuthService['getOwnServiceCredentials']>>,
  ) {
    const refs = [...new Set(slos.map(s => s.componentRef))];
    const facts: {
      componentRef: string;
      owner: string | null;
      system: string | null;
      lifecycle: string | null;
    }[] = [];
    for (let i = 0; i < refs.length; i += 500) {
      const part = refs.slice(i, i + 500);
      const { items } = await this.catalog.getEntitiesByRefs(
        {
          entityRefs: part,
          fields: [
            'kind',
            'metadata.name',
            'metadata.namespace',
            'spec.owner',
            'spec.system',
            'spec.lifecycle',
          ],
        },
        { credentials },
      );
      items.forEach((e, j) => {
        const ns = e?.metadata.namespace ?? 'default';
        const full = (v: unknown, kind: string) => {
          if (typeof v !== 'string' || !v) return null;
          try {
            return stringifyEntityRef(
              parseEntityRef(v, { defaultKind: kind, defaultNamespace: ns }),
            );
          } catch {
            return null;
          }
        };
        facts.push({
          componentRef: part[j],
          owner: full(e?.spec?.owner, 'group'),
          system: full(e?.spec?.system, 'system'),
          lifecycle:
            typeof e?.spec?.lifecycle === 'string' ? e.spec.lifecycle : null,
        });
      });
    }
    await this.store.setComponentFacts(facts);
  }

  /** Every registered SLO. */
  async all(): Promise<RegisteredSlo[]> {
    return this.store.listSlos();
  }

  /** The SLOs measuring an entity, or, for an SLO entity, that SLO. */
  async forEntity(entityRef: string): Promise<RegisteredSlo[]> {
    return this.store.listSlos(this.filterFor(entityRef));
  }

  /** The registry filter of an entity's SLOs: for an SLO entity, that SLO and its other objectives. */
  filterFor(
    entityRef: string,
  ): { entityRef: string } | { componentRef: string } {
    const ref = parseEntityRef(entityRef);
    if (
      ref.kind.toLocaleLowerCase('en-US') ===
      SLO_KIND.toLocaleLowerCase('en-US')
    )
      return { entityRef: stringifyEntityRef(ref) };
    return { componentRef: stringifyEntityRef(ref) };
  }

  /** Many SLOs by `namespace/name`, one registry query per 500 refs. */
  async byRefs(refs: string[]): Promise<Map<string, RegisteredSlo>> {
    const out = new Map<string, RegisteredSlo>();
    for (let i = 0; i < refs.length; i += 500) {
      for (const s of await this.store.listSlos({
        refs: refs.slice(i, i + 500),
      }))
        out.set(s.def.ref, s);
    }
    return out;
  }

  /** One SLO by `namespace/name`. */
  async byRef(ref: string): Promise<RegisteredSlo | undefined> {
    return this.store.getSlo(ref);
  }
}
