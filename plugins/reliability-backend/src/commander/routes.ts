import Router from 'express-promise-router';
import {
  pageQuerySchema,
  pageOf,
  decodeCursor,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { CommanderService } from './CommanderService';

/** The incident commander's view: what burns now, most urgent first. */
export function commanderRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; commander: CommanderService; now: () => number },
) {
  router.get('/commander/alerts', async (req, res) => {
    const credentials = await deps.guards.canRead(req);
    const query = deps.guards.query(pageQuerySchema, req);
    res.json(
      pageOf(
        await deps.commander.alerts(deps.now(), credentials),
        decodeCursor(query.cursor) ?? 0,
        query.limit ?? 500,
      ),
    );
  });
}
