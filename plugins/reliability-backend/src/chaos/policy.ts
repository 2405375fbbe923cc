import { Config } from '@backstage/config';
import { ChaosPolicy, DEFAULT_CHAOS_POLICY } from '@internal/plugin-reliability-common';
import { configDurationMs } from '../remediation/rules';

/**
 * The chaos guardrails from `reliability.chaos` (defaults: 10% max traffic, 30s to 60m, at most hourly schedules,
 * approvers in production); a bad value stops the backend at start, naming the key.
 */
export function readChaosPolicy(cfg: Config | undefined): ChaosPolicy {
  const c = cfg?.getOptionalConfig('chaos');
  if (!c) return DEFAULT_CHAOS_POLICY;
  const percent = (key: string, v: number | undefined) => {
    if (v !== undefined && !(v >= 0 && v <= 100)) throw new Error(`reliability.chaos.${key} must be between 0 and 100, got ${v}`);
    return v;
  };
  const environments: ChaosPolicy['environments'] = {};
  const envs = c.getOptionalConfig('environments');
  for (const name of envs?.keys() ?? []) {
    environments[name] = { maxTrafficPercent: percent(`environments.${name}.maxTrafficPercent`, envs!.getConfig(name).getOptionalNumber('maxTrafficPercent')) };
  }
  const ms = (key: string, fallback: number) => {
    const text = c.getOptionalString(key);
    return text === undefined ? fallback : configDurationMs(text);
  };
  return {
    maxTrafficPercent: percent('maxTrafficPercent', c.getOptionalNumber('maxTrafficPercent')) ?? DEFAULT_CHAOS_POLICY.maxTrafficPercent,
    environments,
    minDurationMs: ms('minDuration', DEFAULT_CHAOS_POLICY.minDurationMs),
    maxDurationMs: ms('maxDuration', DEFAULT_CHAOS_POLICY.maxDurationMs),
    minCronIntervalMs: ms('minScheduleInterval', DEFAULT_CHAOS_POLICY.minCronIntervalMs),
    productionEnvironments: c.getOptionalStringArray('productionEnvironments') ?? DEFAULT_CHAOS_POLICY.productionEnvironments,
  };
}
