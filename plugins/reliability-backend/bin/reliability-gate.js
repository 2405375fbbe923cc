#!/usr/bin/env node
/*
 * reliability-gate: fails a pipeline step while the deploy gate of an entity is closed.
 *
 *   reliability-gate --entity component:default/checkout [--url https://backstage.example.com] [--timeout 10]
 *
 * Reads GET <url>/api/reliability/gate?entityRef=<entity>&format=argo with `Authorization: Bearer $BACKSTAGE_TOKEN`
 * (a static token of backend.auth.externalAccess). Exit 0 while the gate is open (an override counts), 1 while it is
 * closed or when the gate cannot be read (fail closed), 2 on a usage error; the reason is printed either way, and on
 * GitHub Actions also as an error annotation. Node 18 or later, nothing else.
 *
 * Options fall back to the environment: --url BACKSTAGE_URL, --entity RELIABILITY_ENTITY_REF,
 * --token-env (the name of the variable holding the token) BACKSTAGE_TOKEN.
 */
'use strict';

const USAGE =
  'usage: reliability-gate --entity <kind:namespace/name> [--url <backstage backend url>] [--token-env <VAR>] [--timeout <seconds>]';

function parseArgs(argv, env) {
  const opts = {
    url: env.BACKSTAGE_URL,
    entity: env.RELIABILITY_ENTITY_REF,
    tokenEnv: 'BACKSTAGE_TOKEN',
    timeout: 10,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    if (name === '--url') opts.url = value();
    else if (name === '--entity') opts.entity = value();
    else if (name === '--token-env') opts.tokenEnv = value();
    else if (name === '--timeout') opts.timeout = Number(value());
    else if (name === '--help' || name === '-h') return { help: true };
    else return { error: `unknown option ${name.slice(0, 40)}` };
  }
  if (!opts.url) return { error: 'missing --url (or BACKSTAGE_URL)' };
  if (!opts.entity)
    return { error: 'missing --entity (or RELIABILITY_ENTITY_REF)' };
  if (!(opts.timeout > 0 && opts.timeout <= 300))
    return { error: '--timeout must be 1 to 300 seconds' };
  if (!opts.url.startsWith('http://') && !opts.url.startsWith('https://'))
    return { error: '--url must start with http:// or https://' };
  return { opts };
}

/** GitHub Actions workflow commands take %, CR and LF escaped. */
function annotation(text) {
  return text
    .split('%')
    .join('%25')
    .split('\r')
    .join('%0D')
    .split('\n')
    .join('%0A');
}

async function main(argv, env, out, err) {
  const parsed = parseArgs(argv, env);
  if (parsed.help) {
    out(USAGE);
    return 0;
  }
  if (parsed.error) {
    err(`reliability-gate: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  const { opts } = parsed;
  const token = env[opts.tokenEnv];
  const fail = message => {
    err(`reliability-gate: ${message}`);
    if (env.GITHUB_ACTIONS === 'true')
      out(`::error title=Deploy gate::${annotation(message)}`);
    return 1;
  };
  let base = opts.url;
  while (base.endsWith('/')) base = base.slice(0, -1);
  const url = `${base}/api/reliability/gate?entityRef=${encodeURIComponent(
    opts.entity,
  )}&format=argo`;
  let res;
  try {
    res = await fetch(url, {
      headers: {
        Accept: 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      signal: AbortSignal.timeout(opts.timeout * 1000),
    });
  } catch (e) {
    return fail(
      `the gate of ${opts.entity} could not be read (${
        e && e.name === 'TimeoutError'
          ? `no answer in ${opts.timeout}s`
          : String(e && e.message)
      }): failing closed`,
    );
  }
  let body;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok || !body || typeof body.open !== 'boolean') {
    const why =
      body && body.error && typeof body.error.message === 'string'
        ? body.error.message
        : 'not a gate answer';
    const hint =
      res.status === 401
        ? ` (set ${opts.tokenEnv} to a static token of backend.auth.externalAccess)`
        : '';
    return fail(
      `the gate of ${opts.entity} could not be read: HTTP ${res.status}: ${why}${hint}: failing closed`,
    );
  }
  const override = body.override
    ? ` [override by ${body.override.by} until ${body.override.until}: ${body.override.reason}]`
    : '';
  if (body.open) {
    out(`Deploy gate of ${opts.entity} is open: ${body.reason}${override}`);
    return 0;
  }
  return fail(`Deploy gate of ${opts.entity} is closed: ${body.reason}`);
}

module.exports = { main, parseArgs };

if (require.main === module) {
  main(
    process.argv.slice(2),
    process.env,
    line => process.stdout.write(`${line}\n`),
    line => process.stderr.write(`${line}\n`),
  ).then(
    code => {
      process.exitCode = code;
    },
    e => {
      process.stderr.write(`reliability-gate: ${String(e && e.message)}\n`);
      process.exitCode = 1;
    },
  );
}
