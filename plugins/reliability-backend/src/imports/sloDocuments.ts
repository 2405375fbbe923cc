import { parseAllDocuments } from 'yaml';
import {
  Entity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
} from '@backstage/catalog-model';
import {
  ANNOTATION_COMPONENT,
  detectSloFormat,
  isOpenSloReferencedKind,
  OpenSloLookup,
  parseSlo,
  resolveSloReferences,
  SloDefinition,
  SloFormat,
  toOpenSloV1,
  validateOpenSloKind,
} from '@reliability-suite/plugin-reliability-common';

/** The most documents one import reads (each item of a list at the root is one). */
export const MAX_SLO_DOCUMENTS = 500;
/** The most SLOs one import writes (a Sloth spec holds several). */
export const MAX_IMPORTED_SLOS = 2_000;
/** The most errors one answer lists. */
const MAX_ERRORS = 50;

/** How each format is named in the answer's notes. */
export const SLO_FORMAT_TITLES: Record<SloFormat, string> = {
  'openslo/v1': 'OpenSLO v1 (openslo/v1)',
  'openslo/v1alpha': 'OpenSLO v1alpha (openslo/v1alpha)',
  'openslo/v2alpha': 'OpenSLO v2alpha (openslo.com/v2alpha)',
  sloth: 'Sloth',
  pyrra: 'Pyrra (pyrra.dev/v1alpha1)',
};

/** One SLO read from the documents: the OpenSLO v1 document to write, and what `parseSlo` made of it. */
export interface ReadSlo {
  /** The document it came from, counted from 1 (each item of a list at the root is one document). */
  document: number;
  format: SloFormat;
  name: string;
  namespace: string;
  /** The OpenSLO v1 SLO document to write. */
  doc: Record<string, any>;
  /** Its objectives, as the catalog and the backend read them. */
  defs: SloDefinition[];
}

export interface ReadSloDocuments {
  slos: ReadSlo[];
  /** Each error names the document and the field. */
  errors: string[];
  notes: string[];
}

const isObject = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A name from the user's text, shortened for a message. */
function short(v: unknown): string {
  if (typeof v !== 'string') return '';
  return v.length > 80 ? `${v.slice(0, 80)}…` : v;
}

/**
 * The lines that open or close a YAML document (`---`, `...`), counted without parsing: a text of more documents
 * than an import reads is refused before the YAML parser builds them all.
 */
function documentMarkers(text: string): number {
  let n = 0;
  let at = 0;
  while (at < text.length) {
    if (text.startsWith('---', at) || text.startsWith('...', at)) n++;
    const next = text.indexOf('\n', at);
    if (next < 0) break;
    at = next + 1;
  }
  return n;
}

/**
 * The documents of an import: YAML text (`---` between documents; a list at the root is a list of documents) or
 * parsed JSON (an object or an array of objects). Each document is counted from 1. A document that is not YAML is an
 * error naming it, its line and column, and stays in the list as `undefined`, so the others are still read and their
 * numbers do not move.
 */
export function splitSloDocuments(input: unknown): {
  docs: unknown[];
  errors: string[];
} {
  const tooMany = {
    docs: [],
    errors: [
      `the file holds more than ${MAX_SLO_DOCUMENTS} documents, at most ${MAX_SLO_DOCUMENTS} are read at once`,
    ],
  };
  if (Array.isArray(input))
    return input.length > MAX_SLO_DOCUMENTS
      ? tooMany
      : { docs: input, errors: [] };
  if (typeof input !== 'string') return { docs: [input], errors: [] };
  if (documentMarkers(input) > MAX_SLO_DOCUMENTS) return tooMany;
  const parsed = parseAllDocuments(input);
  const list = Array.isArray(parsed) ? parsed : [];
  const docs: unknown[] = [];
  const errors: string[] = [];
  for (const d of list) {
    let value: unknown;
    let error = d.errors[0]?.message;
    if (!error) {
      try {
        value = d.toJS({ maxAliasCount: 100 });
      } catch (e) {
        error = (e as Error).message;
      }
    }
    if (error !== undefined) {
      // the parser's first line names the line and column; the excerpt after it repeats the text
      let line = error.split('\n')[0].slice(0, 300);
      if (line.endsWith(':')) line = line.slice(0, -1);
      errors.push(`document ${docs.length + 1}: not valid YAML: ${line}`);
      docs.push(undefined);
    } else if (Array.isArray(value)) docs.push(...value);
    else if (value !== null && value !== undefined) docs.push(value);
    if (docs.length > MAX_SLO_DOCUMENTS) return tooMany;
  }
  return { docs, errors };
}

/** What a document says it is, for messages: `Pyrra ServiceLevelObjective api-errors`. */
function describe(doc: unknown, format: SloFormat | undefined): string {
  const d = isObject(doc) ? doc : {};
  const name = short(d.metadata?.name);
  const kind = short(d.kind);
  if (format === 'sloth')
    return d.version === 'prometheus/v1'
      ? `Sloth spec ${short(d.service)}`.trim()
      : `Sloth ${kind} ${name}`.trim();
  if (format === 'pyrra') return `Pyrra ${kind} ${name}`.trim();
  if (format) {
    const version = format.slice('openslo/'.length);
    return `OpenSLO ${version} ${kind} ${name}`.trim();
  }
  return [short(d.apiVersion), kind, name].filter(Boolean).join(' ');
}

/** toOpenSloV1 numbers the documents it is given; it is given one SLO (and what the SLO names) at a time. */
function withoutFirstDocument(error: string): string {
  const prefix = 'document 1: ';
  return error.startsWith(prefix) ? error.slice(prefix.length) : error;
}

/** The catalog's own checks of an entity's envelope (name, namespace, annotations, root fields), as it runs them. */
const catalogPolicy = EntityPolicies.allOf([
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

/** Why the catalog would refuse the document as an entity, or undefined. Labels are left out: the catalog module moves the values it cannot keep. */
async function catalogRefusal(
  doc: Record<string, any>,
): Promise<string | undefined> {
  const { labels: _labels, ...metadata } = doc.metadata ?? {};
  try {
    await catalogPolicy.enforce({
      ...doc,
      metadata: { ...metadata, namespace: metadata.namespace ?? 'default' },
    } as Entity);
    return undefined;
  } catch (e) {
    const message = (e as Error).message;
    // the policy's pointer to Backstage's documentation is not about this import
    const cut = message.indexOf('. To learn more');
    return cut > 0 ? message.slice(0, cut) : message;
  }
}

const keyOf = (kind: string, namespace: string, name: string) =>
  `${kind}|${namespace.toLocaleLowerCase('en-US')}|${name}`;

/**
 * The SLOs of the documents: each SLO document (OpenSLO v1, v1alpha and v2alpha, Sloth, Pyrra) converted by
 * `toOpenSloV1` and checked by `parseSlo`, as the catalog checks it. Documents an SLO names (an OpenSLO v1 `SLI`,
 * `DataSource` or alerting kind, a v2alpha `SLI` or `DataSource`) are read to resolve the names: an OpenSLO v1 SLO
 * whose references are given alongside is written with them in place, and a name not alongside is looked up with
 * `lookup` (the catalog). `component`, when given, is the component of every SLO that does not name its own
 * (`reliability.io/component`). Every document is read; every refused one is listed, naming the document and the field.
 */
export async function readSloDocuments(
  docs: unknown[],
  options: { lookup?: OpenSloLookup; component?: string } = {},
): Promise<ReadSloDocuments> {
  const errors: string[] = [];
  const notes: string[] = [];
  const slos: ReadSlo[] = [];
  // the documents an SLO may name, given alongside
  const alongside = new Map<string, Record<string, any>>();
  const v2alphaContext: unknown[] = [];
  for (const d of docs) {
    if (isOpenSloReferencedKind(d) && typeof d.metadata?.name === 'string')
      alongside.set(
        keyOf(d.kind, d.metadata.namespace ?? 'default', d.metadata.name),
        d,
      );
    if (detectSloFormat(d) === 'openslo/v2alpha' && (d as any).kind !== 'SLO')
      v2alphaContext.push(d);
  }
  const used = new Set<string>();
  const seen = new Map<string, number>();

  for (const [i, doc] of docs.entries()) {
    if (errors.length >= MAX_ERRORS) break;
    const n = i + 1;
    const format = detectSloFormat(doc);
    const what = describe(doc, format);
    const at = what ? `document ${n} (${what})` : `document ${n}`;
    if (doc === undefined) continue; // not YAML: said already
    const kind = isObject(doc) ? doc.kind : undefined;
    // OpenSLO's other kinds: read for the SLOs' references
    if (format === 'openslo/v1' && kind !== 'SLO') {
      const valid = validateOpenSloKind(doc);
      if (!valid.ok) errors.push(`${at}: ${valid.error}`);
      continue;
    }
    if (
      (format === 'openslo/v1alpha' || format === 'openslo/v2alpha') &&
      kind !== 'SLO'
    ) {
      notes.push(
        `document ${n} (${what}): not an SLO; read only for what the SLOs name`,
      );
      continue;
    }
    const converted = toOpenSloV1(
      format === 'openslo/v2alpha' ? [doc, ...v2alphaContext] : doc,
    );
    if (!converted.ok) {
      errors.push(`${at}: ${withoutFirstDocument(converted.error)}`);
      continue;
    }
    for (const slo of converted.value) {
      const name = String(slo.metadata?.name ?? '');
      const namespace = String(slo.metadata?.namespace ?? 'default');
      const where =
        converted.value.length > 1 ? `${at}, SLO ${short(name)}` : at;
      let written: Record<string, any> = slo;
      if (
        options.component &&
        !slo.metadata?.annotations?.[ANNOTATION_COMPONENT]
      )
        written = {
          ...slo,
          metadata: {
            ...slo.metadata,
            annotations: {
              ...slo.metadata?.annotations,
              [ANNOTATION_COMPONENT]: options.component,
            },
          },
        };
      // an OpenSLO v1 SLO's references: alongside first, then the catalog
      let checked = written;
      if (format === 'openslo/v1') {
        const fromText = new Set<string>();
        const resolved = await resolveSloReferences(
          written,
          async (k, refName, ns) => {
            const key = keyOf(k, ns, refName);
            const found = alongside.get(key);
            if (found) {
              fromText.add(key);
              return found as any;
            }
            return options.lookup?.(k, refName, ns);
          },
        );
        if (!resolved.ok) {
          errors.push(`${where}: ${resolved.error}`);
          continue;
        }
        checked = resolved.value.doc;
        // named documents given alongside are written in place (they are not imported on their own)
        if (fromText.size) {
          written = checked;
          for (const k of fromText) used.add(k);
        }
      }
      const parsed = parseSlo(checked);
      if (!parsed.ok) {
        errors.push(`${where}: ${parsed.error}`);
        continue;
      }
      const refusal = await catalogRefusal(written);
      if (refusal) {
        errors.push(`${where}: ${refusal}`);
        continue;
      }
      const id = `${namespace.toLocaleLowerCase('en-US')}/${name}`;
      const first = seen.get(id);
      if (first !== undefined) {
        errors.push(
          `${where}: metadata.name: slo:${id} is also document ${first}`,
        );
        continue;
      }
      seen.set(id, n);
      slos.push({
        document: n,
        format: format!,
        name,
        namespace: namespace.toLocaleLowerCase('en-US'),
        doc: written,
        defs: parsed.value,
      });
      notes.push(
        `document ${n}: read as ${
          SLO_FORMAT_TITLES[format!]
        }, written as OpenSLO v1 slo:${id}`,
      );
      if (slos.length > MAX_IMPORTED_SLOS) {
        errors.push(
          `the documents hold more than ${MAX_IMPORTED_SLOS} SLOs, at most ${MAX_IMPORTED_SLOS} are imported at once`,
        );
        return { slos, errors, notes };
      }
    }
  }
  for (const [key, d] of alongside)
    if (!used.has(key) && validateOpenSloKind(d).ok)
      notes.push(
        `${d.kind} ${short(
          d.metadata.name,
        )}: named by no SLO of the file, so not imported (the SLOs carry what they name)`,
      );
  if (!errors.length && !slos.length)
    errors.push('no SLO in the documents: nothing to import');
  return { slos, errors, notes };
}
