import { Knex } from 'knex';
import { migrateReliabilityDatabase } from '../database/migrate';
import { createSloStores } from '../slos';
import type { SloStores } from '../slos';
import { AlertStore } from '../alerts/AlertStore';
import { AlertmanagerStore } from '../alertmanager/AlertmanagerStore';
import { RemediationStore } from '../remediation/RemediationStore';
import { EscalationStore } from '../remediation/EscalationStore';
import { RunbookStore } from '../runbooks/RunbookStore';
import { IncidentStore } from '../incidents/IncidentStore';
import { ChaosStore } from '../chaos/ChaosStore';
import { DrillStore } from '../drills/DrillStore';
import { CapacityStore } from '../capacity/CapacityStore';
import { ChangeStore } from '../changes/ChangeStore';
import { SyntheticStore } from '../synthetics/SyntheticStore';
import { BurnRateImportStore } from '../imports/BurnRateImportStore';
import { NoticeStore } from '../notifications/NoticeStore';
import { CorrectionStore } from '../corrections/CorrectionStore';
import { DeliveryStore } from '../delivery';
import { WebhookStore } from '../webhooks/WebhookStore';
import { IdempotencyStore } from '../idempotency/IdempotencyStore';
import { SecretHygieneStore } from '../secrets/SecretHygieneStore';
import {
  GateOverrideStore,
  KnexGateOverrideStore,
} from '../gates/GateOverrideStore';

/** The suite's stores, one per feature; each keeps its knex and its tables to itself. */
export interface ReliabilityStores {
  slos: SloStores;
  alerts: AlertStore;
  alertmanager: AlertmanagerStore;
  remediation: RemediationStore;
  escalations: EscalationStore;
  runbooks: RunbookStore;
  incidents: IncidentStore;
  chaos: ChaosStore;
  drills: DrillStore;
  capacity: CapacityStore;
  changes: ChangeStore;
  synthetics: SyntheticStore;
  burnRateImports: BurnRateImportStore;
  notices: NoticeStore;
  corrections: CorrectionStore;
  delivery: DeliveryStore;
  webhooks: WebhookStore;
  idempotency: IdempotencyStore;
  secrets: SecretHygieneStore;
  gateOverrides: GateOverrideStore;
}

/**
 * The plugin's database as the features see it: migrated (database/migrate.ts), with each feature's store built over
 * it. It lives with the composition (wiring/), so database/ keeps the migrations and row helpers and imports no
 * feature.
 */
export class ReliabilityDatabase {
  static async create(
    knex: Knex,
    options?: { skipMigrations?: boolean },
  ): Promise<ReliabilityDatabase> {
    if (!options?.skipMigrations) {
      await migrateReliabilityDatabase(knex);
    }
    return new ReliabilityDatabase(knex);
  }

  private constructor(private readonly knex: Knex) {}

  /**
   * Whether the database answers now: one `select 1`, given up after `timeoutMs` (a connection that hangs counts as
   * no answer). The scheduled tasks wait on it after an outage.
   */
  async reachable(timeoutMs = 2_000): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        this.knex.raw('select 1').then(() => true),
        new Promise<boolean>(resolve => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  stores(): ReliabilityStores {
    return {
      slos: createSloStores(this.knex),
      alerts: new AlertStore(this.knex),
      alertmanager: new AlertmanagerStore(this.knex),
      remediation: new RemediationStore(this.knex),
      escalations: new EscalationStore(this.knex),
      runbooks: new RunbookStore(this.knex),
      incidents: new IncidentStore(this.knex),
      chaos: new ChaosStore(this.knex),
      drills: new DrillStore(this.knex),
      capacity: new CapacityStore(this.knex),
      changes: new ChangeStore(this.knex),
      synthetics: new SyntheticStore(this.knex),
      burnRateImports: new BurnRateImportStore(this.knex),
      notices: new NoticeStore(this.knex),
      corrections: new CorrectionStore(this.knex),
      delivery: new DeliveryStore(this.knex),
      webhooks: new WebhookStore(this.knex),
      idempotency: new IdempotencyStore(this.knex),
      secrets: new SecretHygieneStore(this.knex),
      gateOverrides: new KnexGateOverrideStore(this.knex),
    };
  }
}
