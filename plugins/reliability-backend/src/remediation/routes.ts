import Router from 'express-promise-router';
import {
  AuthenticationError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  reliabilityRemediationExecutePermission,
  remediationsQuerySchema,
  runRemediationSchema,
} from '@reliability-suite/plugin-reliability-common';
import { bearerMatches } from '../http/bearer';
import { Guards } from '../http/guards';
import { RemediationEngine } from './RemediationEngine';
import { RemediationMetrics, SELFHEAL_ALERT_RULES } from './metrics';

/** Self-healing: the history, Run now, the self-healing alert rules and the metrics. */
export function remediationRoutes(
  router: ReturnType<typeof Router>,
  deps: {
    guards: Guards;
    remediation: RemediationEngine;
    metrics: RemediationMetrics;
    metricsToken?: string;
  },
) {
  const { guards, remediation } = deps;

  router.get('/remediations', async (req, res) => {
    const credentials = await guards.canRead(req);
    const query = guards.query(remediationsQuerySchema, req);
    const entityRef = query.entityRef?.toLocaleLowerCase('en-US');
    const visible = await guards.visible(
      entityRef ? [entityRef] : remediation.rules.map(r => r.entityRef),
      credentials,
    );
    if (entityRef && !visible(entityRef))
      throw new NotFoundError(`No entity ${entityRef}`);
    res.json(
      await remediation.page(
        entityRef,
        query.limit ?? 100,
        query.cursor,
        visible,
      ),
    );
  });

  router.post('/remediations/run', async (req, res) => {
    const credentials = await guards.user(req);
    const body = guards.parse(runRemediationSchema, req.body, 'body');
    const rule = remediation.rule(body.ruleId);
    if (!rule)
      throw new NotFoundError(`ruleId: no remediation rule '${body.ruleId}'`);
    const execution = await guards.audited(
      {
        eventId: 'remediation-run-now',
        severityLevel: 'high',
        request: req,
        meta: {
          ruleId: rule.id,
          entityRef: rule.entityRef,
          dryRun: Boolean(body.dryRun),
        },
      },
      async () => {
        if (
          !(await guards.allowedOn(
            credentials,
            reliabilityRemediationExecutePermission,
            rule.entityRef,
          ))
        ) {
          throw new NotAllowedError(
            `Missing permission ${reliabilityRemediationExecutePermission.name} on ${rule.entityRef}: only its owners may run its remediations`,
          );
        }
        const done = await remediation.runNow(
          rule,
          body,
          credentials.principal.userEntityRef,
        );
        return {
          result: done,
          meta: { executionId: done.id, state: done.state },
        };
      },
    );
    res.status(202).json(execution);
  });

  router.get('/remediations/prometheus-rules', async (req, res) => {
    await guards.canRead(req);
    res
      .status(200)
      .type('text/yaml')
      .setHeader(
        'Content-Disposition',
        'attachment; filename="selfheal.rules.yaml"',
      )
      .send(SELFHEAL_ALERT_RULES);
  });

  router.get('/metrics', async (req, res) => {
    // optionally behind a bearer token, as Prometheus scrapes (scrape_config authorization.credentials)
    if (
      deps.metricsToken &&
      !bearerMatches(req.headers.authorization, deps.metricsToken)
    ) {
      throw new AuthenticationError(
        'Metrics: missing or wrong bearer token (reliability.metrics.token)',
      );
    }
    res
      .status(200)
      .type(deps.metrics.registry.contentType)
      .send(await deps.metrics.registry.metrics());
  });
}
