import http from 'http';
import { AddressInfo } from 'net';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Registry } from 'prom-client';
import { RemediationActionError } from '@reliability-suite/plugin-reliability-node';
import { readReliabilityConfig } from '../config/readReliabilityConfig';
import { readSecretHygieneConfig } from '../config/secretHygieneConfig';
import { Redactor } from '../redaction/Redactor';
import { SecretHygiene } from '../secrets/SecretHygiene';
import { remediationAuthFailed } from '../secrets/feature';
import { ReliabilityDatabase } from '../wiring/ReliabilityDatabase';
import { callTarget } from './actions/http';
import { webhookAction } from './actions/webhook';
import { CircuitBreaker } from './CircuitBreaker';
import { ExecutionRunner } from './ExecutionRunner';
import { RemediationMetrics } from './metrics';
import { buildRemediationRules } from './rules';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-12-05T10:00:00Z');
const TOKEN = 'Bearer restart-token-PLANTED-0123456789';
const HEADERS = 'reliability.remediation.rules[0].params.headers';

/** The restart endpoint on loopback: answers the statuses of its script in turn (then 200). */
async function restartEndpoint(script: number[]) {
  const seen: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    req.resume();
    req.on('end', () => {
      const status = script.shift() ?? 200;
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: status === 200 ? null : 'nope' }));
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/restart`,
    seen,
    close: () => new Promise<void>(r => server.close(() => r())),
  };
}

describe('remediation errors carry the target status', () => {
  it('an answered call keeps its status; a refused one is not retried', async () => {
    const endpoint = await restartEndpoint([401, 503]);
    try {
      const call = () =>
        callTarget({
          method: 'POST',
          url: endpoint.url,
          headers: {},
          signal: new AbortController().signal,
        }).then(
          () => {
            throw new Error('the call did not fail');
          },
          (e: RemediationActionError) => e,
        );
      const refused = await call();
      expect(refused).toBeInstanceOf(RemediationActionError);
      expect([refused.status, refused.retryable]).toEqual([401, false]);
      const down = await call();
      expect([down.status, down.retryable]).toEqual([503, true]);
    } finally {
      await endpoint.close();
    }
  });
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('a remediation whose target refuses its credentials on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  async function setup(script: number[]) {
    const endpoint = await restartEndpoint(script);
    const config = new ConfigReader({
      reliability: {
        secrets: { owners: ['group:default/platform-sre'] },
        remediation: {
          rules: [
            {
              id: 'search-restart',
              entityRef: 'component:default/search',
              triggers: ['manual'],
              action: 'webhook',
              params: {
                url: endpoint.url,
                headers: { Authorization: TOKEN },
              },
            },
          ],
          kubernetes: {
            clusters: [
              {
                name: 'prod',
                url: 'https://k8s.test',
                serviceAccountToken: 'sa-PLANTED',
              },
            ],
          },
        },
      },
    });
    const rc = readReliabilityConfig(config);
    const knex = await databases.init(databaseId);
    const stores = (await ReliabilityDatabase.create(knex)).stores();
    const clock = { now: T0 };
    const sent: { owners: string[]; title: string; description: string }[] = [];
    const logger = mockServices.logger.mock();
    const hygiene = new SecretHygiene({
      config: () => readSecretHygieneConfig(config),
      store: stores.secrets,
      registry: new Registry(),
      notify: async (owners, p) => {
        sent.push({ owners, title: p.title, description: p.description });
      },
      logger,
      now: () => clock.now,
    });
    const redactor = Redactor.forConfig(rc.raw);
    const actions = new Map([[webhookAction.id, webhookAction]]);
    const [rule] = buildRemediationRules(
      rc.remediation.rules,
      actions,
      redactor,
    );
    const runner = new ExecutionRunner({
      store: stores.remediation,
      escalations: stores.escalations,
      actions,
      logger: mockServices.rootLogger({ level: 'error' }),
      redactor,
      auditor: mockServices.auditor.mock(),
      metrics: new RemediationMetrics(),
      breaker: new CircuitBreaker({ failureThreshold: 10, openMs: 60_000 }),
      holder: 'a',
      backoff: { baseMs: 1, capMs: 2 },
      leaseGraceMs: 1_000,
      now: () => clock.now,
      onAuthFailed: remediationAuthFailed(hygiene, rc.remediation.clusters),
    });
    let n = 0;
    const attempt = async () => {
      const exec = (
        await runner.record(rule, {
          kind: 'manual',
          id: `run-${++n}`,
          labels: {},
          annotations: {},
          receivedAt: clock.now,
        })
      ).run!;
      return runner.attempt(exec, rule, 1, true);
    };
    return { endpoint, hygiene, sent, logger, knex, rule, clock, attempt, rc };
  }

  it('a 401 escalates naming the secret of the rule by its config path, never its value; a 5xx does not', async () => {
    const { endpoint, hygiene, sent, logger, knex, rule, clock, attempt } =
      await setup([500, 401, 403]);
    try {
      expect(rule.configPath).toBe('reliability.remediation.rules[0]');
      // a failure that is not about credentials: nothing recorded
      expect(await attempt()).toMatchObject({
        outcome: 'failed',
        retryable: true,
      });
      expect(sent).toEqual([]);
      // refused: the owners are told once, naming the headers' path and where the call went
      expect(await attempt()).toMatchObject({
        outcome: 'failed',
        retryable: false,
      });
      expect(sent).toHaveLength(1);
      expect(sent[0].owners).toEqual(['group:default/platform-sre']);
      expect(sent[0].title).toBe(`Credentials refused: ${HEADERS} (HTTP 401)`);
      expect(sent[0].description).toContain(
        'remediation rule search-restart (webhook)',
      );
      // refused again within the hour: recorded, not sent again
      clock.now += 60_000;
      await attempt();
      expect(sent).toHaveLength(1);
      const page = await hygiene.list({});
      expect(
        page.items.find(s => s.secret === HEADERS)?.lastAuthFailure,
      ).toEqual({
        at: new Date(clock.now).toISOString(),
        where: 'remediation rule search-restart (webhook)',
        status: 403,
      });
      // the action did send the secret; nothing the suite keeps or says holds it
      expect(endpoint.seen).toEqual([TOKEN, TOKEN, TOKEN]);
      const rows = await knex('reliability_secret_hygiene').select();
      const attempts = await knex('reliability_remediation_attempts').select();
      for (const text of [
        JSON.stringify(sent),
        JSON.stringify(page),
        JSON.stringify(rows),
        JSON.stringify(attempts),
        JSON.stringify((logger.warn as jest.Mock).mock.calls),
      ])
        expect(text).not.toContain('PLANTED');
    } finally {
      await endpoint.close();
    }
  });

  it("a Kubernetes rule's refusal names its cluster's token", async () => {
    const { endpoint, hygiene, sent, rc } = await setup([]);
    try {
      await remediationAuthFailed(
        hygiene,
        rc.remediation.clusters,
      )({
        rule: {
          id: 'checkout-restart',
          action: 'kubernetes',
          params: { cluster: 'prod', operation: 'rollout-restart' },
        },
        status: 403,
      });
      expect(sent.map(s => s.title)).toEqual([
        'Credentials refused: reliability.remediation.kubernetes.clusters[0].serviceAccountToken (HTTP 403)',
      ]);
      expect(JSON.stringify(sent)).not.toContain('PLANTED');
    } finally {
      await endpoint.close();
    }
  });
});
