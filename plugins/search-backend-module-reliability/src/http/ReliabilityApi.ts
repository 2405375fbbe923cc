import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  Incident,
  MAX_PAGE_LIMIT,
  RunbookResponse,
  SloSummary,
} from '@reliability-suite/plugin-reliability-common';

/** How the collators reach the reliability backend. @public */
export interface ReliabilityApiOptions {
  discovery: DiscoveryService;
  auth: AuthService;
  /** Items asked per page of a list (1–1000). Default 500. */
  pageSize?: number;
  /** The fetch to call the backend with. Default: the global fetch. */
  fetchApi?: { fetch: typeof fetch };
}

/** Most pages one list may take: a cursor that never ends stops here (with an error) rather than loop. */
const MAX_PAGES = 100_000;

/**
 * Reads the reliability backend's REST API (`/api/reliability`, found through discovery) with the calling plugin's
 * own service credentials: a service principal reads every SLO, runbook and incident, and search decides per user
 * what they may see (each document names its entity in `authorization.resourceRef`). Every list is read page by
 * page, following `nextCursor` until it is absent.
 * @public
 */
export class ReliabilityApi {
  private readonly pageSize: number;

  constructor(private readonly options: ReliabilityApiOptions) {
    const size = options.pageSize ?? 500;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_LIMIT)
      throw new Error(
        `search.collators.reliability.pageSize must be a whole number from 1 to ${MAX_PAGE_LIMIT}, got ${size}`,
      );
    this.pageSize = size;
  }

  /** Every SLO with its status (`GET /slos`, all pages). */
  slos(): AsyncGenerator<SloSummary> {
    return this.list<SloSummary>('/slos');
  }

  /** Every incident, active and closed (`GET /incidents`, all pages). */
  incidents(): AsyncGenerator<Incident> {
    return this.list<Incident>('/incidents');
  }

  /** An entity's runbook (`GET /runbooks/:kind/:namespace/:name`); undefined when it has none (404). */
  async runbook(entity: {
    kind: string;
    namespace: string;
    name: string;
  }): Promise<RunbookResponse | undefined> {
    const path = `/runbooks/${[entity.kind, entity.namespace, entity.name]
      .map(p => encodeURIComponent(p.toLocaleLowerCase('en-US')))
      .join('/')}`;
    const res = await this.fetch(path);
    if (res.status === 404) return undefined;
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as RunbookResponse;
  }

  /** The items of every page of a list, in order. */
  async *list<T>(path: string): AsyncGenerator<T> {
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const query = new URLSearchParams({ limit: String(this.pageSize) });
      if (cursor) query.set('cursor', cursor);
      const res = await this.fetch(`${path}?${query}`);
      if (!res.ok) throw await ResponseError.fromResponse(res);
      const page = (await res.json()) as { items: T[]; nextCursor?: string };
      yield* page.items;
      if (!page.nextCursor) return;
      if (seen.has(page.nextCursor))
        throw new Error(`GET ${path}: the cursor repeats; stopped reading`);
      seen.add(page.nextCursor);
      cursor = page.nextCursor;
    }
    throw new Error(`GET ${path}: more than ${MAX_PAGES} pages; stopped`);
  }

  private async fetch(path: string): Promise<Response> {
    const { discovery, auth } = this.options;
    const base = await discovery.getBaseUrl('reliability');
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'reliability',
    });
    const call = this.options.fetchApi?.fetch ?? fetch;
    return call(`${base}${path}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
  }
}
