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
    readinessFacts: async (entityRef, annotations) => {
      const where = annotations['reliability.io/runbook'];
      if (where) return { runbook: { where } };
      const portal = await ctx.stores.runbooks.latest(entityRef);
      return {
        runbook: portal
          ? { where: `written in the portal (v${portal.version})` }
          : null,
      };
    },
  } satisfies Feature & Record<string, unknown>;
}
