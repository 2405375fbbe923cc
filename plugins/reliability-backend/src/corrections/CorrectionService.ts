import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  decodeCursor,
  pageOf,
  reliabilitySloCorrectPermission,
  SloCorrection,
  SloCorrectionCreate,
  SloCorrectionListResponse,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { EntityAccess } from '../catalog/entityAccess';
import { callerName } from '../catalog/entityAccess';
import { RegisteredSlo, SloRegistry } from '../slos';
import { CorrectionStore } from './CorrectionStore';

/** The most corrections in force per SLO. */
const MAX_ACTIVE = 100;

export interface CorrectionServiceOptions {
  store: CorrectionStore;
  registry: SloRegistry;
  access: CatalogAccess;
  /** Permission decisions on the SLO's entity. */
  entities: EntityAccess;
  now?: () => number;
}

/**
 * Budget corrections of an SLO: listed by whoever may read the SLO, created and reverted by whoever may correct the
 * entity it measures (its owners, in the portal). They apply from the next evaluation tick.
 */
export class CorrectionService {
  private readonly now: () => number;

  constructor(private readonly o: CorrectionServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  /** One SLO the caller may read: unknown and hidden SLOs are both 404. */
  private async find(
    namespace: string,
    name: string,
    credentials: BackstageCredentials,
  ): Promise<RegisteredSlo> {
    const slo = await this.o.registry.byRef(`${namespace}/${name}`);
    if (
      !slo ||
      !(await this.o.access.visible([slo.entityRef], credentials)).has(
        slo.entityRef,
      )
    )
      throw new NotFoundError(`No SLO named ${namespace}/${name}`);
    return slo;
  }

  private mayCorrect(
    slo: RegisteredSlo,
    credentials: BackstageCredentials,
  ): Promise<void> {
    return this.o.entities.must(
      reliabilitySloCorrectPermission,
      slo.def.componentRef,
      credentials,
      `only its owners may correct the budget of ${slo.def.ref}`,
    );
  }

  async list(
    namespace: string,
    name: string,
    query: { limit?: number; cursor?: string },
    credentials: BackstageCredentials,
  ): Promise<SloCorrectionListResponse> {
    const slo = await this.find(namespace, name, credentials);
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    return pageOf(
      await this.o.store.list(slo.def.ref, limit + 1, offset),
      offset,
      limit,
      true,
    );
  }

  async create(
    namespace: string,
    name: string,
    body: SloCorrectionCreate,
    credentials: BackstageCredentials,
  ): Promise<SloCorrection> {
    const slo = await this.find(namespace, name, credentials);
    await this.mayCorrect(slo, credentials);
    // every evaluation expands the corrections in force: a bounded number per SLO
    const active =
      (await this.o.store.active([slo.def.ref])).get(slo.def.ref) ?? [];
    if (active.length >= MAX_ACTIVE)
      throw new ConflictError(
        `${slo.def.ref} has ${MAX_ACTIVE} corrections in force, the most it may have: revert some first`,
      );
    return this.o.store.create(
      slo.def.ref,
      body,
      callerName(credentials),
      this.now(),
    );
  }

  /** Reverts a correction: 404 when the SLO has no such correction, 409 when it is reverted already. */
  async revert(
    namespace: string,
    name: string,
    id: string,
    credentials: BackstageCredentials,
  ): Promise<SloCorrection> {
    const slo = await this.find(namespace, name, credentials);
    const found = await this.o.store.get(id);
    if (!found || found.sloRef !== slo.def.ref)
      throw new NotFoundError(`${slo.def.ref} has no correction ${id}`);
    await this.mayCorrect(slo, credentials);
    if (!(await this.o.store.revert(id, callerName(credentials), this.now())))
      throw new ConflictError(
        `Correction ${id} of ${slo.def.ref} is reverted already`,
      );
    return (await this.o.store.get(id))!;
  }
}
