import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import { AddressInfo } from 'net';
import path from 'path';
import { promisify } from 'util';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { JSONPath } from 'jsonpath-plus';
import { Knex } from 'knex';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { reliabilityPlugin } from '../plugin';
import { manualScheduler } from '../__testUtils__/scheduler';
import { component, ingestSlo } from '../__testUtils__/entities';
import { KnexGateOverrideStore } from './GateOverrideStore';

jest.setTimeout(120_000);

const run = promisify(execFile);
const PKG = path.resolve(__dirname, '../..');
const README = readFileSync(path.join(PKG, 'README.md'), 'utf8');
const CLI = path.join(PKG, 'bin/reliability-gate.js');
const EXAMPLE = 'https://backstage.example.com';
const CHECKOUT = 'component:default/checkout';
const RELEASE = 'user:default/release-manager';
const STRANGER = 'user:default/stranger';
const FLAGGER_TOKEN = 'flagger-token-0123456789abcdef';
const MIN = 60_000;

/**
 * The README's snippet after `<!-- deploy-gate: NAME -->`: the fenced block that follows the marker. Read line by
 * line, as the install test reads its snippets, so the test runs exactly what the README shows.
 */
function snippet(name: string): string {
  const lines = README.split('\n');
  const at = lines.findIndex(l => l.trim() === `<!-- deploy-gate: ${name} -->`);
  if (at < 0) throw new Error(`README has no deploy-gate snippet ${name}`);
  let i = at + 1;
  while (i < lines.length && lines[i].trim() === '') i++;
  if (!lines[i]?.startsWith('```'))
    throw new Error(
      `README: the ${name} marker is not followed by a code block`,
    );
  const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
  return lines.slice(i + 1, end).join('\n');
}

/**
 * Argo Rollouts' `web` provider and measurement, for the documented template: the URL and headers with `{{ args.X }}`
 * substituted, a GET, a non-2xx answer an Error; the `jsonPath` (Kubernetes JSONPath: `{...}` around a JSONPath
 * expression) evaluated with jsonpath-plus (a dependency of this package already); the `successCondition` by a minimal
 * evaluator that knows only `result == true` and `result == false` and refuses any other expression (so a README that
 * documents another condition fails here until this learns it).
 */
async function argoMeasure(
  base: string,
  args: Record<string, string>,
): Promise<{ phase: 'Successful' | 'Failed' | 'Error'; result?: unknown }> {
  const template = parseYaml(snippet('argo-analysis-template'));
  expect(template.kind).toBe('AnalysisTemplate');
  const declared = template.spec.args.map((a: { name: string }) => a.name);
  expect(Object.keys(args).sort()).toEqual([...declared].sort());
  const [metric] = template.spec.metrics;
  const web = metric.provider.web;
  const sub = (text: string) => {
    let out = text;
    for (const [k, v] of Object.entries(args))
      out = out.split(`{{ args.${k} }}`).join(v);
    expect(out).not.toContain('{{');
    return out;
  };
  const url = sub(web.url).replace(EXAMPLE, base);
  const headers = Object.fromEntries(
    (web.headers ?? []).map((h: { key: string; value: string }) => [
      h.key,
      sub(h.value),
    ]),
  );
  const res = await fetch(url, { method: web.method ?? 'GET', headers });
  if (res.status < 200 || res.status >= 300) return { phase: 'Error' };
  const body = await res.json();
  const jsonPath: string = web.jsonPath;
  expect(jsonPath.startsWith('{') && jsonPath.endsWith('}')).toBe(true);
  const result = JSONPath({
    path: jsonPath.slice(1, -1),
    json: body,
    wrap: false,
  });
  const condition = String(metric.successCondition).trim();
  let success: boolean;
  if (condition === 'result == true') success = result === true;
  else if (condition === 'result == false') success = result === false;
  else throw new Error(`no evaluator for successCondition ${condition}`);
  return { phase: success ? 'Successful' : 'Failed', result };
}

/** Flagger calling the README canary's confirm-rollout webhook: its payload, POSTed; 200 proceeds, any other halts. */
async function flaggerCall(
  base: string,
  token = FLAGGER_TOKEN,
): Promise<{ status: number; proceeds: boolean; body: any }> {
  const canary = parseYaml(snippet('flagger-canary'));
  expect(canary.kind).toBe('Canary');
  const hook = canary.spec.analysis.webhooks.find(
    (w: { type: string }) => w.type === 'confirm-rollout',
  );
  const res = await fetch(hook.url.replace(EXAMPLE, base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: canary.metadata.name,
      namespace: canary.metadata.namespace,
      phase: 'Progressing',
      checksum: '6c7b9d',
      metadata: { ...hook.metadata, token },
    }),
  });
  const body = await res.json().catch(() => undefined);
  return { status: res.status, proceeds: res.status === 200, body };
}

/** A README workflow step run as GitHub Actions runs `run:` on Linux (bash -e, pipefail), its env filled in. */
async function workflowStep(
  name: string,
  base: string,
  token: string,
): Promise<{ code: number; out: string }> {
  const [step] = parseYaml(snippet(name));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GITHUB_ACTIONS: 'true',
  };
  for (const [k, v] of Object.entries(step.env as Record<string, string>))
    env[k] = String(v);
  expect(env.BACKSTAGE_TOKEN).toBe('${{ secrets.BACKSTAGE_GATE_TOKEN }}');
  env.BACKSTAGE_URL = env.BACKSTAGE_URL.replace(EXAMPLE, base);
  env.BACKSTAGE_TOKEN = token;
  const script = String(step.run)
    .split('node scripts/reliability-gate.js')
    .join(`${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)}`);
  try {
    const r = await run(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
      { env, timeout: 30_000 },
    );
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e: any) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('deploy gate on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  let knex: Knex;
  let server: any;
  let base: string;
  let scheduler: ReturnType<typeof manualScheduler>;
  const audits: {
    eventId: string;
    status: string;
    meta?: any;
    error?: string;
  }[] = [];

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    scheduler = manualScheduler();
    audits.length = 0;
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        mockServices.database.factory({ knex }),
        // a request without a token is anonymous (not the mock's default user): the gate must refuse it
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        catalogServiceMock.factory({
          entities: [
            component('checkout', 'payments-sre'),
            component('search', 'search-sre'),
            ingestSlo('checkout-success', 'checkout'),
          ],
        }),
        // the named role: only the release manager may override the gate (the portal's policy reads the group from
        // reliability.permissions.gateOverriders; packages/backend tests it)
        mockServices.permissions.mock({
          authorize: async (requests, { credentials }) =>
            requests.map(r => {
              const p = credentials.principal as { userEntityRef?: string };
              return {
                result:
                  r.permission.name === 'reliability.gate.override' &&
                  p.userEntityRef !== RELEASE
                    ? AuthorizeResult.DENY
                    : AuthorizeResult.ALLOW,
              };
            }) as any,
          // the stranger may override nowhere (refused before any lookup); search's owner somewhere, not on checkout
          authorizeConditional: async (requests, { credentials }) =>
            requests.map(r => ({
              result:
                r.permission.name === 'reliability.gate.override' &&
                (credentials.principal as { userEntityRef?: string })
                  .userEntityRef === STRANGER
                  ? AuthorizeResult.DENY
                  : AuthorizeResult.ALLOW,
            })) as any,
        }).factory,
        mockServices.auditor.mock({
          createEvent: async (options: any) => ({
            success: async (s?: any) =>
              void audits.push({
                eventId: options.eventId,
                status: 'succeeded',
                meta: { ...options.meta, ...s?.meta },
              }),
            fail: async (f: any) =>
              void audits.push({
                eventId: options.eventId,
                status: 'failed',
                error: String(f?.error?.message),
              }),
          }),
        }).factory,
        mockServices.rootConfig.factory({
          data: {
            reliability: {
              evaluation: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 1 },
                  initialDelay: { hours: 24 },
                },
              },
              gate: { maxOverride: '2h', flaggerToken: FLAGGER_TOKEN },
            },
          },
        }),
      ],
    });
    server = backend.server;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await scheduler.evaluate();
  });

  const as = (who: string) =>
    who === 'service'
      ? mockCredentials.service.header()
      : mockCredentials.user.header(who);
  const serviceToken = mockCredentials.service.header().slice('Bearer '.length);
  const gate = (query = `entityRef=${CHECKOUT}`, who = 'service') =>
    request(server)
      .get(`/api/reliability/gate?${query}`)
      .set('Authorization', as(who));
  const override = (body: object, who = RELEASE) =>
    request(server)
      .post('/api/reliability/gate/overrides')
      .set('Authorization', as(who))
      .send(body);
  const inHours = (h: number) =>
    new Date(Date.now() + h * 3_600_000).toISOString();

  /** Thirty minutes in which checkout's SLO fails half its requests: its budget is spent, the gate closes. */
  async function burn() {
    const minute = (ago: number) =>
      Math.floor(Date.now() / MIN) * MIN - ago * MIN + 5_000;
    const events = Array.from({ length: 30 }, (_, k) => ({
      slo: 'default/checkout-success',
      timestamp: new Date(minute(30 - k)).toISOString(),
      good: 50,
      total: 100,
    }));
    const res = await request(server)
      .post('/api/reliability/sli-events')
      .set('Authorization', as('service'))
      .send({ events });
    expect(res.status).toBe(202);
    await scheduler.evaluate();
  }

  /** What every documented consumer of the gate concludes now. */
  async function consumers() {
    const args = { 'entity-ref': CHECKOUT, 'backstage-token': serviceToken };
    const [argo, flagger, curl, cli] = [
      await argoMeasure(base, args),
      await flaggerCall(base),
      await workflowStep('github-step', base, serviceToken),
      await workflowStep('github-step-cli', base, serviceToken),
    ];
    return { argo, flagger, curl, cli };
  }

  it('answers open, then closed when the budget burns, in the shapes Argo Rollouts, Flagger and a workflow step read (the README snippets run against it)', async () => {
    // no data yet: nothing to freeze
    let full = await gate();
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({
      entityRef: CHECKOUT,
      open: true,
      allow: true,
      override: null,
    });
    let seen = await consumers();
    expect(seen.argo).toEqual({ phase: 'Successful', result: true });
    expect(seen.flagger).toMatchObject({ status: 200, proceeds: true });
    expect(seen.curl.code).toBe(0);
    expect(seen.cli.code).toBe(0);
    expect(seen.cli.out).toContain(`Deploy gate of ${CHECKOUT} is open`);

    await burn();
    full = await gate();
    expect(full.body).toMatchObject({ open: false, allow: false });
    expect(full.body.reason).toContain(
      'launch freeze: default/checkout-success',
    );
    expect(full.body.slos).toEqual([
      expect.objectContaining({
        ref: 'default/checkout-success',
        allow: false,
      }),
    ]);
    const argoShape = await gate(`entityRef=${CHECKOUT}&format=argo`);
    expect(argoShape.body).toEqual({
      entityRef: CHECKOUT,
      open: false,
      reason: full.body.reason,
      override: null,
    });
    const status = await gate(`entityRef=${CHECKOUT}&format=status`);
    expect(status.status).toBe(423);
    expect(status.body.error.message).toContain('launch freeze');

    seen = await consumers();
    expect(seen.argo).toEqual({ phase: 'Failed', result: false });
    expect(seen.flagger.status).toBe(423);
    expect(seen.flagger.proceeds).toBe(false);
    expect(seen.flagger.body.reason).toContain('launch freeze');
    expect(seen.curl.code).toBe(22); // curl --fail-with-body on an HTTP error
    expect(seen.curl.out).toContain('launch freeze');
    expect(seen.cli.code).toBe(1);
    expect(seen.cli.out).toContain(
      `Deploy gate of ${CHECKOUT} is closed: launch freeze`,
    );
    expect(seen.cli.out).toContain('::error title=Deploy gate::');

    // another entity's gate is its own
    expect((await gate('entityRef=component:default/search')).body.open).toBe(
      true,
    );
  });

  it('an override by the named role opens the closed gate for every consumer, shows who, why and until, is audited, listed, and revoked', async () => {
    await burn();
    const until = inHours(1);
    const created = await override({
      entityRef: CHECKOUT,
      reason: 'hotfix for the OTP outage, INC-42',
      until,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      entityRef: CHECKOUT,
      reason: 'hotfix for the OTP outage, INC-42',
      createdBy: RELEASE,
      until: new Date(until).toISOString(),
      active: true,
    });
    expect(audits).toContainEqual({
      eventId: 'gate-override-create',
      status: 'succeeded',
      meta: expect.objectContaining({
        id: created.body.id,
        by: RELEASE,
        entityRef: CHECKOUT,
        reason: 'hotfix for the OTP outage, INC-42',
      }),
    });

    const full = await gate();
    expect(full.body).toMatchObject({
      open: true,
      allow: false,
      override: { id: created.body.id, createdBy: RELEASE },
    });
    expect(full.body.reason).toContain(`open by override of ${RELEASE}`);
    expect(
      (await gate(`entityRef=${CHECKOUT}&format=argo`)).body.override,
    ).toEqual({
      by: RELEASE,
      reason: 'hotfix for the OTP outage, INC-42',
      until: new Date(until).toISOString(),
    });
    const seen = await consumers();
    expect(seen.argo.phase).toBe('Successful');
    expect(seen.flagger.status).toBe(200);
    expect(seen.curl.code).toBe(0);
    expect(seen.cli.code).toBe(0);
    expect(seen.cli.out).toContain(`override by ${RELEASE}`);

    // listed, paginated, newest first
    const second = await override({
      entityRef: CHECKOUT,
      reason: 'second release',
      until: inHours(2),
    });
    expect(second.status).toBe(201);
    const page1 = await request(server)
      .get(`/api/reliability/gate/overrides?entityRef=${CHECKOUT}&limit=1`)
      .set('Authorization', as(STRANGER));
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((o: any) => o.id)).toEqual([second.body.id]);
    const page2 = await request(server)
      .get(
        `/api/reliability/gate/overrides?entityRef=${CHECKOUT}&limit=1&cursor=${page1.body.nextCursor}`,
      )
      .set('Authorization', as(STRANGER));
    expect(page2.body.items.map((o: any) => o.id)).toEqual([created.body.id]);
    expect(page2.body.nextCursor).toBeUndefined();

    // revoked: the other one still holds the gate open; both revoked, it closes
    const revoke = (id: string, who = RELEASE) =>
      request(server)
        .post(`/api/reliability/gate/overrides/${id}/revoke`)
        .set('Authorization', as(who));
    expect((await revoke(second.body.id, STRANGER)).status).toBe(403);
    const revoked = await revoke(second.body.id);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ revokedBy: RELEASE, active: false });
    expect((await gate()).body.override.id).toBe(created.body.id);
    expect((await revoke(created.body.id)).status).toBe(200);
    expect((await revoke(created.body.id)).status).toBe(409);
    expect((await gate()).body).toMatchObject({ open: false, override: null });
    expect(
      (await workflowStep('github-step-cli', base, serviceToken)).code,
    ).toBe(1);
    expect(
      audits
        .filter(a => a.eventId === 'gate-override-revoke')
        .map(a => a.status),
    ).toEqual(['failed', 'succeeded', 'succeeded', 'failed']);
    const active = await request(server)
      .get(`/api/reliability/gate/overrides?active=true`)
      .set('Authorization', as(STRANGER));
    expect(active.body.items).toEqual([]);
  });

  it('an override expires by itself', async () => {
    await burn();
    // one that ended a second ago (as if created an hour ago for an hour), and one still in force for a moment
    await knex('reliability_gate_overrides').insert({
      id: '00000000-0000-4000-8000-000000000001',
      entity_ref: CHECKOUT,
      reason: 'yesterday',
      created_by: RELEASE,
      created_at: Date.now() - 3_600_000,
      until_at: Date.now() - 1_000,
    });
    expect((await gate()).body).toMatchObject({ open: false, override: null });
    const listed = await request(server)
      .get(`/api/reliability/gate/overrides?entityRef=${CHECKOUT}`)
      .set('Authorization', as('service'));
    expect(listed.body.items).toEqual([
      expect.objectContaining({ reason: 'yesterday', active: false }),
    ]);
    const soon = await override({
      entityRef: CHECKOUT,
      reason: 'a short window',
      until: new Date(Date.now() + 1_500).toISOString(),
    });
    expect(soon.status).toBe(201);
    expect((await gate()).body.open).toBe(true);
    await new Promise(r => setTimeout(r, 1_600));
    expect((await gate()).body).toMatchObject({ open: false, override: null });
  });

  it('refuses a stranger naming the permission, bad input naming the field, and Flagger without its token', async () => {
    const body = { entityRef: CHECKOUT, reason: 'ship it', until: inHours(1) };
    const refused = await override(body, STRANGER);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain(
      'Missing permission reliability.gate.override',
    );
    expect(refused.body.error.message).toContain(
      'reliability.permissions.gateOverriders',
    );
    expect(audits).toContainEqual(
      expect.objectContaining({
        eventId: 'gate-override-create',
        status: 'failed',
      }),
    );
    const elsewhere = await override(body, 'user:default/search-owner');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.message).toContain(
      `Missing permission reliability.gate.override on ${CHECKOUT}`,
    );
    // a stranger revoking an override that does not exist is refused the same way (learns nothing)
    const unknown = await request(server)
      .post(
        '/api/reliability/gate/overrides/00000000-0000-4000-8000-00000000beef/revoke',
      )
      .set('Authorization', as(STRANGER));
    expect(unknown.status).toBe(403);
    const unknownAsAllowed = await request(server)
      .post(
        '/api/reliability/gate/overrides/00000000-0000-4000-8000-00000000beef/revoke',
      )
      .set('Authorization', as(RELEASE));
    expect(unknownAsAllowed.status).toBe(404);
    const bad = async (b: object, field: string) => {
      const res = await override(b);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field);
      return res.body.error.message as string;
    };
    await bad({ ...body, reason: undefined }, 'reason');
    await bad({ ...body, reason: 'x' }, 'reason');
    await bad({ ...body, until: 'tomorrow' }, 'until');
    await bad({ ...body, entityRef: 'checkout' }, 'entityRef');
    await bad({ ...body, extra: 1 }, 'extra');
    expect(await bad({ ...body, until: inHours(3) }, 'until')).toContain(
      'at most 2h',
    );
    expect(await bad({ ...body, until: inHours(-1) }, 'until')).toContain(
      'in the future',
    );
    expect(
      (await gate(`entityRef=${CHECKOUT}&format=xml`)).body.error.message,
    ).toContain('format');
    expect((await gate('')).body.error.message).toContain('entityRef');
    expect(
      (await knex('reliability_gate_overrides').count({ n: '*' }))[0].n,
    ).toEqual(databaseId === 'POSTGRES_15' ? '0' : 0);
    // anonymous callers never reach the gate
    expect(
      (await request(server).get(`/api/reliability/gate?entityRef=${CHECKOUT}`))
        .status,
    ).toBe(401);

    // Flagger: the wrong token is 401 (and not echoed), no entityRef a 400 naming it
    const wrong = await flaggerCall(base, 'not-the-token-at-all');
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain('not-the-token-at-all');
    const noRef = await fetch(`${base}/api/reliability/gate/flagger`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'checkout',
        namespace: 'payments',
        metadata: { token: FLAGGER_TOKEN },
      }),
    });
    expect(noRef.status).toBe(400);
    const noRefBody = await noRef.json();
    expect(noRefBody.error.message).toContain('metadata.entityRef');
    expect(JSON.stringify(noRefBody)).not.toContain(FLAGGER_TOKEN);
  });

  it('the CLI fails closed when the gate cannot be read, and on a usage error', async () => {
    const cli = async (args: string[], env: Record<string, string>) => {
      try {
        const r = await run(process.execPath, [CLI, ...args], {
          env: { PATH: process.env.PATH ?? '', ...env },
        });
        return { code: 0, out: r.stdout + r.stderr };
      } catch (e: any) {
        return { code: e.code as number, out: `${e.stdout}${e.stderr}` };
      }
    };
    const noToken = await cli(['--entity', CHECKOUT, '--url', base], {});
    expect(noToken.code).toBe(1);
    expect(noToken.out).toContain('HTTP 401');
    expect(noToken.out).toContain('BACKSTAGE_TOKEN');
    const usage = await cli(['--url', base], { BACKSTAGE_TOKEN: serviceToken });
    expect(usage.code).toBe(2);
    expect(usage.out).toContain('missing --entity');
    const down = await cli(
      ['--entity', CHECKOUT, '--url', 'http://127.0.0.1:9'],
      {
        BACKSTAGE_TOKEN: 'secret-token-value',
      },
    );
    expect(down.code).toBe(1);
    expect(down.out).toContain('failing closed');
    expect(down.out).not.toContain('secret-token-value');
  });
});

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('gate overrides migration and store on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
  const config = {
    directory: resolvePackagePath(
      '@reliability-suite/plugin-reliability-backend',
      'migrations',
    ),
    tableName: 'reliability_knex_migrations',
  };

  it('runs up, down and up again; an override is in force until its time, newest first in the list', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(config);
    await knex.migrate.down({
      ...config,
      name: '20261206020000_gate_overrides.js',
    });
    expect(await knex.schema.hasTable('reliability_gate_overrides')).toBe(
      false,
    );
    await knex.migrate.up({
      ...config,
      name: '20261206020000_gate_overrides.js',
    });
    expect(await knex.schema.hasTable('reliability_gate_overrides')).toBe(true);

    const store = new KnexGateOverrideStore(knex);
    const T = 1_800_000_000_000;
    const a = await store.create(
      {
        entityRef: CHECKOUT,
        reason: 'a',
        until: T + 1_000,
        createdBy: RELEASE,
      },
      T,
    );
    const b = await store.create(
      {
        entityRef: CHECKOUT,
        reason: 'b',
        until: T + 5_000,
        createdBy: RELEASE,
      },
      T + 10,
    );
    expect((await store.inForce(CHECKOUT, T + 500))?.id).toBe(b.id);
    expect(await store.revoke(b.id, RELEASE, T + 600)).toBe(true);
    expect((await store.inForce(CHECKOUT, T + 700))?.id).toBe(a.id);
    expect(await store.inForce(CHECKOUT, T + 1_000)).toBeUndefined();
    expect(await store.revoke(a.id, RELEASE, T + 1_000)).toBe(false);
    const all = await store.list(
      { entityRefs: [CHECKOUT], activeOnly: false },
      10,
      0,
      T + 700,
    );
    expect(all.map(o => [o.reason, o.active])).toEqual([
      ['b', false],
      ['a', true],
    ]);
    expect(await store.list({ activeOnly: true }, 10, 0, T + 2_000)).toEqual(
      [],
    );
  });
});
