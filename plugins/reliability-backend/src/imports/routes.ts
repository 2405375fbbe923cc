import express from 'express';
import Router from 'express-promise-router';
import { InputError } from '@backstage/errors';
import {
  MAX_REGISTRY_IMPORT_BYTES,
  registryImportParamsSchema,
  registryImportQuerySchema,
  reliabilityRegistryImportPermission,
  SLO_DOCUMENTS_REGISTRY,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { RegistryImportService } from './RegistryImportService';

/** What the CSV registries are sent as. */
const CSV_TYPES = ['text/csv', 'text/plain'];
/** What the SLO documents are sent as: YAML or JSON (JSON is YAML too). */
const DOCUMENT_TYPES = [
  'application/yaml',
  'text/yaml',
  'application/x-yaml',
  'text/x-yaml',
  'application/json',
  'text/plain',
];

/** A body over the import's limit: 413, as the body parser answers a text over it. */
function tooLarge(): Error {
  return Object.assign(
    new Error(
      `request entity too large: an import takes at most ${
        MAX_REGISTRY_IMPORT_BYTES / 1024 / 1024
      } MB`,
    ),
    { name: 'PayloadTooLargeError', status: 413 },
  );
}

/**
 * The SLO documents as sent: YAML (or JSON) text, or JSON the router's JSON parser read already (an object or a
 * list). JSON is held to the import's 2 MB too.
 */
function documentsBody(req: express.Request): unknown {
  if (req.is('application/json')) {
    const declared = Number(req.headers['content-length']);
    const size = Number.isFinite(declared)
      ? declared
      : Buffer.byteLength(JSON.stringify(req.body) ?? '');
    if (size > MAX_REGISTRY_IMPORT_BYTES) throw tooLarge();
    if (typeof req.body === 'object' && req.body !== null) return req.body;
  }
  if (typeof req.body === 'string' && req.is(DOCUMENT_TYPES)) return req.body;
  throw new InputError(
    'Invalid body: send the SLO documents as YAML or JSON with Content-Type: application/yaml, text/yaml, application/json or text/plain',
  );
}

/**
 * The registries through one door: `POST /import/:registry`, `?entityRef=` and `?dryRun=true`. The four CSV
 * registries are sent as `text/csv`; the SLO documents (`slo-documents`: OpenSLO, Sloth or Pyrra) as YAML or JSON.
 */
export function importRoutes(
  router: ReturnType<typeof Router>,
  deps: {
    guards: Guards;
    imports: RegistryImportService;
    /** What a refused organisation-wide import is told (the setting that opens it). */
    refusedHint?: string;
  },
) {
  const { guards, imports } = deps;
  // a registry or a file of SLO documents as sent, up to 2 MB (a few thousand rows); JSON is read by the router's parser
  const textBody = express.text({
    type: [...CSV_TYPES, ...DOCUMENT_TYPES.filter(t => !CSV_TYPES.includes(t))],
    limit: MAX_REGISTRY_IMPORT_BYTES,
  });

  router.post('/import/:registry', textBody, async (req, res) => {
    const { registry } = guards.parse(
      registryImportParamsSchema,
      req.params,
      'path',
    );
    const query = guards.query(registryImportQuerySchema, req);
    const credentials = await guards.caller(req);
    // the organisation-wide registries need their own permission; the per-entity ones check theirs on the entity
    if (
      registry === 'slos' ||
      registry === 'burn-rate-alerts' ||
      registry === SLO_DOCUMENTS_REGISTRY
    )
      await guards.authorize(
        credentials,
        reliabilityRegistryImportPermission,
        deps.refusedHint,
      );
    const dryRun = query.dryRun === 'true';
    const audit = {
      eventId: 'registry-import',
      severityLevel: dryRun ? 'low' : 'medium',
      request: req,
      meta: { registry, dryRun },
    } as const;

    if (registry === SLO_DOCUMENTS_REGISTRY) {
      const input = documentsBody(req);
      res.json(
        await guards.audited(audit, async () => ({
          result: await imports.importSloDocuments(
            input,
            { entityRef: query.entityRef, dryRun },
            credentials,
          ),
        })),
      );
      return;
    }

    if (typeof req.body !== 'string' || !req.is(CSV_TYPES))
      throw new InputError(
        'Invalid body: send the registry as CSV with Content-Type: text/csv',
      );
    const text = req.body;
    res.json(
      await guards.audited(audit, async () => ({
        result: await imports.import(
          registry,
          text,
          { entityRef: query.entityRef, dryRun },
          credentials,
        ),
      })),
    );
  });
}
