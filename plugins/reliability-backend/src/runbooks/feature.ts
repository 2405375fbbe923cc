import { Feature } from '../http/feature';
import type { SuiteContext } from '../wiring/context';
import { RunbookService } from './RunbookService';
import { runbookRoutes } from './routes';

/** Runbooks: from a repository (UrlReader) or written in the portal, versioned. */
export function createRunbookFeature(ctx: SuiteContext) {
  const runbooks = new RunbookService(ctx.catalog, ctx.auth, ctx.urlReader, ctx.stores.runbooks, text => ctx.redactor.text(text));
  return { runbooks, routes: (router, { guards, now }) => runbookRoutes(router, { guards, runbooks, now }) } satisfies Feature & Record<string, unknown>;
}
