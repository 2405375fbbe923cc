/**
 * The sub-routes of an entity's Reliability tab, relative to the tab (`/catalog/:namespace/:kind/:name/reliability`):
 * one screen per question. The frontend mounts them and the backend links to them (notifications, alerts, actions),
 * so the names live here, once.
 * @public
 */
export const RELIABILITY_TAB_ROUTES = {
  /** The SLO table and the readiness summary: is this service OK, and if not what do I do. */
  overview: '',
  /** One SLO's charts, corrections and the changes around them: `slo/:name`. */
  slo: 'slo',
  /** The runbook and the incidents. */
  runbook: 'runbook',
  /** Chaos experiments and their runs. */
  chaos: 'chaos',
  /** Failover and backup drills. */
  drills: 'drills',
  /** Synthetic journeys. */
  synthetics: 'synthetics',
  /** Load tests and capacity. */
  capacity: 'capacity',
  /** Self-healing: remediation rules, executions and escalations. */
  selfHealing: 'self-healing',
} as const;

/** A sub-route of the Reliability tab. @public */
export type ReliabilityTabRoute = keyof typeof RELIABILITY_TAB_ROUTES;

/**
 * Which sub-route holds a panel that links used to reach by anchor (`#chaos-panel`): the readiness review's fixes
 * and older links name panels, the tab now gives each its own screen.
 * @public
 */
export const RELIABILITY_PANEL_ROUTES: Readonly<
  Record<string, ReliabilityTabRoute>
> = {
  'chaos-panel': 'chaos',
  'drills-panel': 'drills',
  'synthetics-panel': 'synthetics',
  'capacity-panel': 'capacity',
  'remediation-panel': 'selfHealing',
  'readiness-card': 'overview',
  'entity-runbook-card': 'runbook',
};

/**
 * A sub-route's path relative to the tab: `''` for the overview, `chaos`, `slo/checkout-success`. The SLO route
 * needs the SLO's name (its metadata.name, encoded as a path segment); without one it is the overview.
 * @public
 */
export function reliabilityTabPath(
  route: ReliabilityTabRoute,
  sloName?: string,
): string {
  if (route === 'slo') {
    return sloName
      ? `${RELIABILITY_TAB_ROUTES.slo}/${encodeURIComponent(sloName)}`
      : RELIABILITY_TAB_ROUTES.overview;
  }
  return RELIABILITY_TAB_ROUTES[route];
}

/**
 * The portal path of an entity's Reliability tab, at a sub-route when given:
 * `/catalog/default/component/checkout/reliability/chaos`. `entity` is its parts, lower-case kind.
 * @public
 */
export function entityReliabilityPath(
  entity: { kind: string; namespace: string; name: string },
  route: ReliabilityTabRoute = 'overview',
  sloName?: string,
): string {
  const sub = reliabilityTabPath(route, sloName);
  return `/catalog/${encodeURIComponent(entity.namespace)}/${encodeURIComponent(
    entity.kind,
  )}/${encodeURIComponent(entity.name)}/reliability${sub ? `/${sub}` : ''}`;
}
