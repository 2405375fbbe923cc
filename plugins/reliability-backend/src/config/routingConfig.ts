// eslint-disable-next-line no-restricted-syntax -- readReliabilityConfig's part for delivery routing, read with it, once
import { Config } from '@backstage/config';
import {
  DeliveryRouting,
  parseDeliveryRouting,
} from '@reliability-suite/plugin-reliability-common';

const ROOT = 'reliability.delivery.routing';

/** `policies[0].routes[1]` under the config key; `(root)` is the key itself. */
const configPath = (path: string) =>
  path === '(root)' ? ROOT : `${ROOT}.${path}`;

/**
 * Reads `reliability.delivery.routing` (no routing: no policies). A bad policy stops the backend at startup with
 * one Error listing every problem as `reliability.delivery.routing.<path>: <rule>`. With `knownTargets` (the names
 * of `reliability.delivery.targets`), a route or escalation step naming a target that is not configured is refused
 * too.
 */
export function readDeliveryRouting(
  config: Config,
  knownTargets?: Iterable<string>,
): DeliveryRouting {
  const raw = config.getOptional(ROOT);
  if (raw === undefined) return { policies: [] };
  const parsed = parseDeliveryRouting(raw);
  if (!parsed.ok)
    throw new Error(
      parsed.errors
        .map(e => {
          const colon = e.indexOf(': ');
          return `${configPath(e.slice(0, colon))}${e.slice(colon)}`;
        })
        .join('\n'),
    );
  if (knownTargets) {
    const known = new Set(knownTargets);
    const errors: string[] = [];
    const check = (names: string[], at: string) =>
      names.forEach((n, i) => {
        if (!known.has(n))
          errors.push(
            `${ROOT}.${at}[${i}]: no target ${n} in reliability.delivery.targets`,
          );
      });
    parsed.routing.policies.forEach((p, pi) =>
      p.routes.forEach((r, ri) => {
        const at = `policies[${pi}].routes[${ri}]`;
        check(r.targets, `${at}.targets`);
        r.escalation?.forEach((s, si) =>
          check(s.targets, `${at}.escalation[${si}].targets`),
        );
      }),
    );
    if (errors.length > 0) throw new Error(errors.join('\n'));
  }
  return parsed.routing;
}
