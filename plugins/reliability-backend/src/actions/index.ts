import { AuthService } from '@backstage/backend-plugin-api';
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import type { Guards } from '../http/guards';
import { callerGuards, registerActions } from './kit';
import type { ActionPorts } from './ports';
import { readActions } from './readActions';
import { writeActions } from './writeActions';

export type { ActionPorts } from './ports';

/**
 * Registers the suite's actions with Backstage's Actions Registry (ids `reliability:<name>`), for AI agents through
 * the MCP actions backend and for anything else that lists and invokes actions. Each handler calls the service
 * method its REST route calls, behind the same permission checks for the calling user or service.
 */
export function registerReliabilityActions(
  registry: ActionsRegistryService,
  deps: {
    ports: ActionPorts;
    guards: Guards;
    auth: AuthService;
    now?: () => number;
  },
) {
  const actionDeps = {
    ports: deps.ports,
    guards: deps.guards,
    caller: callerGuards(deps.guards, deps.auth),
    now: deps.now ?? Date.now,
  };
  registerActions(
    registry,
    [...readActions(actionDeps), ...writeActions(actionDeps)],
    deps.guards,
  );
}
