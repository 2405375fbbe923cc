import { parseEntityRef } from '@backstage/catalog-model';
import { ANNOTATION_RUNBOOK } from '@reliability-suite/plugin-reliability-common';
import { Feature } from '../http/feature';
import type { FeatureContext } from '../http/feature';
import type { RunbookStore } from './RunbookStore';
import { RunbookService } from './RunbookService';
import { runbookRoutes } from './routes';

/** Runbooks: from a repository (UrlReader) or written in the portal, versioned. */
export function createRunbookFeature(
  ctx: FeatureContext<{ runbooks: RunbookStore }>,
) {
  const runbooks = new RunbookService(
    ctx.catalog,
    ctx.auth,
    ctx.urlReader,
    ctx.stores.runbooks,
    text => ctx.redactor.text(text),
  );
  return {
    runbooks,
    routes: (router, { guards, now }) =>
      runbookRoutes(router, { guards, runbooks, now }),
    // the runbook counts only when it resolves: the annotation parses and the text is read, with its sections
    readinessFacts: async (entityRef, annotations) => {
      const annotation = annotations[ANNOTATION_RUNBOOK];
      const portal = annotation
        ? undefined
        : await ctx.stores.runbooks.latest(entityRef);
      if (!annotation && !portal) return { runbook: null };
      const where = annotation ?? `written in the portal (v${portal!.version})`;
      try {
        const { kind, namespace, name } = parseEntityRef(entityRef);
        const read = await runbooks.get(kind, namespace, name);
        return {
          runbook: { where, resolved: true, sections: read.sections.length },
        };
      } catch (e) {
        return {
          runbook: {
            where,
            resolved: false,
            problem: ctx.redactor.text((e as Error).message),
          },
        };
      }
    },
  } satisfies Feature & Record<string, unknown>;
}
