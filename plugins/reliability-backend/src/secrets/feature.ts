import { NotificationService } from '@backstage/plugin-notifications-node';
import { Registry } from 'prom-client';
import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import {
  SecretHygieneConfig,
  SubscribableConfig,
  readSecretHygieneConfig,
} from '../config/secretHygieneConfig';

export type { SubscribableConfig };
import { SecretHygiene, SecretNotify } from './SecretHygiene';
import type { SecretHygieneStore } from './SecretHygieneStore';
import { secretRoutes } from './routes';
import { policyHints } from '../permissions/policyHints';

/**
 * Secret hygiene: the ages and states of the config's secrets (an hourly check per replica, at startup too, and
 * again whenever the config changes), their gauges on the suite's metrics registry, the owners told of each change
 * and of refused credentials (authFailed, for delivery and remediation), and GET /secrets.
 */
export function createSecretHygieneFeature(
  ctx: FeatureContext<{ secrets: SecretHygieneStore }>,
  deps: {
    rootConfig: SubscribableConfig;
    notifications?: NotificationService;
    metrics: Registry;
    now?: () => number;
  },
) {
  const logger = ctx.logger.child({ component: 'secrets' });
  // refused at startup, naming the path
  let current: SecretHygieneConfig = readSecretHygieneConfig(deps.rootConfig);
  const notify: SecretNotify = async (owners, payload) => {
    if (!deps.notifications || !ctx.config.notificationsEnabled) return;
    try {
      await deps.notifications.send({
        recipients: { type: 'entity', entityRef: owners },
        payload,
      });
    } catch (e) {
      logger.warn(
        `Could not notify the owners of the secrets: ${ctx.redactor.error(e)}`,
      );
    }
  };
  const secrets = new SecretHygiene({
    config: () => current,
    store: ctx.stores.secrets,
    registry: deps.metrics,
    notify,
    logger,
    now: deps.now ?? Date.now,
  });
  const subscription = deps.rootConfig.subscribe?.(() => {
    try {
      current = readSecretHygieneConfig(deps.rootConfig);
    } catch (e) {
      // a bad edit keeps the last good hygiene config; the message names the path, never a value
      logger.error(
        `Secret hygiene config not reloaded: ${(e as Error).message}`,
      );
      return;
    }
    secrets
      .check()
      .catch(e =>
        logger.error(`Secret hygiene check failed: ${ctx.redactor.error(e)}`),
      );
  });
  const feature = {
    tasks: [
      scheduledTask(
        'reliability-secret-hygiene',
        'local',
        {
          frequency: { hours: 1 },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 5 },
        },
        () => secrets.check(),
      ),
    ],
    routes: (router, { guards }) =>
      secretRoutes(router, {
        guards,
        secrets,
        refusedHint: policyHints(ctx.config.permissions).platform,
      }),
  } satisfies Feature;
  return {
    ...feature,
    secrets,
    /** Stops following config changes (tests). */
    stop: () => subscription?.unsubscribe(),
  };
}

/**
 * A refused call made with the secrets of one config block (`blockPath`, such as
 * `reliability.remediation.kubernetes.clusters[0]`): every secret of the block is named, or the block itself when
 * none is known.
 */
export function blockAuthFailed(secrets: SecretHygiene) {
  return async (blockPath: string, where: string, status: number) => {
    const paths = secrets.pathsUnder(`${blockPath}.`);
    for (const path of paths.length ? paths : [blockPath])
      await secrets.authFailed(path, where, status);
  };
}

/**
 * The delivery port's adapter (DeliveryService's `authFailed(target, status)`): a target's refused call names every
 * secret of its block (`reliability.delivery.targets.<name>.*`).
 */
export function deliveryAuthFailed(secrets: SecretHygiene) {
  const block = blockAuthFailed(secrets);
  return (target: { name: string } | string, status: number) => {
    const name = typeof target === 'string' ? target : target.name;
    return block(
      `reliability.delivery.targets.${name}`,
      `delivery target ${name}`,
      status,
    );
  };
}

/**
 * The remediation port's adapter (the execution runner's `onAuthFailed`): a rule whose target refused its
 * credentials names every secret of its config, by path: those of its params (a platform rule's
 * `reliability.remediation.rules[i].params`, headers say) and, for a Kubernetes action, its cluster's
 * (`reliability.remediation.kubernetes.clusters[j]`, found by the rule's `params.cluster`). When none is known, the
 * rule's own block is named. Never a value.
 */
export function remediationAuthFailed(
  secrets: SecretHygiene,
  clusters: { name: string }[],
) {
  return async (e: {
    rule: {
      id: string;
      action: string;
      params: Record<string, unknown>;
      configPath?: string;
    };
    status: number;
  }) => {
    const { rule, status } = e;
    const blocks: string[] = [];
    if (rule.configPath) blocks.push(`${rule.configPath}.params`);
    const cluster =
      rule.action === 'kubernetes' && typeof rule.params.cluster === 'string'
        ? clusters.findIndex(c => c.name === rule.params.cluster)
        : -1;
    if (cluster >= 0)
      blocks.push(`reliability.remediation.kubernetes.clusters[${cluster}]`);
    const paths = blocks.flatMap(b => secrets.pathsUnder(`${b}.`));
    const named = paths.length
      ? paths
      : [blocks[0] ?? `remediation rule ${rule.id}`];
    const where = `remediation rule ${rule.id} (${rule.action})`;
    for (const path of named) await secrets.authFailed(path, where, status);
  };
}
