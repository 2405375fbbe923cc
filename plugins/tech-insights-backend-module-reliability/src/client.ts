import type {
  AuthService,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import type {
  CapacityListResponse,
  ChaosExperimentRecord,
  ChaosRunsResponse,
  DrillListResponse,
  GateResponse,
  ReadinessResponse,
  SloSummary,
} from '@reliability-suite/plugin-reliability-common';
import type { ReliabilityEntityData } from './facts';

/** At most this many pages of one list per entity (1,000 items each): a bound, not an expectation. */
const MAX_PAGES = 50;
const PAGE = 1000;
/** The newest runs of an experiment looked at for its last started one. */
const RUNS_LOOKED_AT = 20;

/** An answer of the reliability backend that is not 2xx: its status and the error's message, never the token. */
export class ReliabilityApiError extends Error {
  constructor(readonly status: number, readonly path: string, message: string) {
    super(`GET ${path} answered ${status}: ${message}`);
    this.name = 'ReliabilityApiError';
  }
}

/**
 * Reads the reliability backend's REST API as this plugin (a service token for the `reliability` plugin): the
 * readiness, the SLOs (every page), the gate, the newest drill and load test, and the newest run of the entity's
 * chaos experiments (every page of experiments).
 */
export class ReliabilityReader {
  constructor(
    private readonly o: {
      discovery: DiscoveryService;
      auth: AuthService;
      fetch?: typeof fetch;
    },
  ) {}

  private async get<T>(path: string): Promise<T> {
    const base = await this.o.discovery.getBaseUrl('reliability');
    const { token } = await this.o.auth.getPluginRequestToken({
      onBehalfOf: await this.o.auth.getOwnServiceCredentials(),
      targetPluginId: 'reliability',
    });
    const res = await (this.o.fetch ?? fetch)(`${base}${path}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    });
    if (!res.ok) {
      let message = res.statusText;
      try {
        const body = (await res.json()) as { error?: { message?: string } };
        if (typeof body?.error?.message === 'string')
          message = body.error.message.slice(0, 300);
      } catch {
        // not JSON: the status text says enough
      }
      throw new ReliabilityApiError(res.status, path.split('?')[0], message);
    }
    return (await res.json()) as T;
  }

  /** Every page of a list, following `nextCursor` (bounded). */
  private async all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const body = await this.get<{ items: T[]; nextCursor?: string }>(
        `${path}${sep}limit=${PAGE}${
          cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
        }`,
      );
      items.push(...body.items);
      if (!body.nextCursor) return items;
      cursor = body.nextCursor;
    }
    throw new Error(`GET ${path.split('?')[0]}: more than ${MAX_PAGES} pages`);
  }

  async entity(entityRef: string): Promise<ReliabilityEntityData> {
    const q = `entityRef=${encodeURIComponent(entityRef)}`;
    const [readiness, slos, gate, drills, loadTests, experiments] =
      await Promise.all([
        this.get<ReadinessResponse>(`/readiness?${q}`),
        this.all<SloSummary>(`/slos?${q}`),
        this.get<GateResponse>(`/gate?${q}`),
        this.get<DrillListResponse>(`/drills?${q}&limit=1`),
        this.get<CapacityListResponse>(`/capacity/runs?${q}&limit=1`),
        this.all<ChaosExperimentRecord>(`/chaos?${q}`),
      ]);
    let lastChaosRun: ReliabilityEntityData['lastChaosRun'] = null;
    let lastAt = -Infinity;
    // each experiment's runs are newest first; a scheduled start refused before it began (no startedAt) is no run
    for (const experiment of experiments) {
      const runs = await this.get<ChaosRunsResponse>(
        `/chaos/${experiment.id}/runs?limit=${RUNS_LOOKED_AT}`,
      );
      const run = runs.items.find(r => r.startedAt !== null);
      if (!run) continue;
      const at = Date.parse(run.startedAt!);
      if (Number.isFinite(at) && at > lastAt) {
        lastAt = at;
        lastChaosRun = { experiment, run };
      }
    }
    return {
      readiness,
      slos,
      gate,
      lastDrill: drills.items[0] ?? null,
      lastLoadTest: loadTests.items[0] ?? null,
      lastChaosRun,
    };
  }
}
