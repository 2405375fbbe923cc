import Router from 'express-promise-router';
import { overviewQuerySchema } from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { OverviewService } from './OverviewService';

/** The organisation overview: every SLO ranked by budget left, filtered by owner, system and lifecycle; CSV export. */
export function overviewRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; overview: OverviewService },
) {
  router.get('/overview', async (req, res) => {
    const credentials = await deps.guards.canRead(req);
    res.json(
      await deps.overview.list(
        deps.guards.query(overviewQuerySchema, req),
        credentials,
      ),
    );
  });

  router.get('/overview/export', async (req, res) => {
    const credentials = await deps.guards.canRead(req);
    const csv = await deps.overview.export(
      deps.guards.query(overviewQuerySchema, req),
      credentials,
    );
    res.setHeader(
      'Content-Disposition',
      'attachment; filename="reliability-overview.csv"',
    );
    res.type('text/csv').send(csv);
  });
}
