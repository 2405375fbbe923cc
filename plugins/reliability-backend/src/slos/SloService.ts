import { z } from 'zod';
import { BackstageCredentials, PermissionsService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  GateResponse,
  SliEvent,
  SloListResponse,
  SloSummary,
  alertPolicyOf,
  decodeCursor,
  ruleId,
  describeWindow,
  formatDuration,
  formatIssues,
  historyQuerySchema,
  listQuerySchema,
  pageOf,
  prometheusRuleFile,
  prometheusRuleGroups,
  reliabilityEventsIngestPermission,
  sliEventBatchShellSchema,
  sliEventSchema,
} from '@internal/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { Evaluator } from './Evaluator';
import { ReliabilityStore } from './ReliabilityStore';
import { RegisteredSlo, SloRegistry } from './SloRegistry';

export interface SloServiceOptions {
  store: ReliabilityStore;
  evaluator: Evaluator;
  registry: SloRegistry;
  access: CatalogAccess;
  permissions: PermissionsService;
  /** How old an ingested event may be. */
  maxLatenessMs: number;
  minuteRetentionMs: number;
  /** The launch-freeze gate: budget window and the least budget remaining that still allows launches. */
  gate: { window: string; threshold: number };
  /** The app's base URL, for links in exported alert annotations. */
  appBaseUrl?: string;
  now?: () => number;
}

/** SLOs as callers see them: listing, one SLO, its history and rules, the launch gate, and SLI ingest. */
export class SloService {
  private readonly now: () => number;

  constructor(private readonly o: SloServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  /** `GET /slos`: an entity's SLOs, or every SLO the caller may read; one page. */
  async list(query: z.infer<typeof listQuerySchema>, credentials: BackstageCredentials): Promise<SloListResponse> {
    const slos = await this.readable(query.entityRef ? await this.o.registry.forEntity(query.entityRef.toLocaleLowerCase('en-US')) : await this.o.registry.all(), credentials);
    const page = pageOf(slos, decodeCursor(query.cursor) ?? 0, query.limit ?? 500);
    return { items: await this.summaries(page.items), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** The SLOs whose SLO entity the caller may read in the catalog. */
  private async readable(slos: RegisteredSlo[], credentials: BackstageCredentials): Promise<RegisteredSlo[]> {
    const visible = await this.o.access.visible(slos.map(s => s.entityRef), credentials);
    return slos.filter(s => visible.has(s.entityRef));
  }

  /** One SLO the caller may read: unknown and hidden SLOs are both 404. */
  private async find(namespace: string, name: string, credentials: BackstageCredentials) {
    const slo = await this.o.registry.byRef(`${namespace}/${name}`);
    if (!slo || !(await this.o.access.visible([slo.entityRef], credentials)).has(slo.entityRef)) throw new NotFoundError(`No SLO named ${namespace}/${name}`);
    return slo;
  }

  async get(namespace: string, name: string, credentials: BackstageCredentials): Promise<SloSummary> {
    const [summary] = await this.summaries([await this.find(namespace, name, credentials)]);
    return summary;
  }

  /** The budget and burn-rate series of one SLO; 503 when its SLI source fails. */
  async history(namespace: string, name: string, query: z.infer<typeof historyQuerySchema>, credentials: BackstageCredentials) {
    const slo = await this.find(namespace, name, credentials);
    return this.o.evaluator
      .history(
        slo.def,
        { from: query.from ? Date.parse(query.from) : undefined, to: query.to ? Date.parse(query.to) : undefined, points: query.points, window: query.window },
        this.now(),
      )
      .catch(e => {
        if (e instanceof Error && ['InputError', 'NotFoundError'].includes(e.name)) throw e;
        // the SLI source failed (unreachable Prometheus...): its message is redacted at the source
        throw new ServiceUnavailableError(`The history of ${slo.def.ref} is unavailable: ${e instanceof Error ? e.message : String(e)}`);
      });
  }

  /** The launch-freeze gate for an entity's SLOs. */
  async gate(entityRef: string, credentials: BackstageCredentials): Promise<GateResponse> {
    const slos = await this.readable(await this.o.registry.forEntity(entityRef.toLocaleLowerCase('en-US')), credentials);
    return this.o.evaluator.gate(
      slos.map(s => s.def),
      this.o.gate,
      this.now(),
    );
  }

  /** The SLO's Prometheus rule file: a file name and its YAML. */
  async prometheusRules(namespace: string, name: string, credentials: BackstageCredentials): Promise<{ filename: string; yaml: string }> {
    const { def } = await this.find(namespace, name, credentials);
    const component = parseEntityRef(def.componentRef);
    const entityUrl = this.o.appBaseUrl ? `${this.o.appBaseUrl.replace(/\/$/, '')}/catalog/${component.namespace}/${component.kind}/${component.name}` : undefined;
    const runbookUrl = def.runbook && /^https?:\/\//.test(def.runbook) ? def.runbook : undefined;
    const groups = prometheusRuleGroups(def, { entityUrl, runbookUrl, rules: alertPolicyOf(def).rules });
    if (!groups.ok) throw new InputError(`SLO ${def.ref} cannot be exported as Prometheus rules: ${groups.error}`);
    return { filename: `${def.namespace}-${def.name}.rules.yaml`, yaml: prometheusRuleFile(groups.value) };
  }

  /**
   * `POST /sli-events`: validates a batch completely (in slices, so a full batch never holds the event loop),
   * checks the ingest permission once per measured entity, then stores it in one transaction: all of it or none.
   */
  async ingest(rawBody: unknown, credentials: BackstageCredentials): Promise<number> {
    const shell = sliEventBatchShellSchema.safeParse(rawBody);
    if (!shell.success) throw new InputError(`Invalid body: ${formatIssues(shell.error)}`);
    const events: SliEvent[] = [];
    for (let start = 0; start < shell.data.events.length; start += 500) {
      if (start > 0) await new Promise(resolve => setImmediate(resolve));
      for (let i = start; i < Math.min(start + 500, shell.data.events.length); i++) {
        const r = sliEventSchema.safeParse(shell.data.events[i]);
        if (!r.success) throw new InputError(`Invalid body: ${formatIssues(new z.ZodError(r.error.issues.map(issue => ({ ...issue, path: ['events', i, ...issue.path] }))))}`);
        events.push(r.data);
      }
    }
    const t = this.now();
    const oldest = t - this.o.maxLatenessMs;
    const newest = t + 5 * 60_000;
    events.forEach((e, i) => {
      const ts = Date.parse(e.timestamp);
      if (ts < oldest) {
        throw new InputError(`Invalid body: events.${i}.timestamp: is older than the accepted lateness (${Math.round(this.o.maxLatenessMs / 3_600_000)}h)`);
      }
      if (ts > newest) throw new InputError(`Invalid body: events.${i}.timestamp: is more than 5 minutes in the future`);
    });
    // every SLO of the batch in one registry query per 500 refs
    const known = await this.o.registry.byRefs([...new Set(events.map(e => e.slo))]);
    const unknownIndex = events.findIndex(e => !known.has(e.slo));
    if (unknownIndex >= 0) throw new NotFoundError(`events.${unknownIndex}.slo: no SLO named ${events[unknownIndex].slo}`);
    // one decision per measured entity: owners may ingest for their entities' SLOs only
    const entities = [...new Set([...known.values()].map(s => s.def.componentRef))];
    const decisions = await this.o.permissions.authorize(entities.map(resourceRef => ({ permission: reliabilityEventsIngestPermission, resourceRef })), { credentials });
    const denied = entities.filter((_, i) => decisions[i].result !== AuthorizeResult.ALLOW);
    if (denied.length) {
      const i = events.findIndex(e => denied.includes(known.get(e.slo)!.def.componentRef));
      throw new NotAllowedError(`events.${i}.slo: missing permission ${reliabilityEventsIngestPermission.name} on ${denied[0]}: only its owners and services may report its SLIs`);
    }
    await this.o.store.addCounts(
      events.map(e => ({ sloRef: e.slo, timestamp: Date.parse(e.timestamp), good: e.good, total: e.total })),
      t - this.o.minuteRetentionMs,
    );
    return events.length;
  }

  /** Summaries with the stored status; an SLO the evaluation task has not evaluated yet has none (`null`). */
  private async summaries(slos: RegisteredSlo[]): Promise<SloSummary[]> {
    const statuses = await this.o.store.getStatuses(slos.map(s => s.def.ref));
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
      alertPolicy: (p => ({ source: p.source, rules: p.rules.map(ruleId), noData: p.noData, ...(p.targets ? { targets: p.targets } : {}) }))(alertPolicyOf(def)),
      labels: def.labels,
      status: statuses.get(def.ref) ?? null,
    }));
  }
}
