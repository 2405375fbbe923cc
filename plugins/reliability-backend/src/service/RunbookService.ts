import { promises as fs } from 'fs';
import path from 'path';
import { AuthService, UrlReaderService, resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { ANNOTATION_LOCATION, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ANNOTATION_RUNBOOK, RunbookSection, parseRunbookRef, parseRunbookSections } from '@internal/plugin-reliability-common';

/** Runbooks larger than this are refused: a 3 a.m. page must load. */
export const MAX_RUNBOOK_BYTES = 512 * 1024;

export interface RunbookResponse {
  entityRef: string;
  source: { type: 'url' | 'file'; location: string };
  sections: RunbookSection[];
  markdown: string;
}

/**
 * Reads an entity's runbook from where its `reliability.io/runbook` annotation points: an http(s) URL or a path
 * relative to the entity's catalog file (through the UrlReaderService for url: locations, from disk, inside the
 * location's directory, for file: locations).
 */
export class RunbookService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly urlReader: UrlReaderService,
  ) {}

  async get(kind: string, namespace: string, name: string): Promise<RunbookResponse> {
    const entity = await this.catalog.getEntityByRef({ kind, namespace, name }, { credentials: await this.auth.getOwnServiceCredentials() });
    if (!entity) throw new NotFoundError(`No entity ${kind}:${namespace}/${name}`);
    const entityRef = stringifyEntityRef(entity);
    const annotation = entity.metadata.annotations?.[ANNOTATION_RUNBOOK];
    if (!annotation) throw new NotFoundError(`${entityRef} has no runbook: add the annotation ${ANNOTATION_RUNBOOK}`);
    const ref = parseRunbookRef(annotation);
    if (!ref.ok) throw new InputError(`${entityRef}: ${ref.error}`);
    if (ref.value.type === 'link') {
      throw new NotFoundError(`${entityRef}: runbooks authored in the portal (${annotation}) are not available yet`);
    }
    let markdown: string;
    let source: RunbookResponse['source'];
    if (ref.value.type === 'url') {
      source = { type: 'url', location: ref.value.url };
      markdown = await this.readUrl(ref.value.url);
    } else {
      const location = entity.metadata.annotations?.[ANNOTATION_LOCATION] ?? '';
      const [type, target] = [location.slice(0, location.indexOf(':')), location.slice(location.indexOf(':') + 1)];
      if (type === 'url') {
        const url = new URL(ref.value.path, target).toString();
        source = { type: 'url', location: url };
        markdown = await this.readUrl(url);
      } else if (type === 'file') {
        let file: string;
        try {
          file = resolveSafeChildPath(path.dirname(target), ref.value.path);
        } catch {
          throw new InputError(`${entityRef}: ${ANNOTATION_RUNBOOK}: '${ref.value.path}' points outside the directory of ${location}`);
        }
        source = { type: 'file', location: file };
        markdown = await this.readFile(file, entityRef);
      } else {
        throw new InputError(`${entityRef}: a relative runbook path needs the entity's ${ANNOTATION_LOCATION} to be a url: or file: location`);
      }
    }
    return { entityRef, source, sections: parseRunbookSections(markdown), markdown };
  }

  private async readUrl(url: string): Promise<string> {
    let buffer: Buffer;
    try {
      const res = await this.urlReader.readUrl(url);
      buffer = await res.buffer();
    } catch (e) {
      if ((e as Error).name === 'NotFoundError') throw new NotFoundError(`runbook not found at ${url}`);
      throw e;
    }
    if (buffer.length > MAX_RUNBOOK_BYTES) throw new InputError(`runbook at ${url} is larger than ${MAX_RUNBOOK_BYTES / 1024} KiB`);
    return buffer.toString('utf8');
  }

  private async readFile(file: string, entityRef: string): Promise<string> {
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      throw new NotFoundError(`${entityRef}: runbook file ${file} does not exist`);
    }
    if (stat.size > MAX_RUNBOOK_BYTES) throw new InputError(`${entityRef}: runbook ${file} is larger than ${MAX_RUNBOOK_BYTES / 1024} KiB`);
    return fs.readFile(file, 'utf8');
  }
}
