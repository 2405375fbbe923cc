import {
  AuthService,
  BackstageCredentials,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_CHAOS_EXPERIMENTS,
  ChaosFilesResponse,
  ChaosPolicy,
  redactText,
} from '@reliability-suite/plugin-reliability-common';
import { fromUpstream, Redacts } from '../http/upstream';
import { SloRegistry } from '../slos';
import { lintExperimentYaml, MAX_EXPERIMENT_FILE_BYTES } from './lintYaml';

/** At most this many experiment files are read from a folder. */
export const MAX_EXPERIMENT_FILES = 100;

/**
 * Experiments as code: the YAML files in the folder an entity's `reliability.io/chaos-experiments` annotation names,
 * read through the backend's UrlReader and linted with the entity's SLOs, as `yarn chaos:lint` lints them in CI.
 */
export class ChaosFiles {
  constructor(
    private readonly o: {
      catalog: CatalogService;
      auth: AuthService;
      urlReader: UrlReaderService;
      registry: SloRegistry;
      policy?: ChaosPolicy;
      prometheus?: boolean;
      /** The redaction step for the reader's failures (the plugin's Redactor). */
      redactor?: Redacts;
    },
  ) {}

  async lint(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<ChaosFilesResponse> {
    const ref = stringifyEntityRef(
      parseEntityRef(entityRef.toLocaleLowerCase('en-US')),
    );
    const entity = await this.o.catalog.getEntityByRef(ref, { credentials });
    if (!entity) throw new NotFoundError(`No entity ${ref}`);
    const location =
      entity.metadata.annotations?.[ANNOTATION_CHAOS_EXPERIMENTS] ?? null;
    if (!location)
      return { entityRef: ref, location: null, files: [], skipped: [] };
    const skipped: string[] = [];
    // every read of the folder (its listing, then each file) is the UrlReader's: a failure is a 503, its reason redacted
    const read = <T>(fn: () => Promise<T>) =>
      fromUpstream(`Cannot read ${location}`, fn, {
        redactor: this.o.redactor,
      });
    const tree = await read(() =>
      this.o.urlReader.readTree(location, {
        filter: (path, info) => {
          if (!/\.ya?ml$/i.test(path)) return false;
          if (info && info.size > MAX_EXPERIMENT_FILE_BYTES) {
            skipped.push(
              `${path} (larger than ${MAX_EXPERIMENT_FILE_BYTES} bytes)`,
            );
            return false;
          }
          return true;
        },
      }),
    );
    const all = (await read(() => tree.files())).sort((a, b) =>
      a.path.localeCompare(b.path),
    );
    const files = all.slice(0, MAX_EXPERIMENT_FILES);
    skipped.push(
      ...all
        .slice(MAX_EXPERIMENT_FILES)
        .map(f => `${f.path} (more than ${MAX_EXPERIMENT_FILES} files)`),
    );
    const sloRefs = (await this.o.registry.forEntity(ref)).map(s => s.def.ref);
    const out: ChaosFilesResponse['files'] = [];
    for (const f of files) {
      const text = (await read(() => f.content())).toString('utf8');
      out.push({
        path: f.path,
        experiments: lintExperimentYaml(text, {
          sloRefs,
          policy: this.o.policy,
          prometheus: this.o.prometheus,
        }),
      });
    }
    return {
      entityRef: ref,
      location: redactText(location),
      files: out,
      skipped,
    };
  }
}
