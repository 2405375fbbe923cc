import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { CallerMemory, callerName } from './callerMemory';

/**
 * What a caller may see of the catalog: every read of the suite answers only about entities the caller can read,
 * asking the catalog with the caller's own credentials, so the catalog's permission rules decide.
 */
export class CatalogAccess {
  constructor(private readonly catalog: CatalogService) {}

  /** Which of these entity refs the caller may read: one getEntitiesByRefs per 500 refs. */
  async visible(entityRefs: string[], credentials: BackstageCredentials): Promise<Set<string>> {
    const refs = [...new Set(entityRefs.filter(Boolean))];
    const out = new Set<string>();
    for (let i = 0; i < refs.length; i += 500) {
      const part = refs.slice(i, i + 500);
      const res = await this.catalog.getEntitiesByRefs({ entityRefs: part, fields: ['kind', 'metadata.namespace', 'metadata.name'] }, { credentials });
      res.items.forEach((e, j) => e && out.add(part[j]));
    }
    return out;
  }

  /**
   * `visible`, remembered per caller for RECENT_MS: a read the caller repeats (a tab, a poll, an autocannon) asks the
   * catalog only about refs it has not asked about lately. A change to who may read what shows within RECENT_MS.
   * Callers without a name (no user, no service subject) are not remembered.
   */
  async visibleRecently(entityRefs: string[], credentials: BackstageCredentials): Promise<(ref: string) => boolean> {
    if (callerName(credentials) === 'service:unknown') {
      const visible = await this.visible(entityRefs, credentials);
      return ref => visible.has(ref);
    }
    const now = Date.now();
    const fresh = this.recent.get(credentials, now);
    const known = fresh && fresh.size <= 10_000 ? fresh : new Map<string, boolean>();
    if (known !== fresh) this.recent.set(credentials, known, now);
    const unknown = [...new Set(entityRefs.filter(r => r && !known.has(r)))];
    if (unknown.length) {
      const visible = await this.visible(unknown, credentials);
      for (const r of unknown) known.set(r, visible.has(r));
    }
    return ref => known.get(ref) === true;
  }

  private static readonly RECENT_MS = 15_000;
  private readonly recent = new CallerMemory<Map<string, boolean>>(CatalogAccess.RECENT_MS);

  /** A predicate over `refs`: whether the caller may read the entity (an empty ref, about no entity, passes). */
  async filter(refs: string[], credentials: BackstageCredentials): Promise<(ref: string) => boolean> {
    const visible = await this.visible(refs, credentials);
    return ref => !ref || visible.has(ref);
  }

  /** The entity's annotations, when the caller may read it (undefined otherwise: unknown and hidden look the same). */
  async annotations(entityRef: string, credentials: BackstageCredentials): Promise<Record<string, string> | undefined> {
    const res = await this.catalog.getEntitiesByRefs({ entityRefs: [entityRef], fields: ['kind', 'metadata.annotations'] }, { credentials });
    const entity = res.items[0];
    // a fields-filtered entity without annotations may come back without metadata at all
    return entity ? ((entity.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {}) : undefined;
  }
}
