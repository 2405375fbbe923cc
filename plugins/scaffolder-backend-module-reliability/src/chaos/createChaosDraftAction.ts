import { readFile } from 'fs/promises';
import { parse } from 'yaml';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  AuthService,
  DiscoveryService,
  resolveSafeChildPath,
} from '@backstage/backend-plugin-api';

/** The largest experiment file the action sends (the backend's own limit on a request body is larger). */
const MAX_FILE_BYTES = 64 * 1024;

/**
 * `reliability:chaos:draft`: makes the experiment file that `reliability:chaos:create` wrote a draft on the entity's
 * Reliability tab (POST /chaos of the reliability backend, as the user who runs the template: the author). Someone
 * else approves it there, and then it can start. The backend lints it again with the entity's SLOs.
 * @public
 */
export function createChaosDraftAction(deps: {
  discovery: DiscoveryService;
  auth: AuthService;
}) {
  return createTemplateAction({
    id: 'reliability:chaos:draft',
    description:
      "Makes an experiment file a draft on the entity's Reliability tab, where someone else approves it and it starts",
    examples: [
      {
        description: 'The experiment written by reliability:chaos:create',
        example: `steps:
  - id: draft
    action: reliability:chaos:draft
    input:
      entityRef: component:default/checkout
      path: \${{ steps.chaos.output.path }}`,
      },
    ],
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          z.string().describe('The entity the experiment is about'),
        path: z =>
          z
            .string()
            .min(1)
            .max(500)
            .describe('The experiment file in the workspace'),
      },
      output: {
        id: z => z.number().describe("The draft's id on the Reliability tab"),
      },
    },
    async handler(ctx) {
      const file = resolveSafeChildPath(ctx.workspacePath, ctx.input.path);
      const text = await readFile(file, 'utf8');
      if (Buffer.byteLength(text) > MAX_FILE_BYTES)
        throw new InputError(
          `path: ${ctx.input.path} is larger than ${MAX_FILE_BYTES} bytes`,
        );
      let experiment: unknown;
      try {
        experiment = parse(text);
      } catch (e) {
        throw new InputError(
          `path: ${ctx.input.path} is not YAML: ${(e as Error).message}`,
        );
      }
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would make ${ctx.input.path} a draft of ${ctx.input.entityRef}`,
        );
        ctx.output('id', 0);
        return;
      }
      const { token } = await deps.auth.getPluginRequestToken({
        onBehalfOf: await ctx.getInitiatorCredentials(),
        targetPluginId: 'reliability',
      });
      const res = await fetch(
        `${await deps.discovery.getBaseUrl('reliability')}/chaos`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({
            entityRef: ctx.input.entityRef,
            experiment,
          }),
        },
      );
      const body = (await res.json().catch(() => undefined)) as any;
      if (!res.ok)
        throw new InputError(
          `The reliability backend refused the draft (${res.status}): ${
            body?.error?.message ?? res.statusText
          }`,
        );
      ctx.logger.info(
        `Draft ${body.id} of ${ctx.input.entityRef}: approve it on the Reliability tab`,
      );
      ctx.output('id', body.id);
    },
  });
}
