import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  InputError,
  NotFoundError,
} from '@backstage/errors';
import {
  csvErrorsMessage,
  decodeCursor,
  formatIssues,
  hostAllowed,
  pageOf,
  parseSyntheticRegistryCsv,
  parseTemplate,
  reliabilitySyntheticsUpdatePermission,
  SyntheticJourney,
  syntheticJourneyRequestSchema,
  SyntheticJourneyListResponse,
  SyntheticJourneyRecord,
  SyntheticRegionMonitoring,
  syntheticJourneySchema,
  syntheticListQuerySchema,
  SyntheticRunListResponse,
  syntheticSeries,
  syntheticSeriesQuerySchema,
  syntheticSeriesRange,
  SyntheticSeriesResponse,
} from '@reliability-suite/plugin-reliability-common';
import { callerName, EntityAccess } from '../catalog/entityAccess';
import { SyntheticStore } from './SyntheticStore';
import { regionMonitoring } from './regions';
import {
  CANARY_HEADERS,
  CANARY_SKEW_MS,
  canarySignature,
  canarySignatureMatches,
} from './canary';

/** Runs read for one chart: 30 days of a 1-minute journey in a few regions stays well under this. */
const MAX_SERIES_RUNS = 200_000;

export interface SyntheticServiceOptions {
  store: SyntheticStore;
  entities: EntityAccess;
  allowedHosts: string[];
  secretNames: string[];
  /** A `reliability.synthetics.secrets` value by name: the webhook canary's keys. */
  secret?: (name: string) => string | undefined;
  browserEnabled: boolean;
  now?: () => number;
}

/** An entity's synthetic journeys: the registry (one journey, or the registry CSV), runs with evidence, and charts. */
export class SyntheticService {
  private readonly now: () => number;

  constructor(private readonly o: SyntheticServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * What the schema cannot know: hosts written in URLs must be on the allowlist, secrets must be configured, and
   * browser steps must be on. Templated hosts are checked when the journey runs.
   */
  private check(j: SyntheticJourney): void {
    const problems: string[] = [];
    const secretsIn = (template: string, field: string) => {
      for (const p of parseTemplate(template)) {
        if (
          'ref' in p &&
          p.ref.startsWith('secrets.') &&
          !this.o.secretNames.includes(p.ref.slice(8))
        ) {
          problems.push(
            `${field}: {{${p.ref.slice(
              0,
              60,
            )}}} is not in reliability.synthetics.secrets`,
          );
        }
      }
    };
    const host = (h: string, field: string) => {
      if (!h.includes('{{') && !hostAllowed(h, this.o.allowedHosts))
        problems.push(
          `${field}: ${h} is not on reliability.synthetics.allowedHosts`,
        );
    };
    j.steps.forEach((s, i) => {
      const at = `steps.${i}`;
      if (s.type === 'http') {
        secretsIn(s.url, `${at}.url`);
        Object.entries(s.headers).forEach(([k, v]) =>
          secretsIn(v, `${at}.headers.${k}`),
        );
        if (!s.url.includes('{{')) {
          let u: URL | undefined;
          try {
            u = new URL(s.url);
          } catch {
            problems.push(`${at}.url: must be an absolute http(s) URL`);
          }
          if (u && u.protocol !== 'http:' && u.protocol !== 'https:')
            problems.push(`${at}.url: must be an http or https URL`);
          else if (u) host(u.hostname, `${at}.url`);
        }
      } else if (s.type === 'tls') host(s.host, `${at}.host`);
      else if (s.type === 'dns') host(s.hostname, `${at}.hostname`);
      else if (s.type === 'database' || s.type === 'queue') {
        host(s.host, `${at}.host`);
        if (
          s.passwordSecret !== undefined &&
          !this.o.secretNames.includes(s.passwordSecret)
        )
          problems.push(
            `${at}.passwordSecret: ${s.passwordSecret} is not in reliability.synthetics.secrets`,
          );
      } else if (s.type === 'webhook') {
        if (!this.o.secretNames.includes(s.secret))
          problems.push(
            `${at}.secret: ${s.secret} is not in reliability.synthetics.secrets`,
          );
        secretsIn(s.url, `${at}.url`);
        if (!s.url.includes('{{')) {
          let u: URL | undefined;
          try {
            u = new URL(s.url);
          } catch {
            problems.push(`${at}.url: must be an absolute http(s) URL`);
          }
          if (u && u.protocol !== 'http:' && u.protocol !== 'https:')
            problems.push(`${at}.url: must be an http or https URL`);
          else if (u) host(u.hostname, `${at}.url`);
        }
      } else if (s.type === 'browser' && !this.o.browserEnabled)
        problems.push(
          `${at}: browser steps are off here (reliability.synthetics.browser.enabled)`,
        );
    });
    if (problems.length)
      throw new InputError(
        `Invalid journey: ${problems.slice(0, 20).join('; ')}`,
      );
  }

  async list(
    query: z.infer<typeof syntheticListQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<SyntheticJourneyListResponse> {
    const entityRef = query.entityRef.toLocaleLowerCase('en-US');
    await this.o.entities.annotations(entityRef, credentials);
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 100;
    const rows = await this.o.store.list(
      entityRef,
      limit + 1,
      offset,
      query.journey,
    );
    return {
      ...pageOf(await this.withMonitoring(rows), offset, limit, true),
      allowedHosts: this.o.allowedHosts,
      browserEnabled: this.o.browserEnabled,
    };
  }

  /** Whether a live runner watches each region, and why not (chaos starts only in watched regions). */
  async regionMonitoring(
    regions: string[],
  ): Promise<Record<string, SyntheticRegionMonitoring>> {
    return regionMonitoring(regions, await this.o.store.runners(), this.now());
  }

  /** Each journey's regions: monitored by a live runner, or unmonitored and why. */
  private async withMonitoring(
    rows: SyntheticJourneyRecord[],
  ): Promise<SyntheticJourneyRecord[]> {
    if (!rows.length) return rows;
    const presence = await this.o.store.runners();
    const now = this.now();
    return rows.map(r => ({
      ...r,
      monitoring: regionMonitoring(r.regions, presence, now),
    }));
  }

  /** Creates or replaces one journey of the entity. */
  async put(
    body: z.infer<typeof syntheticJourneyRequestSchema>,
    credentials: BackstageCredentials,
  ): Promise<{ created: boolean; journey: SyntheticJourneyRecord }> {
    const entityRef = body.entityRef.toLocaleLowerCase('en-US');
    await this.o.entities.forWrite(
      reliabilitySyntheticsUpdatePermission,
      entityRef,
      credentials,
    );
    const parsed = syntheticJourneySchema.safeParse(body.journey);
    if (!parsed.success)
      throw new InputError(`Invalid journey: ${formatIssues(parsed.error)}`);
    this.check(parsed.data);
    const { added } = await this.o.store.put(
      entityRef,
      parsed.data,
      callerName(credentials),
      this.now(),
    );
    const [journey] = await this.withMonitoring(
      await this.o.store.list(entityRef, 1, 0, parsed.data.name),
    );
    return { created: added, journey };
  }

  /** The journey registry CSV: every row valid or nothing imported, each broken row named by its line. */
  async import(
    entityRef: string,
    text: string,
    credentials: BackstageCredentials,
  ): Promise<{ added: number; updated: number; withoutSteps: string[] }> {
    const ref = entityRef.toLocaleLowerCase('en-US');
    await this.o.entities.forWrite(
      reliabilitySyntheticsUpdatePermission,
      ref,
      credentials,
    );
    const parsed = parseSyntheticRegistryCsv(text);
    if (!parsed.ok)
      throw new InputError(
        `Invalid CSV, nothing imported: ${csvErrorsMessage(parsed.errors)}`,
      );
    if (!parsed.journeys.length)
      throw new InputError(
        'Invalid CSV, nothing imported: no journeys after the header',
      );
    const result = await this.o.store.importRegistry(
      ref,
      parsed.journeys,
      callerName(credentials),
      this.now(),
    );
    // one read of the entity's journeys (the registry holds at most 2,000 rows)
    const imported = new Set(parsed.journeys.map(j => j.name));
    const withoutSteps = (await this.o.store.list(ref, 2_000, 0))
      .filter(j => imported.has(j.name) && !j.steps.length)
      .map(j => j.name);
    return { ...result, withoutSteps };
  }

  async remove(
    entityRef: string,
    name: string,
    credentials: BackstageCredentials,
  ): Promise<void> {
    const ref = entityRef.toLocaleLowerCase('en-US');
    await this.o.entities.forWrite(
      reliabilitySyntheticsUpdatePermission,
      ref,
      credentials,
    );
    if (!(await this.o.store.remove(ref, name)))
      throw new NotFoundError(`${ref} has no journey ${name}`);
  }

  async runs(
    query: {
      entityRef: string;
      journey?: string;
      region?: string;
      failed?: boolean;
      limit?: number;
      cursor?: string;
    },
    credentials: BackstageCredentials,
  ): Promise<SyntheticRunListResponse> {
    const entityRef = query.entityRef.toLocaleLowerCase('en-US');
    await this.o.entities.annotations(entityRef, credentials);
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 50;
    const rows = await this.o.store.runs(
      {
        entityRef,
        journey: query.journey,
        region: query.region,
        failedOnly: query.failed,
      },
      limit + 1,
      offset,
    );
    return pageOf(rows, offset, limit, true);
  }

  /** Success rate and p95 duration per bucket and region. */
  async series(
    query: z.infer<typeof syntheticSeriesQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<SyntheticSeriesResponse> {
    const entityRef = query.entityRef.toLocaleLowerCase('en-US');
    await this.o.entities.annotations(entityRef, credentials);
    const journey = await this.o.store.get(entityRef, query.journey);
    if (!journey)
      throw new NotFoundError(`${entityRef} has no journey ${query.journey}`);
    const { rangeMs, bucketMs } = syntheticSeriesRange(query.range);
    const runs = await this.o.store.outcomes(
      entityRef,
      query.journey,
      this.now() - rangeMs,
      MAX_SERIES_RUNS,
    );
    return {
      journey: query.journey,
      bucketMs,
      deadlineMs: journey.deadlineMs,
      points: syntheticSeries(runs, bucketMs),
    };
  }

  /** A browser step's screenshot (PNG) or HAR (JSON) of one run, while the evidence is kept. */
  async evidence(
    entityRef: string,
    runId: number,
    what: 'screenshot' | 'har',
    credentials: BackstageCredentials,
  ): Promise<Buffer | string> {
    const ref = entityRef.toLocaleLowerCase('en-US');
    await this.o.entities.annotations(ref, credentials);
    const v = await this.o.store.evidence(ref, runId, what);
    if (v === undefined || v === null)
      throw new NotFoundError(
        `Run ${runId} of ${ref} has no ${what} (none taken, or pruned)`,
      );
    return v;
  }

  /**
   * The webhook canary (POST /synthetics/canary, no Backstage token: the signature is the authentication): the body
   * must be signed with HMAC-SHA256 over `<timestamp>.<body>` under the `reliability.synthetics.secrets` entry the key
   * header names, within 5 minutes of now, and carry a nonce; the answer echoes the nonce, signed the same way.
   */
  canary(input: {
    key?: string;
    timestamp?: string;
    signature?: string;
    raw: Buffer;
  }): { body: string; headers: Record<string, string> } {
    for (const [field, v] of [
      [CANARY_HEADERS.key, input.key],
      [CANARY_HEADERS.timestamp, input.timestamp],
      [CANARY_HEADERS.signature, input.signature],
    ] as const)
      if (!v)
        throw new AuthenticationError(
          `${field}: is required (the canary answers signed calls only)`,
        );
    const ts = input.timestamp!;
    if (!/^\d{1,12}$/.test(ts))
      throw new InputError(
        `Invalid header ${CANARY_HEADERS.timestamp}: must be seconds since the epoch`,
      );
    if (Math.abs(Number(ts) * 1000 - this.now()) > CANARY_SKEW_MS)
      throw new AuthenticationError(
        `${CANARY_HEADERS.timestamp}: must be within 5 minutes of the canary's clock`,
      );
    const secret =
      input.key!.length <= 64 ? this.o.secret?.(input.key!) : undefined;
    if (
      !secret ||
      !canarySignatureMatches(input.signature, secret, ts, input.raw)
    )
      throw new AuthenticationError(
        `${CANARY_HEADERS.signature}: does not sign the body under the named key`,
      );
    let nonce: unknown;
    try {
      nonce = (JSON.parse(input.raw.toString('utf8')) as { nonce?: unknown })
        ?.nonce;
    } catch {
      throw new InputError('Invalid body: must be JSON');
    }
    if (typeof nonce !== 'string' || !nonce || nonce.length > 100)
      throw new InputError(
        'Invalid body.nonce: must be text of 1 to 100 characters',
      );
    const answeredAt = String(Math.floor(this.now() / 1000));
    const body = JSON.stringify({
      nonce,
      receivedAt: new Date(this.now()).toISOString(),
    });
    return {
      body,
      headers: {
        [CANARY_HEADERS.timestamp]: answeredAt,
        [CANARY_HEADERS.signature]: canarySignature(secret, answeredAt, body),
      },
    };
  }
}
