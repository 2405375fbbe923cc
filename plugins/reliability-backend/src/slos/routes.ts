import type { WriteFence } from '../database/writeFence';
import { idempotencyFence } from '../idempotency/routes';
import Router from 'express-promise-router';
import {
  historyQuerySchema,
  listQuerySchema,
  reliabilityEventsIngestPermission,
  sloBacktestRequestSchema,
} from '@reliability-suite/plugin-reliability-common';
import { NotAllowedError } from '@backstage/errors';
import { Guards } from '../http/guards';
import { SloService } from './SloService';
import { BacktestService } from './BacktestService';

/** SLOs: list, one, history, Prometheus rules, and SLI ingest. */
export function sloRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; slos: SloService; backtests?: BacktestService },
) {
  const { guards, slos, backtests } = deps;

  // a dry run: the objective of a new SLO replayed over its SLI's history (the scaffolder's "New SLO" calls it)
  router.post('/slos/backtest', async (req, res) => {
    const credentials = await guards.canRead(req);
    const body = guards.parse(sloBacktestRequestSchema, req.body, 'body');
    if (!backtests)
      throw new NotAllowedError('Backtests are not available on this backend');
    res.json(await backtests.run(body, credentials));
  });

  router.get('/slos', async (req, res) => {
    const credentials = await guards.canRead(req);
    res
      .type('application/json')
      .send(
        await slos.listJson(guards.query(listQuerySchema, req), credentials),
      );
  });

  router.get('/slos/:namespace/:name', async (req, res) => {
    const credentials = await guards.canRead(req);
    const { namespace, name } = guards.sloPath(req.params);
    res
      .type('application/json')
      .send(await slos.getJson(namespace, name, credentials));
  });

  router.get('/slos/:namespace/:name/history', async (req, res) => {
    const credentials = await guards.canRead(req);
    const query = guards.query(historyQuerySchema, req);
    const { namespace, name } = guards.sloPath(req.params);
    res.json(await slos.history(namespace, name, query, credentials));
  });

  router.get('/slos/:namespace/:name/prometheus-rules', async (req, res) => {
    const credentials = await guards.canRead(req);
    const { namespace, name } = guards.sloPath(req.params);
    const file = await slos.prometheusRules(namespace, name, credentials);
    res
      .status(200)
      .type('text/yaml')
      .setHeader(
        'Content-Disposition',
        `attachment; filename="${file.filename}"`,
      )
      .send(file.yaml);
  });

  // the SLO in another format: OpenSLO v1, a Sloth spec or a Pyrra resource (400 naming the field it cannot carry)
  router.get('/slos/:namespace/:name/export/:format', async (req, res) => {
    const credentials = await guards.canRead(req);
    const { namespace, name } = guards.sloPath(req.params);
    const file = await slos.exportAs(
      namespace,
      name,
      String(req.params.format),
      credentials,
    );
    res
      .status(200)
      .type('text/yaml')
      .setHeader(
        'Content-Disposition',
        `attachment; filename="${file.filename}"`,
      )
      .send(file.yaml);
  });

  // GET /gate, the launch gate, is the deploy gate's (gates/routes.ts): with its overrides and pipeline shapes

  // SLI events (good/total) and threshold values: the same gate, audit and answer
  const ingestRoute = (
    path: string,
    ingest: (
      body: unknown,
      credentials: Awaited<ReturnType<Guards['caller']>>,
      fence: WriteFence | undefined,
    ) => Promise<number>,
  ) =>
    router.post(path, async (req, res) => {
      const credentials = await guards.caller(req);
      // a caller who may ingest for no entity at all learns nothing about which SLOs exist
      if (
        !(await guards.mayOnSome(
          credentials,
          reliabilityEventsIngestPermission,
        ))
      )
        throw new NotAllowedError(
          `Missing permission ${reliabilityEventsIngestPermission.name}`,
        );
      const accepted = await guards.audited(
        { eventId: 'sli-ingest', severityLevel: 'low', request: req },
        async () => {
          const n = await ingest(
            req.body,
            credentials,
            idempotencyFence(res, (count: number) => ({
              status: 202,
              body: { accepted: count },
            })),
          );
          return { result: n, meta: { accepted: n } };
        },
      );
      res.status(202).json({ accepted });
    });
  ingestRoute('/sli-events', (body, credentials, fence) =>
    slos.ingest(body, credentials, fence),
  );
  ingestRoute('/sli-values', (body, credentials, fence) =>
    slos.ingestValues(body, credentials, fence),
  );
}
