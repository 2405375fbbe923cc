import { promises as fs } from 'fs';
import path from 'path';
import {
  AuthService,
  LoggerService,
  UrlReaderService,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
// eslint-disable-next-line no-restricted-syntax -- an owner's rules file is read by the platform rules' own reader, which takes a Config
import { Config, ConfigReader } from '@backstage/config';
import {
  Entity,
  getEntitySourceLocation,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotModifiedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_REMEDIATION_RULES,
  decodeCursor,
  OwnerRuleRefusal,
  OwnerRulesResponse,
  pageOf,
} from '@reliability-suite/plugin-reliability-common';
import type { RemediationAction } from '@reliability-suite/plugin-reliability-node';
import { parse as parseYaml } from 'yaml';
import { readRemediationRuleConfigs } from '../config/readReliabilityConfig';
import { configDurationMs } from '../config/durations';
import { Redactor } from '../redaction/Redactor';
import { buildRemediationRules, RemediationRule } from './rules';

/**
 * `reliability.remediation.ownerRules`: what the rules an entity's owners write may do. An action is allowed only if
 * its id is in `allowedActions` AND its target is in `allowedTargets` for that action:
 *  - `webhook`: `urlPrefixes` (the rule's `params.url` must start with one of them, compared as parsed URLs: same
 *    origin, path under the prefix's path);
 *  - `feature-flag`: `urlPrefixes` for `params.baseUrl`, and `flags` (optional; when set, `params.flag` must be one);
 *  - `kubernetes`: `namespaces` as `cluster/namespace` (or `cluster/*`) for `params.cluster` and `params.namespace`;
 *  - any other action: allowed by its id alone only if `allowedTargets.<action>.any` is true.
 */
export interface OwnerRulesPolicy {
  enabled: boolean;
  allowedActions: string[];
  allowedTargets: Record<
    string,
    {
      urlPrefixes?: string[];
      flags?: string[];
      namespaces?: string[];
      any?: boolean;
    }
  >;
  maxRulesPerEntity: number;
  refreshIntervalMs: number;
}

export const DEFAULT_OWNER_RULES_POLICY: OwnerRulesPolicy = {
  enabled: true,
  allowedActions: [],
  allowedTargets: {},
  maxRulesPerEntity: 20,
  refreshIntervalMs: 60_000,
};

/** At most this many bytes of a rules file are read. */
export const MAX_OWNER_RULES_FILE_BYTES = 256 * 1024;
/** At most this many annotated entities are loaded (pages of 100). */
const MAX_ENTITIES = 10_000;

/** Reads `reliability.remediation.ownerRules`; a bad value stops the backend at start, naming the key. */
export function readOwnerRulesPolicy(config: Config): OwnerRulesPolicy {
  const key = 'reliability.remediation.ownerRules';
  const c = config.getOptionalConfig(key);
  if (!c) return DEFAULT_OWNER_RULES_POLICY;
  const max = c.getOptionalNumber('maxRulesPerEntity') ?? 20;
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw new Error(
      `${key}.maxRulesPerEntity: must be an integer from 1 to 1000`,
    );
  const interval = c.getOptionalString('refreshInterval') ?? '60s';
  let refreshIntervalMs: number;
  try {
    refreshIntervalMs = configDurationMs(interval);
  } catch {
    refreshIntervalMs = NaN;
  }
  if (!(refreshIntervalMs >= 5_000))
    throw new Error(
      `${key}.refreshInterval: must be a duration of at least 5s, got '${interval}'`,
    );
  const allowedTargets: OwnerRulesPolicy['allowedTargets'] = {};
  const t = c.getOptionalConfig('allowedTargets');
  for (const action of t?.keys() ?? []) {
    const a = t!.getConfig(action);
    const urlPrefixes = a.getOptionalStringArray('urlPrefixes');
    urlPrefixes?.forEach((u, i) => {
      if (!parseHttpUrl(u))
        throw new Error(
          `${key}.allowedTargets.${action}.urlPrefixes[${i}]: must be an http(s) URL`,
        );
    });
    const namespaces = a.getOptionalStringArray('namespaces');
    namespaces?.forEach((n, i) => {
      if (!/^[^/\s]+\/[^/\s]+$/.test(n))
        throw new Error(
          `${key}.allowedTargets.${action}.namespaces[${i}]: must be cluster/namespace or cluster/*, got '${n}'`,
        );
    });
    allowedTargets[action] = {
      urlPrefixes,
      namespaces,
      flags: a.getOptionalStringArray('flags'),
      any: a.getOptionalBoolean('any'),
    };
  }
  return {
    enabled: c.getOptionalBoolean('enabled') ?? true,
    allowedActions: c.getOptionalStringArray('allowedActions') ?? [],
    allowedTargets,
    maxRulesPerEntity: max,
    refreshIntervalMs,
  };
}

function parseHttpUrl(text: unknown): URL | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `url` is under `prefix`: same origin, and its path is the prefix's path or below it. */
function underPrefix(url: unknown, prefix: string): boolean {
  const u = parseHttpUrl(url);
  const p = parseHttpUrl(prefix);
  if (!u || !p || u.origin !== p.origin) return false;
  if (u.username || u.password) return false;
  const base = p.pathname.endsWith('/') ? p.pathname : `${p.pathname}/`;
  return u.pathname === p.pathname || u.pathname.startsWith(base);
}

/** The first policy breach of a rule as written: the field and why, or undefined. */
export function policyBreach(
  action: string,
  params: Record<string, unknown>,
  policy: OwnerRulesPolicy,
): { field: string; message: string } | undefined {
  if (!policy.allowedActions.includes(action))
    return {
      field: 'action',
      message: `action '${action}' is not in reliability.remediation.ownerRules.allowedActions (${
        policy.allowedActions.join(', ') || 'none'
      })`,
    };
  const t = policy.allowedTargets[action] ?? {};
  const where = `reliability.remediation.ownerRules.allowedTargets.${action}`;
  if (action === 'webhook' || action === 'feature-flag') {
    const field = action === 'webhook' ? 'params.url' : 'params.baseUrl';
    const value = action === 'webhook' ? params.url : params.baseUrl;
    if (!(t.urlPrefixes ?? []).some(p => underPrefix(value, p)))
      return {
        field,
        message: `${field} is not under any of ${where}.urlPrefixes`,
      };
    if (
      action === 'feature-flag' &&
      t.flags &&
      !t.flags.includes(String(params.flag))
    )
      return {
        field: 'params.flag',
        message: `params.flag '${params.flag}' is not in ${where}.flags`,
      };
    return undefined;
  }
  if (action === 'kubernetes') {
    const cluster = String(params.cluster);
    const ns = String(params.namespace);
    if (
      !(t.namespaces ?? []).some(
        n => n === `${cluster}/${ns}` || n === `${cluster}/*`,
      )
    )
      return {
        field: 'params.namespace',
        message: `${cluster}/${ns} (params.cluster/params.namespace) is not in ${where}.namespaces`,
      };
    return undefined;
  }
  if (!t.any)
    return {
      field: 'action',
      message: `action '${action}' has no allowed targets (${where}.any is not true)`,
    };
  return undefined;
}

/**
 * Where an entity's rules file is: the annotation as an absolute http(s) URL, or a path relative to the entity's
 * source location, kept inside its directory: a `url:` location (resolved against it, read through the UrlReader),
 * or a `file:` location, as the portal's own catalog files are (`file:<absolute path>`, read from disk as the
 * catalog reads that file). Also where the readiness review finds an entity's resilience file.
 */
export function resolveRulesLocation(
  entity: Entity,
  annotation: string,
  /** The annotation's name, for the messages (the resilience file is found the same way). */
  annotationName: string = ANNOTATION_REMEDIATION_RULES,
): string {
  const absolute = parseHttpUrl(annotation);
  if (absolute) return absolute.toString();
  const source = getEntitySourceLocation(entity);
  if (source.type === 'file') {
    try {
      return `file:${resolveSafeChildPath(
        path.dirname(source.target),
        annotation,
      )}`;
    } catch {
      throw new Error(
        `${annotationName}: '${annotation}' points outside the directory of the entity's catalog file`,
      );
    }
  }
  if (source.type !== 'url')
    throw new Error(
      `${annotationName}: a relative path needs a url: or file: source location, the entity has ${source.type}:`,
    );
  const base = new URL(source.target);
  const resolved = new URL(annotation, base);
  const dir = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1);
  if (resolved.origin !== base.origin || !resolved.pathname.startsWith(dir))
    throw new Error(
      `${annotationName}: '${annotation}' points outside the directory of the entity's catalog file`,
    );
  return resolved.toString();
}

interface EntityState {
  entityRef: string;
  location: string;
  etag?: string;
  loadedAt: string;
  rules: RemediationRule[];
  refusals: OwnerRuleRefusal[];
}

/**
 * The rules entities' owners write (annotation `reliability.io/remediation-rules`): `refresh` lists the annotated
 * entities (paginated catalog query, the plugin's own credentials), reads each file through the UrlReader (unchanged
 * files by etag are not parsed again), checks every rule with the platform rules' own reader and checks
 * (`readRemediationRuleConfigs`, `buildRemediationRules`) and against the policy, and hands the whole set to `apply`
 * at once. Each rule is judged alone: a refused rule is listed (entity, file, index, field) and the others of the
 * file still load; a file that cannot be read or parsed is refused whole. State is in memory: each replica refreshes
 * itself.
 */
export class OwnerRules {
  private states = new Map<string, EntityState>();

  constructor(
    private readonly o: {
      catalog: CatalogService;
      auth: AuthService;
      urlReader: UrlReaderService;
      actions: Map<string, RemediationAction>;
      redactor: Redactor;
      logger: LoggerService;
      policy: OwnerRulesPolicy;
      apply: (rules: RemediationRule[]) => void;
    },
  ) {}

  async refresh(): Promise<void> {
    if (!this.o.policy.enabled) {
      this.states = new Map();
      this.o.apply([]);
      return;
    }
    const credentials = await this.o.auth.getOwnServiceCredentials();
    const entities: Entity[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.o.catalog.queryEntities(
        cursor
          ? { cursor, limit: 100 }
          : {
              query: {
                [`metadata.annotations.${ANNOTATION_REMEDIATION_RULES}`]: {
                  $exists: true,
                },
              },
              fields: ['kind', 'metadata', 'spec.owner'],
              limit: 100,
            },
        { credentials },
      );
      entities.push(...page.items);
      cursor = page.pageInfo.nextCursor;
    } while (cursor && entities.length < MAX_ENTITIES);
    const next = new Map<string, EntityState>();
    for (const entity of entities) {
      const state = await this.load(entity);
      if (state) next.set(state.entityRef, state);
    }
    this.states = next;
    this.o.apply([...next.values()].flatMap(s => s.rules));
  }

  private async load(entity: Entity): Promise<EntityState | undefined> {
    const entityRef = stringifyEntityRef(entity);
    const annotation =
      entity.metadata.annotations?.[ANNOTATION_REMEDIATION_RULES];
    if (!annotation) return undefined;
    const previous = this.states.get(entityRef);
    const refused = (location: string, field: string, message: string) => {
      const r: OwnerRuleRefusal = {
        entityRef,
        location: this.o.redactor.target(location),
        field,
        message: this.o.redactor.text(message),
      };
      this.o.logger.warn(
        `Owner remediation rules of ${entityRef} refused (${r.location}, ${field}): ${r.message}`,
      );
      return {
        entityRef,
        location: r.location,
        loadedAt: new Date().toISOString(),
        rules: [],
        refusals: [r],
      };
    };
    let location: string;
    try {
      location = resolveRulesLocation(entity, annotation);
    } catch (e) {
      return refused(
        annotation,
        `metadata.annotations.${ANNOTATION_REMEDIATION_RULES}`,
        (e as Error).message,
      );
    }
    if (location.startsWith('file:'))
      return this.loadFile(entity, entityRef, location);
    let text: string;
    let etag: string | undefined;
    try {
      const res = await this.o.urlReader.readUrl(location, {
        etag: previous?.location === location ? previous.etag : undefined,
      });
      const buffer = await res.buffer();
      if (buffer.length > MAX_OWNER_RULES_FILE_BYTES)
        return refused(
          location,
          'file',
          `larger than ${MAX_OWNER_RULES_FILE_BYTES} bytes`,
        );
      text = buffer.toString('utf8');
      etag = res.etag;
    } catch (e) {
      if (e instanceof NotModifiedError && previous) return previous;
      return refused(
        location,
        'file',
        `cannot read: ${this.o.redactor.error(e)}`,
      );
    }
    const state = this.build(entityRef, location, text);
    state.etag = etag;
    for (const r of state.refusals)
      this.o.logger.warn(
        `Owner remediation rule of ${entityRef} refused (${r.location} ${
          r.index === undefined ? '' : `rules[${r.index}].`
        }${r.field}): ${r.message}`,
      );
    return state;
  }

  /**
   * A rules file beside the entity's own catalog file (`file:<absolute path>`): read from disk, at most
   * MAX_OWNER_RULES_FILE_BYTES, and not parsed again while its size and modification time are unchanged. It is shown
   * as `file:` and its path from the catalog file's folder (`file:catalog/remediation/checkout.yaml`), never the
   * server's absolute path.
   */
  private async loadFile(
    entity: Entity,
    entityRef: string,
    location: string,
  ): Promise<EntityState> {
    const file = location.slice('file:'.length);
    const dir = path.dirname(getEntitySourceLocation(entity).target);
    const shown = `file:${path.posix.join(
      path.basename(dir),
      path.relative(dir, file).split(path.sep).join('/'),
    )}`;
    const previous = this.states.get(entityRef);
    const refused = (field: string, message: string): EntityState => {
      const r: OwnerRuleRefusal = {
        entityRef,
        location: shown,
        field,
        message,
      };
      this.o.logger.warn(
        `Owner remediation rules of ${entityRef} refused (${shown}, ${field}): ${message}`,
      );
      return {
        entityRef,
        location: shown,
        loadedAt: new Date().toISOString(),
        rules: [],
        refusals: [r],
      };
    };
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      return refused('file', 'cannot read: no such file');
    }
    if (!stat.isFile()) return refused('file', 'cannot read: not a file');
    if (stat.size > MAX_OWNER_RULES_FILE_BYTES)
      return refused('file', `larger than ${MAX_OWNER_RULES_FILE_BYTES} bytes`);
    const etag = `${stat.size}-${stat.mtimeMs}`;
    if (previous?.location === shown && previous.etag === etag) return previous;
    const state = this.build(entityRef, shown, await fs.readFile(file, 'utf8'));
    state.etag = etag;
    for (const r of state.refusals)
      this.o.logger.warn(
        `Owner remediation rule of ${entityRef} refused (${r.location} ${
          r.index === undefined ? '' : `rules[${r.index}].`
        }${r.field}): ${r.message}`,
      );
    return state;
  }

  /** Checks one file's text: each rule alone, against the platform checks and the policy. */
  build(entityRef: string, location: string, text: string): EntityState {
    const safeLocation = this.o.redactor.target(location);
    const refusals: OwnerRuleRefusal[] = [];
    const state: EntityState = {
      entityRef,
      location: safeLocation,
      loadedAt: new Date().toISOString(),
      rules: [],
      refusals,
    };
    let doc: unknown;
    try {
      doc = parseYaml(text, { maxAliasCount: 100 });
    } catch (e) {
      refusals.push({
        entityRef,
        location: safeLocation,
        field: 'file',
        message: `not YAML: ${(e as Error).message.split('\n')[0]}`,
      });
      return state;
    }
    const list = (doc as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(list)) {
      refusals.push({
        entityRef,
        location: safeLocation,
        field: 'rules',
        message: 'must be a list of remediation rules',
      });
      return state;
    }
    const seen = new Set<string>();
    list.forEach((raw, index) => {
      const refuse = (field: string, message: string) =>
        refusals.push({
          entityRef,
          location: safeLocation,
          index,
          field,
          message,
        });
      if (index >= this.o.policy.maxRulesPerEntity) {
        refuse(
          'rules',
          `more than reliability.remediation.ownerRules.maxRulesPerEntity (${this.o.policy.maxRulesPerEntity}) rules`,
        );
        return;
      }
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
        refuse('rules', 'must be a mapping');
        return;
      }
      const written = raw as Record<string, unknown>;
      if (written.entityRef !== undefined && written.entityRef !== entityRef) {
        refuse(
          'entityRef',
          `an owner-written rule applies only to its own entity ${entityRef}; omit entityRef or write that`,
        );
        return;
      }
      try {
        // the platform rules' own reader and checks, on a one-rule config
        const [cfg] = readRemediationRuleConfigs(
          new ConfigReader(
            {
              reliability: {
                remediation: { rules: [{ ...written, entityRef }] },
              },
            },
            location,
          ),
        );
        const breach = policyBreach(cfg.action, cfg.params, this.o.policy);
        if (breach) {
          refuse(breach.field, breach.message);
          return;
        }
        const [rule] = buildRemediationRules(
          [{ ...cfg, path: `rules[${index}]` }],
          this.o.actions,
          this.o.redactor,
        );
        const id = `${entityRef}#${rule.id}`;
        if (seen.has(id)) {
          refuse('id', `'${rule.id}' is used by another rule of this file`);
          return;
        }
        seen.add(id);
        state.rules.push({
          ...rule,
          id,
          lockKey: cfg.lockKey ? rule.lockKey : `${rule.action}:${id}`,
          owner: { location: safeLocation, index },
          // not a config path: an owner's file holds no config secrets
          configPath: undefined,
        });
      } catch (e) {
        const message = (e as Error).message;
        const m = /^rules\[\d+\]\.([A-Za-z0-9_.[\]]+): ?(.*)$/s.exec(message);
        const field = m?.[1] ?? /'([A-Za-z0-9_.[\]]+)'/.exec(message)?.[1];
        refuse(
          (field ?? 'rule').replace(
            /^reliability\.remediation\.rules\[0\]\./,
            '',
          ),
          m?.[2] ?? message,
        );
      }
    });
    return state;
  }

  /** Per entity (ordered by ref), the rules loaded and the refusals; `entityRef` narrows to one. */
  list(
    entityRef: string | undefined,
    limit: number,
    cursor: string | undefined,
    visible: (entityRef: string) => boolean,
  ): OwnerRulesResponse {
    const offset = decodeCursor(cursor) ?? 0;
    const all = [...this.states.values()]
      .filter(
        s => (!entityRef || s.entityRef === entityRef) && visible(s.entityRef),
      )
      .sort((a, b) => a.entityRef.localeCompare(b.entityRef))
      .map(s => ({
        entityRef: s.entityRef,
        location: s.location,
        loadedAt: s.loadedAt,
        rules: s.rules.map(r => r.id),
        refusals: s.refusals,
      }));
    return pageOf(all, offset, limit);
  }

  /** The entity refs with loaded state (for visibility checks). */
  entityRefs(): string[] {
    return [...this.states.keys()];
  }
}
