import type { ReliabilityConfig } from './readReliabilityConfig';

/**
 * The one line the backend logs at startup in an empty portal (no `reliability` config and no SLO registered yet):
 * how to add a first SLO and what to configure. Nothing once either exists. The SLO count is asked only when the
 * config is absent.
 */
export async function setupHint(
  rc: Pick<ReliabilityConfig, 'raw'>,
  sloCount: () => Promise<number>,
): Promise<string | undefined> {
  if (rc.raw !== undefined) return undefined;
  if ((await sloCount()) > 0) return undefined;
  return (
    'reliability: no SLOs yet and no reliability config. To add a first SLO, register an OpenSLO file in the ' +
    'catalog (kind: SLO, spec.service naming a component) or use the "New SLO" template; its SLI comes from ' +
    'POST /api/reliability/sli-events, or from Prometheus once reliability.prometheus.instances is set. ' +
    "Alertmanager's webhook (reliability.alertmanager.sharedSecret), remediation (reliability.remediation.rules) " +
    'and synthetic journeys (reliability.synthetics.allowedHosts) stay off until configured.'
  );
}
