import { stringifyLocationRef } from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessorParser,
  CatalogProcessorResult,
  parseEntityYaml,
  processingResult,
} from '@backstage/plugin-catalog-node';
import yaml from 'yaml';

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

/** Whether a document is one the suite reads (OpenSLO, Sloth or Pyrra), judged by its apiVersion alone. */
export function isSuiteDocument(doc: unknown): boolean {
  if (!isPlainObject(doc) || typeof doc.apiVersion !== 'string') return false;
  const apiVersion = doc.apiVersion;
  return SUITE_API_VERSIONS.some(p => apiVersion.startsWith(p));
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
      error: `item ${foreign} of the list at the root is not an OpenSLO, Sloth or Pyrra document (apiVersion openslo/…, openslo.com/…, sloth.slok.dev/… or pyrra.dev/…); a list is read only when every item is one`,
    };
  return { docs: json };
}

/**
 * Reads every document of a parsed file: each YAML document (`---`), and in each, an object (as Backstage's default
 * parser does) or a list of OpenSLO, Sloth or Pyrra documents (each emitted as an entity).
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
      yield processingResult.entity(location, json as any);
      continue;
    }
    if (Array.isArray(json)) {
      const list = suiteList(json);
      if ('docs' in list) {
        for (const doc of list.docs)
          yield processingResult.entity(location, doc as any);
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
 * OpenSLO, Sloth or Pyrra documents yields each as an entity, in multi-document files too. Every other file is read
 * by Backstage's own parser (`parseEntityYaml`, what the default parser runs), so other kinds behave as before.
 * @public
 */
export const reliabilityEntityDataParser: CatalogProcessorParser =
  async function* reliabilityEntityDataParser({ data, location }) {
    const text = data.toString('utf8');
    // the cheap look first: a file with no line or document starting with '-' or '[' holds no list at the root
    if (!mayHoldRootList(text)) {
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
