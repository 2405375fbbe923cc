import Router from 'express-promise-router';
import { z } from 'zod';
import {
  pageQuerySchema,
  sloCorrectionCreateSchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { CorrectionService } from './CorrectionService';

const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const idSchema = z.string().regex(ID_RE, 'must be a correction id (a UUID)');

/** Budget corrections of an SLO: list, create (audited), revert (audited). */
export function correctionRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; corrections: CorrectionService },
) {
  const { guards, corrections } = deps;

  router.get('/slos/:namespace/:name/corrections', async (req, res) => {
    const credentials = await guards.canRead(req);
    const { namespace, name } = guards.sloPath(req.params);
    res.json(
      await corrections.list(
        namespace,
        name,
        guards.query(pageQuerySchema, req),
        credentials,
      ),
    );
  });

  router.post('/slos/:namespace/:name/corrections', async (req, res) => {
    const { namespace, name } = guards.sloPath(req.params);
    const body = guards.parse(sloCorrectionCreateSchema, req.body, 'body');
    const credentials = await guards.caller(req);
    const created = await guards.audited(
      {
        eventId: 'slo-correction-create',
        severityLevel: 'medium',
        request: req,
        meta: { slo: `${namespace}/${name}` },
      },
      async () => {
        const c = await corrections.create(namespace, name, body, credentials);
        return {
          result: c,
          meta: {
            id: c.id,
            kind: c.kind,
            start: c.start,
            end: c.end,
            cron: c.cron,
            duration: c.duration,
            reason: c.reason,
          },
        };
      },
    );
    res.status(201).json(created);
  });

  router.post(
    '/slos/:namespace/:name/corrections/:id/revert',
    async (req, res) => {
      const { namespace, name } = guards.sloPath(req.params);
      const id = guards.parse(idSchema, req.params.id, 'path: id');
      const credentials = await guards.caller(req);
      res.json(
        await guards.audited(
          {
            eventId: 'slo-correction-revert',
            severityLevel: 'medium',
            request: req,
            meta: { slo: `${namespace}/${name}`, id },
          },
          async () => ({
            result: await corrections.revert(namespace, name, id, credentials),
          }),
        ),
      );
    },
  );
}
