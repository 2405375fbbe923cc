import { dirname } from 'path';
import { mkdir, writeFile } from 'fs/promises';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { runbookSkeleton } from '@reliability-suite/plugin-reliability-common';

/**
 * `reliability:runbook:create`: writes the standard runbook skeleton (Dashboards, SLOs, Dependencies, Guardrails,
 * Symptoms, Checks, Mitigations, Comms) for an entity, filled in with its owner and the SLOs that measure it, read
 * from the catalog with the task's credentials.
 * @public
 */
export function createRunbookAction(deps: {
  catalog: CatalogService;
  auth: AuthService;
}) {
  return createTemplateAction({
    id: 'reliability:runbook:create',
    description:
      'Writes the standard runbook skeleton of an entity, with its owner and SLOs filled in',
    examples: [
      {
        description: "checkout's runbook, next to its catalog file",
        example: `steps:
  - id: runbook
    action: reliability:runbook:create
    input:
      entityRef: component:default/checkout
      targetPath: runbooks/checkout.md`,
      },
    ],
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          z
            .string()
            .regex(
              /^[a-zA-Z0-9_-]+:[a-zA-Z0-9_.-]+\/[a-zA-Z0-9_.-]+$/,
              'must be an entity ref such as component:default/checkout',
            )
            .describe('The entity (EntityPicker)'),
        targetPath: z =>
          z
            .string()
            .optional()
            .describe(
              'Where to write it in the workspace (default runbooks/<name>.md)',
            ),
        owner: z =>
          z
            .string()
            .optional()
            .describe(
              'The owner, for an entity not in the catalog yet (a new service)',
            ),
        slos: z =>
          z
            .array(z.string())
            .optional()
            .describe('The SLOs, for an entity not in the catalog yet'),
      },
      output: {
        path: z => z.string(),
        markdown: z => z.string(),
        link: z =>
          z
            .string()
            .describe(
              'The value for the entity annotation reliability.io/runbook',
            ),
      },
    },
    async handler(ctx) {
      const ref = parseEntityRef(ctx.input.entityRef);
      const credentials = await ctx.getInitiatorCredentials();
      const entity = await deps.catalog.getEntityByRef(
        stringifyEntityRef(ref),
        { credentials },
      );
      // a new service (the new-component template) is not in the catalog yet: its owner and SLOs come as input
      if (!entity && !ctx.input.owner)
        throw new InputError(
          `entityRef: no entity ${stringifyEntityRef(
            ref,
          )} in the catalog (or not visible to you); give owner for a new one`,
        );
      const { items } = entity
        ? await deps.catalog.getEntities(
            {
              filter: {
                kind: 'SLO',
                'relations.measures': stringifyEntityRef(ref),
              },
              fields: ['metadata.name', 'metadata.namespace'],
            },
            { credentials },
          )
        : {
            items: (ctx.input.slos ?? []).map(name => ({ metadata: { name } })),
          };
      const owner =
        entity && typeof entity.spec?.owner === 'string'
          ? entity.spec.owner
          : ctx.input.owner;
      const name = entity?.metadata.name ?? ref.name;
      const markdown = runbookSkeleton({
        name,
        owner,
        slos: items.map(s => s.metadata.name).sort(),
      });
      const rel = ctx.input.targetPath ?? `runbooks/${name}.md`;
      const file = resolveSafeChildPath(ctx.workspacePath, rel);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, markdown, 'utf8');
      ctx.logger.info(
        `${
          ctx.isDryRun ? 'Dry run: ' : ''
        }wrote ${rel} for ${stringifyEntityRef(ref)} (${items.length} SLOs)`,
      );
      ctx.output('path', rel);
      ctx.output('markdown', markdown);
      // the annotation's value for a catalog file at the workspace root: a relative path, which the parser reads with ./
      ctx.output('link', rel.startsWith('./') ? rel : `./${rel}`);
    },
  });
}
