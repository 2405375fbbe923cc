import express from 'express';
import Router from 'express-promise-router';
import { InputError } from '@backstage/errors';
import {
  registryImportParamsSchema,
  registryImportQuerySchema,
  reliabilityRegistryImportPermission,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { RegistryImportService } from './RegistryImportService';

/** The CSV registries through one door: `POST /import/:registry` (`text/csv`), `?entityRef=` and `?dryRun=true`. */
export function importRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; imports: RegistryImportService },
) {
  const { guards, imports } = deps;
  // a registry as sent, up to 2 MB (a few thousand rows)
  const csvBody = express.text({
    type: ['text/csv', 'text/plain'],
    limit: '2mb',
  });

  router.post('/import/:registry', csvBody, async (req, res) => {
    const { registry } = guards.parse(
      registryImportParamsSchema,
      req.params,
      'path',
    );
    const query = guards.query(registryImportQuerySchema, req);
    if (typeof req.body !== 'string')
      throw new InputError(
        'Invalid body: send the registry as CSV with Content-Type: text/csv',
      );
    const text = req.body;
    const credentials = await guards.caller(req);
    // the organisation-wide registries need their own permission; the per-entity ones check theirs on the entity
    if (registry === 'slos' || registry === 'burn-rate-alerts')
      await guards.authorize(credentials, reliabilityRegistryImportPermission);
    const dryRun = query.dryRun === 'true';
    res.json(
      await guards.audited(
        {
          eventId: 'registry-import',
          severityLevel: dryRun ? 'low' : 'medium',
          request: req,
          meta: { registry, dryRun },
        },
        async () => ({
          result: await imports.import(
            registry,
            text,
            { entityRef: query.entityRef, dryRun },
            credentials,
          ),
        }),
      ),
    );
  });
}
