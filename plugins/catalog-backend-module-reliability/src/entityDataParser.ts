import { stringifyLocationRef } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessorParser,
  CatalogProcessorResult,
  parseEntityYaml,
  processingResult,
} from '@backstage/plugin-catalog-node';
import yaml from 'yaml';
import {
  ANNOTATION_SLOTH_SPEC_FILE,
  ANNOTATION_SOURCE_FORMAT,
} from './annotations';

/** The most documents one list at the root may hold; a longer list is refused with this number named. */
export const MAX_LIST_ITEMS = 1000;

/** apiVersion prefixes of the documents the suite reads: OpenSLO (v1, v1alpha; v2alpha is openslo.com/), Sloth's Kubernetes resources, Pyrra's. */
const SUITE_API_VERSIONS = [
  'openslo/',
  'openslo.com/',
  'sloth.slok.dev/',
  'pyrra.dev/',
];

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  (Object.getPrototypeOf(v) === Object.prototype ||
    Object.getPrototypeOf(v) === null);

/** Sloth's spec file format: `version: prometheus/v1`, no entity envelope. */
const SLOTH_SPEC_VERSION = 'prometheus/v1';

/** Whether a document is a Sloth spec as Sloth's CLI reads it (`version: prometheus/v1`, no `apiVersion` or `kind`). */
const isSlothSpecFile = (doc: unknown): doc is Record<string, unknown> =>
  isPlainObject(doc) &&
  doc.version === SLOTH_SPEC_VERSION &&
  doc.apiVersion === undefined &&
  doc.kind === undefined;

/**
 * Whether a document is one the suite reads (OpenSLO, Sloth or Pyrra), judged by its apiVersion alone, or a Sloth spec
 * (`version: prometheus/v1`).
 */
export function isSuiteDocument(doc: unknown): boolean {
  if (isSlothSpecFile(doc)) return true;
  if (!isPlainObject(doc) || typeof doc.apiVersion !== 'string') return false;
  const apiVersion = doc.apiVersion;
  return SUITE_API_VERSIONS.some(p => apiVersion.startsWith(p));
}

/** A Backstage entity name: at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit. */
const ENTITY_NAME = /^[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

/**
 * A Sloth spec has no entity envelope (no apiVersion, kind or metadata), so the catalog cannot hold it as it is. It
 * is read as what it is equivalent to: Sloth's Kubernetes resource `PrometheusServiceLevel`, named after its
 * service (in the default namespace), with the spec as written under `spec` and the annotation
 * `reliability.io/sloth-spec-file`. `SlothEntityProcessor` then emits its SLOs, or refuses this one spec naming the
 * field (a plugin, a missing query) while the other documents of the file are kept: an error yielded here would fail
 * the whole location.
 */
function slothSpecEntity(doc: Record<string, unknown>, index: number) {
  const service = doc.service;
  const name =
    typeof service === 'string' && ENTITY_NAME.test(service)
      ? service
      : `sloth-spec-${index + 1}`;
  return {
    apiVersion: 'sloth.slok.dev/v1',
    kind: 'PrometheusServiceLevel',
    metadata: {
      name,
      annotations: {
        [ANNOTATION_SLOTH_SPEC_FILE]: SLOTH_SPEC_VERSION,
        [ANNOTATION_SOURCE_FORMAT]: 'sloth',
      },
    },
    spec: doc,
  };
}

/** The entity each document of one file is read as: itself, or a Sloth spec in its resource envelope. */
function entitiesOfFile() {
  let specs = 0;
  return (doc: unknown): any =>
    isSlothSpecFile(doc) ? slothSpecEntity(doc, specs++) : doc;
}

/**
 * A list at the root that holds suite documents only (OpenSLO tools write a file as `- apiVersion: openslo/v1 …`,
 * and a JSON file as an array): its documents, or why it is not read. Any other list is left to the default parser's
 * answer.
 */
function suiteList(json: unknown[]): { docs: unknown[] } | { error: string } {
  if (!json.length || !json.some(isSuiteDocument)) return { error: '' };
  if (json.length > MAX_LIST_ITEMS)
    return {
      error: `a list at the root holds at most ${MAX_LIST_ITEMS} documents, this one ${json.length}`,
    };
  const foreign = json.findIndex(d => !isSuiteDocument(d));
  if (foreign >= 0)
    return {
      error: `item ${foreign} of the list at the root is not an OpenSLO, Sloth or Pyrra document (apiVersion openslo/…, openslo.com/…, sloth.slok.dev/… or pyrra.dev/…, or a Sloth spec with version prometheus/v1); a list is read only when every item is one`,
    };
  return { docs: json };
}

/**
 * Reads every document of a parsed file: each YAML document (`---`), and in each, an object (as Backstage's default
 * parser does; a Sloth spec in its resource envelope) or a list of OpenSLO, Sloth or Pyrra documents (each emitted
 * as an entity).
 */
function* readDocuments(
  text: string,
  location: LocationSpec,
): Iterable<CatalogProcessorResult> {
  let documents: yaml.Document.Parsed[];
  try {
    documents = yaml
      .parseAllDocuments(text, { merge: false })
      .filter(d => d) as yaml.Document.Parsed[];
  } catch (e) {
    yield processingResult.generalError(
      location,
      `Failed to parse YAML at ${stringifyLocationRef(location)}, ${e}`,
    );
    return;
  }
  const asEntity = entitiesOfFile();
  for (const document of documents) {
    if (document.errors?.length) {
      yield processingResult.generalError(
        location,
        `YAML error at ${stringifyLocationRef(location)}, ${
          document.errors[0]
        }`,
      );
      continue;
    }
    const json = document.toJSON();
    if (json === null || json === undefined) continue;
    if (isPlainObject(json)) {
      yield processingResult.entity(location, asEntity(json));
      continue;
    }
    if (Array.isArray(json)) {
      const list = suiteList(json);
      if ('docs' in list) {
        for (const doc of list.docs)
          yield processingResult.entity(location, asEntity(doc));
        continue;
      }
      if (list.error) {
        yield processingResult.generalError(
          location,
          `Expected object or a list of OpenSLO documents at root of ${stringifyLocationRef(
            location,
          )}: ${list.error}`,
        );
        continue;
      }
    }
    yield processingResult.generalError(
      location,
      `Expected object at root, got ${typeof json}`,
    );
  }
}

/**
 * The catalog's entity data parser with lists at the root read: a file that is a YAML list (or a JSON array) of
 * OpenSLO, Sloth or Pyrra documents yields each as an entity, in multi-document files too. A Sloth spec file
 * (`version: prometheus/v1`, no entity envelope) yields each spec as a `PrometheusServiceLevel` entity (see
 * `slothSpecEntity`). Every other file is read by Backstage's own parser (`parseEntityYaml`, what the default parser
 * runs), so other kinds behave as before.
 * @public
 */
export const reliabilityEntityDataParser: CatalogProcessorParser =
  async function* reliabilityEntityDataParser({ data, location }) {
    const text = data.toString('utf8');
    // the cheap look first: a file with no line or document starting with '-' or '[' holds no list at the root, and
    // one that never writes prometheus/v1 no Sloth spec
    if (!mayHoldRootList(text) && !text.includes(SLOTH_SPEC_VERSION)) {
      yield* parseEntityYaml(data, location);
      return;
    }
    yield* readDocuments(text, location);
  };

/**
 * Whether a list at the root is possible: the file's first non-blank character is `[`, or a line starts (at column
 * 0) with `-` that is no `---` or with `[`. Linear, no regex.
 */
function mayHoldRootList(text: string): boolean {
  if (text.trimStart().startsWith('[')) return true;
  let start = 0;
  while (start < text.length) {
    const c = text[start];
    if (c === '[' || (c === '-' && !text.startsWith('---', start))) return true;
    const end = text.indexOf('\n', start);
    if (end < 0) break;
    start = end + 1;
  }
  return false;
}
