import { SignalsService } from '@backstage/plugin-signals-node';
import { COMMANDER_SIGNAL_CHANNEL } from '@reliability-suite/plugin-reliability-common';
import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { SloStatusReader } from '../slos';
import type { AlertStore } from '../alerts/AlertStore';
import type { AlertmanagerStore } from '../alertmanager/AlertmanagerStore';
import type { RemediationStore } from '../remediation/RemediationStore';
import type { EscalationStore } from '../remediation/EscalationStore';
import type { ChaosStore } from '../chaos/ChaosStore';
import type { ChangeStore } from '../changes/ChangeStore';
import type { SloFeature } from '../slos';
import type { RunbookService } from '../runbooks/RunbookService';
import { CommanderService } from './CommanderService';
import { commanderRoutes } from './routes';

/** The incident commander's view: what burns now, and a signal on each AlertFired so the view refreshes itself. */
export function createCommanderFeature(
  ctx: FeatureContext<{
    alerts: AlertStore;
    alertmanager: AlertmanagerStore;
    slos: { statuses: SloStatusReader };
    remediation: RemediationStore;
    escalations: EscalationStore;
    chaos: ChaosStore;
    changes: ChangeStore;
  }>,
  deps: { slos: SloFeature; runbooks: RunbookService; signals: SignalsService },
) {
  const { stores, logger } = ctx;
  ctx.events.subscribe('AlertFired', async ({ slo }) => {
    await deps.signals
      .publish({
        recipients: { type: 'broadcast' },
        channel: COMMANDER_SIGNAL_CHANNEL,
        message: { reason: 'alert-fired', entityRef: slo.componentRef },
      })
      .catch(e =>
        logger.warn(
          `Could not signal the commander view: ${(e as Error).message}`,
        ),
      );
  });
  const commander = new CommanderService({
    catalog: ctx.catalog,
    auth: ctx.auth,
    alerts: stores.alerts,
    alertmanager: stores.alertmanager,
    store: stores.slos.statuses,
    remediations: stores.remediation,
    escalations: stores.escalations,
    chaos: stores.chaos,
    changes: stores.changes,
    runbooks: deps.runbooks,
    registry: deps.slos.registry,
    logger,
  });
  return {
    /** The service, for the actions that call it (actions/). */
    commander,
    routes: (router, { guards, now }) =>
      commanderRoutes(router, { guards, commander, now }),
  } satisfies Feature & Record<string, unknown>;
}
