import { dirname, join, relative } from 'path';
import { mkdir, readFile, stat, writeFile } from 'fs/promises';
import { ConflictError, InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';

/**
 * `reliability:publish:local`: the demo's publisher. Copies files from the workspace into a folder on this machine
 * (`reliability.scaffolder.publishDir`, which the catalog reads). When a Location entity reads that folder with a glob
 * (`reliability.scaffolder.locationRef`), that location is refreshed at once; otherwise each new catalog file is
 * registered as a `file:` location. Either way a new SLO is on its entity's tab within a minute. Never overwrites a file unless asked; never writes
 * outside the folder. For real repositories use `publish:github:pull-request` or `publish:gitlab:merge-request`, then
 * `catalog:register` (see the README).
 * @public
 */
export function publishLocalAction(deps: {
  catalog: CatalogService;
  publishDir?: string;
  locationRef?: string;
}) {
  return createTemplateAction({
    id: 'reliability:publish:local',
    description:
      'Copies workspace files into the local catalog folder (reliability.scaffolder.publishDir) and registers the catalog files',
    examples: [
      {
        description: 'Publish the SLO written by reliability:slo:create',
        example: `steps:
  - id: publish
    action: reliability:publish:local
    input:
      files: ['\${{ steps.slo.output.path }}']`,
      },
    ],
    supportsDryRun: true,
    schema: {
      input: {
        files: z =>
          z
            .array(z.string().min(1).max(500))
            .min(1, 'needs at least one file')
            .max(20)
            .describe('Workspace paths to publish'),
        overwrite: z =>
          z.boolean().default(false).describe('Replace a file already there'),
        register: z =>
          z
            .boolean()
            .default(true)
            .describe('Register .yaml files with the catalog'),
      },
      output: {
        published: z => z.array(z.string()).describe('Absolute paths written'),
        registered: z =>
          z
            .array(z.string())
            .describe('Locations registered, or the location refreshed'),
      },
    },
    async handler(ctx) {
      if (!deps.publishDir)
        throw new InputError(
          'reliability.scaffolder.publishDir is not configured: nowhere to publish to on this machine',
        );
      const published: string[] = [];
      const registered: string[] = [];
      for (const rel of ctx.input.files) {
        const from = resolveSafeChildPath(ctx.workspacePath, rel);
        // the same path below the publish folder, never outside it
        const to = resolveSafeChildPath(
          deps.publishDir,
          relative(ctx.workspacePath, from),
        );
        const exists = await stat(to).then(
          () => true,
          () => false,
        );
        if (exists && !ctx.input.overwrite)
          throw new ConflictError(
            `${relative(
              deps.publishDir,
              to,
            )} already exists in the catalog folder; choose another name or set overwrite`,
          );
        if (ctx.isDryRun) {
          ctx.logger.info(
            `Dry run: would publish ${rel} to ${join(
              deps.publishDir,
              relative(ctx.workspacePath, from),
            )}`,
          );
          continue;
        }
        await mkdir(dirname(to), { recursive: true });
        await writeFile(to, await readFile(from));
        published.push(to);
        if (
          ctx.input.register &&
          !deps.locationRef &&
          /\.ya?ml$/.test(to) &&
          !exists
        ) {
          const credentials = await ctx.getInitiatorCredentials();
          await deps.catalog.addLocation(
            { type: 'file', target: to },
            { credentials },
          );
          registered.push(`file:${to}`);
        }
      }
      if (deps.locationRef && published.length) {
        await deps.catalog.refreshEntity(deps.locationRef, {
          credentials: await ctx.getInitiatorCredentials(),
        });
        registered.push(deps.locationRef);
      }
      ctx.output('published', published);
      ctx.output('registered', registered);
    },
  });
}
