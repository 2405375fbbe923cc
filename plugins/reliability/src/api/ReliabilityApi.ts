import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  ReliabilityRouteUrl,
  RegistryImportResult,
  RegistryName,
  BurnRateWindow,
  ChaosExperimentRecord,
  ChaosExportFormat,
  ChaosFilesResponse,
  ChaosRunsResponse,
  CapacityListResponse,
  ChangeListResponse,
  DrillListResponse,
  SyntheticJourneyListResponse,
  ReadinessResponse,
  OverviewResponse,
  SloBacktestResponse,
  SyntheticRunListResponse,
  SyntheticSeriesResponse,
  DrillRecord,
  ChaosLintResult,
  CommanderAlert,
  DeliveryRecord,
  DeliveryState,
  DiffLine,
  FailureMode,
  HistoryResponse,
  Incident,
  IncidentActionItem,
  IncidentRole,
  IncidentLink,
  IncidentStatus,
  MttrGroup,
  MttrResponse,
  RemediationExecution,
  RemediationListResponse,
  RunbookResponse,
  SloListResponse,
  SloCorrection,
  SloCorrectionCreate,
  SloCorrectionListResponse,
  Page,
} from '@reliability-suite/plugin-reliability-common';

/** An entity as the runbook routes address it. @public */
export interface EntityPath {
  kind: string;
  namespace: string;
  name: string;
}

/** @public */
export interface RunbookVersionSummary {
  entityRef: string;
  version: number;
  author: string;
  message: string | null;
  createdAt: string;
}

/** What the frontend asks the reliability backend. @public */
export interface ReliabilityApi {
  listSlos(entityRef: string): Promise<SloListResponse>;
  getHistory(
    ref: string,
    options?: {
      window?: BurnRateWindow;
      points?: number;
      from?: string;
      to?: string;
    },
  ): Promise<HistoryResponse>;
  /** The SLO's Prometheus recording and alerting rules (Sloth's shape) as YAML text. */
  getPrometheusRules(ref: string): Promise<string>;
  /** The SLO's budget corrections, newest first (reverted ones included). */
  listCorrections(ref: string): Promise<SloCorrectionListResponse>;
  /** Excludes a range, or a recurring window, from the SLO's budget. Needs reliability.slo.correct on its entity. */
  createCorrection(
    ref: string,
    body: SloCorrectionCreate,
  ): Promise<SloCorrection>;
  revertCorrection(ref: string, id: string): Promise<SloCorrection>;
  /** The entity's remediation rules, executions and summary. */
  listRemediations(entityRef: string): Promise<RemediationListResponse>;
  /** Run a rule now (or as a dry run that calls nothing). Needs reliability.remediation.execute on the entity. */
  runRemediation(
    ruleId: string,
    options?: { dryRun?: boolean; labels?: Record<string, string> },
  ): Promise<RemediationExecution>;
  getRunbook(entity: EntityPath): Promise<RunbookResponse>;
  saveRunbook(
    entity: EntityPath,
    body: {
      baseVersion: number;
      markdown?: string;
      failureModes: FailureMode[];
      message?: string;
    },
  ): Promise<{ version: number }>;
  listRunbookVersions(
    entity: EntityPath,
  ): Promise<{ items: RunbookVersionSummary[] }>;
  getRunbookVersion(
    entity: EntityPath,
    version: number,
  ): Promise<RunbookVersionSummary & { markdown: string; diff: DiffLine[] }>;
  getCommanderAlerts(): Promise<{ items: CommanderAlert[] }>;
  /** Deliveries of alerts to PagerDuty, Slack, Opsgenie, Teams and webhooks, newest first (GET /delivery). */
  listDeliveries(query?: {
    state?: DeliveryState;
    entityRef?: string;
    limit?: number;
  }): Promise<Page<DeliveryRecord>>;
  /** Acknowledges an alert (POST /delivery/alerts/:alertKey/acknowledge): stops its escalation, tells PagerDuty. */
  acknowledgeAlert?(
    alertKey: string,
  ): Promise<{ alertKey: string; firstAcknowledgement: boolean }>;
  listIncidents(query?: {
    state?: 'active' | 'closed';
    entityRef?: string;
  }): Promise<{ items: Incident[] }>;
  getIncident(id: number): Promise<Incident>;
  declareIncident(body: {
    entityRef: string;
    title: string;
    severity: Incident['severity'];
    trigger?: string;
  }): Promise<Incident>;
  appendTimeline(id: number, text: string): Promise<Incident>;
  updateIncidentStatus(
    id: number,
    status: IncidentStatus,
    text: string,
  ): Promise<Incident>;
  setIncidentRoles(
    id: number,
    roles: Partial<Record<IncidentRole, string>>,
  ): Promise<Incident>;
  closeIncident(
    id: number,
    body: {
      impact: string;
      rootCauses: string[];
      actionItems: IncidentActionItem[];
    },
  ): Promise<Incident>;
  getIncidentMarkdown(id: number): Promise<string>;
  /** The status-update cadence in minutes (PATCH /incidents/:id). */
  setIncidentCadence?(id: number, minutes: number): Promise<Incident>;
  /** Adds a link (a dashboard, logs, a pull request) to the incident. */
  addIncidentLink?(id: number, link: IncidentLink): Promise<Incident>;
  /** Removes the link at `position` (1-based, as listed). */
  removeIncidentLink?(id: number, position: number): Promise<Incident>;
  /** Marks the action item at `position` (1-based) of a closed incident done, or open again. */
  setActionItemDone?(
    id: number,
    position: number,
    done: boolean,
  ): Promise<Incident>;
  /** Mean time to restore per service or per team over the last `days` (GET /incidents/mttr). */
  getIncidentMttr?(query: {
    by: MttrGroup;
    days?: number;
    limit?: number;
    cursor?: string;
  }): Promise<MttrResponse>;
  /** Lints an experiment with the entity's SLOs: every violation, each naming its field. */
  lintChaos(entityRef: string, experiment: unknown): Promise<ChaosLintResult>;
  listChaos(entityRef: string): Promise<{ items: ChaosExperimentRecord[] }>;
  createChaos(
    entityRef: string,
    experiment: unknown,
  ): Promise<ChaosExperimentRecord>;
  approveChaos(id: number): Promise<ChaosExperimentRecord>;
  startChaos(id: number): Promise<ChaosExperimentRecord>;
  /** The kill switch. */
  abortChaos(id: number, reason?: string): Promise<ChaosExperimentRecord>;
  /** An experiment as one engine's file (Litmus, Chaos Mesh, Chaos Toolkit, Istio), with the name the backend gives it. */
  exportChaos(
    id: number,
    format: ChaosExportFormat,
  ): Promise<{ filename: string; content: Blob }>;
  /** The experiment files of the entity's `reliability.io/chaos-experiments` folder, linted. */
  listChaosFiles(entityRef: string): Promise<ChaosFilesResponse>;
  /** An experiment's runs (newest first; refused scheduled starts with why) and its next scheduled start. */
  listChaosRuns(
    id: number,
    options?: { limit?: number; cursor?: string },
  ): Promise<ChaosRunsResponse>;
  listDrills(
    entityRef: string,
    options?: { limit?: number; cursor?: string },
  ): Promise<DrillListResponse>;
  createDrill(entityRef: string, drill: unknown): Promise<DrillRecord>;
  /** Imports a drill log (the drill registry CSV); all of it or none. */
  importDrills(
    entityRef: string,
    csv: string,
  ): Promise<{ added: number; updated: number }>;
  exportDrills(entityRef: string): Promise<string>;
  listCapacityRuns(entityRef: string): Promise<CapacityListResponse>;
  listChanges(
    entityRef: string,
    options?: { from?: string; limit?: number },
  ): Promise<ChangeListResponse>;
  listSynthetics(entityRef: string): Promise<SyntheticJourneyListResponse>;
  getReadiness(entityRef: string): Promise<ReadinessResponse>;
  getOverview(query?: {
    owner?: string;
    system?: string;
    lifecycle?: string;
    limit?: number;
    cursor?: string;
  }): Promise<OverviewResponse>;
  exportOverview(query?: {
    owner?: string;
    system?: string;
    lifecycle?: string;
  }): Promise<string>;
  /** A new SLO's objective replayed over its SLI's history (nothing is created). */
  backtestSlo(body: {
    slo: unknown;
    historyFrom?: string;
    days?: number;
  }): Promise<SloBacktestResponse>;
  /** Imports one of the CSV registries (POST /import/:registry); all of it or none. */
  importRegistry(
    registry: RegistryName,
    csv: string,
    options?: { entityRef?: string; dryRun?: boolean },
  ): Promise<RegistryImportResult>;
  /** Imports the synthetic journey registry (CSV); all of it or none. */
  importSyntheticRegistry(
    entityRef: string,
    csv: string,
  ): Promise<{ added: number; updated: number; withoutSteps: string[] }>;
  listSyntheticRuns(
    entityRef: string,
    options?: { journey?: string; failed?: boolean; limit?: number },
  ): Promise<SyntheticRunListResponse>;
  getSyntheticSeries(
    entityRef: string,
    journey: string,
    range?: '24h' | '7d' | '30d',
  ): Promise<SyntheticSeriesResponse>;
  /** A browser step's screenshot (PNG) or HAR of one run. */
  getSyntheticEvidence(
    entityRef: string,
    runId: number,
    what: 'screenshot' | 'har',
  ): Promise<Blob>;
  /**
   * The value of a promise this client returned, when the read is one it reuses and has already answered; undefined
   * otherwise. Lets the tab draw a reused answer at once instead of after a loading state.
   */
  reused?<T>(promise: Promise<T>): { value: T } | undefined;
}

/** @public */
export const reliabilityApiRef = createApiRef<ReliabilityApi>({
  id: 'plugin.reliability.service',
});

/** Talks to /api/reliability through the app's discovery and authenticated fetch. @public */
export class ReliabilityClient implements ReliabilityApi {
  constructor(
    private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  // every path is one the API serves: ReliabilityRouteUrl is built from -common's route registry, the source of the
  // OpenAPI document, so a path (or a method on it) that the contract does not hold does not compile
  private async fetch(
    path: ReliabilityRouteUrl,
    init?: RequestInit,
    readOnly = false,
  ): Promise<Response> {
    const base = await this.deps.discoveryApi.getBaseUrl('reliability');
    // a change made through this client may change what the tab shows: it is read afresh
    if (!readOnly && init?.method && init.method !== 'GET') this.recent.clear();
    const res = await this.deps.fetchApi.fetch(`${base}${path}`, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res;
  }

  private async get<T>(path: ReliabilityRouteUrl<'GET'>): Promise<T> {
    return (await (await this.fetch(path)).json()) as T;
  }

  /**
   * The Reliability tab's reads (statuses, chart series, changes and every panel's list), reused for RECENT_MS: coming
   * back to the tab draws it at once, without a request. The snapshots change once per evaluation tick (a minute); a
   * change made through this client clears them all. Requests in flight are shared; failures are not kept, so a Retry
   * asks again.
   */
  private recentGet<T>(path: ReliabilityRouteUrl<'GET'>): Promise<T> {
    return this.recently(path, () => this.get<T>(path));
  }

  private recently<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.recent.get(key);
    if (hit && now - hit.at < ReliabilityClient.RECENT_MS)
      return hit.body as Promise<T>;
    const body = load();
    this.recent.set(key, { at: now, body });
    body.then(
      value => this.answered.set(body, { value }),
      () => {
        if (this.recent.get(key)?.body === body) this.recent.delete(key);
      },
    );
    // bounded: the oldest go first
    for (const oldest of this.recent.keys()) {
      if (this.recent.size <= 100) break;
      this.recent.delete(oldest);
    }
    return body;
  }

  reused<T>(promise: Promise<T>): { value: T } | undefined {
    return this.answered.get(promise) as { value: T } | undefined;
  }

  /** The answers of the reused reads, by their promise (dropped with it). */
  private readonly answered = new WeakMap<
    Promise<unknown>,
    { value: unknown }
  >();

  private static readonly RECENT_MS = 15_000;
  private readonly recent = new Map<
    string,
    { at: number; body: Promise<unknown> }
  >();

  private sloPath(ref: string): `/slos/${string}/${string}` {
    const [namespace, name] = ref.split('/');
    return `/slos/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  }

  async getPrometheusRules(ref: string): Promise<string> {
    return (await this.fetch(`${this.sloPath(ref)}/prometheus-rules`)).text();
  }

  listCorrections(ref: string): Promise<SloCorrectionListResponse> {
    return this.get(`${this.sloPath(ref)}/corrections`);
  }

  async createCorrection(
    ref: string,
    body: SloCorrectionCreate,
  ): Promise<SloCorrection> {
    const res = await this.fetch(`${this.sloPath(ref)}/corrections`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return res.json();
  }

  async revertCorrection(ref: string, id: string): Promise<SloCorrection> {
    const res = await this.fetch(
      `${this.sloPath(ref)}/corrections/${encodeURIComponent(id)}/revert`,
      { method: 'POST' },
    );
    return res.json();
  }

  listRemediations(entityRef: string): Promise<RemediationListResponse> {
    return this.recentGet(
      `/remediations?entityRef=${encodeURIComponent(entityRef)}`,
    );
  }

  async runRemediation(
    ruleId: string,
    options: { dryRun?: boolean; labels?: Record<string, string> } = {},
  ): Promise<RemediationExecution> {
    const res = await this.fetch('/remediations/run', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ruleId, ...options }),
    });
    return (await res.json()) as RemediationExecution;
  }

  private async send<
    T,
    M extends 'POST' | 'PUT' | 'PATCH' | 'DELETE' =
      | 'POST'
      | 'PUT'
      | 'PATCH'
      | 'DELETE',
  >(
    method: M,
    path: ReliabilityRouteUrl<M>,
    body: unknown,
    readOnly = false,
  ): Promise<T> {
    const res = await this.fetch(
      path,
      {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      readOnly,
    );
    return (await res.json()) as T;
  }

  /** A check, not a change: it leaves the tab's reads in place, and the same form's answer is reused. */
  lintChaos(entityRef: string, experiment: unknown): Promise<ChaosLintResult> {
    const body = { entityRef, experiment };
    return this.recently(`POST /chaos/lint ${JSON.stringify(body)}`, () =>
      this.send<ChaosLintResult>('POST', '/chaos/lint', body, true),
    );
  }

  listChaos(entityRef: string): Promise<{ items: ChaosExperimentRecord[] }> {
    return this.recentGet(`/chaos?entityRef=${encodeURIComponent(entityRef)}`);
  }

  createChaos(
    entityRef: string,
    experiment: unknown,
  ): Promise<ChaosExperimentRecord> {
    return this.send('POST', '/chaos', { entityRef, experiment });
  }

  approveChaos(id: number): Promise<ChaosExperimentRecord> {
    return this.send('POST', `/chaos/${id}/approve`, {});
  }

  startChaos(id: number): Promise<ChaosExperimentRecord> {
    return this.send('POST', `/chaos/${id}/start`, {});
  }

  abortChaos(
    id: number,
    reason = 'kill switch',
  ): Promise<ChaosExperimentRecord> {
    return this.send('POST', `/chaos/${id}/abort`, { reason });
  }

  async exportChaos(
    id: number,
    format: ChaosExportFormat,
  ): Promise<{ filename: string; content: Blob }> {
    const res = await this.fetch(`/chaos/${id}/export?format=${format}`);
    return {
      filename:
        attachmentName(res.headers.get('content-disposition')) ??
        `chaos-${id}-${format}`,
      content: await res.blob(),
    };
  }

  listChaosFiles(entityRef: string): Promise<ChaosFilesResponse> {
    return this.recentGet(
      `/chaos/files?entityRef=${encodeURIComponent(entityRef)}`,
    );
  }

  listChaosRuns(
    id: number,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ChaosRunsResponse> {
    const q = new URLSearchParams();
    if (options.limit) q.set('limit', String(options.limit));
    if (options.cursor) q.set('cursor', options.cursor);
    const query = q.toString();
    return this.recentGet(`/chaos/${id}/runs${query ? `?${query}` : ''}`);
  }

  listDrills(
    entityRef: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<DrillListResponse> {
    const q = new URLSearchParams({ entityRef });
    if (options.limit) q.set('limit', String(options.limit));
    if (options.cursor) q.set('cursor', options.cursor);
    return this.recentGet(`/drills?${q}`);
  }

  createDrill(entityRef: string, drill: unknown): Promise<DrillRecord> {
    return this.send('POST', '/drills', { entityRef, drill });
  }

  async importDrills(
    entityRef: string,
    csv: string,
  ): Promise<{ added: number; updated: number }> {
    const res = await this.fetch(
      `/drills/import?entityRef=${encodeURIComponent(entityRef)}`,
      { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv },
    );
    return (await res.json()) as { added: number; updated: number };
  }

  listChanges(
    entityRef: string,
    options: { from?: string; limit?: number } = {},
  ): Promise<ChangeListResponse> {
    const q = new URLSearchParams({
      entityRef,
      limit: String(options.limit ?? 100),
    });
    if (options.from) q.set('from', options.from);
    return this.recentGet(`/changes?${q}`);
  }

  listCapacityRuns(entityRef: string): Promise<CapacityListResponse> {
    return this.recentGet(
      `/capacity/runs?entityRef=${encodeURIComponent(entityRef)}&limit=100`,
    );
  }

  private overviewQuery(
    query: Record<string, string | number | undefined>,
  ): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== '') q.set(k, String(v));
    return q.toString();
  }

  getOverview(
    query: {
      owner?: string;
      system?: string;
      lifecycle?: string;
      limit?: number;
      cursor?: string;
    } = {},
  ): Promise<OverviewResponse> {
    return this.get(`/overview?${this.overviewQuery(query)}`);
  }

  async exportOverview(
    query: { owner?: string; system?: string; lifecycle?: string } = {},
  ): Promise<string> {
    return (
      await this.fetch(`/overview/export?${this.overviewQuery(query)}`)
    ).text();
  }

  backtestSlo(body: {
    slo: unknown;
    historyFrom?: string;
    days?: number;
  }): Promise<SloBacktestResponse> {
    return this.send('POST', '/slos/backtest', body);
  }

  getReadiness(entityRef: string): Promise<ReadinessResponse> {
    return this.recentGet(
      `/readiness?entityRef=${encodeURIComponent(entityRef)}`,
    );
  }

  listSynthetics(entityRef: string): Promise<SyntheticJourneyListResponse> {
    return this.recentGet(
      `/synthetics?entityRef=${encodeURIComponent(entityRef)}&limit=100`,
    );
  }

  async importRegistry(
    registry: RegistryName,
    csv: string,
    options: { entityRef?: string; dryRun?: boolean } = {},
  ): Promise<RegistryImportResult> {
    const q = new URLSearchParams();
    if (options.entityRef) q.set('entityRef', options.entityRef);
    if (options.dryRun) q.set('dryRun', 'true');
    const res = await this.fetch(
      `/import/${encodeURIComponent(registry)}?${q}`,
      { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv },
    );
    return (await res.json()) as RegistryImportResult;
  }

  async importSyntheticRegistry(
    entityRef: string,
    csv: string,
  ): Promise<{ added: number; updated: number; withoutSteps: string[] }> {
    const res = await this.fetch(
      `/synthetics/import?entityRef=${encodeURIComponent(entityRef)}`,
      { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv },
    );
    return (await res.json()) as {
      added: number;
      updated: number;
      withoutSteps: string[];
    };
  }

  listSyntheticRuns(
    entityRef: string,
    options: { journey?: string; failed?: boolean; limit?: number } = {},
  ): Promise<SyntheticRunListResponse> {
    const q = new URLSearchParams({
      entityRef,
      limit: String(options.limit ?? 20),
    });
    if (options.journey) q.set('journey', options.journey);
    if (options.failed !== undefined) q.set('failed', String(options.failed));
    return this.recentGet(`/synthetics/runs?${q}`);
  }

  getSyntheticSeries(
    entityRef: string,
    journey: string,
    range: '24h' | '7d' | '30d' = '24h',
  ): Promise<SyntheticSeriesResponse> {
    return this.recentGet(
      `/synthetics/series?${new URLSearchParams({
        entityRef,
        journey,
        range,
      })}`,
    );
  }

  async getSyntheticEvidence(
    entityRef: string,
    runId: number,
    what: 'screenshot' | 'har',
  ): Promise<Blob> {
    return (
      await this.fetch(
        `/synthetics/runs/${runId}/${what}?entityRef=${encodeURIComponent(
          entityRef,
        )}`,
      )
    ).blob();
  }

  async exportDrills(entityRef: string): Promise<string> {
    return (
      await this.fetch(
        `/drills/export?entityRef=${encodeURIComponent(entityRef)}`,
      )
    ).text();
  }

  private runbookPath(
    e: EntityPath,
  ): `/runbooks/${string}/${string}/${string}` {
    return `/runbooks/${encodeURIComponent(e.kind)}/${encodeURIComponent(
      e.namespace,
    )}/${encodeURIComponent(e.name)}`;
  }

  getRunbook(entity: EntityPath): Promise<RunbookResponse> {
    return this.recentGet(this.runbookPath(entity));
  }

  saveRunbook(
    entity: EntityPath,
    body: {
      baseVersion: number;
      markdown?: string;
      failureModes: FailureMode[];
      message?: string;
    },
  ): Promise<{ version: number }> {
    return this.send('PUT', this.runbookPath(entity), body);
  }

  listRunbookVersions(
    entity: EntityPath,
  ): Promise<{ items: RunbookVersionSummary[] }> {
    return this.get(`${this.runbookPath(entity)}/versions`);
  }

  getRunbookVersion(
    entity: EntityPath,
    version: number,
  ): Promise<RunbookVersionSummary & { markdown: string; diff: DiffLine[] }> {
    return this.get(`${this.runbookPath(entity)}/versions/${version}`);
  }

  getCommanderAlerts(): Promise<{ items: CommanderAlert[] }> {
    return this.get('/commander/alerts');
  }

  listDeliveries(
    query: { state?: DeliveryState; entityRef?: string; limit?: number } = {},
  ): Promise<Page<DeliveryRecord>> {
    const q = new URLSearchParams();
    if (query.state) q.set('state', query.state);
    if (query.entityRef) q.set('entityRef', query.entityRef);
    if (query.limit !== undefined) q.set('limit', String(query.limit));
    const qs = q.toString();
    return this.get(qs ? `/delivery?${qs}` : '/delivery');
  }

  acknowledgeAlert(
    alertKey: string,
  ): Promise<{ alertKey: string; firstAcknowledgement: boolean }> {
    return this.send(
      'POST',
      `/delivery/alerts/${encodeURIComponent(alertKey)}/acknowledge`,
      {},
    );
  }

  listIncidents(
    query: { state?: 'active' | 'closed'; entityRef?: string } = {},
  ): Promise<{ items: Incident[] }> {
    const q = new URLSearchParams(
      Object.entries(query).filter(([, v]) => v) as [string, string][],
    ).toString();
    // an entity's incidents are the tab's (reused); the commander's active list is always read afresh
    return query.entityRef && !query.state
      ? this.recentGet(`/incidents?${q}`)
      : this.get(q ? `/incidents?${q}` : '/incidents');
  }

  getIncident(id: number): Promise<Incident> {
    return this.get(`/incidents/${id}`);
  }

  declareIncident(body: {
    entityRef: string;
    title: string;
    severity: Incident['severity'];
    trigger?: string;
  }): Promise<Incident> {
    return this.send('POST', '/incidents', body);
  }

  appendTimeline(id: number, text: string): Promise<Incident> {
    return this.send('POST', `/incidents/${id}/timeline`, { text });
  }

  updateIncidentStatus(
    id: number,
    status: IncidentStatus,
    text: string,
  ): Promise<Incident> {
    return this.send('POST', `/incidents/${id}/status`, { status, text });
  }

  setIncidentRoles(
    id: number,
    roles: Partial<Record<IncidentRole, string>>,
  ): Promise<Incident> {
    return this.send('PUT', `/incidents/${id}/roles`, roles);
  }

  closeIncident(
    id: number,
    body: {
      impact: string;
      rootCauses: string[];
      actionItems: IncidentActionItem[];
    },
  ): Promise<Incident> {
    return this.send('POST', `/incidents/${id}/close`, body);
  }

  async getIncidentMarkdown(id: number): Promise<string> {
    return (await this.fetch(`/incidents/${id}/markdown`)).text();
  }

  setIncidentCadence(id: number, minutes: number): Promise<Incident> {
    return this.send('PATCH', `/incidents/${id}`, {
      updateCadenceMinutes: minutes,
    });
  }

  addIncidentLink(id: number, link: IncidentLink): Promise<Incident> {
    return this.send('POST', `/incidents/${id}/links`, link);
  }

  async removeIncidentLink(id: number, position: number): Promise<Incident> {
    const res = await this.fetch(`/incidents/${id}/links/${position}`, {
      method: 'DELETE',
    });
    return (await res.json()) as Incident;
  }

  setActionItemDone(
    id: number,
    position: number,
    done: boolean,
  ): Promise<Incident> {
    return this.send('PATCH', `/incidents/${id}/action-items/${position}`, {
      done,
    });
  }

  getIncidentMttr(query: {
    by: MttrGroup;
    days?: number;
    limit?: number;
    cursor?: string;
  }): Promise<MttrResponse> {
    const q = new URLSearchParams({ by: query.by });
    if (query.days !== undefined) q.set('days', String(query.days));
    if (query.limit !== undefined) q.set('limit', String(query.limit));
    if (query.cursor) q.set('cursor', query.cursor);
    return this.get(`/incidents/mttr?${q}`);
  }

  listSlos(entityRef: string): Promise<SloListResponse> {
    return this.recentGet(`/slos?entityRef=${encodeURIComponent(entityRef)}`);
  }

  getHistory(
    ref: string,
    options: {
      window?: BurnRateWindow;
      points?: number;
      from?: string;
      to?: string;
    } = {},
  ): Promise<HistoryResponse> {
    const q = new URLSearchParams();
    if (options.window) q.set('window', options.window);
    if (options.points) q.set('points', String(options.points));
    if (options.from) q.set('from', options.from);
    if (options.to) q.set('to', options.to);
    const qs = q.toString();
    return this.recentGet(`${this.sloPath(ref)}/history${qs ? `?${qs}` : ''}`);
  }
}

/** The file name of a `Content-Disposition: attachment; filename="…"` header (read by position, no pattern). */
export function attachmentName(header: string | null): string | undefined {
  if (!header || header.length > 1_000) return undefined;
  const at = header.indexOf('filename="');
  if (at < 0) return undefined;
  const from = at + 'filename="'.length;
  const to = header.indexOf('"', from);
  const name = header.slice(from, to < 0 ? undefined : to);
  return name && !name.includes('/') && !name.includes('\\') ? name : undefined;
}
