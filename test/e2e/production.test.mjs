// The production configuration, booted for real: guest sign-in is refused, the SLI reporters' static token may
// ingest, and a signed-in user who does not own the entity gets 403 on ingest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startPortalBackend, stopPortalBackend } from './lib/portal.mjs';

const BASE = 'http://localhost:7078';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PG = new URL(
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ??
    'postgresql://postgres@127.0.0.1:5432',
);
const INGEST_TOKEN = 'prod-test-ingest-token-0123456789';
const IMPORT_TOKEN = 'prod-test-import-token-0123456789';
const env = {
  NODE_ENV: 'production',
  POSTGRES_HOST: PG.hostname,
  POSTGRES_PORT: PG.port || '5432',
  POSTGRES_USER: decodeURIComponent(PG.username || 'postgres'),
  POSTGRES_PASSWORD: decodeURIComponent(PG.password || ''),
  RELIABILITY_INGEST_TOKEN: INGEST_TOKEN,
  RELIABILITY_IMPORT_TOKEN: IMPORT_TOKEN,
};
const configs = [
  '../../app-config.production.yaml',
  '../../test/e2e/app-config.production-test.yaml',
];
const event = slo => ({
  events: [{ slo, timestamp: new Date().toISOString(), good: 99, total: 100 }],
});
const ingest = (token, body) =>
  fetch(`${BASE}/api/reliability/sli-events`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(body),
  });
const guest = () =>
  fetch(`${BASE}/api/auth/guest/refresh?env=production`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });

test(
  'production: no guest sign-in; the SLI reporters token ingests',
  { timeout: 300_000 },
  async () => {
    const backend = await startPortalBackend(configs, BASE, 240_000, env);
    try {
      const refused = await guest();
      assert.ok(
        refused.status >= 400 && refused.status < 500,
        `guest sign-in answered ${refused.status}`,
      );
      const body = await refused.text();
      assert.ok(!body.includes('backstageIdentity'), body);
      // the catalog needs a moment to ingest catalog/all.yaml
      let res;
      for (let i = 0; i < 120; i++) {
        res = await ingest(INGEST_TOKEN, event('default/checkout-success'));
        if (res.status !== 404) break;
        await new Promise(r => setTimeout(r, 1000));
      }
      assert.equal(res.status, 202, await res.text());
      assert.equal(
        (await ingest('not-the-token', event('default/checkout-success')))
          .status,
        401,
      );

      // the README's registry command, as CI runs it with the registry importer's token: the seeds' SLO and burn-rate
      // registries checked against the catalog (a dry run: the demo's SLOs already say the same), and a broken file
      // refused with its line and field
      const importCli = (...args) =>
        promisify(execFile)(
          process.execPath,
          [
            '--require',
            '@backstage/cli/config/nodeTransform.cjs',
            'scripts/import-registry.ts',
            ...args,
          ],
          {
            cwd: ROOT,
            env: {
              ...process.env,
              RELIABILITY_TOKEN: IMPORT_TOKEN,
              RELIABILITY_URL: BASE,
            },
            timeout: 120_000,
          },
        );
      // the catalog may still be reading the organisation (groups, the demo's SLOs): a bounded wait until the dry run
      // answers what the full catalog gives
      const settled = async (expected, ...args) => {
        let last;
        for (let i = 0; i < 40; i++) {
          last = await importCli(...args).catch(e => e);
          if (expected.test(String(last.stdout))) return last;
          await new Promise(r => setTimeout(r, 2000));
        }
        assert.fail(
          `${args.join(' ')} never answered ${expected}: ${last.stdout ?? ''}${
            last.stderr ?? ''
          }`,
        );
      };
      const slos = await settled(
        /slos \(dry run, nothing written\): 0 created, 0 updated, 3 unchanged/,
        'slos',
        'catalog/registries/slo-registry.csv',
        '--dry-run',
      );
      assert.match(
        slos.stdout,
        /line 4 otp_verify_latency_p95: unchanged \(slo:default\/otp-verify-latency-p95, defined in slos\/otp-verify-latency.yaml\)/,
      );
      await settled(
        /burn-rate-alerts \(dry run, nothing written\): 2 created, 0 updated, 0 unchanged/,
        'burn-rate-alerts',
        'catalog/policies/burn-rate-alerts.csv',
        '--dry-run',
      );
      const broken = await importCli(
        'slos',
        'test/e2e/fixtures/broken-slo-registry.csv',
        '--dry-run',
      ).then(
        () => assert.fail('a broken registry must fail'),
        e => e,
      );
      assert.equal(broken.code, 1);
      assert.match(
        broken.stderr,
        /slos: 400 Invalid CSV, nothing imported: line 2, objective: '99.5' must be a success ratio/,
      );
      assert.match(
        broken.stderr,
        /line 3, owner: no group named Nobody SRE in the catalog/,
      );
    } finally {
      await stopPortalBackend(backend);
    }
  },
);

test(
  'production: a user who does not own the entity gets 403 on ingest',
  { timeout: 300_000 },
  async () => {
    const backend = await startPortalBackend(
      [...configs, '../../test/e2e/app-config.production-stranger.yaml'],
      BASE,
      240_000,
      env,
    );
    try {
      const { backstageIdentity } = await (await guest()).json();
      assert.deepEqual(backstageIdentity.identity.ownershipEntityRefs, [
        'user:default/stranger',
      ]);
      let res;
      for (let i = 0; i < 120; i++) {
        res = await ingest(
          backstageIdentity.token,
          event('default/checkout-success'),
        );
        if (res.status !== 404) break;
        await new Promise(r => setTimeout(r, 1000));
      }
      const text = await res.text();
      assert.equal(res.status, 403, text);
      assert.match(
        JSON.parse(text).error.message,
        /reliability\.events\.ingest on component:default\/checkout/,
      );
      // the service token still may
      assert.equal(
        (await ingest(INGEST_TOKEN, event('default/checkout-success'))).status,
        202,
      );
    } finally {
      await stopPortalBackend(backend);
    }
  },
);
