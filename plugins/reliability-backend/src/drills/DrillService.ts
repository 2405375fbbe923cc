import { z } from 'zod';
import {
  BackstageCredentials,
  BackstageUserPrincipal,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  csvErrorsMessage,
  decodeCursor,
  drillCreateRequestSchema,
  DrillListResponse,
  DrillRecord,
  drillSchema,
  drillsToCsv,
  drillTargets,
  drillWarnings,
  pageOf,
  parseDrillCsv,
  reliabilityDrillsUpdatePermission,
} from '@reliability-suite/plugin-reliability-common';
import { callerName, EntityAccess } from '../catalog/entityAccess';
import { DrillStore } from './DrillStore';

const DAY = 86_400_000;
/** The most drills an export writes. */
const MAX_EXPORT = 10_000;

export interface DrillServiceOptions {
  store: DrillStore;
  entities: EntityAccess;
  /** How old the last successful drill may be before the entity is warned (`reliability.drills.maxAge`, 90d). */
  maxAgeMs?: number;
  now?: () => number;
}

/** Failover drills of an entity: its log with targets and warnings, one drill from the form, a CSV import and export. */
export class DrillService {
  private readonly now: () => number;

  constructor(private readonly o: DrillServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  private entity(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Record<string, string>> {
    return this.o.entities.annotations(entityRef, credentials);
  }

  /** Before a write: the permission first, then the entity (see EntityAccess.forWrite). */
  private mayWrite(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Record<string, string>> {
    return this.o.entities.forWrite(
      reliabilityDrillsUpdatePermission,
      entityRef,
      credentials,
    );
  }

  async list(
    query: { entityRef: string; limit?: number; cursor?: string },
    credentials: BackstageCredentials,
  ): Promise<DrillListResponse> {
    const entityRef = query.entityRef.toLocaleLowerCase('en-US');
    const { targets, problems } = drillTargets(
      await this.entity(entityRef, credentials),
    );
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const [rows, { last, lastSuccess }] = await Promise.all([
      this.o.store.list(entityRef, limit + 1, offset),
      this.o.store.latest(entityRef),
    ]);
    const page = pageOf(rows, offset, limit, true);
    const warnings = drillWarnings({
      last,
      lastSuccess,
      targets,
      now: this.now(),
      maxAgeMs: this.o.maxAgeMs ?? 90 * DAY,
    });
    return { ...page, targets, targetProblems: problems, warnings, last };
  }

  /** One drill from the form; 409 when that day, kind and region is already recorded. */
  async create(
    body: z.infer<typeof drillCreateRequestSchema>,
    credentials: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<DrillRecord> {
    const entityRef = body.entityRef.toLocaleLowerCase('en-US');
    await this.mayWrite(entityRef, credentials);
    const parsed = drillSchema.safeParse(body.drill);
    if (!parsed.success)
      throw new InputError(
        `Invalid drill: ${parsed.error.issues
          .slice(0, 20)
          .map(i => `${i.path.join('.') || 'drill'}: ${i.message}`)
          .join('; ')}`,
      );
    if (parsed.data.date > this.now() + DAY)
      throw new InputError('Invalid drill: date: must not be in the future');
    const created = await this.o.store.create(
      entityRef,
      parsed.data,
      credentials.principal.userEntityRef,
      this.now(),
    );
    if (!created)
      throw new ConflictError(
        `${entityRef} already has a ${parsed.data.kind} drill of ${
          parsed.data.region
        } on ${new Date(parsed.data.date).toISOString().slice(0, 10)}`,
      );
    return created;
  }

  /** A drill log as CSV: every row valid, or nothing imported and every broken row named by its line. */
  async import(
    entityRef: string,
    text: string,
    credentials: BackstageCredentials,
  ): Promise<{ added: number; updated: number }> {
    const ref = entityRef.toLocaleLowerCase('en-US');
    await this.mayWrite(ref, credentials);
    const parsed = parseDrillCsv(text, { now: this.now() });
    if (!parsed.ok)
      throw new InputError(
        `Invalid CSV, nothing imported: ${csvErrorsMessage(parsed.errors)}`,
      );
    if (parsed.drills.length === 0)
      throw new InputError(
        'Invalid CSV, nothing imported: no drills after the header',
      );
    return this.o.store.import(
      ref,
      parsed.drills,
      callerName(credentials),
      this.now(),
    );
  }

  /** The entity's whole drill log (newest first) as CSV. */
  async export(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<{ filename: string; csv: string }> {
    const ref = entityRef.toLocaleLowerCase('en-US');
    await this.entity(ref, credentials);
    const drills = await this.o.store.list(ref, MAX_EXPORT, 0);
    return {
      filename: `${ref.replace(/[^a-z0-9-]+/g, '-')}-drills.csv`,
      csv: drillsToCsv(drills),
    };
  }
}
