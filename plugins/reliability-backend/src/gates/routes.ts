import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import {
  deployGateQuerySchema,
  DeployGateResponse,
  flaggerWebhookSchema,
  gateOverrideCreateSchema,
  gateOverridesQuerySchema,
  reliabilityGateOverridePermission,
  shortGateAnswer,
} from '@reliability-suite/plugin-reliability-common';
import { bearerMatches } from '../http/bearer';
import { Guards } from '../http/guards';
import { GateService } from './GateService';

const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const idSchema = z.string().regex(ID_RE, 'must be a gate override id (a UUID)');

/** 423 Locked: the gate is closed (a pipeline's step fails on it; Flagger halts on any status but 2xx). */
const CLOSED = 423;

/** The answer a status-reading client gets: 200 while the gate is open, 423 (with the reason) while it is closed. */
function sendStatus(res: express.Response, gate: DeployGateResponse) {
  const short = shortGateAnswer(gate);
  if (gate.open) {
    res.status(200).json(short);
    return;
  }
  res.status(CLOSED).json({
    error: { name: 'GateClosedError', message: `Gate closed: ${gate.reason}` },
    ...short,
  });
}

/**
 * The deploy gate: GET /gate in three shapes (the full answer, the flat one Argo Rollouts' `web` metric reads, and a
 * status a pipeline step fails on), Flagger's webhook (POST /gate/flagger, authenticated by its shared token, as
 * Flagger's webhooks send no headers), and the audited overrides that open a closed gate for a while.
 */
export function gateRoutes(
  router: ReturnType<typeof Router>,
  deps: {
    guards: Guards;
    gates: GateService;
    auth: AuthService;
    flaggerToken?: string;
  },
) {
  const { guards, gates } = deps;
  // a caller who may override the gate of no entity at all learns nothing about which entities or overrides exist
  const mayOverrideSome = async (credentials: BackstageCredentials) => {
    if (
      !(await guards.mayOnSome(credentials, reliabilityGateOverridePermission))
    )
      throw new NotAllowedError(
        `Missing permission ${reliabilityGateOverridePermission.name}: only the groups named in reliability.permissions.gateOverriders may override the deploy gate`,
      );
  };

  router.get('/gate', async (req, res) => {
    const credentials = await guards.canRead(req);
    const query = guards.query(deployGateQuerySchema, req);
    const gate = await gates.gate(query.entityRef, credentials);
    if (query.format === 'argo') res.json(shortGateAnswer(gate));
    else if (query.format === 'status') sendStatus(res, gate);
    else res.json(gate);
  });

  // Flagger's confirm-rollout / pre-rollout / confirm-promotion webhooks: 200 proceeds, anything else halts
  router.post('/gate/flagger', async (req, res) => {
    if (!deps.flaggerToken)
      throw new NotFoundError(
        "Flagger's gate webhook is off: set reliability.gate.flaggerToken",
      );
    const raw = req.body as { metadata?: { token?: unknown } } | undefined;
    const token =
      raw && typeof raw === 'object' && raw.metadata
        ? raw.metadata.token
        : undefined;
    if (
      !bearerMatches(
        typeof token === 'string' ? `Bearer ${token}` : undefined,
        deps.flaggerToken,
      )
    )
      throw new AuthenticationError(
        "Flagger gate webhook: missing or wrong token (the webhook's metadata.token, reliability.gate.flaggerToken)",
      );
    const body = guards.parse(flaggerWebhookSchema, req.body, 'body');
    // the token stands for the portal's operator: the gate is read as the plugin itself
    const gate = await gates.gate(
      body.metadata.entityRef,
      await deps.auth.getOwnServiceCredentials(),
    );
    sendStatus(res, gate);
  });

  router.get('/gate/overrides', async (req, res) => {
    const credentials = await guards.canRead(req);
    res.json(
      await gates.list(
        guards.query(gateOverridesQuerySchema, req),
        credentials,
      ),
    );
  });

  router.post('/gate/overrides', async (req, res) => {
    const body = guards.parse(gateOverrideCreateSchema, req.body, 'body');
    const credentials = await guards.caller(req);
    const created = await guards.audited(
      {
        eventId: 'gate-override-create',
        severityLevel: 'high',
        request: req,
        meta: { entityRef: body.entityRef, until: body.until },
      },
      async () => {
        await mayOverrideSome(credentials);
        const o = await gates.override(body, credentials);
        return {
          result: o,
          meta: {
            id: o.id,
            entityRef: o.entityRef,
            by: o.createdBy,
            reason: o.reason,
            until: o.until,
          },
        };
      },
    );
    res.status(201).json(created);
  });

  router.post('/gate/overrides/:id/revoke', async (req, res) => {
    const id = guards.parse(idSchema, req.params.id, 'path: id');
    const credentials = await guards.caller(req);
    res.json(
      await guards.audited(
        {
          eventId: 'gate-override-revoke',
          severityLevel: 'medium',
          request: req,
          meta: { id },
        },
        async () => {
          await mayOverrideSome(credentials);
          const o = await gates.revoke(id, credentials);
          return {
            result: o,
            meta: { id, entityRef: o.entityRef, by: o.revokedBy },
          };
        },
      ),
    );
  });
}
