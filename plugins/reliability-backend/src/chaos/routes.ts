import express from 'express';
import { stringify } from 'yaml';
import { z } from 'zod';
import Router from 'express-promise-router';
import {
  chaosAbortRequestSchema,
  chaosCreateRequestSchema,
  chaosExportQuerySchema,
  chaosLintRequestSchema,
  chaosListQuerySchema,
  chaosVersionsQuerySchema,
  entityRefParam,
  chaosResultSchema,
  chaosRunsQuerySchema,
  chaosRunIncidentLinkSchema,
  chaosUpdateRequestSchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { ChaosService } from './ChaosService';
import { ChaosFiles } from './ChaosFiles';

/** Chaos experiments: lint, design (versions), approve, start (or the engine reports it started), abort, complete. */
export function chaosRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; chaos: ChaosService; files: ChaosFiles },
) {
  const { guards, chaos, files } = deps;
  const id = (raw: string) => guards.positiveInt(raw, 'id', 12);
  const audited = <T>(
    req: express.Request,
    eventId: string,
    fn: () => Promise<T>,
  ) =>
    guards.audited(
      { eventId, severityLevel: 'medium', request: req },
      async () => ({ result: await fn() }),
    );

  router.post('/chaos/lint', async (req, res) => {
    await guards.canRead(req);
    res.json(
      await chaos.lint(guards.parse(chaosLintRequestSchema, req.body, 'body')),
    );
  });

  router.get('/chaos', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await chaos.list(guards.query(chaosListQuerySchema, req), credentials),
    );
  });

  // experiments as code: the entity's folder of experiment files, linted
  router.get('/chaos/files', async (req, res) => {
    const credentials = await guards.canRead(req);
    const { entityRef } = guards.query(
      z.object({ entityRef: entityRefParam }).strict(),
      req,
    );
    res.json(await files.lint(entityRef, credentials));
  });

  router.post('/chaos', async (req, res) => {
    const body = guards.parse(chaosCreateRequestSchema, req.body, 'body');
    const credentials = await guards.user(req);
    res
      .status(201)
      .json(
        await audited(req, 'chaos-create', () =>
          chaos.create(body, credentials),
        ),
      );
  });

  router.get('/chaos/:id', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(await chaos.get(id(req.params.id), credentials));
  });

  router.get('/chaos/:id/versions', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await chaos.versions(
        id(req.params.id),
        guards.query(chaosVersionsQuerySchema, req),
        credentials,
      ),
    );
  });

  // its runs (manual and scheduled, refused scheduled starts with why) and its next scheduled start
  router.get('/chaos/:id/runs', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await chaos.runs(
        id(req.params.id),
        guards.query(chaosRunsQuerySchema, req),
        credentials,
      ),
    );
  });

  // links a run to a closed incident's review: its unmet expectations become the review's action items
  router.post('/chaos/:id/runs/:runId/incident', async (req, res) => {
    const n = id(req.params.id);
    const runId = guards.positiveInt(req.params.runId, 'runId', 12);
    const body = guards.parse(chaosRunIncidentLinkSchema, req.body, 'body');
    const credentials = await guards.user(req);
    res.json(
      await audited(req, 'chaos-run-incident', () =>
        chaos.linkIncident(n, runId, body.incidentId, credentials),
      ),
    );
  });

  router.get('/chaos/:id/export', async (req, res) => {
    const credentials = await guards.canRead(req);
    const n = id(req.params.id);
    const { format } = guards.query(chaosExportQuerySchema, req);
    const out = await chaos.export(n, format, credentials);
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="${out.filename}"`,
    );
    if (out.type === 'json') res.json(out.value);
    else res.type('application/yaml').send(stringify(out.value));
  });

  router.put('/chaos/:id', async (req, res) => {
    const n = id(req.params.id);
    const body = guards.parse(chaosUpdateRequestSchema, req.body, 'body');
    const credentials = await guards.user(req);
    res.json(
      await audited(req, 'chaos-update', () =>
        chaos.update(n, body, credentials),
      ),
    );
  });

  router.post('/chaos/:id/approve', async (req, res) => {
    const n = id(req.params.id);
    const credentials = await guards.user(req);
    res.json(
      await audited(req, 'chaos-approve', () => chaos.approve(n, credentials)),
    );
  });

  // from the portal, or the engine reporting that it has started (services may call it)
  for (const [path, by] of [
    ['/chaos/:id/start', 'portal'],
    ['/chaos/:id/started', 'engine'],
  ] as const) {
    router.post(path, async (req, res) => {
      const n = id(req.params.id);
      const credentials = await guards.caller(req);
      res.json(
        await audited(req, 'chaos-start', () =>
          chaos.start(n, by, credentials),
        ),
      );
    });
  }

  router.post('/chaos/:id/abort', async (req, res) => {
    const n = id(req.params.id);
    const body = guards.parse(chaosAbortRequestSchema, req.body ?? {}, 'body');
    const credentials = await guards.caller(req);
    res.json(
      await audited(req, 'chaos-abort', () =>
        chaos.abort(n, body.reason, credentials),
      ),
    );
  });

  router.post('/chaos/:id/complete', async (req, res) => {
    const n = id(req.params.id);
    const body = guards.parse(chaosResultSchema, req.body, 'body');
    const credentials = await guards.caller(req);
    res.json(
      await audited(req, 'chaos-complete', () =>
        chaos.complete(n, body, credentials),
      ),
    );
  });
}
