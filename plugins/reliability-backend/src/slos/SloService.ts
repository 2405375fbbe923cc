import type { WriteFence } from '../database/writeFence';
import { stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  GateResponse,
  SliEvent,
  alertPolicyOf,
  exportSlo,
  SLO_EXPORT_FORMATS,
  SloExportFormat,
  decodeCursor,
  formatIssues,
  historyQuerySchema,
  listQuerySchema,
  pageOf,
  prometheusRuleFile,
  prometheusRuleGroups,
  reliabilityEventsIngestPermission,
  sliEventBatchShellSchema,
  sliEventSchema,
  SliValue,
  sliValueBatchShellSchema,
  sliValueSchema,
  histogramQuantile,
  meetsThreshold,
  sliceEndOf,
  SloCorrection,
  SloDefinition,
  compositeParentRef,
} from '@reliability-suite/plugin-reliability-common';
import { CatalogAccess } from '../catalog/CatalogAccess';
import { EntityAccess } from '../catalog/entityAccess';
import { fromUpstream, Redacts } from '../http/upstream';
import { gateAnswer, SloReads } from './SloReads';
import type { SloStores } from './stores';
import { RegisteredSlo, SloRegistry } from './SloRegistry';
import { itemJson } from './summary';

export interface SloServiceOptions {
  store: SloStores;
  reads: SloReads;
  registry: SloRegistry;
  access: CatalogAccess;
  /** Permission decisions on the measured entities. */
  entities: EntityAccess;
  /** How old an ingested event may be. */
  maxLatenessMs: number;
  minuteRetentionMs: number;
  /** The launch-freeze gate: budget window and the least budget remaining that still allows launches. */
  gate: { window: string; threshold: number };
  /** The app's base URL, for links in exported alert annotations. */
  appBaseUrl?: string;
  /** Budget corrections in force, which the rule export says it cannot represent. */
  corrections?: {
    active(sloRefs: string[]): Promise<Map<string, SloCorrection[]>>;
  };
  /** The redaction step for an SLI source's failure (the plugin's Redactor). */
  redactor?: Redacts;
  now?: () => number;
}

/** SLOs as callers see them: listing, one SLO, its history and rules, the launch gate, and SLI ingest. */
export class SloService {
  private readonly now: () => number;

  constructor(private readonly o: SloServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * `GET /slos`: an entity's SLOs (one query), or every SLO the caller may read (two: the refs, then one page's
   * texts); one page, as JSON text. The stored summaries and snapshots are concatenated, not parsed.
   */
  async listJson(
    query: z.infer<typeof listQuerySchema>,
    credentials: BackstageCredentials,
  ): Promise<string> {
    const offset = decodeCursor(query.cursor) ?? 0;
    const limit = query.limit ?? 500;
    let items: string[];
    let nextCursor: string | undefined;
    if (query.entityRef) {
      const rows = await this.o.store.registry.summaryRows(
        this.o.registry.filterFor(query.entityRef.toLocaleLowerCase('en-US')),
      );
      const visible = await this.o.access.visibleRecently(
        rows.map(r => r.entityRef),
        credentials,
      );
      const page = pageOf(
        rows.filter(r => visible(r.entityRef)),
        offset,
        limit,
      );
      items = page.items.map(itemJson);
      nextCursor = page.nextCursor;
    } else {
      // the whole registry: visibility over the refs, then the texts of one page only (a second query)
      const refs = await this.o.store.registry.registryRefs();
      const visible = await this.o.access.visibleRecently(
        refs.map(r => r.entityRef),
        credentials,
      );
      const page = pageOf(
        refs.filter(r => visible(r.entityRef)),
        offset,
        limit,
      );
      items = [];
      // by 500 refs (bound parameters); each part comes back in ref order, as the page is
      for (let i = 0; i < page.items.length; i += 500) {
        items.push(
          ...(
            await this.o.store.registry.summaryRows({
              refs: page.items.slice(i, i + 500).map(r => r.ref),
            })
          ).map(itemJson),
        );
      }
      nextCursor = page.nextCursor;
    }
    return `{"items":[${items.join(',')}]${
      nextCursor ? `,"nextCursor":${JSON.stringify(nextCursor)}` : ''
    }}`;
  }

  /** The SLOs whose SLO entity the caller may read in the catalog. */
  private async readable(
    slos: RegisteredSlo[],
    credentials: BackstageCredentials,
  ): Promise<RegisteredSlo[]> {
    const visible = await this.o.access.visibleRecently(
      slos.map(s => s.entityRef),
      credentials,
    );
    return slos.filter(s => visible(s.entityRef));
  }

  /** One SLO the caller may read: unknown and hidden SLOs are both 404. */
  private async find(
    namespace: string,
    name: string,
    credentials: BackstageCredentials,
  ) {
    const slo = await this.o.registry.byRef(`${namespace}/${name}`);
    if (
      !slo ||
      !(await this.o.access.visibleRecently([slo.entityRef], credentials))(
        slo.entityRef,
      )
    )
      throw new NotFoundError(`No SLO named ${namespace}/${name}`);
    return slo;
  }

  /** `GET /slos/:namespace/:name` as JSON text: one query, nothing parsed. Unknown and hidden SLOs are both 404. */
  async getJson(
    namespace: string,
    name: string,
    credentials: BackstageCredentials,
  ): Promise<string> {
    const [row] = await this.o.store.registry.summaryRows({
      ref: `${namespace}/${name}`,
    });
    if (
      !row ||
      !(await this.o.access.visibleRecently([row.entityRef], credentials))(
        row.entityRef,
      )
    )
      throw new NotFoundError(`No SLO named ${namespace}/${name}`);
    return itemJson(row);
  }

  /** The budget and burn-rate series of one SLO; 503 with the redacted reason when its SLI source fails. */
  async history(
    namespace: string,
    name: string,
    query: z.infer<typeof historyQuerySchema>,
    credentials: BackstageCredentials,
  ) {
    const slo = await this.find(namespace, name, credentials);
    // the SLI source failed (an unreachable Prometheus, another plugin's source...): a 503, its reason redacted
    return fromUpstream(
      `The history of ${slo.def.ref} is unavailable`,
      () =>
        this.o.reads.history(
          slo.def,
          {
            from: query.from ? Date.parse(query.from) : undefined,
            to: query.to ? Date.parse(query.to) : undefined,
            points: query.points,
            window: query.window,
          },
          this.now(),
        ),
      { keep: ['InputError', 'NotFoundError'], redactor: this.o.redactor },
    );
  }

  /**
   * The launch-freeze gate for an entity's SLOs, from the snapshots the evaluation tick stored (one query): each
   * carries its budget left over the gate window. Only an SLO without such a snapshot yet (new, or the gate's
   * window changed in config) is counted for the request.
   */
  async gate(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<GateResponse> {
    const slos = await this.readable(
      await this.o.registry.forEntity(entityRef.toLocaleLowerCase('en-US')),
      credentials,
    );
    const opts = this.o.gate;
    const statuses = await this.o.store.statuses.getStatuses(
      slos.map(s => s.def.ref),
    );
    const per = new Map<string, GateResponse['slos'][number]>();
    const notes: string[] = [];
    const uncounted: SloDefinition[] = [];
    for (const { def } of slos) {
      const status = statuses.get(def.ref);
      const gate = status?.gate;
      if (gate?.window !== opts.window) {
        uncounted.push(def);
        continue;
      }
      per.set(def.ref, {
        ref: def.ref,
        budgetRemaining: gate.budgetRemaining,
        allow:
          gate.budgetRemaining === null ||
          gate.budgetRemaining >= opts.threshold,
      });
      if (gate.budgetRemaining === null)
        notes.push(
          `${def.ref}: no data over ${opts.window}${
            status?.reason ? ` (${status.reason})` : ''
          }`,
        );
    }
    if (uncounted.length) {
      // a source that answers with an error is a note (the gate lets the launch through); one that throws is a 503
      const counted = await fromUpstream(
        `The gate of ${entityRef} is unavailable`,
        () => this.o.reads.gateFigures(uncounted, opts, this.now()),
        {
          keep: ['InputError', 'NotFoundError'],
          redactor: this.o.redactor,
        },
      );
      for (const p of counted.per) per.set(p.ref, p);
      notes.push(...counted.notes);
    }
    return gateAnswer(
      slos.flatMap(s => per.get(s.def.ref) ?? []),
      notes,
      opts,
    );
  }

  /** The SLO as OpenSLO v1, a Sloth spec or a Pyrra resource: a file name and its YAML. */
  async exportAs(
    namespace: string,
    name: string,
    format: string,
    credentials: BackstageCredentials,
  ): Promise<{ filename: string; yaml: string }> {
    if (!(SLO_EXPORT_FORMATS as readonly string[]).includes(format))
      throw new InputError(
        `format: must be one of ${SLO_EXPORT_FORMATS.join(', ')}`,
      );
    const { def } = await this.find(namespace, name, credentials);
    const out = exportSlo(def, format as SloExportFormat);
    if (!out.ok)
      throw new InputError(
        `SLO ${def.ref} cannot be exported as ${format}: ${out.error}`,
      );
    return {
      filename: `${def.namespace}-${def.name}.${format}.yaml`.replace(
        /[^A-Za-z0-9._-]/g,
        '-',
      ),
      yaml: stringifyYaml(out.value, { lineWidth: 0 }),
    };
  }

  /** The SLO's Prometheus rule file: a file name and its YAML. */
  async prometheusRules(
    namespace: string,
    name: string,
    credentials: BackstageCredentials,
  ): Promise<{ filename: string; yaml: string }> {
    const { def } = await this.find(namespace, name, credentials);
    const component = parseEntityRef(def.componentRef);
    const entityUrl = this.o.appBaseUrl
      ? `${this.o.appBaseUrl.replace(/\/$/, '')}/catalog/${
          component.namespace
        }/${component.kind}/${component.name}`
      : undefined;
    const runbookUrl =
      def.runbook && /^https?:\/\//.test(def.runbook) ? def.runbook : undefined;
    const groups = prometheusRuleGroups(def, {
      entityUrl,
      runbookUrl,
      rules: alertPolicyOf(def).rules,
    });
    if (!groups.ok)
      throw new InputError(
        `SLO ${def.ref} cannot be exported as Prometheus rules: ${groups.error}`,
      );
    const corrections =
      (await this.o.corrections?.active([def.ref]))?.get(def.ref) ?? [];
    // recording rules cannot leave time ranges out: say so at the top of the file, for each correction in force
    const note = corrections.length
      ? `${[
          `# ${def.ref} has ${corrections.length} budget correction${
            corrections.length === 1 ? '' : 's'
          } in force that these rules cannot represent:`,
          '# Prometheus recording rules count every event, so the ratios below include the excluded ranges and the',
          '# alerts may fire during them (silence them in Alertmanager for the same windows). The portal leaves them out.',
          ...corrections
            .slice(0, 50)
            .map(
              c =>
                `#   - ${
                  c.kind === 'once'
                    ? `${c.start} to ${c.end}`
                    : `every "${c.cron}" (${c.timeZone}) for ${
                        c.duration
                      }, from ${c.start}${c.end ? ` until ${c.end}` : ''}`
                }: ${c.reason.split('\n').join(' ').slice(0, 200)}`,
            ),
        ].join('\n')}\n`
      : '';
    return {
      filename: `${def.namespace}-${def.name}.rules.yaml`,
      yaml: note + prometheusRuleFile(groups.value),
    };
  }

  /**
   * `POST /sli-events`: validates a batch completely (in slices, so a full batch never holds the event loop),
   * checks the ingest permission once per measured entity, then stores it in one transaction: all of it or none.
   */
  async ingest(
    rawBody: unknown,
    credentials: BackstageCredentials,
    fence?: WriteFence,
  ): Promise<number> {
    const shell = sliEventBatchShellSchema.safeParse(rawBody);
    if (!shell.success)
      throw new InputError(`Invalid body: ${formatIssues(shell.error)}`);
    const events = await this.parseItems<SliEvent>(
      shell.data.events,
      sliEventSchema,
      'events',
    );
    const known = await this.checkBatch(events, 'events', credentials);
    this.refuseComposites(events, known, 'events');
    const thresholdAt = events.findIndex(
      e => known.get(e.slo)!.def.indicator.mode === 'threshold',
    );
    if (thresholdAt >= 0)
      throw new InputError(
        `Invalid body: events.${thresholdAt}.slo: ${events[thresholdAt].slo} has a thresholdMetric: report its values to POST /sli-values`,
      );
    await this.store(
      events.map(e => ({
        def: known.get(e.slo)!.def,
        timestamp: Date.parse(e.timestamp),
        good: e.good,
        total: e.total,
      })),
      events.length,
      fence,
    );
    return events.length;
  }

  /**
   * `POST /sli-values`: values of threshold SLIs (a p95 in ms), or histogram summaries read at a quantile as
   * Prometheus's histogram_quantile would. Each value is judged against its SLO's objective when it arrives: with
   * time slices it joins its slice's tally (the tick counts the slice when it ends); with Occurrences it is one event,
   * good or bad. Validation, permissions and lateness as for `/sli-events`.
   */
  async ingestValues(
    rawBody: unknown,
    credentials: BackstageCredentials,
    fence?: WriteFence,
  ): Promise<number> {
    const shell = sliValueBatchShellSchema.safeParse(rawBody);
    if (!shell.success)
      throw new InputError(`Invalid body: ${formatIssues(shell.error)}`);
    const values = await this.parseItems<SliValue>(
      shell.data.values,
      sliValueSchema,
      'values',
    );
    const known = await this.checkBatch(values, 'values', credentials);
    this.refuseComposites(values, known, 'values');
    const ratioAt = values.findIndex(
      v => known.get(v.slo)!.def.indicator.mode !== 'threshold',
    );
    if (ratioAt >= 0)
      throw new InputError(
        `Invalid body: values.${ratioAt}.slo: ${values[ratioAt].slo} counts good and total events (a ratioMetric): report them to POST /sli-events`,
      );
    const judged = values.map((v, i) => {
      const value =
        v.value ??
        histogramQuantile(v.histogram!.quantile, v.histogram!.buckets);
      if (value === null)
        throw new InputError(
          `Invalid body: values.${i}.histogram: has no quantile (no observations, or no "+Inf" bucket)`,
        );
      const def = known.get(v.slo)!.def;
      return {
        def,
        timestamp: Date.parse(v.timestamp),
        good: meetsThreshold(value, def.threshold!.op, def.threshold!.value)
          ? 1
          : 0,
      };
    });
    await this.store(
      judged.map(j => ({ ...j, total: 1 })),
      values.length,
      fence,
    );
    return values.length;
  }

  /**
   * Stores checked observations in one transaction: a time-slice SLO's go to its slices' tallies (the evaluation tick
   * counts each slice once it ends), the others to the counts, and `fence` (an idempotency key's answer, given
   * `result`) commits with them.
   */
  private async store(
    items: {
      def: SloDefinition;
      timestamp: number;
      good: number;
      total: number;
    }[],
    result: number,
    fence?: WriteFence,
  ): Promise<void> {
    await this.o.store.slices.addBatch(
      {
        tallies: items
          .filter(i => i.def.budgeting)
          .map(i => ({
            sloRef: i.def.ref,
            sliceEnd: sliceEndOf(i.timestamp, i.def.budgeting!.sliceMs),
            n: i.total,
            good: i.good,
          })),
        deltas: items
          .filter(i => !i.def.budgeting)
          .map(i => ({
            sloRef: i.def.ref,
            timestamp: i.timestamp,
            good: i.good,
            total: i.total,
          })),
        hourlyBefore: this.now() - this.o.minuteRetentionMs,
        result,
      },
      fence,
    );
  }

  /** A composite SLO has no SLI of its own: its objectives are reported under their own refs. */
  private refuseComposites(
    items: { slo: string }[],
    known: Map<string, RegisteredSlo>,
    field: string,
  ): void {
    const i = items.findIndex(e => known.get(e.slo)!.def.composite);
    if (i < 0) return;
    const parts = known
      .get(items[i].slo)!
      .def.composite!.objectives.map(o => o.def.ref);
    throw new InputError(
      `Invalid body: ${field}.${i}.slo: ${
        items[i].slo
      } is a composite SLO: report each objective under its own ref (${parts.join(
        ', ',
      )})`,
    );
  }

  /** Each item checked in slices of 500, so a full batch never holds the event loop; the first bad one is a 400. */
  private async parseItems<T>(
    items: unknown[],
    schema: z.ZodType<T, z.ZodTypeDef, unknown>,
    field: string,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let start = 0; start < items.length; start += 500) {
      if (start > 0) await new Promise(resolve => setImmediate(resolve));
      for (let i = start; i < Math.min(start + 500, items.length); i++) {
        const r = schema.safeParse(items[i]);
        if (!r.success)
          throw new InputError(
            `Invalid body: ${formatIssues(
              new z.ZodError(
                r.error.issues.map(issue => ({
                  ...issue,
                  path: [field, i, ...issue.path],
                })),
              ),
            )}`,
          );
        out.push(r.data);
      }
    }
    return out;
  }

  /**
   * A batch's timestamps within the accepted lateness, its SLOs known, and the ingest permission on every measured
   * entity (one decision per entity): the batch's SLOs, or the error naming the first bad item.
   */
  private async checkBatch(
    items: { slo: string; timestamp: string }[],
    field: string,
    credentials: BackstageCredentials,
  ): Promise<Map<string, RegisteredSlo>> {
    const t = this.now();
    const oldest = t - this.o.maxLatenessMs;
    const newest = t + 5 * 60_000;
    items.forEach((e, i) => {
      const ts = Date.parse(e.timestamp);
      if (ts < oldest) {
        throw new InputError(
          `Invalid body: ${field}.${i}.timestamp: is older than the accepted lateness (${Math.round(
            this.o.maxLatenessMs / 3_600_000,
          )}h)`,
        );
      }
      if (ts > newest)
        throw new InputError(
          `Invalid body: ${field}.${i}.timestamp: is more than 5 minutes in the future`,
        );
    });
    // every SLO of the batch in one registry query per 500 refs; a composite SLO's objective by its SLO
    const known = await this.o.registry.byRefs([
      ...new Set(items.map(e => e.slo)),
    ]);
    const parents = [
      ...new Set(
        items
          .map(e => compositeParentRef(e.slo))
          .filter((r): r is string => r !== undefined),
      ),
    ];
    if (parents.length) {
      for (const parent of (await this.o.registry.byRefs(parents)).values()) {
        for (const o of parent.def.composite?.objectives ?? [])
          known.set(o.def.ref, { def: o.def, entityRef: parent.entityRef });
      }
    }
    const unknownIndex = items.findIndex(e => !known.has(e.slo));
    if (unknownIndex >= 0)
      throw new NotFoundError(
        `${field}.${unknownIndex}.slo: no SLO named ${items[unknownIndex].slo}`,
      );
    // one decision per measured entity: owners may ingest for their entities' SLOs only
    const entities = [
      ...new Set([...known.values()].map(s => s.def.componentRef)),
    ];
    const denied = await this.o.entities.denied(
      reliabilityEventsIngestPermission,
      entities,
      credentials,
    );
    if (denied.length) {
      const i = items.findIndex(e =>
        denied.includes(known.get(e.slo)!.def.componentRef),
      );
      throw new NotAllowedError(
        `${field}.${i}.slo: missing permission ${reliabilityEventsIngestPermission.name} on ${denied[0]}: only its owners and services may report its SLIs`,
      );
    }
    return known;
  }
}
