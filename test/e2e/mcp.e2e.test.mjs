// The suite's actions over MCP, end to end: starts the demo portal's backend (app-config.yaml: the MCP actions backend
// serves the reliability plugin's actions) on 127.0.0.1:7085, signs in as guest (user:default/guest, of payments-sre,
// which owns checkout) and talks to /api/mcp-actions/v1 with the MCP SDK's client over Streamable HTTP.
// Proves: the tools are listed with their annotations; every read action answers; explain-burn on checkout gets the
// change and the runbook section; a remediation runs as a proposal, a dry run, then for real (its target called once),
// and one on an entity the guest does not own (search) is refused with nothing called.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {
  root,
  startPortalBackend,
  stopPortalBackend,
  until,
} from './lib/portal.mjs';

const require = createRequire(path.join(root, 'package.json'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const {
  StreamableHTTPClientTransport,
} = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

const PORT = 7085;
const BASE = `http://localhost:${PORT}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'reliability-mcp-'));

// the remediation target: records every call
const calls = [];
const target = http.createServer((req, res) => {
  let body = '';
  req.on('data', c => (body += c));
  req.on('end', () => {
    calls.push({ method: req.method, url: req.url, body });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

let backend;
let token;
let client;

/** Calls a tool; answers its parsed output, or throws with the tool's error text. */
async function call(name, args) {
  const result = await client.callTool({
    name: `reliability.${name}`,
    arguments: args,
  });
  const text = result.content?.[0]?.text ?? '';
  if (result.isError) {
    const error = new Error(text);
    error.toolError = true;
    throw error;
  }
  return result.structuredContent ?? JSON.parse(text);
}

before(async () => {
  await new Promise(r => target.listen(0, '127.0.0.1', r));
  const targetUrl = `http://127.0.0.1:${target.address().port}`;
  const config = path.join(tmp, 'app-config.mcp.json');
  writeFileSync(
    config,
    JSON.stringify({
      app: { baseUrl: BASE },
      backend: {
        baseUrl: BASE,
        listen: { port: PORT, host: '127.0.0.1' },
        cors: { origin: BASE },
      },
      reliability: {
        remediation: {
          rules: [
            // on checkout, which the guest's team owns
            {
              id: 'checkout-restart',
              entityRef: 'component:default/checkout',
              description: 'Restart checkout',
              triggers: ['manual'],
              action: 'webhook',
              params: { url: `${targetUrl}/restart/checkout` },
            },
            // on search, which it does not
            {
              id: 'search-restart',
              entityRef: 'component:default/search',
              triggers: ['manual'],
              action: 'webhook',
              params: { url: `${targetUrl}/restart/search` },
            },
          ],
        },
      },
    }),
  );
  backend = await startPortalBackend([config], BASE, 180_000);
  // sign in once the catalog knows the guest's team: the token carries the ownership the permission policy reads
  token = await until(
    "a guest sign-in that names the guest's team",
    async () => {
      const { backstageIdentity } = await (
        await fetch(`${BASE}/api/auth/guest/refresh?env=development`, {
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
        })
      ).json();
      return backstageIdentity.identity.ownershipEntityRefs.includes(
        'group:default/payments-sre',
      )
        ? backstageIdentity.token
        : undefined;
    },
    60_000,
  );
  // the demo's SLOs are registered by the first evaluation tick
  await until(
    'the checkout SLO registered',
    async () =>
      (
        await fetch(`${BASE}/api/reliability/slos/default/checkout-success`, {
          headers: { Authorization: `Bearer ${token}` },
        })
      ).ok,
    60_000,
  );
  client = new Client({ name: 'reliability-e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${BASE}/api/mcp-actions/v1`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
});

after(async () => {
  await client?.close().catch(() => {});
  await stopPortalBackend(backend);
  target.closeAllConnections();
  await new Promise(r => target.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

test('lists the tools with their annotations, and refuses a caller without a token', async () => {
  const { tools } = await client.listTools();
  const byName = Object.fromEntries(tools.map(t => [t.name, t]));
  for (const name of [
    'get-slo-status',
    'list-burning',
    'explain-burn',
    'get-runbook-section',
    'get-deploy-gate',
    'get-readiness',
    'declare-incident',
    'add-incident-timeline-entry',
    'run-remediation',
    'abort-chaos-run',
    'record-change',
  ])
    assert.ok(byName[`reliability.${name}`], `tool reliability.${name}`);
  assert.deepEqual(
    {
      readOnly: byName['reliability.explain-burn'].annotations.readOnlyHint,
      destructive:
        byName['reliability.run-remediation'].annotations.destructiveHint,
    },
    { readOnly: true, destructive: true },
  );
  assert.deepEqual(byName['reliability.run-remediation'].inputSchema.required, [
    'ruleId',
  ]);
  const anonymous = await fetch(`${BASE}/api/mcp-actions/v1`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(anonymous.status, 401);
});

test('every read action answers; explain-burn on checkout gets the change and the runbook section', async () => {
  const status = await call('get-slo-status', {
    slo: 'default/checkout-success',
  });
  assert.equal(status.slo.ref, 'default/checkout-success');
  assert.equal(typeof status.slo.status?.state, 'string');
  assert.equal(
    status.link,
    '/catalog/default/component/checkout/reliability/slo/checkout-success',
  );

  const burning = await call('list-burning', {
    owner: 'group:default/payments-sre',
    limit: 5,
  });
  assert.ok(Array.isArray(burning.items));
  for (const a of burning.items)
    assert.equal(a.owner, 'group:default/payments-sre');

  const gate = await call('get-deploy-gate', {
    entityRef: 'component:default/checkout',
  });
  assert.equal(typeof gate.allow, 'boolean');
  const readiness = await call('get-readiness', {
    entityRef: 'component:default/checkout',
  });
  assert.equal(typeof readiness.score, 'number');
  const section = await call('get-runbook-section', {
    entityRef: 'component:default/checkout',
    alertname: 'SLOBurnRate',
    labels: { entity: 'component:default/checkout' },
  });
  assert.equal(section.section.id, 'symptoms');

  // a deploy five minutes ago, then the explanation
  const at = new Date(Date.now() - 5 * 60_000).toISOString();
  const change = await call('record-change', {
    entityRef: 'component:default/checkout',
    kind: 'deploy',
    version: 'mcp-e2e-1',
    at,
  });
  assert.equal(change.change.version, 'mcp-e2e-1');
  const why = await call('explain-burn', { slo: 'default/checkout-success' });
  assert.equal(why.slo.entityRef, 'component:default/checkout');
  assert.ok(why.windows.length > 0);
  const deploy = why.changes.find(c => c.version === 'mcp-e2e-1');
  assert.ok(deploy, 'the change is in the explanation');
  assert.ok('budgetSpentInHourAfter' in deploy);
  assert.equal(why.runbook.section, 'symptoms');
  assert.match(why.runbook.body, /Alerts: SLOBurnRate/);
  assert.equal(
    why.runbook.link,
    '/reliability/runbooks/component/default/checkout#symptoms',
  );

  // bad input names the field
  await assert.rejects(call('get-slo-status', { slo: 'checkout' }), e => {
    assert.match(e.message, /Invalid input: slo: must be an SLO ref/);
    return true;
  });
});

test('a remediation: proposed, dry run, run once by an owner; refused on an entity the caller does not own', async () => {
  const proposal = await call('run-remediation', {
    ruleId: 'checkout-restart',
  });
  assert.equal(proposal.outcome, 'proposed');
  assert.match(proposal.description, /confirm: true/);
  const dry = await call('run-remediation', {
    ruleId: 'checkout-restart',
    dryRun: true,
  });
  assert.equal(dry.outcome, 'dry-run');
  assert.match(dry.description, /restart\/checkout/);
  assert.deepEqual(calls, []);

  const done = await call('run-remediation', {
    ruleId: 'checkout-restart',
    confirm: true,
  });
  assert.equal(done.outcome, 'done');
  assert.equal(done.execution.state, 'succeeded');
  assert.deepEqual(
    calls.map(c => `${c.method} ${c.url}`),
    ['POST /restart/checkout'],
  );

  for (const args of [
    { ruleId: 'search-restart', confirm: true },
    { ruleId: 'search-restart', dryRun: true },
  ])
    await assert.rejects(call('run-remediation', args), e => {
      assert.match(
        e.message,
        /NotAllowedError: .*reliability\.remediation\.execute on component:default\/search/,
      );
      return true;
    });
  assert.equal(calls.length, 1);
});
