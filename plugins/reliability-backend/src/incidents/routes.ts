import express from 'express';
import Router from 'express-promise-router';
import {
  BackstageCredentials,
  BackstageUserPrincipal,
} from '@backstage/backend-plugin-api';
import {
  actionItemPatchSchema,
  closeIncidentSchema,
  declareIncidentSchema,
  incidentLinkSchema,
  incidentRolesSchema,
  incidentToMarkdown,
  incidentsQuerySchema,
  mttrQuerySchema,
  patchIncidentSchema,
  reliabilityIncidentManagePermission,
  statusUpdateSchema,
  timelineEntrySchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { IncidentService } from './IncidentService';

/** Incidents: declare, list, read, export, and work them (timeline, status, roles, close). */
export function incidentRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; incidents: IncidentService },
) {
  const { guards, incidents } = deps;
  const id = (raw: string) => guards.positiveInt(raw, 'id', 16);

  /** A mutation: a signed-in user with reliability.incident.manage (checked first), as one audit event. */
  async function manage<T>(
    req: express.Request,
    eventId: string,
    fn: (
      author: string,
      credentials: BackstageCredentials<BackstageUserPrincipal>,
    ) => Promise<T>,
  ) {
    const credentials = await guards.user(req);
    await guards.authorize(credentials, reliabilityIncidentManagePermission);
    return guards.audited(
      { eventId, severityLevel: 'medium', request: req },
      async () => ({
        result: await fn(credentials.principal.userEntityRef, credentials),
      }),
    );
  }

  router.get('/incidents', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await incidents.list(
        guards.query(incidentsQuerySchema, req),
        credentials,
      ),
    );
  });

  /** Mean time to restore per service or per team over a window of days (registered before /incidents/:id). */
  router.get('/incidents/mttr', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await incidents.mttr(guards.query(mttrQuerySchema, req), credentials),
    );
  });

  router.post('/incidents', async (req, res) => {
    const body = guards.parse(declareIncidentSchema, req.body, 'body');
    res
      .status(201)
      .json(
        await manage(req, 'incident-declare', (author, credentials) =>
          incidents.declare(body, author, credentials),
        ),
      );
  });

  router.get('/incidents/:id', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(await incidents.get(id(req.params.id), credentials));
  });

  router.get('/incidents/:id/markdown', async (req, res) => {
    const credentials = await guards.canRead(req);
    const incident = await incidents.get(id(req.params.id), credentials);
    res
      .status(200)
      .type('text/markdown')
      .setHeader(
        'Content-Disposition',
        `attachment; filename="incident-${incident.id}.md"`,
      )
      .send(incidentToMarkdown(incident));
  });

  router.post('/incidents/:id/timeline', async (req, res) => {
    const n = id(req.params.id);
    const body = guards.parse(timelineEntrySchema, req.body, 'body');
    res.json(
      await manage(req, 'incident-timeline', (author, c) =>
        incidents.appendTimeline(n, author, body.text, c),
      ),
    );
  });

  router.post('/incidents/:id/status', async (req, res) => {
    const n = id(req.params.id);
    const body = guards.parse(statusUpdateSchema, req.body, 'body');
    res.json(
      await manage(req, 'incident-status', (author, c) =>
        incidents.updateStatus(n, author, body.status, body.text, c),
      ),
    );
  });

  router.put('/incidents/:id/roles', async (req, res) => {
    const n = id(req.params.id);
    const body = guards.parse(incidentRolesSchema, req.body, 'body');
    res.json(
      await manage(req, 'incident-roles', (author, c) =>
        incidents.setRoles(n, author, body, c),
      ),
    );
  });

  router.patch('/incidents/:id', async (req, res) => {
    const n = id(req.params.id);
    const body = guards.parse(patchIncidentSchema, req.body, 'body');
    res.json(
      await manage(req, 'incident-cadence', (author, c) =>
        incidents.setCadence(n, author, body.updateCadenceMinutes, c),
      ),
    );
  });

  router.post('/incidents/:id/links', async (req, res) => {
    const n = id(req.params.id);
    const body = guards.parse(incidentLinkSchema, req.body, 'body');
    res.json(
      await manage(req, 'incident-link-add', (_author, c) =>
        incidents.addLink(n, body, c),
      ),
    );
  });

  /** Removes the link at `position` (1-based, as listed). */
  router.delete('/incidents/:id/links/:position', async (req, res) => {
    const n = id(req.params.id);
    const index = guards.positiveInt(req.params.position, 'position', 3) - 1;
    res.json(
      await manage(req, 'incident-link-remove', (_author, c) =>
        incidents.removeLink(n, index, c),
      ),
    );
  });

  /** Marks the action item at `position` (1-based, as listed) of a closed incident done, or open again. */
  router.patch('/incidents/:id/action-items/:position', async (req, res) => {
    const n = id(req.params.id);
    const index = guards.positiveInt(req.params.position, 'position', 3) - 1;
    const body = guards.parse(actionItemPatchSchema, req.body, 'body');
    res.json(
      await manage(req, 'incident-action-item', (author, c) =>
        incidents.setActionItemDone(n, index, body.done, author, c),
      ),
    );
  });

  router.post('/incidents/:id/close', async (req, res) => {
    const n = id(req.params.id);
    const body = guards.parse(closeIncidentSchema, req.body, 'body');
    res.json(
      await manage(req, 'incident-close', (author, c) =>
        incidents.close(n, author, body, c),
      ),
    );
  });
}
