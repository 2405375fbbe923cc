import { promises as fs } from 'fs';
import path from 'path';
import {
  AuthService,
  BackstageCredentials,
  UrlReaderService,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_RUNBOOK,
  FailureMode,
  RunbookResponse,
  STANDARD_FAILURE_MODES,
  parseRunbookRef,
  parseRunbookSections,
  redactText,
  redactUrl,
  decodeCursor,
  pageOf,
  lineDiff,
} from '@reliability-suite/plugin-reliability-common';
import { Entity } from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import { RunbookStore } from './RunbookStore';
import { PayloadTooLargeError } from '../http/errors';
import { upstreamUnavailable } from '../http/upstream';

/** Runbooks larger than this are refused: a 3 a.m. page must load. */
export const MAX_RUNBOOK_BYTES = 512 * 1024;

export type RunbookRead = Omit<RunbookResponse, 'canEdit'>;

/**
 * `relative` resolved against a url: location, only when the result stays under the location's directory (same
 * origin, path below it): `../../other-repo/x.md` is refused. Query and fragment of the location are dropped.
 */
export function confinedUrl(
  relative: string,
  location: string,
): string | undefined {
  try {
    const base = new URL(location);
    const dir = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1);
    const resolved = new URL(relative, `${base.origin}${base.pathname}`);
    if (
      resolved.origin !== base.origin ||
      !resolved.pathname.startsWith(dir) ||
      resolved.pathname.includes('/../')
    )
      return undefined;
    // keep the location's userinfo-free origin; the URL reader adds integration credentials itself
    return `${resolved.origin}${resolved.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * An entity's runbook. Where its `reliability.io/runbook` annotation points: an http(s) URL or a path relative to
 * the entity's catalog file (through the UrlReaderService for url: locations, from disk, inside the location's
 * directory, for file: locations), or `link://runbooks/<name>`, the portal-authored runbook of component <name>
 * in the entity's namespace. Without the annotation, the entity's own portal-authored runbook.
 */
export class RunbookService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly urlReader: UrlReaderService,
    private readonly store: RunbookStore,
    private readonly redact: (text: string) => string = text =>
      redactText(text),
  ) {}

  /**
   * The entity, as the caller may see it in the catalog: with the caller's credentials, an entity they cannot
   * read is a 404 like one that does not exist. Without credentials (internal use), the plugin's own.
   */
  async entity(
    kind: string,
    namespace: string,
    name: string,
    credentials?: BackstageCredentials,
  ): Promise<Entity> {
    const entity = await this.catalog.getEntityByRef(
      { kind, namespace, name },
      {
        credentials:
          credentials ?? (await this.auth.getOwnServiceCredentials()),
      },
    );
    if (!entity)
      throw new NotFoundError(`No entity ${kind}:${namespace}/${name}`);
    return entity;
  }

  /** Where the entity's runbook text lives: the repository (url/file), or the portal under which entity ref. */
  private where(entity: Entity): { portal: string } | { repository: true } {
    const entityRef = stringifyEntityRef(entity);
    const annotation = entity.metadata.annotations?.[ANNOTATION_RUNBOOK];
    if (!annotation) return { portal: entityRef };
    const ref = parseRunbookRef(annotation);
    if (!ref.ok) throw new InputError(`${entityRef}: ${ref.error}`);
    if (ref.value.type === 'link')
      return {
        portal: `component:${entity.metadata.namespace ?? 'default'}/${
          ref.value.name
        }`,
      };
    return { repository: true };
  }

  async get(
    kind: string,
    namespace: string,
    name: string,
    credentials?: BackstageCredentials,
  ): Promise<RunbookRead> {
    const entity = await this.entity(kind, namespace, name, credentials);
    const entityRef = stringifyEntityRef(entity);
    const where = this.where(entity);
    const own = await this.store.latest(entityRef);
    const failure = {
      failureModes: own?.failureModes ?? [...STANDARD_FAILURE_MODES],
      failureModesTemplate: !own,
      version: own?.version ?? 0,
    };
    if ('portal' in where && where.portal !== entityRef) {
      // link://runbooks/<name>: the runbook of component <name>, wherever it lives (one hop, no chains)
      const target = parseEntityRef(where.portal);
      const linked = await this.catalog.getEntityByRef(target, {
        credentials:
          credentials ?? (await this.auth.getOwnServiceCredentials()),
      });
      if (!linked)
        throw new NotFoundError(
          `${entityRef}: ${entity.metadata.annotations?.[ANNOTATION_RUNBOOK]} names ${where.portal}, which is not in the catalog`,
        );
      const linkedWhere = this.where(linked);
      if ('portal' in linkedWhere && linkedWhere.portal !== where.portal) {
        throw new InputError(
          `${entityRef}: ${where.portal}'s runbook is itself a link (${linked.metadata.annotations?.[ANNOTATION_RUNBOOK]}); link to the runbook directly`,
        );
      }
      const read = await this.get(
        target.kind,
        target.namespace,
        target.name,
        credentials,
      );
      return {
        ...read,
        entityRef,
        editableMarkdown: false,
        version: failure.version,
      };
    }
    if ('portal' in where) {
      if (!own || !own.markdown) {
        throw new NotFoundError(
          `${entityRef} has no runbook yet: write one in the portal (it starts from the standard runbook skeleton) or point ${ANNOTATION_RUNBOOK} at a file in its repository`,
        );
      }
      return {
        entityRef,
        source: {
          type: 'portal',
          location: entityRef,
          version: own.version,
          author: own.author,
          updatedAt: own.createdAt,
        },
        sections: parseRunbookSections(own.markdown),
        markdown: own.markdown,
        ...failure,
        editableMarkdown: true,
      };
    }
    const annotation = entity.metadata.annotations![ANNOTATION_RUNBOOK];
    const ref = parseRunbookRef(annotation);
    if (!ref.ok || ref.value.type === 'link')
      throw new InputError(`${entityRef}: ${ANNOTATION_RUNBOOK} is malformed`);
    let markdown: string;
    let source: RunbookRead['source'];
    if (ref.value.type === 'url') {
      source = { type: 'url', location: redactUrl(ref.value.url) };
      markdown = await this.readUrl(ref.value.url);
    } else {
      const location = entity.metadata.annotations?.[ANNOTATION_LOCATION] ?? '';
      const [type, target] = [
        location.slice(0, location.indexOf(':')),
        location.slice(location.indexOf(':') + 1),
      ];
      if (type === 'url') {
        const url = confinedUrl(ref.value.path, target);
        if (!url)
          throw new InputError(
            `${entityRef}: ${ANNOTATION_RUNBOOK}: '${
              ref.value.path
            }' points outside the directory of ${redactUrl(target)}`,
          );
        source = { type: 'url', location: redactUrl(url) };
        markdown = await this.readUrl(url);
      } else if (type === 'file') {
        let file: string;
        try {
          file = resolveSafeChildPath(path.dirname(target), ref.value.path);
        } catch {
          throw new InputError(
            `${entityRef}: ${ANNOTATION_RUNBOOK}: '${ref.value.path}' points outside the directory of ${location}`,
          );
        }
        // shown to users: the path from the catalog file's folder, never the server's absolute path
        source = {
          type: 'file',
          location: path.posix.join(
            path.basename(path.dirname(target)),
            path.relative(path.dirname(target), file).split(path.sep).join('/'),
          ),
        };
        markdown = await this.readFile(file, entityRef);
      } else {
        throw new InputError(
          `${entityRef}: a relative runbook path needs the entity's ${ANNOTATION_LOCATION} to be a url: or file: location`,
        );
      }
    }
    return {
      entityRef,
      source,
      sections: parseRunbookSections(markdown),
      markdown,
      ...failure,
      editableMarkdown: false,
    };
  }

  /** One page of the versions of the entity's portal runbook, newest first (the entity as the caller sees it). */
  async versions(
    kind: string,
    namespace: string,
    name: string,
    limit: number,
    cursor: string | undefined,
    credentials: BackstageCredentials,
  ) {
    const entityRef = stringifyEntityRef(
      await this.entity(kind, namespace, name, credentials),
    );
    const offset = decodeCursor(cursor) ?? 0;
    return pageOf(
      await this.store.versions(entityRef, { limit: limit + 1, offset }),
      offset,
      limit,
      true,
    );
  }

  /** One version with its line diff against the one before; 413 when that diff is past its limits. */
  async version(
    kind: string,
    namespace: string,
    name: string,
    version: number,
    credentials: BackstageCredentials,
  ) {
    const entityRef = stringifyEntityRef(
      await this.entity(kind, namespace, name, credentials),
    );
    const [current, previous] = await Promise.all([
      this.store.get(entityRef, version),
      version > 1
        ? this.store.get(entityRef, version - 1)
        : Promise.resolve(undefined),
    ]);
    if (!current)
      throw new NotFoundError(`${entityRef} has no runbook version ${version}`);
    const diff = lineDiff(previous?.markdown ?? '', current.markdown);
    if (!diff.ok) throw new PayloadTooLargeError(diff.error);
    return { ...current, diff: diff.value };
  }

  /**
   * Saves a new portal version of the entity's runbook and/or failure modes. The runbook text can only be saved
   * where it lives in the portal (no annotation): a repository runbook is edited in its repository.
   */
  async save(
    entity: Entity,
    body: {
      baseVersion: number;
      markdown?: string;
      failureModes: FailureMode[];
      message?: string;
    },
    author: string,
    now: number,
  ) {
    const entityRef = stringifyEntityRef(entity);
    const where = this.where(entity);
    if (
      body.markdown !== undefined &&
      !('portal' in where && where.portal === entityRef)
    ) {
      throw new ConflictError(
        'portal' in where
          ? `markdown: ${entityRef}'s runbook is the portal runbook of ${where.portal}; edit it there`
          : `markdown: ${entityRef}'s runbook lives in its repository (${ANNOTATION_RUNBOOK}); edit it there. Only its failure modes are kept in the portal`,
      );
    }
    const previous = await this.store.latest(entityRef);
    return this.store.save({
      entityRef,
      baseVersion: body.baseVersion,
      markdown: body.markdown ?? previous?.markdown ?? '',
      failureModes: body.failureModes,
      author,
      message: body.message,
      now,
    });
  }

  /** Reads a runbook URL, stopping as soon as it passes the size limit (it is never buffered whole). */
  private async readUrl(url: string): Promise<string> {
    const tooLarge = () =>
      new InputError(
        `runbook at ${redactUrl(url)} is larger than ${
          MAX_RUNBOOK_BYTES / 1024
        } KiB`,
      );
    try {
      const res = await this.urlReader.readUrl(url);
      if (!res.stream) {
        const buffer = await res.buffer();
        if (buffer.length > MAX_RUNBOOK_BYTES) throw tooLarge();
        return buffer.toString('utf8');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const stream = res.stream();
      for await (const chunk of stream) {
        size += (chunk as Buffer).length;
        if (size > MAX_RUNBOOK_BYTES) {
          stream.destroy();
          throw tooLarge();
        }
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks).toString('utf8');
    } catch (e) {
      if ((e as Error).name === 'NotFoundError')
        throw new NotFoundError(`runbook not found at ${redactUrl(url)}`);
      if ((e as Error).name === 'InputError') throw e;
      // the reader's message can carry the URL with its token: it goes through the redaction step
      throw upstreamUnavailable(
        `runbook at ${redactUrl(url)} could not be read`,
        e,
        { text: this.redact },
      );
    }
  }

  private async readFile(file: string, entityRef: string): Promise<string> {
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      throw new NotFoundError(
        `${entityRef}: runbook file ${file} does not exist`,
      );
    }
    if (stat.size > MAX_RUNBOOK_BYTES)
      throw new InputError(
        `${entityRef}: runbook ${file} is larger than ${
          MAX_RUNBOOK_BYTES / 1024
        } KiB`,
      );
    return fs.readFile(file, 'utf8');
  }
}
