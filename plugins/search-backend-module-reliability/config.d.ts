import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  search?: {
    collators?: {
      /** The reliability suite's collators: SLOs, runbook sections and incidents. */
      reliability?: {
        /** When they run. Default: every 10 minutes (timeout 15 minutes), the first run 3 seconds after start. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
        /** Items asked per page of the reliability backend's lists (1–1000). Default 500. */
        pageSize?: number;
        /** Where the app mounts the reliability pages (runbook and incident pages under it). Default /reliability. */
        pagesPath?: string;
      };
    };
  };
}
