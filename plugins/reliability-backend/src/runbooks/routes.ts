import Router from 'express-promise-router';
import { NotAllowedError } from '@backstage/errors';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  pageQuerySchema,
  reliabilityRunbookUpdatePermission,
  runbookSaveSchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { RunbookService } from './RunbookService';

/** Runbooks: read, save a portal version, list versions, one version with its diff. */
export function runbookRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; runbooks: RunbookService; now: () => number },
) {
  const { guards, runbooks } = deps;

  router.get('/runbooks/:kind/:namespace/:name', async (req, res) => {
    const credentials = await guards.canRead(req);
    const { kind, namespace, name } = guards.entityPath(req.params);
    const runbook = await runbooks.get(kind, namespace, name, credentials);
    res.json({
      ...runbook,
      canEdit: await guards.allowedOn(
        credentials,
        reliabilityRunbookUpdatePermission,
        runbook.entityRef,
      ),
    });
  });

  router.put('/runbooks/:kind/:namespace/:name', async (req, res) => {
    const credentials = await guards.user(req);
    const { kind, namespace, name } = guards.entityPath(req.params);
    const body = guards.parse(runbookSaveSchema, req.body, 'body');
    // the permission first, on the ref the path names: an entity that does not exist is denied like one the
    // caller does not own, so a 403 says nothing about existence
    const entityRef = stringifyEntityRef({ kind, namespace, name });
    const saved = await guards.audited(
      {
        eventId: 'runbook-save',
        severityLevel: 'medium',
        request: req,
        meta: { entityRef, baseVersion: body.baseVersion },
      },
      async () => {
        if (
          !(await guards.allowedOn(
            credentials,
            reliabilityRunbookUpdatePermission,
            entityRef,
          ))
        ) {
          throw new NotAllowedError(
            `Missing permission ${reliabilityRunbookUpdatePermission.name} on ${entityRef}: only its owners may edit its runbook`,
          );
        }
        const entity = await runbooks.entity(
          kind,
          namespace,
          name,
          credentials,
        );
        const result = await runbooks.save(
          entity,
          body,
          credentials.principal.userEntityRef,
          deps.now(),
        );
        return { result, meta: { version: result.version } };
      },
    );
    res.json({
      version: saved.version,
      author: saved.author,
      createdAt: saved.createdAt,
    });
  });

  router.get('/runbooks/:kind/:namespace/:name/versions', async (req, res) => {
    const credentials = await guards.canRead(req);
    const { kind, namespace, name } = guards.entityPath(req.params);
    const query = guards.query(pageQuerySchema, req);
    res.json(
      await runbooks.versions(
        kind,
        namespace,
        name,
        query.limit ?? 100,
        query.cursor,
        credentials,
      ),
    );
  });

  router.get(
    '/runbooks/:kind/:namespace/:name/versions/:version',
    async (req, res) => {
      const credentials = await guards.canRead(req);
      const { kind, namespace, name } = guards.entityPath(req.params);
      const version = guards.positiveInt(req.params.version, 'version', 9);
      res.json(
        await runbooks.version(kind, namespace, name, version, credentials),
      );
    },
  );
}
