import { Feature, scheduledTask } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { IncidentStore } from './IncidentStore';
import type { RunbookService } from '../runbooks/RunbookService';
import { IncidentService } from './IncidentService';
import type { IncidentPager } from './IncidentService';
import { incidentRoutes } from './routes';
import { IncidentFollowUps, IncidentNotices } from './IncidentFollowUps';

/** Incidents: declared, worked (timeline, status, roles) and closed with their review. */
export function createIncidentFeature(
  ctx: FeatureContext<{ incidents: IncidentStore }>,
  deps: {
    runbooks: RunbookService;
    /** Who hears of overdue status updates and action items; without it the tasks still mark them. */
    notices?: IncidentNotices;
    /** Pages the incident's roles through delivery's routing; without it nothing is paged. */
    pager?: IncidentPager;
  },
) {
  const incidents = new IncidentService({
    store: ctx.stores.incidents,
    access: ctx.access,
    entities: ctx.entities,
    runbooks: deps.runbooks,
    catalog: ctx.catalog,
    pager: deps.pager,
  });
  const followUps = new IncidentFollowUps({
    store: ctx.stores.incidents,
    notices: deps.notices ?? {
      statusUpdateOverdue: async () => {},
      actionItemOverdue: async () => {},
    },
    logger: ctx.logger.child({ component: 'incident-follow-ups' }),
  });
  return {
    /** The service, for the actions that call it (actions/). */
    incidents,
    tasks: [
      scheduledTask(
        'reliability-incident-status-updates',
        'global',
        {
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          initialDelay: { seconds: 30 },
        },
        () => followUps.checkStatusUpdates(),
      ),
      // an action item is overdue from the day after its due date: a look every 10 minutes tells its owner in time
      scheduledTask(
        'reliability-incident-action-items',
        'global',
        {
          frequency: { minutes: 10 },
          timeout: { minutes: 2 },
          initialDelay: { minutes: 1 },
        },
        () => followUps.checkActionItems(),
      ),
    ],
    routes: (router, { guards }) =>
      incidentRoutes(router, { guards, incidents }),
  } satisfies Feature & Record<string, unknown>;
}
