import express from 'express';
import Router from 'express-promise-router';
import { InputError } from '@backstage/errors';
import {
  syntheticEntityQuerySchema,
  syntheticJourneyKeySchema,
  syntheticJourneyRequestSchema,
  syntheticListQuerySchema,
  syntheticRunsQuerySchema,
  syntheticSeriesQuerySchema,
} from '@reliability-suite/plugin-reliability-common';
import { Guards } from '../http/guards';
import { SyntheticService } from './SyntheticService';
import { CANARY_HEADERS } from './canary';

/** Synthetic journeys: the registry (one journey, or the registry CSV), runs with evidence, and the charts' series. */
export function syntheticRoutes(
  router: ReturnType<typeof Router>,
  deps: { guards: Guards; synthetics: SyntheticService },
) {
  const { guards, synthetics } = deps;
  // the canary's body is read raw (the signature covers its bytes); the router's JSON parser skips this path
  const canaryBody = express.raw({ type: () => true, limit: '64kb' });
  const csvBody = express.text({
    type: ['text/csv', 'text/plain'],
    limit: '1mb',
  });

  router.get('/synthetics', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await synthetics.list(
        guards.query(syntheticListQuerySchema, req),
        credentials,
      ),
    );
  });

  router.put('/synthetics/journeys', async (req, res) => {
    const body = guards.parse(syntheticJourneyRequestSchema, req.body, 'body');
    const credentials = await guards.caller(req);
    const out = await guards.audited(
      {
        eventId: 'synthetic-journey-put',
        severityLevel: 'medium',
        request: req,
      },
      async () => ({ result: await synthetics.put(body, credentials) }),
    );
    res.status(out.created ? 201 : 200).json(out.journey);
  });

  router.delete('/synthetics/journeys', async (req, res) => {
    const { entityRef, journey } = guards.query(syntheticJourneyKeySchema, req);
    const credentials = await guards.caller(req);
    await guards.audited(
      {
        eventId: 'synthetic-journey-delete',
        severityLevel: 'medium',
        request: req,
      },
      async () => ({
        result: await synthetics.remove(entityRef, journey, credentials),
      }),
    );
    res.status(204).end();
  });

  router.post('/synthetics/import', csvBody, async (req, res) => {
    const { entityRef } = guards.query(syntheticEntityQuerySchema, req);
    if (typeof req.body !== 'string')
      throw new InputError(
        'Invalid body: send the synthetic registry as CSV with Content-Type: text/csv',
      );
    const text = req.body;
    const credentials = await guards.caller(req);
    res.json(
      await guards.audited(
        { eventId: 'synthetic-import', severityLevel: 'medium', request: req },
        async () => ({
          result: await synthetics.import(entityRef, text, credentials),
        }),
      ),
    );
  });

  router.get('/synthetics/runs', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await synthetics.runs(
        guards.query(syntheticRunsQuerySchema, req),
        credentials,
      ),
    );
  });

  router.get('/synthetics/series', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await synthetics.series(
        guards.query(syntheticSeriesQuerySchema, req),
        credentials,
      ),
    );
  });

  // the webhook canary: no Backstage token (feature.ts lists it), the HMAC signature over the raw body authenticates
  router.post('/synthetics/canary', canaryBody, async (req, res) => {
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const out = synthetics.canary({
      key: header(CANARY_HEADERS.key),
      timestamp: header(CANARY_HEADERS.timestamp),
      signature: header(CANARY_HEADERS.signature),
      raw: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    });
    res.status(200).set(out.headers).type('application/json').send(out.body);
  });

  router.get('/synthetics/runs/:id/:what', async (req, res) => {
    const id = guards.positiveInt(req.params.id, 'id');
    const what = req.params.what;
    if (what !== 'screenshot' && what !== 'har')
      throw new InputError('Invalid path: evidence is screenshot or har');
    const { entityRef } = guards.query(syntheticEntityQuerySchema, req);
    const credentials = await guards.canRead(req);
    const v = await synthetics.evidence(entityRef, id, what, credentials);
    if (what === 'screenshot') res.type('image/png').send(v);
    else
      res
        .setHeader(
          'Content-Disposition',
          `attachment; filename="run-${id}.har"`,
        )
        .type('application/json')
        .send(v);
  });
}
