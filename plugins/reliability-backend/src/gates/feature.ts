import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { SloFeature } from '../slos';
import type { GateOverrideStore } from './GateOverrideStore';
import { GateService } from './GateService';
import { gateRoutes } from './routes';

/**
 * The deploy gate: the launch-freeze gate of an entity's SLOs as pipelines read it (Argo Rollouts, Flagger, a CI
 * step), and the audited overrides that open it for a while.
 */
export function createGateFeature(
  ctx: FeatureContext<{ gateOverrides: GateOverrideStore }>,
  deps: { slos: SloFeature },
) {
  const gates = new GateService({
    sloGate: (entityRef, credentials) =>
      deps.slos.slos.gate(entityRef, credentials),
    store: ctx.stores.gateOverrides,
    access: ctx.access,
    entities: ctx.entities,
    maxOverride: ctx.config.gate.maxOverride,
  });
  return {
    /** The service, for the actions that call it (actions/). */
    gates,
    routes: (router, { guards }) =>
      gateRoutes(router, {
        guards,
        gates,
        auth: ctx.auth,
        flaggerToken: ctx.config.gate.flaggerToken,
      }),
    unauthenticated: ['/gate/flagger'],
  } satisfies Feature & Record<string, unknown>;
}
