import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  RootConfigService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';

/** The module's config key. */
export const CONFIG_KEY = 'search.collators.reliability';

/** The module's settings, read from `search.collators.reliability`. @public */
export interface ReliabilityCollatorSettings {
  /** When the three collators run. Default: every 10 minutes, the first run 3 seconds after start. */
  schedule: SchedulerServiceTaskScheduleDefinition;
  /** Items asked per page of the backend's lists (1–1000). Default 500. */
  pageSize: number;
  /** Where the app mounts the reliability pages (runbook and incident pages under it). Default `/reliability`. */
  pagesPath: string;
}

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 10 },
  timeout: { minutes: 15 },
  initialDelay: { seconds: 3 },
};

/** Reads `search.collators.reliability`; a bad value stops the backend naming the key. */
export function readCollatorSettings(
  config: RootConfigService,
): ReliabilityCollatorSettings {
  const c = config.getOptionalConfig(CONFIG_KEY);
  let schedule = DEFAULT_SCHEDULE;
  if (c?.has('schedule')) {
    try {
      schedule = readSchedulerServiceTaskScheduleDefinitionFromConfig(
        c.getConfig('schedule'),
      );
    } catch (e) {
      throw new Error(`${CONFIG_KEY}.schedule: ${(e as Error).message}`);
    }
  }
  const pageSize = c?.getOptionalNumber('pageSize') ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)
    throw new Error(
      `${CONFIG_KEY}.pageSize must be a whole number from 1 to 1000, got ${pageSize}`,
    );
  const pagesPath = c?.getOptionalString('pagesPath') ?? '/reliability';
  if (!pagesPath.startsWith('/') || pagesPath.endsWith('/'))
    throw new Error(
      `${CONFIG_KEY}.pagesPath must start with / and not end with one, such as /reliability; got ${pagesPath}`,
    );
  return { schedule, pageSize, pagesPath };
}
