import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  decodeCursor,
  DeployGateResponse,
  durationMs,
  GateOverride,
  GateOverrideCreate,
  GateOverrideListResponse,
  GateResponse,
  pageOf,
  reliabilityGateOverridePermission,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { callerName, EntityAccess } from '../catalog/entityAccess';
import { GateOverrideStore } from './GateOverrideStore';

export interface GateServiceOptions {
  /** The launch-freeze gate of an entity's SLOs (SloService.gate), as the caller may read them. */
  sloGate: (
    entityRef: string,
    credentials: BackstageCredentials,
  ) => Promise<GateResponse>;
  store: GateOverrideStore;
  access: CatalogAccess;
  entities: EntityAccess;
  /** The longest an override may last, a fixed duration such as 24h (reliability.gate.maxOverride). */
  maxOverride: string;
  now?: () => number;
}

const lower = (ref: string) => ref.toLocaleLowerCase('en-US');

/**
 * The deploy gate: the launch-freeze gate of an entity's SLOs, opened anyway by an override in force. Overrides are
 * created and revoked by whoever reliability.gate.override allows on the entity (the portal: the groups of
 * reliability.permissions.gateOverriders), last at most reliability.gate.maxOverride, and expire by themselves.
 */
export class GateService {
  private readonly now: () => number;

  constructor(private readonly o: GateServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The gate of the entity, with the override in force (if any); reads only. */
  async gate(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<DeployGateResponse> {
    const ref = lower(entityRef);
    const [slo, override] = await Promise.all([
      this.o.sloGate(ref, credentials),
      this.visibleOverride(ref, credentials),
    ]);
    const open = slo.allow || override !== undefined;
    let reason = slo.reason;
    if (override && !slo.allow)
      reason = `open by override of ${override.createdBy} until ${override.until} (${override.reason}); ${slo.reason}`;
    return {
      ...slo,
      entityRef: ref,
      open,
      reason,
      override: override ?? null,
    };
  }

  /** The entity's override in force, when the caller may read the entity (hidden and unknown look the same). */
  private async visibleOverride(
    ref: string,
    credentials: BackstageCredentials,
  ): Promise<GateOverride | undefined> {
    const found = await this.o.store.inForce(ref, this.now());
    if (!found) return undefined;
    return (await this.o.access.visible([ref], credentials)).has(ref)
      ? found
      : undefined;
  }

  /** One page of overrides of the entity (or of every entity the caller may read), newest first. */
  async list(
    query: {
      entityRef?: string;
      active?: 'true' | 'false';
      limit?: number;
      cursor?: string;
    },
    credentials: BackstageCredentials,
  ): Promise<GateOverrideListResponse> {
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const now = this.now();
    const activeOnly = query.active === 'true';
    if (query.entityRef) {
      const ref = lower(query.entityRef);
      if (!(await this.o.access.visible([ref], credentials)).has(ref))
        return { items: [] };
      return pageOf(
        await this.o.store.list(
          { entityRefs: [ref], activeOnly },
          limit + 1,
          offset,
          now,
        ),
        offset,
        limit,
        true,
      );
    }
    // every entity's: a page may hold fewer than `limit` when some are hidden from the caller (follow nextCursor)
    const rows = await this.o.store.list(
      { activeOnly },
      limit + 1,
      offset,
      now,
    );
    const page = pageOf(rows, offset, limit, true);
    const visible = await this.o.access.visible(
      page.items.map(r => r.entityRef),
      credentials,
    );
    return { ...page, items: page.items.filter(r => visible.has(r.entityRef)) };
  }

  /** Opens the gate of the entity until `until`, for `reason`: 404 hidden, 403 without the permission, 400 bounds. */
  async override(
    body: GateOverrideCreate,
    credentials: BackstageCredentials,
  ): Promise<GateOverride> {
    const ref = lower(body.entityRef);
    await this.mustSee(ref, credentials);
    await this.mayOverride(ref, credentials);
    const now = this.now();
    const until = Date.parse(body.until);
    if (!(until > now))
      throw new InputError(`Invalid body: until: must be in the future`);
    if (until - now > durationMs(this.o.maxOverride))
      throw new InputError(
        `Invalid body: until: must be at most ${this.o.maxOverride} from now (reliability.gate.maxOverride)`,
      );
    return this.o.store.create(
      {
        entityRef: ref,
        reason: body.reason,
        until,
        createdBy: callerName(credentials),
      },
      now,
    );
  }

  /** Closes an override before its time: 404 unknown or hidden, 403 without the permission, 409 not in force. */
  async revoke(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<GateOverride> {
    const now = this.now();
    const found = await this.o.store.get(id, now);
    if (
      !found ||
      !(await this.o.access.visible([found.entityRef], credentials)).has(
        found.entityRef,
      )
    )
      throw new NotFoundError(`No gate override ${id}`);
    await this.mayOverride(found.entityRef, credentials);
    if (!(await this.o.store.revoke(id, callerName(credentials), now)))
      throw new ConflictError(
        `Gate override ${id} is not in force (${
          found.revokedAt ? 'revoked' : 'expired'
        } already)`,
      );
    return (await this.o.store.get(id, now))!;
  }

  private async mustSee(ref: string, credentials: BackstageCredentials) {
    if (!(await this.o.access.visible([ref], credentials)).has(ref))
      throw new NotFoundError(`No entity ${ref}`);
  }

  private mayOverride(
    ref: string,
    credentials: BackstageCredentials,
  ): Promise<void> {
    return this.o.entities.must(
      reliabilityGateOverridePermission,
      ref,
      credentials,
      'only the groups named in reliability.permissions.gateOverriders may override the deploy gate',
    );
  }
}
