import { promises as fs } from 'fs';
import { AuthService, UrlReaderService } from '@backstage/backend-plugin-api';
import {
  Entity,
  getEntitySourceLocation,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_RESILIENCE,
  DASHBOARD_ANNOTATIONS,
  DeliveryRouting,
  MAX_RESILIENCE_FILE_BYTES,
  PAGING_ANNOTATIONS,
  ReadinessFacts,
  parseResilienceFile,
  routeAlert,
} from '@reliability-suite/plugin-reliability-common';
import path from 'path';
import { resolveRulesLocation } from '../remediation/ownerRules';

/** The redaction step for what a reader's failure says, and for a location shown to users. */
export interface EvidenceRedactor {
  text(text: string): string;
  target(location: string): string;
}

/**
 * The readiness review's own evidence, read from the entity itself: its dashboards (links of type dashboard and the
 * observability plugins' annotations), what pages a human for it (a delivery policy routing its page alerts, or a
 * paging plugin's annotation), and its resilience file (annotation `reliability.io/resilience`, found beside the
 * catalog file as owner remediation rules are: through the UrlReader for url: locations, from disk inside the
 * catalog file's directory for file: locations). A file that cannot be read or parsed is reported with its field
 * path, never thrown. Reads never write.
 */
export class ReadinessEvidence {
  constructor(
    private readonly o: {
      catalog: CatalogService;
      auth: AuthService;
      urlReader: UrlReaderService;
      redactor: EvidenceRedactor;
      /** `reliability.delivery`: whether it delivers, and its routing. */
      delivery: () => { live: boolean; routing: DeliveryRouting };
    },
  ) {}

  async facts(
    entityRef: string,
  ): Promise<Pick<ReadinessFacts, 'dashboards' | 'paging' | 'resilience'>> {
    const entity = await this.o.catalog.getEntityByRef(entityRef, {
      credentials: await this.o.auth.getOwnServiceCredentials(),
    });
    if (!entity) return { dashboards: [], paging: [], resilience: null };
    return {
      dashboards: this.dashboards(entity),
      paging: this.paging(entity, entityRef),
      resilience: await this.resilience(entity),
    };
  }

  private dashboards(entity: Entity): string[] {
    const annotations = entity.metadata.annotations ?? {};
    const links = (entity.metadata.links ?? [])
      .filter(
        l =>
          l.type?.toLocaleLowerCase('en-US') === 'dashboard' ||
          l.icon?.toLocaleLowerCase('en-US') === 'dashboard',
      )
      .map(l => `${l.title ?? 'link'} (${this.o.redactor.target(l.url)})`);
    const annotated = DASHBOARD_ANNOTATIONS.filter(a => annotations[a]).map(
      a => `${a}: ${this.o.redactor.text(annotations[a].slice(0, 200))}`,
    );
    return [...links, ...annotated].slice(0, 10);
  }

  private paging(entity: Entity, entityRef: string): string[] {
    const out: string[] = [];
    const delivery = this.o.delivery();
    if (delivery.live) {
      const owners: string[] = [];
      const owner = entity.spec?.owner;
      if (typeof owner === 'string' && owner) {
        try {
          owners.push(
            stringifyEntityRef(
              parseEntityRef(owner, {
                defaultKind: 'group',
                defaultNamespace: entity.metadata.namespace ?? 'default',
              }),
            ),
          );
        } catch {
          // an owner that is not a ref routes nothing
        }
      }
      const routed = routeAlert(delivery.routing, {
        entityRef,
        owners,
        severity: 'page',
      });
      if (routed?.targets.length)
        out.push(
          `delivery policy ${
            routed.policy
          } sends page alerts to ${routed.targets.map(t => t.name).join(', ')}`,
        );
    }
    const annotations = entity.metadata.annotations ?? {};
    // the values are integration keys: only the annotation's name is shown
    for (const a of PAGING_ANNOTATIONS)
      if (annotations[a]) out.push(`annotation ${a}`);
    return out;
  }

  private async resilience(
    entity: Entity,
  ): Promise<ReadinessFacts['resilience']> {
    const annotation = entity.metadata.annotations?.[ANNOTATION_RESILIENCE];
    if (!annotation) return null;
    const failed = (location: string, error: string) => ({
      location,
      file: null,
      errors: [error],
    });
    let location: string;
    try {
      location = resolveRulesLocation(
        entity,
        annotation,
        ANNOTATION_RESILIENCE,
      );
    } catch (e) {
      return failed(
        this.o.redactor.text(annotation.slice(0, 200)),
        `metadata.annotations.${(e as Error).message}`,
      );
    }
    let text: string;
    let shown: string;
    if (location.startsWith('file:')) {
      const file = location.slice('file:'.length);
      const dir = path.dirname(getEntitySourceLocation(entity).target);
      // shown from the catalog file's folder, never the server's absolute path
      shown = `file:${path.posix.join(
        path.basename(dir),
        path.relative(dir, file).split(path.sep).join('/'),
      )}`;
      try {
        const stat = await fs.stat(file);
        if (stat.size > MAX_RESILIENCE_FILE_BYTES)
          return failed(
            shown,
            `(file): larger than ${MAX_RESILIENCE_FILE_BYTES} bytes`,
          );
        text = await fs.readFile(file, 'utf8');
      } catch {
        return failed(shown, '(file): cannot read: no such file');
      }
    } else {
      shown = this.o.redactor.target(location);
      try {
        const res = await this.o.urlReader.readUrl(location);
        const buffer = await res.buffer();
        if (buffer.length > MAX_RESILIENCE_FILE_BYTES)
          return failed(
            shown,
            `(file): larger than ${MAX_RESILIENCE_FILE_BYTES} bytes`,
          );
        text = buffer.toString('utf8');
      } catch (e) {
        return failed(
          shown,
          `(file): cannot read: ${this.o.redactor.text(
            (e as Error).message ?? String(e),
          )}`,
        );
      }
    }
    const parsed = parseResilienceFile(text);
    return parsed.ok
      ? { location: shown, file: parsed.value, errors: [] }
      : { location: shown, file: null, errors: parsed.errors };
  }
}
