import express from 'express';
import Router from 'express-promise-router';
import { InputError } from '@backstage/errors';
import {
  drillCreateRequestSchema,
  drillEntityQuerySchema,
  drillListQuerySchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { DrillService } from './DrillService';

/** Failover drills: the log with targets and warnings, one drill, a CSV import (`text/csv`) and export. */
export function drillRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; drills: DrillService },
) {
  const { guards, drills } = deps;
  // the drill log as sent, up to 2 MB (a few thousand rows)
  const csvBody = express.text({
    type: ['text/csv', 'text/plain'],
    limit: '2mb',
  });

  router.get('/drills', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await drills.list(guards.query(drillListQuerySchema, req), credentials),
    );
  });

  router.get('/drills/export', async (req, res) => {
    const credentials = await guards.canRead(req);
    const { entityRef } = guards.query(drillEntityQuerySchema, req);
    const out = await drills.export(entityRef, credentials);
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="${out.filename}"`,
    );
    res.type('text/csv').send(out.csv);
  });

  router.post('/drills', async (req, res) => {
    const body = guards.parse(drillCreateRequestSchema, req.body, 'body');
    const credentials = await guards.user(req);
    res
      .status(201)
      .json(
        await guards.audited(
          { eventId: 'drill-create', severityLevel: 'low', request: req },
          async () => ({ result: await drills.create(body, credentials) }),
        ),
      );
  });

  router.post('/drills/import', csvBody, async (req, res) => {
    const { entityRef } = guards.query(drillEntityQuerySchema, req);
    if (typeof req.body !== 'string')
      throw new InputError(
        'Invalid body: send the drill log as CSV with Content-Type: text/csv',
      );
    const text = req.body;
    const credentials = await guards.caller(req);
    res.json(
      await guards.audited(
        { eventId: 'drill-import', severityLevel: 'medium', request: req },
        async () => ({
          result: await drills.import(entityRef, text, credentials),
        }),
      ),
    );
  });
}
