import { z } from 'zod';
import {
  alertmanagerAlertsQuerySchema,
  alertsQuerySchema,
} from '../alerts/api';
import { alertmanagerWebhookSchema } from '../alerts/api';
import {
  capacityListQuerySchema,
  capacityRunRequestSchema,
} from '../capacity/capacity';
import { changeListQuerySchema, changeRequestSchema } from '../changes/change';
import {
  chaosAbortRequestSchema,
  chaosCreateRequestSchema,
  chaosExportQuerySchema,
  chaosLintRequestSchema,
  chaosListQuerySchema,
  chaosResultSchema,
  chaosUpdateRequestSchema,
  chaosVersionsQuerySchema,
} from '../chaos/experiment';
import {
  chaosRunIncidentLinkSchema,
  chaosRunsQuerySchema,
} from '../chaos/runs';
import { sloCorrectionCreateSchema } from '../corrections/corrections';
import {
  deliveryAlertKeySchema,
  deliveryPageSchema,
  deliveryQuerySchema,
  deliveryTargetsPageSchema,
  deliveryTargetsQuerySchema,
} from '../delivery/api';
import {
  drillCreateRequestSchema,
  drillEntityQuerySchema,
  drillListQuerySchema,
} from '../drills/drill';
import {
  deployGateQuerySchema,
  flaggerWebhookSchema,
  gateOverrideCreateSchema,
  gateOverridesQuerySchema,
} from '../gates/gates';
import {
  registryImportParamsSchema,
  registryImportQuerySchema,
} from '../imports/registry';
import {
  actionItemPatchSchema,
  closeIncidentSchema,
  declareIncidentSchema,
  incidentLinkSchema,
  incidentRolesSchema,
  incidentsQuerySchema,
  mttrQuerySchema,
  patchIncidentSchema,
  statusUpdateSchema,
  timelineEntrySchema,
} from '../incidents/incident';
import { sloBacktestRequestSchema } from '../math/backtest';
import { pageQuerySchema } from '../model/pagination';
import { entityRefParam } from '../model/params';
import { SLO_EXPORT_FORMATS } from '../openslo/formats/formats';
import { overviewQuerySchema } from '../overview/overview';
import { readinessQuerySchema } from '../readiness/readiness';
import {
  remediationsQuerySchema,
  runRemediationSchema,
} from '../remediation/types';
import { runbookSaveSchema } from '../runbooks/api';
import { secretsQuerySchema } from '../secrets/hygiene';
import {
  MAX_EVENTS_PER_BATCH,
  historyQuerySchema,
  listQuerySchema,
  sliEventBatchSchema,
  sliValueSchema,
} from '../slos/api';
import {
  syntheticEntityQuerySchema,
  syntheticJourneyKeySchema,
  syntheticJourneyRequestSchema,
  syntheticListQuerySchema,
  syntheticRunsQuerySchema,
  syntheticSeriesQuerySchema,
} from '../synthetics/api';
import { webhookReceiptsQuerySchema } from '../webhooks/api';
import { pagerDutyWebhookSchema } from '../webhooks/pagerduty';

/**
 * The contract of the reliability REST API: every route the backend registers, with the zod schemas it parses
 * (path parameters, query, body) and what it answers. The OpenAPI 3.1 document
 * (`plugins/reliability-backend/src/openapi/openapi.json`, served at `GET /api/reliability/openapi.json`) is
 * generated from this list, and the backend's tests hold the list, the route files and the document together.
 */

/** @public */
export type ReliabilityRouteMethod =
  | 'get'
  | 'post'
  | 'put'
  | 'patch'
  | 'delete';

/**
 * Who may call a route: `read` (a user or service with `reliability.slo.read`), `user` (a signed-in user),
 * `caller` (a user or a service; the route checks its own permission), `self` (no Backstage token: the route
 * authenticates the caller itself, with a shared secret, a token or a signature), `public` (no credentials).
 * @public
 */
export type ReliabilityRouteAuth =
  | 'read'
  | 'user'
  | 'caller'
  | 'self'
  | 'public';

/** One answer of a route. @public */
export interface ReliabilityRouteResponse {
  description: string;
  /** The body's zod schema, when the suite has one; otherwise the body is a described object (or `contentType` text). */
  schema?: z.ZodTypeAny;
  /** `application/json` unless given. */
  contentType?: string;
}

/** One route of the API. @public */
export interface ReliabilityRoute {
  method: ReliabilityRouteMethod;
  /** As Express registers it, under `/api/reliability`: `/slos/:namespace/:name`. */
  path: string;
  /** The feature folder it belongs to (the document's tag). */
  feature: string;
  summary: string;
  auth: ReliabilityRouteAuth;
  /** Each path parameter's schema (every `:param` of the path). */
  params?: Record<string, z.ZodTypeAny>;
  query?: z.ZodTypeAny;
  /** The request body's schema (JSON unless `bodyType` says otherwise). */
  body?: z.ZodTypeAny;
  bodyType?: string;
  /** The answers by status; the error statuses the route may give are in `errors`. */
  responses: Record<number, ReliabilityRouteResponse>;
  /** The 4xx/5xx statuses the route may answer, each with Backstage's error body. */
  errors: readonly number[];
}

/**
 * The body of every error answer (Backstage's error handler): the error's name and message, the request's method
 * and URL (without its query), and the status.
 * @public
 */
export const reliabilityErrorBodySchema = z
  .object({
    error: z
      .object({
        name: z.string(),
        message: z.string(),
      })
      .passthrough(),
    request: z.object({ method: z.string(), url: z.string() }).optional(),
    response: z.object({ statusCode: z.number().int() }),
  })
  .passthrough();

/** A path segment of a name (`namespace`, `name`, `kind`): what the router's path checks accept. */
const nameSegment = z.string().regex(/^[a-zA-Z0-9_.-]{1,253}$/);
/** A positive integer of at most `digits` digits, as the router's path checks accept. */
const positiveInt = (digits: number) =>
  z.string().regex(new RegExp(`^[1-9][0-9]{0,${digits - 1}}$`));
const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
const sloParams = { namespace: nameSegment, name: nameSegment };
const entityParams = {
  kind: nameSegment,
  namespace: nameSegment,
  name: nameSegment,
};

/** A page of a list: its items and, while more follow, the next cursor (the items are described, not typed here). */
const page = (what: string) =>
  z
    .object({
      items: z.array(z.unknown()).describe(what),
      nextCursor: z.string().optional(),
    })
    .passthrough();
const described = (what: string) => z.object({}).passthrough().describe(what);

const ok = (description: string, schema?: z.ZodTypeAny) => ({
  200: { description, schema: schema ?? described(description) },
});
const created = (description: string) => ({
  201: { description, schema: described(description) },
});
const text = (description: string, contentType: string) => ({
  200: { description, contentType },
});

/** The errors every route with input and a Backstage token may answer. */
const READ_ERRORS = [400, 401, 403, 404];
const WRITE_ERRORS = [400, 401, 403, 404, 409];

const sliValueBatchSchema = z
  .object({
    values: z.array(sliValueSchema).min(1).max(MAX_EVENTS_PER_BATCH),
  })
  .strict();

/** A change to an incident by a signed-in user: its method, path, summary and body schema. */
const incidentWrite = <
  M extends ReliabilityRouteMethod,
  P extends string,
  B extends z.ZodTypeAny,
>(
  method: M,
  path: P,
  summary: string,
  body: B,
) => ({
  method,
  path,
  feature: 'incidents',
  summary,
  auth: 'user' as const,
  params: { id: positiveInt(16) },
  body,
  responses: ok('The incident'),
  errors: WRITE_ERRORS,
});

/** A step of a chaos experiment's life (no body): approve, start, started. */
const chaosStep = <P extends string, A extends ReliabilityRouteAuth>(
  path: P,
  summary: string,
  auth: A,
) => ({
  method: 'post' as const,
  path,
  feature: 'chaos',
  summary,
  auth,
  params: { id: positiveInt(12) },
  responses: ok('The experiment'),
  errors: WRITE_ERRORS,
});

/** Every route of the reliability API, in the order of the README's REST table. @public */
export const reliabilityRoutes = [
  // health and the contract itself
  {
    method: 'get',
    path: '/health',
    feature: 'health',
    summary: 'Liveness',
    auth: 'public',
    responses: ok(
      'The backend is up',
      z.object({ status: z.literal('ok') }).strict(),
    ),
    errors: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    feature: 'openapi',
    summary: 'This OpenAPI document',
    auth: 'public',
    responses: ok('The OpenAPI 3.1 document of the reliability API'),
    errors: [],
  },
  // SLOs
  {
    method: 'get',
    path: '/slos',
    feature: 'slos',
    summary: 'The SLOs the caller may read, with their status and budget',
    auth: 'read',
    query: listQuerySchema,
    responses: ok('A page of SLOs', page('SLOs with status and budget')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/slos/backtest',
    feature: 'slos',
    summary: "A new SLO's objective replayed over its SLI's history",
    auth: 'read',
    body: sloBacktestRequestSchema,
    responses: ok(
      'The backtest: budget spent and alerts that would have fired',
    ),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/slos/:namespace/:name',
    feature: 'slos',
    summary: 'One SLO with its status and budget',
    auth: 'read',
    params: sloParams,
    responses: ok('The SLO'),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/slos/:namespace/:name/history',
    feature: 'slos',
    summary: "An SLO's SLI and budget over time",
    auth: 'read',
    params: sloParams,
    query: historyQuerySchema,
    responses: ok('The series'),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/slos/:namespace/:name/prometheus-rules',
    feature: 'slos',
    summary: "An SLO's Prometheus recording and alerting rules",
    auth: 'read',
    params: sloParams,
    responses: text('A PrometheusRule file', 'text/yaml'),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/slos/:namespace/:name/export/:format',
    feature: 'slos',
    summary: 'An SLO as OpenSLO v1, a Sloth spec or a Pyrra resource',
    auth: 'read',
    params: { ...sloParams, format: z.enum(SLO_EXPORT_FORMATS) },
    responses: text('The SLO in that format', 'text/yaml'),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/sli-events',
    feature: 'slos',
    summary: 'SLI events (good and total counts); Idempotency-Key honoured',
    auth: 'caller',
    body: sliEventBatchSchema,
    responses: {
      202: {
        description: 'The events accepted',
        schema: z.object({ accepted: z.number().int() }),
      },
    },
    errors: [400, 401, 403, 404, 413, 422],
  },
  {
    method: 'post',
    path: '/sli-values',
    feature: 'slos',
    summary: 'SLI threshold values; Idempotency-Key honoured',
    auth: 'caller',
    body: sliValueBatchSchema,
    responses: {
      202: {
        description: 'The values accepted',
        schema: z.object({ accepted: z.number().int() }),
      },
    },
    errors: [400, 401, 403, 404, 413, 422],
  },
  // corrections
  {
    method: 'get',
    path: '/slos/:namespace/:name/corrections',
    feature: 'corrections',
    summary: "An SLO's corrections (windows excluded from its budget)",
    auth: 'read',
    params: sloParams,
    query: pageQuerySchema,
    responses: ok('A page of corrections', page('corrections')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/slos/:namespace/:name/corrections',
    feature: 'corrections',
    summary: 'Record a correction',
    auth: 'caller',
    params: sloParams,
    body: sloCorrectionCreateSchema,
    responses: created('The correction'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'post',
    path: '/slos/:namespace/:name/corrections/:id/revert',
    feature: 'corrections',
    summary: 'Revert a correction',
    auth: 'caller',
    params: { ...sloParams, id: uuid },
    responses: ok('The reverted correction'),
    errors: WRITE_ERRORS,
  },
  // deploy gate
  {
    method: 'get',
    path: '/gate',
    feature: 'gates',
    summary:
      'Whether a deploy may proceed (format json, argo or status: 423 while closed)',
    auth: 'read',
    query: deployGateQuerySchema,
    responses: {
      ...ok('The gate'),
      423: {
        description: 'format=status: the gate is closed',
        schema: described('The gate, closed'),
      },
    },
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/gate/flagger',
    feature: 'gates',
    summary: "Flagger's webhooks: 200 proceeds, anything else halts",
    auth: 'self',
    body: flaggerWebhookSchema,
    responses: {
      ...ok('The gate is open'),
      423: {
        description: 'The gate is closed',
        schema: described('The gate, closed'),
      },
    },
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/gate/overrides',
    feature: 'gates',
    summary: "The deploy gate's overrides",
    auth: 'read',
    query: gateOverridesQuerySchema,
    responses: ok('A page of overrides', page('overrides')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/gate/overrides',
    feature: 'gates',
    summary:
      'Ship past a closed gate: an audited override with a reason and an expiry',
    auth: 'caller',
    body: gateOverrideCreateSchema,
    responses: created('The override'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'post',
    path: '/gate/overrides/:id/revoke',
    feature: 'gates',
    summary: 'Revoke an override',
    auth: 'caller',
    params: { id: uuid },
    responses: ok('The revoked override'),
    errors: WRITE_ERRORS,
  },
  // alerts
  {
    method: 'get',
    path: '/alerts',
    feature: 'alerts',
    summary: 'Burn-rate alerts',
    auth: 'read',
    query: alertsQuerySchema,
    responses: ok('A page of alerts', page('alerts')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/alertmanager/webhook',
    feature: 'alertmanager',
    summary: "Alertmanager's webhook (Authorization: Bearer <shared secret>)",
    auth: 'self',
    body: alertmanagerWebhookSchema,
    responses: ok('What was received, recorded and remediated'),
    errors: [400, 401, 404, 413],
  },
  {
    method: 'get',
    path: '/alertmanager/alerts',
    feature: 'alertmanager',
    summary: 'Alerts received from Alertmanager',
    auth: 'read',
    query: alertmanagerAlertsQuerySchema,
    responses: ok('A page of alerts', page('Alertmanager alerts')),
    errors: READ_ERRORS,
  },
  // delivery
  {
    method: 'get',
    path: '/delivery',
    feature: 'delivery',
    summary: 'Alert deliveries to pagers and chats',
    auth: 'read',
    query: deliveryQuerySchema,
    responses: ok('A page of deliveries', deliveryPageSchema),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/delivery/alerts/:alertKey/acknowledge',
    feature: 'delivery',
    summary: "Acknowledge an alert's page from the portal",
    auth: 'user',
    params: { alertKey: deliveryAlertKeySchema },
    responses: ok('The acknowledgement'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'get',
    path: '/delivery/targets',
    feature: 'delivery',
    summary: 'The configured delivery targets',
    auth: 'read',
    query: deliveryTargetsQuerySchema,
    responses: ok('A page of targets', deliveryTargetsPageSchema),
    errors: READ_ERRORS,
  },
  // remediation
  {
    method: 'get',
    path: '/remediations',
    feature: 'remediation',
    summary: "An entity's remediation rules, runs and escalations",
    auth: 'read',
    query: remediationsQuerySchema,
    responses: ok('Rules, runs and escalations'),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/remediations/run',
    feature: 'remediation',
    summary: 'Run a remediation now',
    auth: 'user',
    body: runRemediationSchema,
    responses: {
      202: {
        description: 'The execution',
        schema: described('The execution'),
      },
    },
    errors: [...WRITE_ERRORS, 429],
  },
  {
    method: 'get',
    path: '/remediations/prometheus-rules',
    feature: 'remediation',
    summary: "The self-healing loop's own alert rules",
    auth: 'read',
    responses: text('A PrometheusRule file', 'text/yaml'),
    errors: [401, 403],
  },
  {
    method: 'get',
    path: '/remediation/owner-rules',
    feature: 'remediation',
    summary: "The remediation rules an entity's owners wrote",
    auth: 'read',
    query: remediationsQuerySchema,
    responses: ok('The rules', page('owner rules')),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/metrics',
    feature: 'remediation',
    summary:
      'Prometheus metrics (open, or Authorization: Bearer <metrics token>)',
    auth: 'self',
    responses: text('Prometheus text exposition', 'text/plain'),
    errors: [401],
  },
  // secrets
  {
    method: 'get',
    path: '/secrets',
    feature: 'secrets',
    summary: "The configured secrets' hygiene (never their values)",
    auth: 'read',
    query: secretsQuerySchema,
    responses: ok('A page of secrets', page('secrets')),
    errors: READ_ERRORS,
  },
  // runbooks
  {
    method: 'get',
    path: '/runbooks/:kind/:namespace/:name',
    feature: 'runbooks',
    summary: "An entity's runbook",
    auth: 'read',
    params: entityParams,
    responses: ok('The runbook'),
    errors: READ_ERRORS,
  },
  {
    method: 'put',
    path: '/runbooks/:kind/:namespace/:name',
    feature: 'runbooks',
    summary: "Save an entity's runbook (a new version)",
    auth: 'user',
    params: entityParams,
    body: runbookSaveSchema,
    responses: ok('The saved version'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'get',
    path: '/runbooks/:kind/:namespace/:name/versions',
    feature: 'runbooks',
    summary: "A runbook's versions",
    auth: 'read',
    params: entityParams,
    query: pageQuerySchema,
    responses: ok('A page of versions', page('versions')),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/runbooks/:kind/:namespace/:name/versions/:version',
    feature: 'runbooks',
    summary: 'One version of a runbook',
    auth: 'read',
    params: { ...entityParams, version: positiveInt(9) },
    responses: ok('The version'),
    errors: READ_ERRORS,
  },
  // commander
  {
    method: 'get',
    path: '/commander/alerts',
    feature: 'commander',
    summary: "The incident commander's view of firing alerts",
    auth: 'read',
    query: pageQuerySchema,
    responses: ok('A page of alerts', page('alerts')),
    errors: READ_ERRORS,
  },
  // incidents
  {
    method: 'get',
    path: '/incidents',
    feature: 'incidents',
    summary: 'Incidents',
    auth: 'read',
    query: incidentsQuerySchema,
    responses: ok('A page of incidents', page('incidents')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/incidents',
    feature: 'incidents',
    summary: 'Declare an incident',
    auth: 'user',
    body: declareIncidentSchema,
    responses: created('The incident'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'get',
    path: '/incidents/mttr',
    feature: 'incidents',
    summary: 'Mean time to restore, by team or entity',
    auth: 'read',
    query: mttrQuerySchema,
    responses: ok('MTTR', page('MTTR by team or entity')),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/incidents/:id',
    feature: 'incidents',
    summary: 'One incident',
    auth: 'read',
    params: { id: positiveInt(16) },
    responses: ok('The incident'),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/incidents/:id/markdown',
    feature: 'incidents',
    summary: 'An incident as a Markdown postmortem draft',
    auth: 'read',
    params: { id: positiveInt(16) },
    responses: text('Markdown', 'text/markdown'),
    errors: READ_ERRORS,
  },
  incidentWrite(
    'post',
    '/incidents/:id/timeline',
    'Add a timeline entry',
    timelineEntrySchema,
  ),
  incidentWrite(
    'post',
    '/incidents/:id/status',
    'Post a status update',
    statusUpdateSchema,
  ),
  incidentWrite(
    'put',
    '/incidents/:id/roles',
    "Set the incident's roles",
    incidentRolesSchema,
  ),
  incidentWrite(
    'patch',
    '/incidents/:id',
    'Change an incident',
    patchIncidentSchema,
  ),
  incidentWrite(
    'post',
    '/incidents/:id/links',
    'Link an incident to evidence',
    incidentLinkSchema,
  ),
  incidentWrite(
    'post',
    '/incidents/:id/close',
    'Close an incident',
    closeIncidentSchema,
  ),
  {
    method: 'delete',
    path: '/incidents/:id/links/:position',
    feature: 'incidents',
    summary: "Remove an incident's link",
    auth: 'user',
    params: { id: positiveInt(16), position: positiveInt(3) },
    responses: ok('The incident'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'patch',
    path: '/incidents/:id/action-items/:position',
    feature: 'incidents',
    summary: "Change an incident's action item",
    auth: 'user',
    params: { id: positiveInt(16), position: positiveInt(3) },
    body: actionItemPatchSchema,
    responses: ok('The incident'),
    errors: WRITE_ERRORS,
  },
  // chaos
  {
    method: 'post',
    path: '/chaos/lint',
    feature: 'chaos',
    summary: 'Lint a chaos experiment',
    auth: 'read',
    body: chaosLintRequestSchema,
    responses: ok('The findings'),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/chaos',
    feature: 'chaos',
    summary: 'Chaos experiments',
    auth: 'read',
    query: chaosListQuerySchema,
    responses: ok('A page of experiments', page('experiments')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/chaos',
    feature: 'chaos',
    summary: 'Design a chaos experiment',
    auth: 'user',
    body: chaosCreateRequestSchema,
    responses: created('The experiment'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'get',
    path: '/chaos/files',
    feature: 'chaos',
    summary: "An entity's experiments as code, linted",
    auth: 'read',
    query: z.object({ entityRef: entityRefParam }).strict(),
    responses: ok('The files and their findings'),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/chaos/:id',
    feature: 'chaos',
    summary: 'One experiment',
    auth: 'read',
    params: { id: positiveInt(12) },
    responses: ok('The experiment'),
    errors: READ_ERRORS,
  },
  {
    method: 'put',
    path: '/chaos/:id',
    feature: 'chaos',
    summary: 'Change an experiment (a new version)',
    auth: 'user',
    params: { id: positiveInt(12) },
    body: chaosUpdateRequestSchema,
    responses: ok('The experiment'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'get',
    path: '/chaos/:id/versions',
    feature: 'chaos',
    summary: "An experiment's versions",
    auth: 'read',
    params: { id: positiveInt(12) },
    query: chaosVersionsQuerySchema,
    responses: ok('The versions'),
    errors: [...READ_ERRORS, 413],
  },
  {
    method: 'get',
    path: '/chaos/:id/runs',
    feature: 'chaos',
    summary: "An experiment's runs and its next scheduled start",
    auth: 'read',
    params: { id: positiveInt(12) },
    query: chaosRunsQuerySchema,
    responses: ok('A page of runs', page('runs')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/chaos/:id/runs/:runId/incident',
    feature: 'chaos',
    summary: 'Link a chaos run to an incident',
    auth: 'user',
    params: { id: positiveInt(12), runId: positiveInt(12) },
    body: chaosRunIncidentLinkSchema,
    responses: ok('The run'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'get',
    path: '/chaos/:id/export',
    feature: 'chaos',
    summary: 'An experiment as a chaos engine manifest',
    auth: 'read',
    params: { id: positiveInt(12) },
    query: chaosExportQuerySchema,
    responses: {
      200: {
        description: 'The manifest (JSON or YAML by format)',
        contentType: 'application/json, application/yaml',
      },
    },
    errors: READ_ERRORS,
  },
  chaosStep('/chaos/:id/approve', 'Approve an experiment', 'user'),
  chaosStep(
    '/chaos/:id/start',
    'Start an experiment from the portal',
    'caller',
  ),
  chaosStep(
    '/chaos/:id/started',
    'The chaos engine reports that a run started',
    'caller',
  ),
  {
    method: 'post',
    path: '/chaos/:id/abort',
    feature: 'chaos',
    summary: 'Abort a running experiment',
    auth: 'caller',
    params: { id: positiveInt(12) },
    body: chaosAbortRequestSchema,
    responses: ok('The experiment'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'post',
    path: '/chaos/:id/complete',
    feature: 'chaos',
    summary: "The chaos engine reports a run's result",
    auth: 'caller',
    params: { id: positiveInt(12) },
    body: chaosResultSchema,
    responses: ok('The experiment'),
    errors: WRITE_ERRORS,
  },
  // drills
  {
    method: 'get',
    path: '/drills',
    feature: 'drills',
    summary: 'Recovery drills',
    auth: 'read',
    query: drillListQuerySchema,
    responses: ok('A page of drills', page('drills')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/drills',
    feature: 'drills',
    summary: 'Record a drill',
    auth: 'user',
    body: drillCreateRequestSchema,
    responses: created('The drill'),
    errors: WRITE_ERRORS,
  },
  {
    method: 'post',
    path: '/drills/import',
    feature: 'drills',
    summary: "Import an entity's drill log (CSV)",
    auth: 'caller',
    query: drillEntityQuerySchema,
    body: z.string(),
    bodyType: 'text/csv',
    responses: ok('What was imported'),
    errors: [...WRITE_ERRORS, 413],
  },
  {
    method: 'get',
    path: '/drills/export',
    feature: 'drills',
    summary: "An entity's drill log (CSV)",
    auth: 'read',
    query: drillEntityQuerySchema,
    responses: text('CSV', 'text/csv'),
    errors: READ_ERRORS,
  },
  // capacity
  {
    method: 'get',
    path: '/capacity/runs',
    feature: 'capacity',
    summary: 'Load test runs',
    auth: 'read',
    query: capacityListQuerySchema,
    responses: ok('A page of runs', page('load test runs')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/capacity/runs',
    feature: 'capacity',
    summary: 'Record a load test run; Idempotency-Key honoured',
    auth: 'caller',
    body: capacityRunRequestSchema,
    responses: created('The run'),
    errors: [...WRITE_ERRORS, 422],
  },
  // changes
  {
    method: 'get',
    path: '/changes',
    feature: 'changes',
    summary: 'Changes (deploys, flags, config)',
    auth: 'read',
    query: changeListQuerySchema,
    responses: ok('A page of changes', page('changes')),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/changes',
    feature: 'changes',
    summary: 'Record a change; Idempotency-Key honoured',
    auth: 'caller',
    body: changeRequestSchema,
    responses: created('The change'),
    errors: [...WRITE_ERRORS, 422],
  },
  // synthetics
  {
    method: 'get',
    path: '/synthetics',
    feature: 'synthetics',
    summary: "An entity's synthetic journeys",
    auth: 'read',
    query: syntheticListQuerySchema,
    responses: ok('A page of journeys', page('journeys')),
    errors: READ_ERRORS,
  },
  {
    method: 'put',
    path: '/synthetics/journeys',
    feature: 'synthetics',
    summary: 'Create or replace a journey',
    auth: 'caller',
    body: syntheticJourneyRequestSchema,
    responses: {
      ...ok('The journey, replaced'),
      ...created('The journey, created'),
    },
    errors: WRITE_ERRORS,
  },
  {
    method: 'delete',
    path: '/synthetics/journeys',
    feature: 'synthetics',
    summary: 'Delete a journey',
    auth: 'caller',
    query: syntheticJourneyKeySchema,
    responses: { 204: { description: 'Deleted', contentType: '' } },
    errors: WRITE_ERRORS,
  },
  {
    method: 'post',
    path: '/synthetics/import',
    feature: 'synthetics',
    summary: "Import an entity's synthetic registry (CSV)",
    auth: 'caller',
    query: syntheticEntityQuerySchema,
    body: z.string(),
    bodyType: 'text/csv',
    responses: ok('What was imported'),
    errors: [...WRITE_ERRORS, 413],
  },
  {
    method: 'get',
    path: '/synthetics/runs',
    feature: 'synthetics',
    summary: "A journey's runs",
    auth: 'read',
    query: syntheticRunsQuerySchema,
    responses: ok('A page of runs', page('runs')),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/synthetics/series',
    feature: 'synthetics',
    summary: "A journey's success and duration over time",
    auth: 'read',
    query: syntheticSeriesQuerySchema,
    responses: ok('The series'),
    errors: READ_ERRORS,
  },
  {
    method: 'post',
    path: '/synthetics/canary',
    feature: 'synthetics',
    summary: 'The signed webhook canary (HMAC headers, no Backstage token)',
    auth: 'self',
    body: z.string(),
    bodyType: 'application/octet-stream',
    responses: ok('The canary answer, signed'),
    errors: [400, 401, 404, 413],
  },
  {
    method: 'get',
    path: '/synthetics/runs/:id/:what',
    feature: 'synthetics',
    summary: "A run's evidence: its screenshot (PNG) or HAR",
    auth: 'read',
    params: { id: positiveInt(15), what: z.enum(['screenshot', 'har']) },
    query: syntheticEntityQuerySchema,
    responses: {
      200: {
        description: 'The screenshot or the HAR',
        contentType: 'image/png, application/json',
      },
    },
    errors: READ_ERRORS,
  },
  // readiness and the overview
  {
    method: 'get',
    path: '/readiness',
    feature: 'readiness',
    summary: "An entity's production readiness review",
    auth: 'read',
    query: readinessQuerySchema,
    responses: ok('The checklist and its score'),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/overview',
    feature: 'overview',
    summary: 'Every SLO the caller may read, ranked by budget',
    auth: 'read',
    query: overviewQuerySchema,
    responses: ok('A page of ranked SLOs', page('ranked SLOs')),
    errors: READ_ERRORS,
  },
  {
    method: 'get',
    path: '/overview/export',
    feature: 'overview',
    summary: 'The overview as CSV',
    auth: 'read',
    query: overviewQuerySchema,
    responses: text('CSV', 'text/csv'),
    errors: READ_ERRORS,
  },
  // registries
  {
    method: 'post',
    path: '/import/:registry',
    feature: 'imports',
    summary: 'Import a registry (CSV) or SLO documents',
    auth: 'caller',
    params: { registry: registryImportParamsSchema.shape.registry },
    query: registryImportQuerySchema,
    body: z.string(),
    bodyType: 'text/csv',
    responses: ok('What was (or would be) imported'),
    errors: [...WRITE_ERRORS, 413],
  },
  // webhooks
  {
    method: 'post',
    path: '/webhooks/pagerduty',
    feature: 'webhooks',
    summary: "PagerDuty's V3 webhooks (X-PagerDuty-Signature)",
    auth: 'self',
    body: pagerDutyWebhookSchema,
    responses: ok('What was received'),
    errors: [400, 401, 404, 413],
  },
  {
    method: 'post',
    path: '/webhooks/generic/:name',
    feature: 'webhooks',
    summary:
      'A generic signed webhook declared under reliability.webhooks.generic',
    auth: 'self',
    params: { name: z.string().min(1) },
    body: described(
      "The monitor's payload, read with the webhook's JSON pointers",
    ),
    responses: ok('What was received'),
    errors: [400, 401, 404, 413],
  },
  {
    method: 'get',
    path: '/webhooks/receipts',
    feature: 'webhooks',
    summary: 'Webhook deliveries received',
    auth: 'read',
    query: webhookReceiptsQuerySchema,
    responses: ok('A page of receipts', page('receipts')),
    errors: READ_ERRORS,
  },
] as const satisfies readonly ReliabilityRoute[];

/** A route's method and path as the contract names them: `GET /slos/:namespace/:name`. @public */
export type ReliabilityRouteKey = {
  [K in keyof typeof reliabilityRoutes & number]: `${Uppercase<
    (typeof reliabilityRoutes)[K]['method']
  >} ${(typeof reliabilityRoutes)[K]['path']}`;
}[number];

/** The paths of the contract, as Express writes them. @public */
export type ReliabilityRoutePath = (typeof reliabilityRoutes)[number]['path'];

/** The routes by `METHOD /path`. @public */
export type ReliabilityRouteOf<K extends ReliabilityRouteKey> = Extract<
  (typeof reliabilityRoutes)[number],
  {
    method: Lowercase<K extends `${infer M} ${string}` ? M : never>;
    path: K extends `${string} ${infer P}` ? P : never;
  }
>;

/** The query a route takes, as its schema reads it (`never` when it takes none). @public */
export type ReliabilityRouteQuery<K extends ReliabilityRouteKey> =
  ReliabilityRouteOf<K> extends { query: z.ZodTypeAny }
    ? z.input<ReliabilityRouteOf<K>['query']>
    : never;

/** The JSON body a route takes (`never` when it takes none). @public */
export type ReliabilityRouteBody<K extends ReliabilityRouteKey> =
  ReliabilityRouteOf<K> extends { body: z.ZodTypeAny }
    ? z.input<ReliabilityRouteOf<K>['body']>
    : never;

/**
 * An Express path with each `:param` filled by any text: `/slos/:namespace/:name` becomes `/slos/${string}/${string}`.
 * @public
 */
export type ReliabilityFilledPath<P extends string> =
  P extends `${infer A}:${string}/${infer B}`
    ? `${A}${string}/${ReliabilityFilledPath<B>}`
    : P extends `${infer A}:${string}`
    ? `${A}${string}`
    : P;

/**
 * A URL (below `/api/reliability`) of a route of the contract for `method`, with or without a query string: what a
 * client may request. A typed client's `fetch(path: ReliabilityRouteUrl<'GET'>)` does not compile with a path whose
 * fixed part the API does not serve for that method (a filled parameter is any text, slashes included).
 * @public
 */
export type ReliabilityRouteUrl<
  M extends Uppercase<ReliabilityRouteMethod> = Uppercase<ReliabilityRouteMethod>,
> =
  | ReliabilityFilledPath<
      Extract<
        (typeof reliabilityRoutes)[number],
        { method: Lowercase<M> }
      >['path']
    >
  | `${ReliabilityFilledPath<
      Extract<
        (typeof reliabilityRoutes)[number],
        { method: Lowercase<M> }
      >['path']
    >}?${string}`;
