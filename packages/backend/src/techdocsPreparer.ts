/*
 * TechDocs builds a `dir:` reference in place: its generator lists every file under the folder (a repository's
 * root for the suite's `dir:.`, so node_modules, .git and whatever other tools are writing at the time) and
 * rewrites the folder's mkdocs.yml before running MkDocs. This module gives TechDocs a preparer for `dir:`
 * references that hands the generator a copy of what MkDocs reads instead: mkdocs.yml (or mkdocs.yaml) and its
 * docs_dir, in a temporary folder TechDocs removes after the build. The working tree is only read.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  coreServices,
  createBackendModule,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';
import {
  DirectoryPreparer,
  PreparerBase,
  PreparerResponse,
  techdocsPreparerExtensionPoint,
} from '@backstage/plugin-techdocs-node';

const CONFIG_FILES = ['mkdocs.yml', 'mkdocs.yaml'];

/** The docs_dir a MkDocs config names at its top level (MkDocs' default: docs). */
export function docsDirOf(mkdocsYml: string): string {
  const match = /^docs_dir:[ \t]*(['"]?)([^'"#\r\n]+?)\1[ \t]*(?:#.*)?$/m.exec(
    mkdocsYml,
  );
  return match ? match[2].trim() : 'docs';
}

/** Copies the MkDocs config and docs folder of `sourceDir` into a new temporary folder, and answers its path. */
export async function copyMkdocsSources(sourceDir: string): Promise<string> {
  const target = await mkdtemp(path.join(os.tmpdir(), 'techdocs-prepared-'));
  try {
    // the config TechDocs' generator reads: mkdocs.yml, else mkdocs.yaml (without either it writes a default one)
    const config = CONFIG_FILES.find(name =>
      existsSync(path.join(sourceDir, name)),
    );
    let docsDir = 'docs';
    if (config) {
      await cp(path.join(sourceDir, config), path.join(target, config));
      docsDir = docsDirOf(await readFile(path.join(sourceDir, config), 'utf8'));
    }
    // refuses a docs_dir outside the folder, as TechDocs' validation of the config does
    const docs = resolveSafeChildPath(sourceDir, docsDir);
    if (existsSync(docs)) {
      await cp(docs, resolveSafeChildPath(target, docsDir), {
        recursive: true,
        verbatimSymlinks: true,
      });
    }
    return target;
  } catch (e) {
    await rm(target, { recursive: true, force: true });
    throw e;
  }
}

/** A `dir:` preparer that answers a copy of the MkDocs sources of the folder TechDocs' own preparer finds. */
export class CopyingDirectoryPreparer implements PreparerBase {
  constructor(private readonly inner: PreparerBase) {}

  shouldCleanPreparedDirectory(): boolean {
    return true;
  }

  async prepare(
    ...args: Parameters<PreparerBase['prepare']>
  ): Promise<PreparerResponse> {
    const { preparedDir, etag } = await this.inner.prepare(...args);
    const copy = await copyMkdocsSources(preparedDir);
    // the inner preparer's own temporary folder, if it says it has one
    if (this.inner.shouldCleanPreparedDirectory())
      await rm(preparedDir, { recursive: true, force: true });
    return { preparedDir: copy, etag };
  }
}

export default createBackendModule({
  pluginId: 'techdocs',
  moduleId: 'copying-dir-preparer',
  register(reg) {
    reg.registerInit({
      deps: {
        preparers: techdocsPreparerExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        reader: coreServices.urlReader,
      },
      async init({ preparers, config, logger, reader }) {
        preparers.registerPreparer(
          'dir',
          new CopyingDirectoryPreparer(
            DirectoryPreparer.fromConfig(config, { logger, reader }),
          ),
        );
      },
    });
  },
});
