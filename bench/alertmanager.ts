/*
 * What the remediation benches share: the engine as the plugin builds it from config, the Alertmanager receiver's
 * own route file with the real guards and service, and the body Alertmanager (webhook_config, version 4) posts.
 */
import express from 'express';
import http from 'http';
import { AddressInfo } from 'net';
import Router from 'express-promise-router';
import { Knex } from 'knex';
import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { benchAuditor, benchLogger } from './services';
import { RemediationStore } from '../plugins/reliability-backend/src/remediation/RemediationStore';
import { EscalationStore } from '../plugins/reliability-backend/src/remediation/EscalationStore';
import { RemediationEngine } from '../plugins/reliability-backend/src/remediation/RemediationEngine';
import { RemediationMetrics } from '../plugins/reliability-backend/src/remediation/metrics';
import { buildRemediationRules } from '../plugins/reliability-backend/src/remediation/rules';
import { webhookAction } from '../plugins/reliability-backend/src/remediation/actions/webhook';
import { readReliabilityConfig } from '../plugins/reliability-backend/src/config/readReliabilityConfig';
import { Redactor } from '../plugins/reliability-backend/src/redaction/Redactor';
import { createGuards } from '../plugins/reliability-backend/src/http/guards';
import { CatalogAccess } from '../plugins/reliability-backend/src/catalog/CatalogAccess';
import { alertmanagerRoutes } from '../plugins/reliability-backend/src/alertmanager/routes';
import { AlertmanagerService } from '../plugins/reliability-backend/src/alertmanager/AlertmanagerService';
import { AlertmanagerStore } from '../plugins/reliability-backend/src/alertmanager/AlertmanagerStore';

/** An HTTP server on a free loopback port. */
export async function listen(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

/** The remediation engine with the webhook action, its rules read from `reliability.remediation.rules` as the plugin reads them. */
export function benchRemediationEngine(
  knex: Knex,
  rules: object[],
  opts: { metrics?: RemediationMetrics; now?: () => number } = {},
) {
  const actions = new Map([[webhookAction.id, webhookAction]]);
  const rc = readReliabilityConfig(
    new ConfigReader({ reliability: { remediation: { rules } } }),
  );
  return new RemediationEngine({
    store: new RemediationStore(knex),
    escalations: new EscalationStore(knex),
    rules: buildRemediationRules(
      rc.remediation.rules,
      actions,
      Redactor.forConfig(rc.raw),
    ),
    actions,
    logger: benchLogger,
    auditor: benchAuditor,
    metrics: opts.metrics ?? new RemediationMetrics(),
    holder: 'bench',
    ...(opts.now ? { now: opts.now } : {}),
  });
}

/** The receiver's own route file with the real guards and service (the other features are not needed here). */
export function alertmanagerReceiver(
  knex: Knex,
  engine: RemediationEngine,
  secret: string,
) {
  const access = new CatalogAccess(catalogServiceMock({ entities: [] }));
  const router = Router();
  alertmanagerRoutes(router, {
    guards: createGuards({
      httpAuth: mockServices.httpAuth(),
      permissions: mockServices.permissions(),
      auditor: benchAuditor,
      access,
    }),
    alertmanager: new AlertmanagerService({
      store: new AlertmanagerStore(knex),
      remediation: engine,
      access,
    }),
    secret,
    json: express.json({ limit: '5mb' }),
  });
  return router;
}

/** The body Alertmanager posts for one firing alert (its fingerprint derived from the id). */
export function alertmanagerBody(
  id: string,
  alertname: string,
  startsAt: string,
) {
  return JSON.stringify({
    version: '4',
    groupKey: '{}:{}',
    status: 'firing',
    receiver: 'backstage',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1',
    alerts: [
      {
        status: 'firing',
        labels: { alertname, severity: 'error', id },
        annotations: {},
        startsAt,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: Buffer.from(id).toString('hex').padStart(16, '0'),
      },
    ],
  });
}
