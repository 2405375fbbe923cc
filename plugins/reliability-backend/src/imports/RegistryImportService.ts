import { dirname, join, relative, resolve, sep } from 'path';
import { mkdir, readFile, rename, rm, writeFile } from 'fs/promises';
import { randomUUID } from 'crypto';
import { stringify } from 'yaml';
import {
  AuthService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  buildOpenSlo,
  burnRateRulesById,
  csvErrorsMessage,
  CsvError,
  MAX_CSV_ERRORS,
  MwmbRule,
  parseBurnRateRows,
  parseOpenSlo,
  parseSloRegistry,
  RegistryImportResult,
  RegistryImportRow,
  RegistryName,
  SLO_KIND,
  SloRegistryRow,
  sloRegistryInput,
  REGISTRY_SLICE_TARGET_PERCENT,
  formatDuration,
  OpenSloLookup,
  SLO_DOCUMENTS_REGISTRY,
  SloDefinition,
} from '@reliability-suite/plugin-reliability-common';
import { callerName } from '../catalog/entityAccess';
import { SloRegistry } from '../slos';
import { DrillService } from '../drills/DrillService';
import { SyntheticService } from '../synthetics/SyntheticService';
import { BurnRateImportStore } from './BurnRateImportStore';
import {
  ReadSlo,
  readSloDocuments,
  SLO_FORMAT_TITLES,
  splitSloDocuments,
} from './sloDocuments';

const MANAGED_BY_LOCATION = 'backstage.io/managed-by-location';
/** Groups read to resolve the registry's owners (by name, title or display name). */
const MAX_GROUP_PAGES = 20;

/** The fields of the catalog's entities the SLO registry import reads. */
const GROUP_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'spec.profile.displayName',
];

export interface RegistryImportOptions {
  catalog: CatalogService;
  auth: AuthService;
  logger: LoggerService;
  registry: SloRegistry;
  burnRates: BurnRateImportStore;
  drills: DrillService;
  synthetics: SyntheticService;
  /** Where the SLO registry's files go: the scaffolder's publish folder (reliability.scaffolder.publishDir). */
  publishDir?: string;
  /** The Location entity that reads that folder, refreshed after a write (reliability.scaffolder.locationRef). */
  locationRef?: string;
  now?: () => number;
}

const fail = (errors: CsvError[]) =>
  new InputError(
    `Invalid CSV, nothing imported: ${csvErrorsMessage(
      errors,
      MAX_CSV_ERRORS,
    )}`,
  );
const count = (
  rows: RegistryImportRow[],
  outcome: RegistryImportRow['outcome'],
) => rows.filter(r => r.outcome === outcome).length;

/**
 * The four CSV registries (SLOs, burn-rate alerts, synthetic journeys, drills) through one door (`POST /import/:registry`). Every row is checked before anything is
 * written, and a bad file is a 400 listing every bad row with its line and column; nothing is half-imported.
 * - `slos`: OpenSLO files written where the scaffolder publishes (the catalog reads them from there);
 * - `burn-rate-alerts`: rules per SLO, kept in the database (they win over the configured CSV file);
 * - `synthetics` and `drills`: the entity's journeys and drill log, as their own imports do.
 */
export class RegistryImportService {
  constructor(private readonly o: RegistryImportOptions) {}

  private now() {
    return this.o.now?.() ?? Date.now();
  }

  async import(
    registry: RegistryName,
    text: string,
    opts: { entityRef?: string; dryRun: boolean },
    credentials: BackstageCredentials,
  ): Promise<RegistryImportResult> {
    if (registry === 'slos') return this.importSlos(text, opts, credentials);
    if (registry === 'burn-rate-alerts')
      return this.importBurnRates(text, opts.dryRun, credentials);
    if (!opts.entityRef)
      throw new InputError(
        `Invalid query: entityRef: is required for the ${registry} registry (the entity whose ${
          registry === 'drills' ? 'drill log' : 'journeys'
        } it holds)`,
      );
    if (opts.dryRun)
      throw new InputError(
        `Invalid query: dryRun: the ${registry} registry has no dry run; POST it to a test entity`,
      );
    if (registry === 'drills') {
      const result = await this.o.drills.import(
        opts.entityRef,
        text,
        credentials,
      );
      return {
        registry,
        dryRun: false,
        created: result.added,
        updated: result.updated,
        unchanged: 0,
        rows: [],
        notes: [],
      };
    }
    const result = await this.o.synthetics.import(
      opts.entityRef,
      text,
      credentials,
    );
    const notes = result.withoutSteps.length
      ? [
          `journeys without steps yet (they run once they have some): ${result.withoutSteps.join(
            ', ',
          )}`,
        ]
      : [];
    return {
      registry,
      dryRun: false,
      created: result.added,
      updated: result.updated,
      unchanged: 0,
      rows: [],
      notes,
    };
  }

  /** The burn-rate registry: every slo_id must name an SLO the suite knows. */
  private async importBurnRates(
    text: string,
    dryRun: boolean,
    credentials: BackstageCredentials,
  ): Promise<RegistryImportResult> {
    const parsed = parseBurnRateRows(text);
    if (!parsed.ok) throw fail(parsed.errors);
    if (!parsed.rows.length)
      throw fail([{ line: 2, message: 'no rules after the header' }]);
    const slos = (await this.o.registry.all()).map(s => s.def);
    const byId = new Map<string, (typeof slos)[number]>();
    for (const s of slos) {
      for (const id of [
        `${s.namespace}/${s.name}`,
        s.name,
        s.name.replace(/-/g, '_'),
      ])
        if (!byId.has(id)) byId.set(id, s);
    }
    const errors: CsvError[] = [];
    for (const r of parsed.rows) {
      if (!byId.has(r.sloId))
        errors.push({
          line: r.line,
          field: 'slo_id',
          message: `no SLO named ${r.sloId} (nor ${r.sloId.replace(
            /_/g,
            '-',
          )}); import the SLO registry first`,
        });
    }
    if (errors.length) throw fail(errors);
    const rules = burnRateRulesById(parsed.rows);
    const before = await this.o.burnRates.all();
    const rows: RegistryImportRow[] = [];
    const notes: string[] = [];
    // each slo_id's first line, in one pass (the registry holds up to 10,000 rows)
    const firstLine = new Map<string, number>();
    for (const r of parsed.rows)
      if (!firstLine.has(r.sloId)) firstLine.set(r.sloId, r.line);
    for (const [sloId, list] of rules) {
      const line = firstLine.get(sloId)!;
      const slo = byId.get(sloId)!;
      const old = before.get(sloId);
      let outcome: RegistryImportRow['outcome'] = 'created';
      if (old) outcome = sameRules(old, list) ? 'unchanged' : 'updated';
      rows.push({
        line,
        id: sloId,
        outcome,
        detail: `${list.length} rule${list.length === 1 ? '' : 's'} for ${
          slo.ref
        }`,
      });
      if (
        slo.alertPolicy &&
        slo.alertPolicy.source !== 'csv' &&
        slo.alertPolicy.source !== 'default'
      ) {
        notes.push(
          `${slo.ref} has its own alert policy in its document, which wins over these rows`,
        );
      }
    }
    if (!dryRun)
      await this.o.burnRates.replace(
        rules,
        callerName(credentials),
        this.now(),
      );
    return {
      registry: 'burn-rate-alerts',
      dryRun,
      created: count(rows, 'created'),
      updated: count(rows, 'updated'),
      unchanged: count(rows, 'unchanged'),
      rows,
      notes,
    };
  }

  /** The SLO registry: one OpenSLO file per row, for the component its owner owns (or the row's `service`). */
  private async importSlos(
    text: string,
    opts: { entityRef?: string; dryRun: boolean },
    credentials: BackstageCredentials,
  ): Promise<RegistryImportResult> {
    const parsed = parseSloRegistry(text);
    // a broken header or file: nothing to check further
    if (!parsed.rows.length)
      throw fail(
        parsed.errors.length
          ? parsed.errors
          : [{ line: 2, message: 'no SLOs after the header' }],
      );
    if (!this.o.publishDir)
      throw new NotAllowedError(
        'reliability.scaffolder.publishDir is not configured: the SLO registry is written as OpenSLO files where the scaffolder publishes',
      );
    const dir = resolve(this.o.publishDir);
    const service = await this.o.auth.getOwnServiceCredentials();
    // the rows that parsed are checked against the catalog too, so one answer lists every bad row
    const errors: CsvError[] = [...parsed.errors];

    const groups = await this.groupsByLabel(service);
    const existing = await this.entities(
      parsed.rows.map(r => `slo:default/${r.name}`),
      service,
    );
    // the components named, or owned by the rows' owners
    const ownerRefs = new Map<number, string>();
    for (const r of parsed.rows) {
      const ref =
        groups.get(r.owner.toLocaleLowerCase('en-US')) ??
        groups.get(refOrUndefined(r.owner, 'group') ?? '');
      if (ref) ownerRefs.set(r.line, ref);
      else
        errors.push({
          line: r.line,
          field: 'owner',
          message: `no group named ${r.owner} in the catalog (its name, title or display name)`,
        });
    }
    const componentOf = new Map<number, string>();
    const ownedCache = new Map<string, string[]>();
    for (const [i, r] of parsed.rows.entries()) {
      const owner = ownerRefs.get(r.line);
      if (!owner) continue;
      const current = existing[i] ? parseOpenSlo(existing[i]!) : undefined;
      const named = r.service
        ? refOrUndefined(r.service, 'component')
        : undefined;
      if (r.service && !named) {
        errors.push({
          line: r.line,
          field: 'service',
          message: `'${r.service.slice(
            0,
            80,
          )}' must be a component name or ref such as checkout`,
        });
        continue;
      }
      if (current?.ok && named && named !== current.value.componentRef) {
        errors.push({
          line: r.line,
          field: 'service',
          message: `${r.name} already measures ${current.value.componentRef}, not ${named}`,
        });
        continue;
      }
      let component = current?.ok
        ? current.value.componentRef
        : named ??
          (opts.entityRef
            ? opts.entityRef.toLocaleLowerCase('en-US')
            : undefined);
      if (!component) {
        const owned =
          ownedCache.get(owner) ?? (await this.ownedComponents(owner, service));
        ownedCache.set(owner, owned);
        if (owned.length === 1) component = owned[0];
        else {
          errors.push({
            line: r.line,
            field: 'service',
            message: `${r.owner} owns ${
              owned.length ? `${owned.length} components` : 'no component'
            }: add a service column naming the component, or import with entityRef=`,
          });
          continue;
        }
      }
      componentOf.set(r.line, component);
    }
    // the components must exist, and be the row's owner's
    const refs = [...new Set(componentOf.values())];
    const components = new Map<string, Entity | undefined>();
    (await this.entities(refs, service)).forEach((e, j) =>
      components.set(refs[j], e),
    );
    for (const r of parsed.rows) {
      const component = componentOf.get(r.line);
      if (!component) continue;
      const entity = components.get(component);
      if (!entity) {
        errors.push({
          line: r.line,
          field: 'service',
          message: `no component ${component} in the catalog`,
        });
        componentOf.delete(r.line);
        continue;
      }
      const owner = refOrUndefined(
        String(entity.spec?.owner ?? ''),
        'group',
        entity.metadata.namespace,
      );
      if (owner !== ownerRefs.get(r.line)) {
        errors.push({
          line: r.line,
          field: 'owner',
          message: `${component} is owned by ${owner ?? 'nobody'}, not ${
            r.owner
          }`,
        });
        componentOf.delete(r.line);
      }
    }

    // each row as its document; an SLO already in the catalog from elsewhere must say the same
    const writes: { path: string; yaml: string }[] = [];
    const rows: RegistryImportRow[] = [];
    for (const [i, r] of parsed.rows.entries()) {
      const component = componentOf.get(r.line);
      if (!component) continue;
      const built = buildOpenSlo(sloRegistryInput(r, component));
      if (!built.ok) {
        errors.push({
          line: r.line,
          field: fieldOf(built.error),
          message: built.error,
        });
        continue;
      }
      const path = join(dir, 'slos', `${r.name}.yaml`);
      const current = existing[i];
      const location = current?.metadata.annotations?.[MANAGED_BY_LOCATION];
      const ours = location === `file:${path}`;
      if (current && !ours) {
        const mismatch = differs(r, current);
        if (mismatch) errors.push({ line: r.line, ...mismatch });
        else
          rows.push({
            line: r.line,
            id: r.sloId,
            outcome: 'unchanged',
            detail: `slo:default/${r.name}, defined in ${shortLocation(
              location,
            )}`,
          });
        continue;
      }
      const before = await readFile(path, 'utf8').catch(() => undefined);
      if (before === built.yaml) {
        rows.push({
          line: r.line,
          id: r.sloId,
          outcome: 'unchanged',
          detail: relative(dir, path),
        });
        continue;
      }
      rows.push({
        line: r.line,
        id: r.sloId,
        outcome: before === undefined ? 'created' : 'updated',
        detail: relative(dir, path),
      });
      writes.push({ path, yaml: built.yaml });
    }
    if (errors.length) throw fail(errors.sort((a, b) => a.line - b.line));

    if (!opts.dryRun && writes.length) {
      await this.writeAll(writes);
      await this.refresh(
        writes.map(w => w.path),
        credentials,
      );
    }
    return {
      registry: 'slos',
      dryRun: opts.dryRun,
      created: count(rows, 'created'),
      updated: count(rows, 'updated'),
      unchanged: count(rows, 'unchanged'),
      rows: rows.sort((a, b) => a.line - b.line),
      notes: [],
    };
  }

  /**
   * SLO documents in any format the suite reads (OpenSLO v1, v1alpha and v2alpha, Sloth, Pyrra): each SLO written as
   * an OpenSLO v1 file where the scaffolder publishes, as the SLO registry writes its rows (`slos/<name>.yaml`, or
   * `slos/<namespace>/<name>.yaml` outside the default namespace). Every document is checked first, as the catalog
   * checks it (`parseSlo`); a refused one is a 400 naming each bad document and field, and nothing is written.
   * `entityRef` is the component of the SLOs that do not name their own.
   */
  async importSloDocuments(
    input: unknown,
    opts: { entityRef?: string; dryRun: boolean },
    credentials: BackstageCredentials,
  ): Promise<RegistryImportResult> {
    const service = await this.o.auth.getOwnServiceCredentials();
    const component = opts.entityRef
      ? refOrUndefined(opts.entityRef, 'component')
      : undefined;
    if (opts.entityRef && !component)
      throw new InputError(
        'Invalid query: entityRef: must be a component ref such as component:default/checkout',
      );
    const split = splitSloDocuments(input);
    // the names an OpenSLO v1 SLO gives that are not alongside it: the catalog's documents of that kind
    const lookup: OpenSloLookup = async (kind, name, namespace) => {
      const e = await this.o.catalog.getEntityByRef(
        { kind, namespace, name },
        { credentials: service },
      );
      return e && e.kind === kind ? (e as any) : undefined;
    };
    const read = await readSloDocuments(split.docs, { lookup, component });
    const errors = [...split.errors, ...read.errors];
    if (!this.o.publishDir)
      throw new NotAllowedError(
        'reliability.scaffolder.publishDir is not configured: SLO documents are written as OpenSLO files where the scaffolder publishes',
      );
    const dir = resolve(this.o.publishDir);
    const slosDir = join(dir, 'slos');

    const existing = await this.entities(
      read.slos.map(s => `slo:${s.namespace}/${s.name}`),
      service,
    );
    const writes: { path: string; yaml: string }[] = [];
    const rows: RegistryImportRow[] = [];
    for (const [i, s] of read.slos.entries()) {
      const id = `slo:${s.namespace}/${s.name}`;
      const path =
        s.namespace === 'default'
          ? join(slosDir, `${s.name}.yaml`)
          : join(slosDir, s.namespace, `${s.name}.yaml`);
      // names and namespaces are checked as the catalog checks them; the path stays in the folder all the same
      if (!path.startsWith(`${slosDir}${sep}`)) {
        errors.push(
          `document ${s.document}: metadata.name: ${id} is not a file name`,
        );
        continue;
      }
      const current = existing[i];
      const location = current?.metadata.annotations?.[MANAGED_BY_LOCATION];
      if (current && location !== `file:${path}`) {
        const mismatch = documentDiffers(s, current);
        if (mismatch) errors.push(`document ${s.document}: ${mismatch}`);
        else
          rows.push({
            line: s.document,
            id,
            outcome: 'unchanged',
            detail: `defined in ${shortLocation(location)}`,
          });
        continue;
      }
      const yaml = `# OpenSLO v1, read from ${
        SLO_FORMAT_TITLES[s.format]
      } by POST /import/${SLO_DOCUMENTS_REGISTRY}\n${stringify(s.doc, {
        lineWidth: 0,
      })}`;
      const before = await readFile(path, 'utf8').catch(() => undefined);
      if (before === yaml) {
        rows.push({
          line: s.document,
          id,
          outcome: 'unchanged',
          detail: relative(dir, path),
        });
        continue;
      }
      rows.push({
        line: s.document,
        id,
        outcome: before === undefined ? 'created' : 'updated',
        detail: relative(dir, path),
      });
      writes.push({ path, yaml });
    }
    if (errors.length) throw documentsFail(errors);

    // an SLO whose component is not in the catalog is kept, and said
    const notes = [...read.notes];
    const components = [...new Set(read.slos.map(s => s.defs[0].componentRef))];
    const found = await this.entities(components, service);
    components.forEach((ref, j) => {
      if (found[j]) return;
      const of = read.slos
        .filter(s => s.defs[0].componentRef === ref)
        .map(s => `slo:${s.namespace}/${s.name}`);
      notes.push(
        `${of.slice(0, 5).join(', ')}${
          of.length > 5 ? ` and ${of.length - 5} more` : ''
        } measure${
          of.length === 1 ? 's' : ''
        } ${ref}, which is not in the catalog: name the component with entityRef= (--entity) or the reliability.io/component annotation`,
      );
    });

    if (!opts.dryRun && writes.length) {
      await this.writeAll(writes);
      await this.refresh(
        writes.map(w => w.path),
        credentials,
      );
    }
    return {
      registry: SLO_DOCUMENTS_REGISTRY,
      dryRun: opts.dryRun,
      created: count(rows, 'created'),
      updated: count(rows, 'updated'),
      unchanged: count(rows, 'unchanged'),
      rows: rows.sort((a, b) => a.line - b.line),
      notes,
    };
  }

  /** Every file first under a temporary name, then renamed into place: a failed write leaves the folder as it was. */
  private async writeAll(writes: { path: string; yaml: string }[]) {
    const staged: { tmp: string; path: string }[] = [];
    try {
      for (const w of writes) {
        await mkdir(dirname(w.path), { recursive: true });
        const tmp = `${w.path}.${randomUUID().slice(0, 8)}.tmp`;
        await writeFile(tmp, w.yaml, 'utf8');
        staged.push({ tmp, path: w.path });
      }
    } catch (e) {
      await Promise.all(staged.map(s => rm(s.tmp, { force: true })));
      throw e;
    }
    for (const s of staged) await rename(s.tmp, s.path);
  }

  /** The folder's Location entity is refreshed; without one, each new file is registered. */
  private async refresh(paths: string[], credentials: BackstageCredentials) {
    try {
      if (this.o.locationRef)
        await this.o.catalog.refreshEntity(this.o.locationRef, {
          credentials: await this.o.auth.getOwnServiceCredentials(),
        });
      else
        for (const target of paths)
          await this.o.catalog
            .addLocation({ type: 'file', target }, { credentials })
            .catch(() => undefined);
    } catch (e) {
      // the files are written; the catalog reads them on its next pass
      this.o.logger.warn(
        `SLO registry import: could not refresh the catalog location: ${
          (e as Error).message
        }`,
      );
    }
  }

  /** Entities by ref (undefined where missing), 500 per call. */
  private async entities(
    refs: string[],
    credentials: BackstageCredentials,
  ): Promise<(Entity | undefined)[]> {
    const out: (Entity | undefined)[] = [];
    for (let i = 0; i < refs.length; i += 500) {
      const { items } = await this.o.catalog.getEntitiesByRefs(
        { entityRefs: refs.slice(i, i + 500) },
        { credentials },
      );
      out.push(...items.map(e => e ?? undefined));
    }
    return out;
  }

  /** Groups by lowercased name, ref, title and display name. */
  private async groupsByLabel(
    credentials: BackstageCredentials,
  ): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_GROUP_PAGES; page++) {
      const res = await this.o.catalog.queryEntities(
        cursor
          ? { cursor, limit: 500 }
          : { filter: { kind: 'Group' }, fields: GROUP_FIELDS, limit: 500 },
        { credentials },
      );
      for (const g of res.items) {
        const ref = stringifyEntityRef(g);
        const profile = (g.spec?.profile ?? {}) as { displayName?: unknown };
        for (const label of [
          ref,
          g.metadata.name,
          g.metadata.title,
          profile.displayName,
        ]) {
          if (typeof label === 'string' && label)
            out.set(label.toLocaleLowerCase('en-US'), ref);
        }
      }
      cursor = res.pageInfo?.nextCursor;
      if (!cursor) break;
    }
    return out;
  }

  /** The components a group owns (the first 10 are enough to tell one from several). */
  private async ownedComponents(
    groupRef: string,
    credentials: BackstageCredentials,
  ): Promise<string[]> {
    const res = await this.o.catalog.queryEntities(
      {
        filter: { kind: 'Component', 'relations.ownedBy': groupRef },
        fields: ['kind', 'metadata.name', 'metadata.namespace'],
        limit: 10,
      },
      { credentials },
    );
    return res.items.map(e => stringifyEntityRef(e));
  }
}

/** A full entity ref from a name or ref, or undefined when it is not one. */
function refOrUndefined(
  text: string,
  defaultKind: string,
  defaultNamespace = 'default',
): string | undefined {
  if (!text || text.length > 300) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(text.trim(), { defaultKind, defaultNamespace }),
    ).toLocaleLowerCase('en-US');
  } catch {
    return undefined;
  }
}

/** What an SLO already in the catalog says differently from the row (objective or window), or undefined. */
function differs(
  row: SloRegistryRow,
  entity: Entity,
): { field: string; message: string } | undefined {
  if (entity.kind !== SLO_KIND)
    return {
      field: 'slo_id',
      message: `${row.name} is already a ${entity.kind} in the catalog`,
    };
  const parsed = parseOpenSlo(entity);
  const where = shortLocation(
    entity.metadata.annotations?.[MANAGED_BY_LOCATION],
  );
  if (!parsed.ok)
    return {
      field: 'slo_id',
      message: `slo:default/${row.name} is already defined in ${where}, and is invalid there: ${parsed.error}`,
    };
  const def = parsed.value;
  const percent =
    row.objective.kind === 'ratio'
      ? row.objective.percent
      : REGISTRY_SLICE_TARGET_PERCENT;
  if (row.objective.kind === 'latency') {
    // a latency row is a threshold SLO: the same comparison and threshold, in milliseconds or in seconds
    const { op, thresholdSeconds } = row.objective;
    const t = def.threshold;
    if (
      !t ||
      t.op !== op ||
      ![thresholdSeconds, thresholdSeconds * 1000].some(
        v => Math.abs(t.value - v) <= 1e-9 * Math.max(1, v),
      )
    ) {
      const has = t ? `${t.op} ${t.value}` : 'a ratio SLI (not a threshold)';
      return {
        field: 'objective',
        message: `slo:default/${row.name} is already defined in ${where} with ${has} (change it there, or change the row to match)`,
      };
    }
  }
  if (Math.abs(def.target * 100 - percent) > 1e-9) {
    return {
      field: 'objective',
      message: `slo:default/${row.name} is already defined in ${where} with ${+(
        def.target * 100
      ).toFixed(6)}% (change it there, or change the row to match)`,
    };
  }
  const window = (
    entity.spec as { timeWindow?: { duration?: string }[] } | undefined
  )?.timeWindow?.[0]?.duration;
  if (window !== row.window) {
    return {
      field: 'window',
      message: `slo:default/${row.name} is already defined in ${where} over ${
        window ?? 'another window'
      } (change it there, or change the row to match)`,
    };
  }
  return undefined;
}

/** The most errors one refusal of SLO documents lists. */
const MAX_DOCUMENT_ERRORS = 50;

/** The document number an error starts with (`document 3 (…): …`), for ordering; errors of the whole file first. */
function documentNumber(error: string): number {
  if (!error.startsWith('document ')) return 0;
  const n = parseInt(
    error.slice('document '.length, 'document '.length + 6),
    10,
  );
  return Number.isFinite(n) ? n : 0;
}

/** A 400 listing every refused document (the first 50) with its field; nothing is written. */
function documentsFail(errors: string[]): InputError {
  const sorted = errors
    .map((e, i) => ({ e, i, n: documentNumber(e) }))
    .sort((a, b) => a.n - b.n || a.i - b.i)
    .map(x => x.e);
  const shown = sorted.slice(0, MAX_DOCUMENT_ERRORS);
  const more = sorted.length - shown.length;
  return new InputError(
    `Invalid SLO documents, nothing imported: ${shown.join('; ')}${
      more > 0 ? `; and ${more} more` : ''
    }`,
  );
}

const windowText = (def: SloDefinition) =>
  `${def.window.kind === 'calendar' ? 'calendar ' : ''}${formatDuration(
    def.window.duration,
  )}`;

/** What an SLO already in the catalog from another file says differently from the document, or undefined. */
function documentDiffers(s: ReadSlo, entity: Entity): string | undefined {
  const id = `slo:${s.namespace}/${s.name}`;
  const where = shortLocation(
    entity.metadata.annotations?.[MANAGED_BY_LOCATION],
  );
  if (entity.kind !== SLO_KIND)
    return `metadata.name: ${id} is already a ${entity.kind} in the catalog`;
  const parsed = parseOpenSlo(entity);
  if (!parsed.ok)
    return `metadata.name: ${id} is already defined in ${where}, and is invalid there: ${parsed.error}`;
  const def = parsed.value;
  const mine = s.defs[0];
  const suffix = '(change it there, or import it under another name)';
  if (Math.abs(def.target - mine.target) > 1e-9)
    return `spec.objectives: ${id} is already defined in ${where} with ${+(
      def.target * 100
    ).toFixed(6)}%, not ${+(mine.target * 100).toFixed(6)}% ${suffix}`;
  if (windowText(def) !== windowText(mine))
    return `spec.timeWindow: ${id} is already defined in ${where} over ${windowText(
      def,
    )}, not ${windowText(mine)} ${suffix}`;
  const a = def.threshold;
  const b = mine.threshold;
  if ((a || b) && (!a || !b || a.op !== b.op || a.value !== b.value))
    return `spec.objectives: ${id} is already defined in ${where} with ${
      a ? `${a.op} ${a.value}` : 'no threshold'
    }, not ${b ? `${b.op} ${b.value}` : 'no threshold'} ${suffix}`;
  return undefined;
}

/** A location without the machine's absolute path: the last two path segments. */
function shortLocation(location: string | undefined): string {
  if (!location) return 'another location';
  const path = location.replace(/^[a-z]+:/, '');
  return path.split('/').slice(-2).join('/');
}

/** The field an SLO builder error names (`objectivePercent: …` -> objective). */
function fieldOf(error: string): string {
  const head = error.split(':')[0];
  if (head.startsWith('objective')) return 'objective';
  if (head.startsWith('window')) return 'window';
  return 'slo_id';
}

function sameRules(a: MwmbRule[], b: MwmbRule[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
