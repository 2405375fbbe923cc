import type { AlertStore } from '../alerts/AlertStore';
import type { ChangeService } from '../changes/ChangeService';
import type { ChaosService } from '../chaos/ChaosService';
import type { CommanderService } from '../commander/CommanderService';
import type { CorrectionService } from '../corrections/CorrectionService';
import type { GateService } from '../gates/GateService';
import type { Guards } from '../http/guards';
import type { IncidentService } from '../incidents/IncidentService';
import type { ReadinessService } from '../readiness/ReadinessService';
import type { RemediationEngine } from '../remediation/RemediationEngine';
import type { RunbookService } from '../runbooks/RunbookService';
import type { SloFeature, SloRegistry } from '../slos';
import type { CallerGuards } from './kit';

/** The services the actions call: the same ones, and the same methods, as the REST routes. */
export interface ActionPorts {
  slos: SloFeature['slos'];
  registry: SloRegistry;
  /** Reads only (the alerts of one SLO). */
  alerts: Pick<AlertStore, 'list'>;
  commander: CommanderService;
  runbooks: RunbookService;
  incidents: IncidentService;
  remediation: RemediationEngine;
  chaos: ChaosService;
  changes: ChangeService;
  corrections: CorrectionService;
  readiness: ReadinessService;
  /** The deploy gate: the SLOs' launch-freeze gate with the override in force. */
  gates: GateService;
}

/** What the action definitions are built from. */
export interface ActionDeps {
  ports: ActionPorts;
  /** The REST guards (permissions, catalog visibility, audit, parsing). */
  guards: Guards;
  /** The same guards for a caller given by credentials. */
  caller: CallerGuards;
  now: () => number;
}
