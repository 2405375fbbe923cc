import { readFileSync } from 'fs';
// eslint-disable-next-line no-restricted-syntax -- the one place that reads config
import { Config } from '@backstage/config';
import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { JsonValue } from '@backstage/types';
import {
  ChaosPolicy,
  DEFAULT_CHAOS_POLICY,
  durationMs,
  isFixedDuration,
  MwmbRule,
  parseBurnRateCsv,
  parseDuration,
  syntheticRunsQuerySchema,
} from '@reliability-suite/plugin-reliability-common';
import { configDurationMs } from './durations';
import { DeliveryConfig, readDeliveryConfig } from './deliveryConfig';
import { alertmanagerEventsTopic } from './eventsTopic';

/**
 * The plugin's whole configuration (`reliability.*`, and the app's and backend's base URLs), read once at startup
 * into typed values with their defaults. A bad value stops the backend here, naming its key. No other file of the
 * plugin reads config: features get their part of this object.
 */
export interface ReliabilityConfig {
  /** `reliability` as written, for the redaction step to collect the secrets it holds. */
  raw: JsonValue | undefined;
  appBaseUrl?: string;
  backendBaseUrl?: string;
  /** `evaluation.schedule`, or every minute with a 50 s timeout. */
  evaluationSchedule: SchedulerServiceTaskScheduleDefinition;
  /**
   * `evaluation.shards`: sharded evaluation on PostgreSQL (each replica evaluates the SLOs of the shards it holds a
   * lease on); undefined: one global tick evaluates every SLO.
   */
  evaluationShards?: { count: number; leaseSeconds: number };
  minuteRetentionMs: number;
  maxLatenessMs: number;
  /** Burn-rate alerting: how long a rule must hold before it fires, and the CSV policies per SLO. */
  alerting: { pendingMs: number; csvPolicies: Map<string, MwmbRule[]> };
  prometheus: PrometheusInstanceConfig[];
  alertmanagerSecret?: string;
  /** The events topic the Alertmanager receiver subscribes to (alertmanager.eventsTopic, default alertmanager). */
  alertmanagerEventsTopic: string;
  metricsToken?: string;
  /**
   * The launch-freeze gate: its window and threshold, the longest an override may last (`maxOverride`, a fixed
   * duration of at most 7d), and Flagger's shared token (`flaggerToken`; unset: POST /gate/flagger answers 404).
   */
  gate: {
    window: string;
    threshold: number;
    maxOverride: string;
    flaggerToken?: string;
  };
  notificationsEnabled: boolean;
  /** `reliability.delivery`: alert delivery to PagerDuty, Slack, Opsgenie, Teams, webhooks (absent: none). */
  delivery?: DeliveryConfig;
  scaffolder: { publishDir?: string; locationRef?: string };
  remediation: {
    rules: RemediationRuleConfig[];
    clusters: KubernetesClusterConfig[];
    breaker: { failureThreshold: number; openMs: number };
    backoff: { baseMs: number; capMs: number };
    dispatchIntervalSeconds: number;
    leaseGraceMs: number;
    /** `remediation.selfHealing.graceSeconds` (60): how long a covered page waits for its fix; 0 holds none. */
    selfHealing: { graceMs: number };
    /** `remediation.fastCheck`: the 60-second path for remediation-covered SLOs (slos/FastCheck); interval 0 is off. */
    fastCheck: { intervalSeconds: number; pendingMs: number; maxSlos: number };
  };
  chaos: {
    policy: ChaosPolicy;
    guardIntervalSeconds: number;
    /** Scheduled runs: where they may start (undefined: everywhere but production) and how often the task runs. */
    schedule: { environments?: string[]; intervalSeconds: number };
  };
  synthetics: {
    enabled: boolean;
    allowedHosts: string[];
    secrets: Record<string, string>;
    dnsServers?: string[];
    /** The regions this replica runs (`region`, or the older `regions`); absent: every region. */
    regions?: string[];
    /** `reliability.synthetics.region`: the region this replica is in (it runs that region's journeys only). */
    region?: string;
    concurrency: number;
    perHostConcurrency: number;
    intervalSeconds: number;
    retentionMs: number;
    evidenceRuns: number;
    browser: {
      enabled: boolean;
      executablePath?: string;
      maxEvidenceBytes?: number;
    };
  };
  drills: { maxAgeMs: number };
  /**
   * `reliability.permissions`: the groups the portal's policy gives the sensitive actions to. The policy decides;
   * the plugin reads them only to say, in a 403, which setting opens the action (permissions/policyHints.ts).
   */
  permissions: { chaosApprovers?: string[]; platformGroups?: string[] };
}

/** @public */
export type RecordedRulesMode = 'detect' | 'declared' | 'off';
const RECORDED_RULES_MODES: RecordedRulesMode[] = ['detect', 'declared', 'off'];

/** One Prometheus server, as `reliability.prometheus.instances[]` names it (URL userinfo turned into Basic auth). @public */
export interface PrometheusInstanceConfig {
  name: string;
  url: string;
  headers: Record<string, string>;
  /**
   * Whether the SLOs' windows are read from Prometheus recording rules: `detect` (default) reads the rules API and
   * uses the rules it finds; `declared` trusts the SLO's declared rules; `off` always asks raw queries.
   */
  recordedRules?: RecordedRulesMode;
}

/** A Kubernetes API server the remediation actions may call. */
export interface KubernetesClusterConfig {
  name: string;
  url: string;
  serviceAccountToken?: string;
  caData?: string;
  skipTLSVerify?: boolean;
}

/** One `reliability.remediation.rules[]` entry as written; remediation/rules.ts checks it against the actions. */
export interface RemediationRuleConfig {
  /** `reliability.remediation.rules[i]`, for messages. */
  path: string;
  id: string;
  entityRef: string;
  description?: string;
  match: string[];
  triggers?: string[];
  action: string;
  params: Record<string, unknown>;
  lockKey?: string;
  cooldown?: string;
  maxAttempts?: number;
  attemptWindow?: string;
  retries?: number;
  timeout?: string;
}

const isHttpUrl = (text: string) => {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

/** `reliability.evaluation.shards`: whole numbers in range, or undefined when absent. */
function readEvaluationShards(
  cfg: Config | undefined,
): { count: number; leaseSeconds: number } | undefined {
  const shards = cfg?.getOptionalConfig('evaluation.shards');
  if (!shards) return undefined;
  const whole = (key: string, min: number, max: number, dflt?: number) => {
    const v = shards.getOptional(key) ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new Error(
        `reliability.evaluation.shards.${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(
          v ?? null,
        )}`,
      );
    return v;
  };
  return {
    count: whole('count', 1, 4096),
    leaseSeconds: whole('leaseSeconds', 6, 3600, 30),
  };
}

/** Reads the plugin's configuration; throws naming the key on a bad value. */
export function readReliabilityConfig(config: Config): ReliabilityConfig {
  const cfg = config.getOptionalConfig('reliability');
  const minuteRetentionMs = durationMs(
    cfg?.getOptionalString('storage.minuteRetention') ?? '7h',
  );
  if (minuteRetentionMs < durationMs('6h')) {
    throw new Error(
      'reliability.storage.minuteRetention must be at least 6h (the longest minute-precise window)',
    );
  }
  const gateWindow = cfg?.getOptionalString('gate.window');
  if (
    gateWindow !== undefined &&
    !(parseDuration(gateWindow) && isFixedDuration(parseDuration(gateWindow)!))
  ) {
    throw new Error(
      `reliability.gate.window must be a fixed duration like 7d, got '${gateWindow}'`,
    );
  }
  const gateThreshold = cfg?.getOptionalNumber('gate.minBudgetRemaining');
  if (
    gateThreshold !== undefined &&
    !(gateThreshold >= 0 && gateThreshold <= 1)
  ) {
    throw new Error(
      `reliability.gate.minBudgetRemaining must be between 0 and 1, got ${gateThreshold}`,
    );
  }
  const maxOverride = cfg?.getOptionalString('gate.maxOverride') ?? '24h';
  const maxOverrideParsed = parseDuration(maxOverride);
  if (
    !maxOverrideParsed ||
    !isFixedDuration(maxOverrideParsed) ||
    durationMs(maxOverrideParsed) < 60_000 ||
    durationMs(maxOverrideParsed) > 7 * 86_400_000
  ) {
    throw new Error(
      `reliability.gate.maxOverride must be a fixed duration from 1m to 7d, like 24h, got '${maxOverride}'`,
    );
  }
  const flaggerToken = cfg?.getOptionalString('gate.flaggerToken');
  if (flaggerToken !== undefined && flaggerToken.length < 16) {
    throw new Error(
      'reliability.gate.flaggerToken must be at least 16 characters (a random token)',
    );
  }
  const syn = cfg?.getOptionalConfig('synthetics');
  const secretsCfg = syn?.getOptionalConfig('secrets');
  const syntheticSecrets: Record<string, string> = {};
  for (const key of secretsCfg?.keys() ?? [])
    syntheticSecrets[key] = secretsCfg!.getString(key);
  return {
    raw: config.getOptional('reliability'),
    permissions: {
      chaosApprovers: cfg?.getOptionalStringArray('permissions.chaosApprovers'),
      platformGroups: cfg?.getOptionalStringArray('permissions.platformGroups'),
    },
    appBaseUrl: config.getOptionalString('app.baseUrl'),
    backendBaseUrl: config.getOptionalString('backend.baseUrl'),
    evaluationSchedule: cfg?.has('evaluation.schedule')
      ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
          cfg.getConfig('evaluation.schedule'),
        )
      : // the timeout under the frequency: a replica that dies mid-tick is taken over within two ticks (the run's
        // ticket expires, the scheduler's janitor clears it within a minute, another replica claims the next tick)
        {
          frequency: { minutes: 1 },
          timeout: { seconds: 50 },
          initialDelay: { seconds: 5 },
        },
    evaluationShards: readEvaluationShards(cfg),
    minuteRetentionMs,
    maxLatenessMs: durationMs(
      cfg?.getOptionalString('ingest.maxLateness') ?? '35d',
    ),
    alerting: {
      pendingMs: configDurationMs(
        cfg?.getOptionalString('alerting.pendingFor') ?? '1m',
      ),
      csvPolicies: readBurnRateCsv(
        cfg?.getOptionalString('alerting.burnRateCsv'),
      ),
    },
    prometheus: readPrometheusInstances(config),
    alertmanagerSecret: cfg?.getOptionalString('alertmanager.sharedSecret'),
    alertmanagerEventsTopic: alertmanagerEventsTopic(config),
    metricsToken: cfg?.getOptionalString('metrics.token'),
    gate: {
      window: gateWindow ?? '7d',
      threshold: gateThreshold ?? 0.25,
      maxOverride,
      flaggerToken,
    },
    notificationsEnabled:
      cfg?.getOptionalBoolean('notifications.enabled') !== false,
    delivery: readDeliveryConfig(config),
    scaffolder: {
      publishDir: cfg?.getOptionalString('scaffolder.publishDir'),
      locationRef: cfg?.getOptionalString('scaffolder.locationRef'),
    },
    remediation: {
      rules: readRemediationRuleConfigs(config),
      clusters: readKubernetesClusters(config),
      breaker: {
        failureThreshold:
          cfg?.getOptionalNumber('remediation.breaker.failureThreshold') ?? 3,
        openMs: configDurationMs(
          cfg?.getOptionalString('remediation.breaker.openFor') ?? '1m',
        ),
      },
      backoff: {
        baseMs: configDurationMs(
          cfg?.getOptionalString('remediation.backoff.base') ?? '200ms',
        ),
        capMs: configDurationMs(
          cfg?.getOptionalString('remediation.backoff.cap') ?? '5s',
        ),
      },
      dispatchIntervalSeconds:
        cfg?.getOptionalNumber('remediation.dispatchIntervalSeconds') ?? 15,
      leaseGraceMs: configDurationMs(
        cfg?.getOptionalString('remediation.leaseGrace') ?? '30s',
      ),
      selfHealing: {
        graceMs:
          boundedNumber(
            cfg,
            'remediation.selfHealing.graceSeconds',
            60,
            3_600,
          ) * 1000,
      },
      fastCheck: {
        intervalSeconds: boundedNumber(
          cfg,
          'remediation.fastCheck.intervalSeconds',
          10,
          60,
        ),
        pendingMs:
          boundedNumber(cfg, 'remediation.fastCheck.pendingSeconds', 0, 3_600) *
          1000,
        maxSlos: Math.floor(
          boundedNumber(cfg, 'remediation.fastCheck.maxSlos', 200, 10_000),
        ),
      },
    },
    chaos: {
      policy: readChaosPolicy(cfg),
      guardIntervalSeconds:
        cfg?.getOptionalNumber('chaos.guardIntervalSeconds') ?? 10,
      schedule: {
        environments: cfg?.getOptionalStringArray(
          'chaos.schedule.environments',
        ),
        intervalSeconds: Math.max(
          1,
          boundedNumber(cfg, 'chaos.schedule.intervalSeconds', 30, 300),
        ),
      },
    },
    synthetics: {
      enabled: syn?.getOptionalBoolean('enabled') ?? true,
      allowedHosts: syn?.getOptionalStringArray('allowedHosts') ?? [],
      secrets: syntheticSecrets,
      dnsServers: syn?.getOptionalStringArray('dnsServers'),
      ...readSyntheticRegion(syn),
      concurrency: syn?.getOptionalNumber('concurrency') ?? 10,
      perHostConcurrency: syn?.getOptionalNumber('perHostConcurrency') ?? 4,
      intervalSeconds: syn?.getOptionalNumber('intervalSeconds') ?? 15,
      retentionMs: configDurationMs(
        syn?.getOptionalString('retention') ?? '30d',
      ),
      evidenceRuns: syn?.getOptionalNumber('evidenceRuns') ?? 20,
      browser: {
        enabled: syn?.getOptionalBoolean('browser.enabled') ?? false,
        executablePath: syn?.getOptionalString('browser.executablePath'),
        maxEvidenceBytes: syn?.getOptionalNumber('browser.maxEvidenceBytes'),
      },
    },
    drills: {
      maxAgeMs: configDurationMs(
        cfg?.getOptionalString('drills.maxAge') ?? '90d',
      ),
    },
  };
}

/**
 * `reliability.synthetics.region` (this replica's region: it runs only that region's journeys) or the older
 * `regions` list; both at once is refused, as is a name that is not a region.
 */
function readSyntheticRegion(syn: Config | undefined): {
  region?: string;
  regions?: string[];
} {
  const region = syn?.getOptionalString('region');
  const regions = syn?.getOptionalStringArray('regions');
  if (region === undefined) return { regions };
  if (regions !== undefined)
    throw new Error(
      'reliability.synthetics.region and reliability.synthetics.regions: set one, not both',
    );
  if (!syntheticRunsQuerySchema.shape.region.safeParse(region).success)
    throw new Error(
      `reliability.synthetics.region must be a region such as ap-sg or us-east, got '${region.slice(
        0,
        40,
      )}'`,
    );
  return { region, regions: [region] };
}

/** `reliability.alerting.burnRateCsv`: the file's burn-rate policies per SLO (none without the key). */
function readBurnRateCsv(csvPath: string | undefined): Map<string, MwmbRule[]> {
  if (!csvPath) return new Map();
  let text: string;
  try {
    text = readFileSync(csvPath, 'utf8');
  } catch (e) {
    throw new Error(
      `reliability.alerting.burnRateCsv: cannot read '${csvPath}': ${
        (e as Error).message
      }`,
    );
  }
  const parsed = parseBurnRateCsv(text);
  if (!parsed.ok)
    throw new Error(
      `reliability.alerting.burnRateCsv (${csvPath}) ${parsed.error}`,
    );
  return parsed.value;
}

/** `reliability.prometheus.instances`: a URL's `user:password@` becomes HTTP Basic auth and leaves the URL. */
export function readPrometheusInstances(
  config?: Config,
): PrometheusInstanceConfig[] {
  return (
    config?.getOptionalConfigArray('reliability.prometheus.instances') ?? []
  ).map((c, i) => {
    const headers: Record<string, string> = Object.fromEntries(
      (c.getOptionalConfig('headers')?.keys() ?? []).map(k => [
        k,
        c.getString(`headers.${k}`),
      ]),
    );
    let url: URL;
    try {
      url = new URL(c.getString('url'));
    } catch {
      throw new Error(
        `reliability.prometheus.instances[${i}].url: must be an http(s) URL`,
      );
    }
    // fetch refuses URLs with credentials: `user:password@` becomes HTTP Basic auth, and leaves the URL
    if (url.username || url.password) {
      if (
        !Object.keys(headers).some(h => h.toLowerCase() === 'authorization')
      ) {
        headers.Authorization = `Basic ${Buffer.from(
          `${decodeURIComponent(url.username)}:${decodeURIComponent(
            url.password,
          )}`,
        ).toString('base64')}`;
      }
      url.username = '';
      url.password = '';
    }
    const recordedRules = (c.getOptionalString('recordedRules') ??
      'detect') as RecordedRulesMode;
    if (!RECORDED_RULES_MODES.includes(recordedRules)) {
      throw new Error(
        `reliability.prometheus.instances[${i}].recordedRules: must be one of ${RECORDED_RULES_MODES.join(
          ', ',
        )}`,
      );
    }
    return {
      name: c.getString('name'),
      url: url.toString().replace(/\/$/, ''),
      headers,
      recordedRules,
    };
  });
}

/** `reliability.remediation.kubernetes.clusters`: each cluster URL must parse as http(s). */
export function readKubernetesClusters(
  config: Config,
): KubernetesClusterConfig[] {
  return (
    config.getOptionalConfigArray(
      'reliability.remediation.kubernetes.clusters',
    ) ?? []
  ).map((c, i) => {
    const url = c.getString('url');
    if (!isHttpUrl(url))
      throw new Error(
        `reliability.remediation.kubernetes.clusters[${i}].url: must be the API server's http(s) URL`,
      );
    return {
      name: c.getString('name'),
      url,
      serviceAccountToken: c.getOptionalString('serviceAccountToken'),
      caData: c.getOptionalString('caData'),
      skipTLSVerify: c.getOptionalBoolean('skipTLSVerify'),
    };
  });
}

/** `reliability.remediation.rules`, as written (remediation/rules.ts checks each against the actions). */
export function readRemediationRuleConfigs(
  config: Config,
): RemediationRuleConfig[] {
  return (
    config.getOptionalConfigArray('reliability.remediation.rules') ?? []
  ).map((c, i) => ({
    path: `reliability.remediation.rules[${i}]`,
    id: c.getString('id'),
    entityRef: c.getString('entityRef'),
    description: c.getOptionalString('description'),
    match: c.getOptionalStringArray('match') ?? [],
    triggers: c.getOptionalStringArray('triggers'),
    action: c.getString('action'),
    params: (c.getOptional('params') ?? {}) as Record<string, unknown>,
    lockKey: c.getOptionalString('lockKey'),
    cooldown: c.getOptionalString('cooldown'),
    maxAttempts: c.getOptionalNumber('maxAttempts'),
    attemptWindow: c.getOptionalString('attemptWindow'),
    retries: c.getOptionalNumber('retries'),
    timeout: c.getOptionalString('timeout'),
  }));
}

/**
 * The chaos guardrails from `reliability.chaos` (defaults: 10% max traffic, the same for pods, 30s to 60m, at most
 * hourly schedules, approvers in production); a bad value stops the backend at start, naming the key.
 */
export function readChaosPolicy(cfg: Config | undefined): ChaosPolicy {
  const c = cfg?.getOptionalConfig('chaos');
  if (!c) return DEFAULT_CHAOS_POLICY;
  const percent = (key: string, v: number | undefined) => {
    if (v !== undefined && !(v >= 0 && v <= 100))
      throw new Error(
        `reliability.chaos.${key} must be between 0 and 100, got ${v}`,
      );
    return v;
  };
  const environments: ChaosPolicy['environments'] = {};
  const envs = c.getOptionalConfig('environments');
  for (const name of envs?.keys() ?? []) {
    environments[name] = {
      maxTrafficPercent: percent(
        `environments.${name}.maxTrafficPercent`,
        envs!.getConfig(name).getOptionalNumber('maxTrafficPercent'),
      ),
      maxPodPercent: percent(
        `environments.${name}.maxPodPercent`,
        envs!.getConfig(name).getOptionalNumber('maxPodPercent'),
      ),
    };
  }
  const ms = (key: string, fallback: number) => {
    const text = c.getOptionalString(key);
    return text === undefined ? fallback : configDurationMs(text);
  };
  return {
    maxTrafficPercent:
      percent('maxTrafficPercent', c.getOptionalNumber('maxTrafficPercent')) ??
      DEFAULT_CHAOS_POLICY.maxTrafficPercent,
    maxPodPercent: percent(
      'maxPodPercent',
      c.getOptionalNumber('maxPodPercent'),
    ),
    environments,
    minDurationMs: ms('minDuration', DEFAULT_CHAOS_POLICY.minDurationMs),
    maxDurationMs: ms('maxDuration', DEFAULT_CHAOS_POLICY.maxDurationMs),
    minCronIntervalMs: ms(
      'minScheduleInterval',
      DEFAULT_CHAOS_POLICY.minCronIntervalMs,
    ),
    productionEnvironments:
      c.getOptionalStringArray('productionEnvironments') ??
      DEFAULT_CHAOS_POLICY.productionEnvironments,
  };
}

/** `reliability.<key>`: a number from 0 to `max` (the fallback when absent); anything else is refused, naming the key. */
function boundedNumber(
  cfg: Config | undefined,
  key: string,
  fallback: number,
  max: number,
): number {
  const v = cfg?.getOptionalNumber(key) ?? fallback;
  if (!Number.isFinite(v) || v < 0 || v > max)
    throw new Error(
      `reliability.${key}: must be a number from 0 to ${max}, got ${v}`,
    );
  return v;
}
