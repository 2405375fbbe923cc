import { Knex } from 'knex';
import { ConflictError } from '@backstage/errors';
import type { FailureMode } from '@reliability-suite/plugin-reliability-common';
import { isoOrNull } from '../database/rows';

export interface RunbookVersion {
  entityRef: string;
  version: number;
  markdown: string;
  failureModes: FailureMode[];
  author: string;
  message: string | null;
  createdAt: string;
}

/** Portal-authored runbooks: append-only versions per entity. */
export class RunbookStore {
  constructor(private readonly db: Knex) {}

  async latest(entityRef: string): Promise<RunbookVersion | undefined> {
    const row = await this.db('reliability_runbooks')
      .where('entity_ref', entityRef)
      .orderBy('version', 'desc')
      .first();
    return row ? toVersion(row) : undefined;
  }

  async get(
    entityRef: string,
    version: number,
  ): Promise<RunbookVersion | undefined> {
    const row = await this.db('reliability_runbooks')
      .where({ entity_ref: entityRef, version })
      .first();
    return row ? toVersion(row) : undefined;
  }

  /** Newest first, without the text. */
  async versions(
    entityRef: string,
    page: { limit: number; offset: number } = { limit: 200, offset: 0 },
  ): Promise<Omit<RunbookVersion, 'markdown' | 'failureModes'>[]> {
    const rows = await this.db('reliability_runbooks')
      .where('entity_ref', entityRef)
      .orderBy('version', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .select('entity_ref', 'version', 'author', 'message', 'created_at');
    return rows.map(r => ({
      entityRef: r.entity_ref,
      version: Number(r.version),
      author: r.author,
      message: r.message,
      createdAt: isoOrNull(r.created_at)!,
    }));
  }

  /**
   * Saves a new version on top of `baseVersion` (0 for the first). Two editors saving on the same base: the
   * primary key lets one through and the other gets a 409 naming the version that won.
   */
  async save(v: {
    entityRef: string;
    baseVersion: number;
    markdown: string;
    failureModes: FailureMode[];
    author: string;
    message?: string;
    now: number;
  }): Promise<RunbookVersion> {
    const latest = await this.latest(v.entityRef);
    const current = latest?.version ?? 0;
    if (current !== v.baseVersion) {
      throw new ConflictError(
        `baseVersion: the runbook is at version ${current}${
          latest ? ` (saved by ${latest.author} at ${latest.createdAt})` : ''
        }, not ${v.baseVersion}; reload and edit again`,
      );
    }
    const row = {
      entity_ref: v.entityRef,
      version: current + 1,
      markdown: v.markdown,
      failure_modes: JSON.stringify(v.failureModes),
      author: v.author,
      message: v.message ?? null,
      created_at: v.now,
    };
    const inserted = await this.db('reliability_runbooks')
      .insert(row)
      .onConflict(['entity_ref', 'version'])
      .ignore()
      .returning('version');
    if (!Array.isArray(inserted) || inserted.length === 0) {
      throw new ConflictError(
        `baseVersion: someone else saved version ${
          current + 1
        } a moment ago; reload and edit again`,
      );
    }
    return toVersion(row);
  }
}

function toVersion(r: any): RunbookVersion {
  return {
    entityRef: r.entity_ref,
    version: Number(r.version),
    markdown: r.markdown,
    failureModes: JSON.parse(r.failure_modes),
    author: r.author,
    message: r.message ?? null,
    createdAt: isoOrNull(r.created_at)!,
  };
}
