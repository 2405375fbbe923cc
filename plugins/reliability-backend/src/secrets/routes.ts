import Router from 'express-promise-router';
import {
  reliabilityRegistryImportPermission,
  secretsQuerySchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import type { SecretHygiene } from './SecretHygiene';

/**
 * GET /secrets: the config's secrets by path, their ages, states and last refused call (never a value). Platform
 * data, so it takes the platform's permission (the registry import one: the platform group in the shipped policy).
 */
export function secretRoutes(
  router: ReturnType<typeof Router>,
  deps: {
    guards: Guards;
    secrets: SecretHygiene;
    /** What a refused caller is told (the setting that opens it). */
    refusedHint?: string;
  },
) {
  router.get('/secrets', async (req, res) => {
    const credentials = await deps.guards.canRead(req);
    await deps.guards.authorize(
      credentials,
      reliabilityRegistryImportPermission,
      deps.refusedHint,
    );
    res.json(
      await deps.secrets.list(deps.guards.query(secretsQuerySchema, req)),
    );
  });
}
