import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { AuditorService, HttpAuthService, LoggerService, PermissionsService, BackstageCredentials, BackstageUserPrincipal } from '@backstage/backend-plugin-api';
import { AuthenticationError, InputError, NotAllowedError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { AuthorizeResult, BasicPermission, ResourcePermission } from '@backstage/plugin-permission-common';
import {
  SloListResponse,
  SloSummary,
  SloDefinition,
  alertPolicyOf,
  describeRule,
  describeWindow,
  formatDuration,
  formatIssues,
  alertmanagerWebhookSchema,
  alertsQuerySchema,
  gateQuerySchema,
  historyQuerySchema,
  prometheusRuleFile,
  prometheusRuleGroups,
  listQuerySchema,
  alertmanagerAlertsQuerySchema,
  pageQuerySchema,
  pageOf,
  decodeCursor,
  reliabilityEventsIngestPermission,
  reliabilitySloReadPermission,
  reliabilityRemediationExecutePermission,
  reliabilityRunbookUpdatePermission,
  reliabilityIncidentManagePermission,
  runbookSaveSchema,
  declareIncidentSchema,
  timelineEntrySchema,
  statusUpdateSchema,
  incidentRolesSchema,
  closeIncidentSchema,
  incidentsQuerySchema,
  incidentToMarkdown,
  lineDiff,
  remediationsQuerySchema,
  runRemediationSchema,
  sliEventBatchShellSchema,
  sliEventSchema,
  SliEvent,
} from '@internal/plugin-reliability-common';
import { ReliabilityStore } from '../slos/ReliabilityStore';
import { AlertStore } from '../alerts/AlertStore';
import { AlertmanagerStore } from '../alertmanager/AlertmanagerStore';
import { Evaluator } from '../slos/Evaluator';
import { SloCatalog } from '../slos/SloCatalog';
import { RunbookService } from '../runbooks/RunbookService';
import { IncidentStore } from '../incidents/IncidentStore';
import { CommanderService, alertEntityRef } from '../commander/CommanderService';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { RemediationEngine } from '../remediation/RemediationEngine';
import { PayloadTooLargeError } from './errors';
import { bearerMatches } from './bearer';
import { Redactor } from '../redaction/Redactor';
import { RemediationMetrics, SELFHEAL_ALERT_RULES } from '../remediation/metrics';
import { randomUUID } from 'crypto';

export interface RouterOptions {
  logger: LoggerService;
  httpAuth: HttpAuthService;
  auditor: AuditorService;
  permissions: PermissionsService;
  store: ReliabilityStore;
  alerts: AlertStore;
  alertmanager: AlertmanagerStore;
  /** Shared secret Alertmanager sends as `Authorization: Bearer <secret>`; the receiver is off without it. */
  alertmanagerSecret?: string;
  /** The one redaction step; error messages pass through it before they are answered. */
  redactor?: Redactor;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  evaluator: Evaluator;
  sloCatalog: SloCatalog;
  runbooks: RunbookService;
  incidents: IncidentStore;
  commander: CommanderService;
  remediation: RemediationEngine;
  metrics: RemediationMetrics;
  /** How old an ingested event may be. */
  maxLatenessMs: number;
  minuteRetentionMs: number;
  /** The launch-freeze gate: budget window and the least budget remaining that still allows launches. */
  gate?: { window: string; threshold: number };
  /** The app's base URL, for links in exported alert annotations. */
  appBaseUrl?: string;
  /** Clock, for tests. */
  now?: () => number;
}

function parse<T extends z.ZodTypeAny>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InputError(`Invalid ${what}: ${formatIssues(r.error)}`);
  return r.data;
}

const NAME_RE = /^[a-zA-Z0-9_.-]{1,253}$/;

export async function createRouter(options: RouterOptions): Promise<express.Router> {
  const { httpAuth, permissions, store, evaluator, sloCatalog } = options;
  const now = options.now ?? Date.now;
  const router = Router();
  const json = express.json({ limit: '5mb' });
  // the Alertmanager receiver parses its body only after the shared secret checks out
  router.use((req, res, next) => (req.path === '/alertmanager/webhook' ? next() : json(req, res, next)));

  async function authorize(credentials: BackstageCredentials, permission: BasicPermission) {
    const [decision] = await permissions.authorize([{ permission }], { credentials });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`Missing permission ${permission.name}`);
    }
  }

  /** The caller's credentials, once they may read SLOs (401/403 otherwise). */
  async function canRead(req: express.Request): Promise<BackstageCredentials> {
    const credentials = await httpAuth.credentials(req);
    await authorize(credentials, reliabilitySloReadPermission);
    return credentials;
  }

  /** Whether a resource permission on a catalog entity (owner-conditional in the portal's policy) allows the caller. */
  async function allowedOn(credentials: BackstageCredentials, permission: ResourcePermission<'catalog-entity'>, entityRef: string): Promise<boolean> {
    const [decision] = await permissions.authorize([{ permission, resourceRef: entityRef }], { credentials });
    return decision.result === AuthorizeResult.ALLOW;
  }

  /** Runs `fn` as one audit event: success with the meta `fn` answers, or fail with its error (rethrown). */
  async function audited<T>(
    event: Parameters<AuditorService['createEvent']>[0],
    fn: () => Promise<{ result: T; meta?: Record<string, unknown> }>,
  ): Promise<T> {
    const audit = await options.auditor.createEvent(event);
    try {
      const { result, meta } = await fn();
      await audit.success(meta ? { meta: meta as any } : undefined);
      return result;
    } catch (error) {
      await audit.fail({ error: error as Error });
      throw error;
    }
  }

  async function summaries(slos: { def: SloDefinition; entityRef: string }[]): Promise<SloSummary[]> {
    const statuses = await store.getStatuses(slos.map(s => s.def.ref));
    const missing = slos.filter(s => !statuses.has(s.def.ref)).map(s => s.def);
    if (missing.length) {
      // not evaluated yet (new SLO): evaluate now rather than answer without a status
      const fresh = await evaluator.evaluateAndStore(missing, now());
      for (const [ref, r] of fresh) statuses.set(ref, r.reason ? { ...r.status, reason: r.reason } : r.status);
    }
    return slos.map(({ def, entityRef }) => ({
      ref: def.ref,
      entityRef,
      name: def.name,
      title: def.title,
      description: def.description,
      componentRef: def.componentRef,
      objective: def.target,
      window: formatDuration(def.window.duration),
      windowLabel: describeWindow(def.window),
      runbook: def.runbook,
      sourceType: def.indicator.sourceType,
      alertPolicy: (p => ({ source: p.source, rules: p.rules.map(describeRule), noData: p.noData }))(alertPolicyOf(def)),
      status: statuses.get(def.ref) ?? null,
    }));
  }

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/slos', async (req, res) => {
    const credentials = await canRead(req);
    const query = parse(listQuerySchema, req.query, 'query');
    let slos = query.entityRef ? await sloCatalog.forEntity(query.entityRef.toLocaleLowerCase('en-US'), credentials) : await store.listSlos();
    if (!query.entityRef) {
      // the registry holds every SLO: list only those whose SLO entity the caller may read in the catalog
      const visible = await sloCatalog.visible(slos.map(s => s.entityRef), credentials);
      slos = slos.filter(s => visible.has(s.entityRef));
    }
    const page = pageOf(slos, decodeCursor(query.cursor) ?? 0, query.limit ?? 500);
    const body: SloListResponse = { items: await summaries(page.items), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    res.json(body);
  });

  /** An SLO the caller may read: unknown and hidden SLOs are both 404. */
  async function findSlo(namespace: string, name: string, credentials: BackstageCredentials) {
    if (!NAME_RE.test(namespace) || !NAME_RE.test(name)) {
      throw new InputError('Invalid path: namespace and name must be 1-253 letters, digits, -, _ or .');
    }
    const slo = await sloCatalog.byRef(`${namespace}/${name}`);
    if (!slo || !(await sloCatalog.visible([slo.entityRef], credentials)).has(slo.entityRef)) throw new NotFoundError(`No SLO named ${namespace}/${name}`);
    return slo;
  }

  /** An entity-ref predicate: which of `refs` the caller may read (empty refs always pass). */
  async function visibleAmong(refs: string[], credentials: BackstageCredentials): Promise<(ref: string) => boolean> {
    const visible = await sloCatalog.visible(refs, credentials);
    return ref => !ref || visible.has(ref);
  }

  router.get('/slos/:namespace/:name', async (req, res) => {
    const credentials = await canRead(req);
    const slo = await findSlo(req.params.namespace, req.params.name, credentials);
    const [summary] = await summaries([slo]);
    res.json(summary);
  });

  router.get('/slos/:namespace/:name/history', async (req, res) => {
    const credentials = await canRead(req);
    const query = parse(historyQuerySchema, req.query, 'query');
    const slo = await findSlo(req.params.namespace, req.params.name, credentials);
    const history = await evaluator
      .history(
        slo.def,
        {
          from: query.from ? Date.parse(query.from) : undefined,
          to: query.to ? Date.parse(query.to) : undefined,
          points: query.points,
          window: query.window,
        },
        now(),
      )
      .catch(e => {
        if (e instanceof Error && ['InputError', 'NotFoundError'].includes(e.name)) throw e;
        // the SLI source failed (unreachable Prometheus...): its message is redacted at the source
        throw new ServiceUnavailableError(`The history of ${slo.def.ref} is unavailable: ${e instanceof Error ? e.message : String(e)}`);
      });
    res.json(history);
  });

  router.get('/alerts', async (req, res) => {
    const credentials = await canRead(req);
    const query = parse(alertsQuerySchema, req.query, 'query');
    const sloRefs = query.entityRef ? (await sloCatalog.forEntity(query.entityRef.toLocaleLowerCase('en-US'), credentials)).map(s => s.def.ref) : undefined;
    const states = query.state === 'active' ? ['pending', 'firing'] : query.state ? [query.state] : undefined;
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 200;
    const page = pageOf(await options.alerts.list({ sloRefs, states, limit: limit + 1, offset }), offset, limit, true);
    // an SLO alert belongs to its SLO entity; a remediation escalation to its rule's entity
    const owner = (a: (typeof page.items)[number]) => (a.sloRef.startsWith('remediation:') ? String(a.details?.entityRef ?? '') : `slo:${a.sloRef}`);
    const visible = await visibleAmong(page.items.map(owner), credentials);
    res.json({ ...page, items: page.items.filter(a => visible(owner(a))) });
  });

  router.post('/alertmanager/webhook', async (req, res) => {
    if (!options.alertmanagerSecret) {
      throw new ServiceUnavailableError('The Alertmanager receiver is off: set reliability.alertmanager.sharedSecret');
    }
    if (!bearerMatches(req.headers.authorization, options.alertmanagerSecret)) {
      throw new AuthenticationError('Alertmanager webhook: missing or wrong shared secret (Authorization: Bearer <secret>)');
    }
    await new Promise<void>((resolve, reject) => json(req, res, err => (err ? reject(err) : resolve())));
    // no `request` here: Alertmanager's bearer token is our shared secret, not a Backstage credential
    const body = await audited({ eventId: 'alertmanager-notification', severityLevel: 'medium', meta: { caller: 'alertmanager', ip: req.ip ?? null } }, async () => {
      const payload = parse(alertmanagerWebhookSchema, req.body, 'body');
      const receivedAt = now();
      const result = await options.alertmanager.receive(payload, receivedAt);
      // every firing alert goes to the engine, repeats included: the engine records each (rule, alert) once and
      // counts the repeats, so its history says how many deliveries were deduplicated
      const remediations = [];
      for (const alert of payload.alerts.filter(a => a.status === 'firing')) {
        remediations.push(
          ...(await options.remediation.submit({
            kind: 'alertmanager',
            id: `${alert.fingerprint}|${alert.status}|${Date.parse(alert.startsAt)}`,
            labels: alert.labels,
            annotations: alert.annotations,
            receivedAt,
          })),
        );
      }
      return { result: { ...result, remediations }, meta: { groupKey: payload.groupKey, ...result, remediations: remediations.length } };
    });
    res.json(body);
  });

  router.get('/alertmanager/alerts', async (req, res) => {
    const credentials = await canRead(req);
    const query = parse(alertmanagerAlertsQuerySchema, req.query, 'query');
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 200;
    const page = pageOf(await options.alertmanager.list({ status: query.status, limit: limit + 1, offset }), offset, limit, true);
    // alerts about an entity the caller cannot read are left out; alerts about no entity stay
    const visible = await visibleAmong(page.items.map(a => alertEntityRef(a.labels) ?? ''), credentials);
    res.json({ ...page, items: page.items.filter(a => visible(alertEntityRef(a.labels) ?? '')) });
  });

  router.get('/remediations', async (req, res) => {
    const credentials = await canRead(req);
    const query = parse(remediationsQuerySchema, req.query, 'query');
    const entityRef = query.entityRef?.toLocaleLowerCase('en-US');
    const visible = await visibleAmong(entityRef ? [entityRef] : options.remediation.rules.map(r => r.entityRef), credentials);
    if (entityRef && !visible(entityRef)) throw new NotFoundError(`No entity ${entityRef}`);
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const history = await options.remediation.history(entityRef, limit + 1, offset, visible);
    const page = pageOf(history.items, offset, limit, true);
    res.json({ ...history, ...page });
  });

  router.post('/remediations/run', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const body = parse(runRemediationSchema, req.body, 'body');
    const rule = options.remediation.rule(body.ruleId);
    if (!rule) throw new NotFoundError(`ruleId: no remediation rule '${body.ruleId}'`);
    const execution = await audited({ eventId: 'remediation-run-now', severityLevel: 'high', request: req, meta: { ruleId: rule.id, entityRef: rule.entityRef, dryRun: Boolean(body.dryRun) } }, async () => {
      if (!(await allowedOn(credentials, reliabilityRemediationExecutePermission, rule.entityRef))) {
        throw new NotAllowedError(`Missing permission ${reliabilityRemediationExecutePermission.name} on ${rule.entityRef}: only its owners may run its remediations`);
      }
      const [result] = await options.remediation.submit(
      {
        kind: 'manual',
        id: randomUUID(),
        // reserved labels come last: the schema refuses them, and the rule's own values win regardless
        labels: { ...(body.labels ?? {}), entity: rule.entityRef, alertname: 'ManualRun', rule: rule.id },
        annotations: {},
        actor: credentials.principal.userEntityRef,
        receivedAt: now(),
      },
      { onlyRule: rule, dryRun: body.dryRun },
      );
      await options.remediation.settle(result.executionId, 10_000);
      const done = (await options.remediation.execution(result.executionId)) ?? result;
      return { result: done, meta: { executionId: result.executionId, state: done.state } };
    });
    res.status(202).json(execution);
  });

  router.get('/remediations/prometheus-rules', async (req, res) => {
    await canRead(req);
    res.status(200).type('text/yaml').setHeader('Content-Disposition', 'attachment; filename="selfheal.rules.yaml"').send(SELFHEAL_ALERT_RULES);
  });

  router.get('/metrics', async (req, res) => {
    // optionally behind a bearer token, as Prometheus scrapes (scrape_config authorization.credentials)
    if (options.metricsToken && !bearerMatches(req.headers.authorization, options.metricsToken)) {
      throw new AuthenticationError('Metrics: missing or wrong bearer token (reliability.metrics.token)');
    }
    res.status(200).type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  router.get('/runbooks/:kind/:namespace/:name', async (req, res) => {
    const credentials = await canRead(req);
    const { kind, namespace, name } = entityPath(req.params);
    const runbook = await options.runbooks.get(kind, namespace, name, credentials);
    res.json({ ...runbook, canEdit: await allowedOn(credentials, reliabilityRunbookUpdatePermission, runbook.entityRef) });
  });

  function entityPath(params: Record<string, string>) {
    const { kind, namespace, name } = params;
    if (![kind, namespace, name].every(p => NAME_RE.test(p))) {
      throw new InputError('Invalid path: kind, namespace and name must be 1-253 letters, digits, -, _ or .');
    }
    return { kind, namespace, name };
  }

  router.put('/runbooks/:kind/:namespace/:name', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { kind, namespace, name } = entityPath(req.params);
    const body = parse(runbookSaveSchema, req.body, 'body');
    // the permission first, on the ref the path names: an entity that does not exist is denied like one the
    // caller does not own, so a 403 says nothing about existence
    const entityRef = stringifyEntityRef({ kind, namespace, name });
    const saved = await audited({ eventId: 'runbook-save', severityLevel: 'medium', request: req, meta: { entityRef, baseVersion: body.baseVersion } }, async () => {
      if (!(await allowedOn(credentials, reliabilityRunbookUpdatePermission, entityRef))) {
        throw new NotAllowedError(`Missing permission ${reliabilityRunbookUpdatePermission.name} on ${entityRef}: only its owners may edit its runbook`);
      }
      const entity = await options.runbooks.entity(kind, namespace, name, credentials);
      const result = await options.runbooks.save(entity, body, credentials.principal.userEntityRef, now());
      return { result, meta: { version: result.version } };
    });
    res.json({ version: saved.version, author: saved.author, createdAt: saved.createdAt });
  });

  router.get('/runbooks/:kind/:namespace/:name/versions', async (req, res) => {
    const credentials = await canRead(req);
    const { kind, namespace, name } = entityPath(req.params);
    const query = parse(pageQuerySchema, req.query, 'query');
    const entity = await options.runbooks.entity(kind, namespace, name, credentials);
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    res.json(pageOf(await options.runbooks.versions(stringifyEntityRef(entity), { limit: limit + 1, offset }), offset, limit, true));
  });

  router.get('/runbooks/:kind/:namespace/:name/versions/:version', async (req, res) => {
    const credentials = await canRead(req);
    const { kind, namespace, name } = entityPath(req.params);
    if (!/^[1-9][0-9]{0,8}$/.test(req.params.version)) throw new InputError('version: must be a positive integer');
    const entityRef = stringifyEntityRef(await options.runbooks.entity(kind, namespace, name, credentials));
    const version = Number(req.params.version);
    const [current, previous] = await Promise.all([options.runbooks.version(entityRef, version), options.runbooks.version(entityRef, version - 1)]);
    if (!current) throw new NotFoundError(`${entityRef} has no runbook version ${version}`);
    const diff = lineDiff(previous?.markdown ?? '', current.markdown);
    if (!diff.ok) throw new PayloadTooLargeError(diff.error);
    res.json({ ...current, diff: diff.value });
  });

  router.get('/commander/alerts', async (req, res) => {
    const credentials = await canRead(req);
    const query = parse(pageQuerySchema, req.query, 'query');
    res.json(pageOf(await options.commander.alerts(now(), credentials), decodeCursor(query.cursor) ?? 0, query.limit ?? 500));
  });

  function incidentId(raw: string): number {
    if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw new InputError('id: must be a positive integer');
    return Number(raw);
  }

  async function incidentAction(req: express.Request, eventId: string, fn: (author: string, credentials: BackstageCredentials<BackstageUserPrincipal>) => Promise<unknown>, id?: string) {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    await authorize(credentials, reliabilityIncidentManagePermission);
    if (id !== undefined) await findIncident(id, credentials);
    return audited({ eventId, severityLevel: 'medium', request: req }, async () => ({ result: await fn(credentials.principal.userEntityRef, credentials) }));
  }

  router.get('/incidents', async (req, res) => {
    const credentials = await canRead(req);
    const query = parse(incidentsQuerySchema, req.query, 'query');
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 200;
    const rows = await options.incidents.list({ state: query.state, entityRef: query.entityRef?.toLocaleLowerCase('en-US'), limit: limit + 1, offset });
    const page = pageOf(rows, offset, limit, true);
    const visible = await visibleAmong(page.items.map(i => i.entityRef), credentials);
    res.json({ ...page, items: page.items.filter(i => visible(i.entityRef)) });
  });

  router.post('/incidents', async (req, res) => {
    const body = parse(declareIncidentSchema, req.body, 'body');
    const entityRef = body.entityRef.toLocaleLowerCase('en-US');
    const { kind, namespace, name } = parseEntityRef(entityRef);
    // permission first, then existence (as the caller sees the catalog)
    const incident = await incidentAction(req, 'incident-declare', async (author, credentials) => {
      await options.runbooks.entity(kind, namespace, name, credentials);
      return options.incidents.declare({ entityRef, title: body.title, severity: body.severity, roles: body.roles ?? { commander: author }, trigger: body.trigger, author, now: now() });
    });
    res.status(201).json(incident);
  });

  /** An incident whose entity the caller may read: unknown and hidden incidents are both 404. */
  async function findIncident(raw: string, credentials: BackstageCredentials) {
    const incident = await options.incidents.get(incidentId(raw));
    if (!incident || !(await visibleAmong([incident.entityRef], credentials))(incident.entityRef)) throw new NotFoundError(`No incident ${raw}`);
    return incident;
  }

  router.get('/incidents/:id', async (req, res) => {
    const credentials = await canRead(req);
    res.json(await findIncident(req.params.id, credentials));
  });

  router.get('/incidents/:id/markdown', async (req, res) => {
    const credentials = await canRead(req);
    const incident = await findIncident(req.params.id, credentials);
    res.status(200).type('text/markdown').setHeader('Content-Disposition', `attachment; filename="incident-${incident.id}.md"`).send(incidentToMarkdown(incident));
  });

  router.post('/incidents/:id/timeline', async (req, res) => {
    const id = incidentId(req.params.id);
    const body = parse(timelineEntrySchema, req.body, 'body');
    res.json(await incidentAction(req, 'incident-timeline', author => options.incidents.appendTimeline(id, author, body.text, now()), req.params.id));
  });

  router.post('/incidents/:id/status', async (req, res) => {
    const id = incidentId(req.params.id);
    const body = parse(statusUpdateSchema, req.body, 'body');
    res.json(await incidentAction(req, 'incident-status', author => options.incidents.updateStatus(id, author, body.status, body.text, now()), req.params.id));
  });

  router.put('/incidents/:id/roles', async (req, res) => {
    const id = incidentId(req.params.id);
    const body = parse(incidentRolesSchema, req.body, 'body');
    res.json(await incidentAction(req, 'incident-roles', author => options.incidents.setRoles(id, author, body, now()), req.params.id));
  });

  router.post('/incidents/:id/close', async (req, res) => {
    const id = incidentId(req.params.id);
    const body = parse(closeIncidentSchema, req.body, 'body');
    res.json(await incidentAction(req, 'incident-close', author => options.incidents.close(id, author, body, now()), req.params.id));
  });

  router.get('/gate', async (req, res) => {
    const credentials = await canRead(req);
    const query = parse(gateQuerySchema, req.query, 'query');
    const slos = await sloCatalog.forEntity(query.entityRef.toLocaleLowerCase('en-US'), credentials);
    res.json(await evaluator.gate(slos.map(s => s.def), options.gate ?? { window: '7d', threshold: 0.25 }, now()));
  });

  router.get('/slos/:namespace/:name/prometheus-rules', async (req, res) => {
    const credentials = await canRead(req);
    const { def } = await findSlo(req.params.namespace, req.params.name, credentials);
    const [kind, rest] = def.componentRef.split(':');
    const entityUrl = options.appBaseUrl ? `${options.appBaseUrl.replace(/\/$/, '')}/catalog/${rest.split('/')[0]}/${kind}/${rest.split('/')[1]}` : undefined;
    const runbookUrl = def.runbook && /^https?:\/\//.test(def.runbook) ? def.runbook : undefined;
    const groups = prometheusRuleGroups(def, { entityUrl, runbookUrl, rules: alertPolicyOf(def).rules });
    if (!groups.ok) throw new InputError(`SLO ${def.ref} cannot be exported as Prometheus rules: ${groups.error}`);
    res
      .status(200)
      .type('text/yaml')
      .setHeader('Content-Disposition', `attachment; filename="${def.namespace}-${def.name}.rules.yaml"`)
      .send(prometheusRuleFile(groups.value));
  });

  router.post('/sli-events', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    // a caller who may ingest for no entity at all learns nothing about which SLOs exist
    const [overall] = await permissions.authorizeConditional([{ permission: reliabilityEventsIngestPermission }], { credentials });
    if (overall.result === AuthorizeResult.DENY) throw new NotAllowedError(`Missing permission ${reliabilityEventsIngestPermission.name}`);
    const accepted = await audited({ eventId: 'sli-ingest', severityLevel: 'low', request: req }, async () => {
      const n = await ingest(req.body, credentials);
      return { result: n, meta: { accepted: n } };
    });
    res.status(202).json({ accepted });
  });

  /** Validates a batch completely, then stores it in one transaction: all of it or none. */
  async function ingest(rawBody: unknown, credentials: BackstageCredentials): Promise<number> {
    const shell = parse(sliEventBatchShellSchema, rawBody, 'body');
    // each event in slices of 500, yielding between them: validation of a full batch never holds the event loop
    const body: { events: SliEvent[] } = { events: [] };
    for (let start = 0; start < shell.events.length; start += 500) {
      if (start > 0) await new Promise(resolve => setImmediate(resolve));
      for (let i = start; i < Math.min(start + 500, shell.events.length); i++) {
        const r = sliEventSchema.safeParse(shell.events[i]);
        if (!r.success) throw new InputError(`Invalid body: ${formatIssues(new z.ZodError(r.error.issues.map(issue => ({ ...issue, path: ['events', i, ...issue.path] }))))}`);
        body.events.push(r.data);
      }
    }
    const t = now();
    const oldest = t - options.maxLatenessMs;
    const newest = t + 5 * 60_000;
    body.events.forEach((e, i) => {
      const ts = Date.parse(e.timestamp);
      if (ts < oldest) {
        throw new InputError(`Invalid body: events.${i}.timestamp: is older than the accepted lateness (${Math.round(options.maxLatenessMs / 3_600_000)}h)`);
      }
      if (ts > newest) throw new InputError(`Invalid body: events.${i}.timestamp: is more than 5 minutes in the future`);
    });
    // every SLO of the batch in one registry query plus one catalog query for those the registry lacks
    const known = await sloCatalog.byRefs([...new Set(body.events.map(e => e.slo))]);
    const unknownIndex = body.events.findIndex(e => !known.has(e.slo));
    if (unknownIndex >= 0) {
      throw new NotFoundError(`events.${unknownIndex}.slo: no SLO named ${body.events[unknownIndex].slo}`);
    }
    // one decision per measured entity: owners may ingest for their entities' SLOs only
    const entities = [...new Set([...known.values()].map(s => s.def.componentRef))];
    const decisions = await permissions.authorize(entities.map(resourceRef => ({ permission: reliabilityEventsIngestPermission, resourceRef })), { credentials });
    const denied = entities.filter((_, i) => decisions[i].result !== AuthorizeResult.ALLOW);
    if (denied.length) {
      const i = body.events.findIndex(e => denied.includes(known.get(e.slo)!.def.componentRef));
      throw new NotAllowedError(`events.${i}.slo: missing permission ${reliabilityEventsIngestPermission.name} on ${denied[0]}: only its owners and services may report its SLIs`);
    }
    await store.addCounts(
      body.events.map(e => ({ sloRef: e.slo, timestamp: Date.parse(e.timestamp), good: e.good, total: e.total })),
      t - options.minuteRetentionMs,
    );
    return body.events.length;
  }

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
