import express from 'express';
import Router from 'express-promise-router';
import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { Redactor } from '../redaction/Redactor';
import type { Feature } from './feature';
import { createGuards } from './guards';
import { openApiDocument } from '../openapi/document';

/** What the router serves: the features' routes, behind the guards built from the shared services. */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  permissions: PermissionsService;
  access: CatalogAccess;
  /** The one redaction step; error messages pass through it before they are answered. */
  redactor: Redactor;
  /** The features, in the order their routes are registered. */
  features: Feature[];
}

/**
 * The reliability API: each feature's routes (`<feature>/routes.ts`) on one router, behind a JSON body parser
 * (5 MB; the Alertmanager receiver parses only after its secret checks out), with a 404 for unknown routes and
 * the redaction step on every error answer.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = Router();
  const json = express.json({ limit: '5mb' });
  // the receivers that authenticate the body itself read it after their own checks (webhooks/ and the synthetic
  // canary: the raw bytes)
  router.use((req, res, next) =>
    req.path === '/alertmanager/webhook' ||
    req.path.startsWith('/webhooks/') ||
    req.path === '/synthetics/canary'
      ? next()
      : json(req, res, next),
  );
  // reads revalidate: Express tags every answer with a weak ETag and answers 304 to a matching If-None-Match, and
  // the browser asks again each time (no-cache) instead of guessing; each caller's answers are their own
  router.use((req, res, next) => {
    if (req.method === 'GET') {
      res.setHeader('Cache-Control', 'private, no-cache');
      res.setHeader('Vary', 'Authorization');
    }
    next();
  });
  const guards = createGuards({
    httpAuth: options.httpAuth,
    permissions: options.permissions,
    auditor: options.auditor,
    access: options.access,
  });

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // the API's contract (openapi/openapi.json, generated from -common's route registry): no data, open like /health
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  const context = { guards, json, now: Date.now };
  for (const feature of options.features) feature.routes?.(router, context);

  // anything else: a 404 that says so (the path shortened: it is the caller's own text)
  router.use((req, _res) => {
    const path =
      req.path.length > 100 ? `${req.path.slice(0, 100)}…` : req.path;
    throw new NotFoundError(
      `No route ${req.method} ${path} in the reliability API`,
    );
  });

  // every error message leaves through the redaction step: a configured secret a caller sends (in a path, a query
  // parameter or a body) is not echoed back by a validation message
  router.use(
    (
      err: unknown,
      req: express.Request,
      _res: express.Response,
      next: express.NextFunction,
    ) => {
      const redact = (text: string) => options.redactor.text(text);
      if (err instanceof Error) {
        // body-parser keeps the raw body on its errors, and Backstage would answer it back
        delete (err as { body?: unknown }).body;
        err.message = redact(err.message);
        if (err.stack) err.stack = redact(err.stack);
      }
      // the error body repeats the request URL: without its query, and redacted
      req.url = redact(req.url.split('?')[0]);
      next(err);
    },
  );

  return router;
}
