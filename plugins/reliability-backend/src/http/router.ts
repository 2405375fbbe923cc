import express from 'express';
import Router from 'express-promise-router';
import { AuditorService, HttpAuthService, PermissionsService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { Redactor } from '../redaction/Redactor';
import { SloService } from '../slos/SloService';
import { sloRoutes } from '../slos/routes';
import { AlertService } from '../alerts/AlertService';
import { alertRoutes } from '../alerts/routes';
import { AlertmanagerService } from '../alertmanager/AlertmanagerService';
import { alertmanagerRoutes } from '../alertmanager/routes';
import { RemediationEngine } from '../remediation/RemediationEngine';
import { RemediationMetrics } from '../remediation/metrics';
import { remediationRoutes } from '../remediation/routes';
import { RunbookService } from '../runbooks/RunbookService';
import { runbookRoutes } from '../runbooks/routes';
import { IncidentService } from '../incidents/IncidentService';
import { incidentRoutes } from '../incidents/routes';
import { ChaosService } from '../chaos/ChaosService';
import { chaosRoutes } from '../chaos/routes';
import { ChaosFiles } from '../chaos/ChaosFiles';
import { DrillService } from '../drills/DrillService';
import { drillRoutes } from '../drills/routes';
import { CorrectionService } from '../corrections/CorrectionService';
import { correctionRoutes } from '../corrections/routes';
import { CapacityService } from '../capacity/CapacityService';
import { capacityRoutes } from '../capacity/routes';
import { ChangeService } from '../changes/ChangeService';
import { changeRoutes } from '../changes/routes';
import { SyntheticService } from '../synthetics/SyntheticService';
import { syntheticRoutes } from '../synthetics/routes';
import { ReadinessService } from '../readiness/ReadinessService';
import { BacktestService } from '../slos/BacktestService';
import { OverviewService } from '../overview/OverviewService';
import { overviewRoutes } from '../overview/routes';
import { readinessRoutes } from '../readiness/routes';
import { CommanderService } from '../commander/CommanderService';
import { commanderRoutes } from '../commander/routes';
import { RegistryImportService } from '../imports/RegistryImportService';
import { importRoutes } from '../imports/routes';
import { createGuards } from './guards';

/** What the router serves: one service per feature, plus the shared services its guards need. */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  permissions: PermissionsService;
  access: CatalogAccess;
  slos: SloService;
  alerts: AlertService;
  alertmanager: AlertmanagerService;
  /** Shared secret Alertmanager sends as `Authorization: Bearer <secret>`; the receiver is off without it. */
  alertmanagerSecret?: string;
  remediation: RemediationEngine;
  metrics: RemediationMetrics;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  runbooks: RunbookService;
  incidents: IncidentService;
  chaos: ChaosService;
  chaosFiles: ChaosFiles;
  drills: DrillService;
  /** Budget corrections; absent in tests that do not need them. */
  corrections?: CorrectionService;
  capacity: CapacityService;
  changes: ChangeService;
  /** Absent in tests that do not need synthetics. */
  synthetics?: SyntheticService;
  /** POST /slos/backtest; absent in tests that do not need it. */
  backtests?: BacktestService;
  /** GET /overview; absent in tests that do not need it. */
  overview?: OverviewService;
  /** Absent in tests that do not need the readiness score. */
  readiness?: ReadinessService;
  commander: CommanderService;
  /** POST /import/:registry; absent in tests that do not need it. */
  imports?: RegistryImportService;
  /** The one redaction step; error messages pass through it before they are answered. */
  redactor?: Redactor;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * The reliability API: each feature's routes (`<feature>/routes.ts`) on one router, behind a JSON body parser
 * (5 MB; the Alertmanager receiver parses only after its secret checks out), with a 404 for unknown routes and
 * the redaction step on every error answer.
 */
export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const now = options.now ?? Date.now;
  const router = Router();
  const json = express.json({ limit: '5mb' });
  router.use((req, res, next) => (req.path === '/alertmanager/webhook' ? next() : json(req, res, next)));
  // reads revalidate: Express tags every answer with a weak ETag and answers 304 to a matching If-None-Match, and
  // the browser asks again each time (no-cache) instead of guessing; each caller's answers are their own
  router.use((req, res, next) => {
    if (req.method === 'GET') {
      res.setHeader('Cache-Control', 'private, no-cache');
      res.setHeader('Vary', 'Authorization');
    }
    next();
  });
  const guards = createGuards({ httpAuth: options.httpAuth, permissions: options.permissions, auditor: options.auditor, access: options.access });

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  sloRoutes(router, { guards, slos: options.slos, backtests: options.backtests });
  alertRoutes(router, { guards, alerts: options.alerts });
  alertmanagerRoutes(router, { guards, alertmanager: options.alertmanager, secret: options.alertmanagerSecret, json });
  remediationRoutes(router, { guards, remediation: options.remediation, metrics: options.metrics, metricsToken: options.metricsToken });
  runbookRoutes(router, { guards, runbooks: options.runbooks, now });
  commanderRoutes(router, { guards, commander: options.commander, now });
  incidentRoutes(router, { guards, incidents: options.incidents });
  chaosRoutes(router, { guards, chaos: options.chaos, files: options.chaosFiles });
  drillRoutes(router, { guards, drills: options.drills });
  if (options.corrections) correctionRoutes(router, { guards, corrections: options.corrections });
  capacityRoutes(router, { guards, capacity: options.capacity });
  changeRoutes(router, { guards, changes: options.changes });
  if (options.synthetics) syntheticRoutes(router, { guards, synthetics: options.synthetics });
  if (options.readiness) readinessRoutes(router, { guards, readiness: options.readiness });
  if (options.overview) overviewRoutes(router, { guards, overview: options.overview });
  if (options.imports) importRoutes(router, { guards, imports: options.imports });

  // anything else: a 404 that says so (the path shortened: it is the caller's own text)
  router.use((req, _res) => {
    const path = req.path.length > 100 ? `${req.path.slice(0, 100)}…` : req.path;
    throw new NotFoundError(`No route ${req.method} ${path} in the reliability API`);
  });

  // every error message leaves through the redaction step: a configured secret a caller sends (in a path, a query
  // parameter or a body) is not echoed back by a validation message
  router.use((err: unknown, req: express.Request, _res: express.Response, next: express.NextFunction) => {
    const redact = (text: string) => (options.redactor ?? new Redactor()).text(text);
    if (err instanceof Error) {
      // body-parser keeps the raw body on its errors, and Backstage would answer it back
      delete (err as { body?: unknown }).body;
      err.message = redact(err.message);
      if (err.stack) err.stack = redact(err.stack);
    }
    // the error body repeats the request URL: without its query, and redacted
    req.url = redact(req.url.split('?')[0]);
    next(err);
  });

  return router;
}
