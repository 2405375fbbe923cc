import { createApiRef, DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type { BurnRateWindow, HistoryResponse, RemediationExecution, RemediationListResponse, SloListResponse } from '@internal/plugin-reliability-common';

/** What the frontend asks the reliability backend. @public */
export interface ReliabilityApi {
  listSlos(entityRef: string): Promise<SloListResponse>;
  getHistory(ref: string, options?: { window?: BurnRateWindow; points?: number; from?: string; to?: string }): Promise<HistoryResponse>;
  /** The SLO's Prometheus recording and alerting rules (Sloth's shape) as YAML text. */
  getPrometheusRules(ref: string): Promise<string>;
  /** The entity's remediation rules, executions and summary. */
  listRemediations(entityRef: string): Promise<RemediationListResponse>;
  /** Run a rule now (or as a dry run that calls nothing). Needs reliability.remediation.execute on the entity. */
  runRemediation(ruleId: string, options?: { dryRun?: boolean; labels?: Record<string, string> }): Promise<RemediationExecution>;
}

/** @public */
export const reliabilityApiRef = createApiRef<ReliabilityApi>({ id: 'plugin.reliability.service' });

/** Talks to /api/reliability through the app's discovery and authenticated fetch. @public */
export class ReliabilityClient implements ReliabilityApi {
  constructor(private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {}

  private async fetch(path: string, init?: RequestInit): Promise<Response> {
    const base = await this.deps.discoveryApi.getBaseUrl('reliability');
    const res = await this.deps.fetchApi.fetch(`${base}${path}`, init);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res;
  }

  private async get<T>(path: string): Promise<T> {
    return (await (await this.fetch(path)).json()) as T;
  }

  private sloPath(ref: string): string {
    const [namespace, name] = ref.split('/');
    return `/slos/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  }

  async getPrometheusRules(ref: string): Promise<string> {
    return (await this.fetch(`${this.sloPath(ref)}/prometheus-rules`)).text();
  }

  listRemediations(entityRef: string): Promise<RemediationListResponse> {
    return this.get(`/remediations?entityRef=${encodeURIComponent(entityRef)}`);
  }

  async runRemediation(ruleId: string, options: { dryRun?: boolean; labels?: Record<string, string> } = {}): Promise<RemediationExecution> {
    const res = await this.fetch('/remediations/run', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ruleId, ...options }),
    });
    return (await res.json()) as RemediationExecution;
  }

  listSlos(entityRef: string): Promise<SloListResponse> {
    return this.get(`/slos?entityRef=${encodeURIComponent(entityRef)}`);
  }

  getHistory(ref: string, options: { window?: BurnRateWindow; points?: number; from?: string; to?: string } = {}): Promise<HistoryResponse> {
    const q = new URLSearchParams();
    if (options.window) q.set('window', options.window);
    if (options.points) q.set('points', String(options.points));
    if (options.from) q.set('from', options.from);
    if (options.to) q.set('to', options.to);
    const qs = q.toString();
    return this.get(`${this.sloPath(ref)}/history${qs ? `?${qs}` : ''}`);
  }
}
