// The install test: installs the suite's tarballs into a new Backstage app the way the plugins' READMEs say, and
// checks that it works. Run by scripts/test-install.sh, which builds and packs the tarballs first:
//
//   node test/install/run.mjs <folder of tarballs> <work folder outside the repository>
//
// Phases: the tarballs' metadata; a new app from @backstage/create-app at the release of backstage.json; every
// README snippet marked <!-- install: ... --> applied (test/install/readme-snippets.mjs); yarn tsc and the builds;
// the backend booted on SQLite and on PostgreSQL, where an OpenSLO SLO and its component are registered, SLI counts
// posted as the README shows, and headless Chromium signs in as guest and sees the Reliability tab with the budget.
// Exits non-zero on the first failure. The backend is killed on the way out, and the PostgreSQL databases dropped.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  findIgnoringWhitespace,
  readInstallSnippets,
  root,
} from './readme-snippets.mjs';

const requireFromCommon = createRequire(
  path.join(root, 'plugins/reliability-common/package.json'),
);
const YAML = requireFromCommon('yaml');
const { chromium } = createRequire(path.join(root, 'package.json'))(
  'playwright-core',
);

const [tarballDir, workDir] = process.argv.slice(2).map(p => path.resolve(p));
if (!tarballDir || !workDir) {
  console.error(
    'usage: node test/install/run.mjs <tarball folder> <work folder>',
  );
  process.exit(2);
}
const CREATE_APP_VERSION = process.env.CREATE_APP_VERSION ?? '0.9.2';
// SQLite boots on PORT and PostgreSQL on PORT + 1, at the same time
const PORT = Number(process.env.RELIABILITY_INSTALL_PORT ?? 7097);
const PG_URL =
  process.env.RELIABILITY_TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const INGEST_TOKEN = `install-test-${process.pid}-${Date.now()}`;
const logDir = path.resolve(
  process.env.RELIABILITY_INSTALL_LOGS ??
    path.join(root, 'test-results/install'),
);
mkdirSync(logDir, { recursive: true });
const app = path.join(workDir, 'app');

// The order a reader follows: the catalog module (SLO entities), the backend, the scaffolder module, the frontend.
// The libraries' READMEs (-common, -node) show code for other packages and mark nothing to apply.
const README_ORDER = [
  'catalog-backend-module-reliability',
  'reliability-backend',
  'scaffolder-backend-module-reliability',
  'reliability',
  'reliability-common',
  'reliability-node',
];

// ---------------------------------------------------------------- helpers
const timings = [];
async function phase(name, fn) {
  const t0 = Date.now();
  console.log(`\n[install] ${name}`);
  try {
    return await fn();
  } finally {
    const s = ((Date.now() - t0) / 1000).toFixed(1);
    timings.push([name, s]);
    console.log(`[install] ${name}: ${s} s`);
  }
}
function fail(message) {
  throw new Error(message);
}
/** Runs a command; its output goes to a log file, whose tail is the error when it fails. */
function run(cmd, args, { cwd = app, env = {}, log, input } = {}) {
  const logFile = path.join(logDir, `${log ?? path.basename(cmd)}.log`);
  const r = spawnSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = `$ ${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${
    r.stderr ?? ''
  }\n`;
  appendFileSync(logFile, out);
  if (r.status !== 0)
    fail(
      `${cmd} ${args.join(' ')} failed (exit ${r.status}) in ${cwd}:\n${out
        .split('\n')
        .slice(-40)
        .join('\n')}\n(full log: ${path.relative(root, logFile)})`,
    );
  return r.stdout;
}
async function until(what, fn, timeoutMs, intervalMs = 1000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
  fail(
    `timed out after ${timeoutMs / 1000} s waiting for ${what}${
      last ? `: ${last.message}` : ''
    }`,
  );
}
const tarList = file =>
  execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
const tarRead = (file, member) =>
  execFileSync('tar', ['-xzOf', file, member], { encoding: 'utf8' });

// ---------------------------------------------------------------- 1. the tarballs' metadata
function checkTarballs() {
  const tarballs = readdirSync(tarballDir).filter(f => f.endsWith('.tgz'));
  const byName = new Map();
  for (const plugin of readdirSync(path.join(root, 'plugins'))) {
    const pj = path.join(root, 'plugins', plugin, 'package.json');
    if (!existsSync(pj)) continue;
    const pkg = JSON.parse(readFileSync(pj, 'utf8'));
    if (pkg.private) {
      console.log(`  ${pkg.name}: private, not packed`);
      continue;
    }
    byName.set(pkg.name, { pkg, plugin });
  }
  const found = new Map();
  for (const t of tarballs) {
    const file = path.join(tarballDir, t);
    const files = new Set(
      tarList(file).map(f => f.replace(/^package\//, './')),
    );
    const meta = JSON.parse(tarRead(file, 'package/package.json'));
    const shown = {
      name: meta.name,
      version: meta.version,
      license: meta.license,
      main: meta.main,
      types: meta.types,
      exports: meta.exports,
    };
    console.log(
      `  ${t} (${(statSync(file).size / 1024).toFixed(
        1,
      )} KiB)\n    ${JSON.stringify(shown)}`,
    );
    const source = byName.get(meta.name);
    if (!source) fail(`${t}: ${meta.name} is not a published plugin package`);
    found.set(meta.name, file);
    const problems = [];
    if (meta.license !== 'Apache-2.0')
      problems.push(`license is ${meta.license}, not Apache-2.0`);
    if (meta.version !== source.pkg.version)
      problems.push(
        `version ${meta.version} is not plugins/${source.plugin}'s ${source.pkg.version}`,
      );
    if (meta.private) problems.push('private: true');
    const has = p => files.has(`./${path.posix.normalize(p)}`);
    for (const key of ['main', 'types']) {
      if (!meta[key]) problems.push(`no ${key}`);
      else if (!has(meta[key]))
        problems.push(`${key} ${meta[key]} is not in the tarball`);
    }
    // every export condition's target, but the `backstage` condition (the kind of feature, not a file)
    const targets = [];
    const walk = v =>
      typeof v === 'string'
        ? targets.push(v)
        : v &&
          typeof v === 'object' &&
          Object.entries(v).forEach(([k, w]) => k !== 'backstage' && walk(w));
    walk(meta.exports);
    for (const target of targets)
      if (!has(target))
        problems.push(`exports target ${target} is not in the tarball`);
    if (!has('LICENSE')) problems.push('no LICENSE in the tarball');
    if (!has('README.md')) problems.push('no README.md in the tarball');
    for (const [dep, range] of Object.entries({
      ...meta.dependencies,
      ...meta.peerDependencies,
    }))
      if (/^(workspace|link|file):/.test(range))
        problems.push(`dependency ${dep}@${range} cannot be installed`);
    if (problems.length) fail(`${t}:\n    ${problems.join('\n    ')}`);
  }
  for (const name of byName.keys())
    if (!found.has(name)) fail(`no tarball of ${name} in ${tarballDir}`);
  return found;
}

// ---------------------------------------------------------------- 2. a new app
function createApp(tarballs) {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  run(
    'npx',
    [
      '-y',
      `@backstage/create-app@${CREATE_APP_VERSION}`,
      '--path',
      'app',
      '--skip-install',
    ],
    {
      cwd: workDir,
      env: { BACKSTAGE_APP_NAME: 'install-test' },
      log: 'create-app',
    },
  );
  const release = JSON.parse(
    readFileSync(path.join(root, 'backstage.json'), 'utf8'),
  ).version;
  const made = JSON.parse(
    readFileSync(path.join(app, 'backstage.json'), 'utf8'),
  ).version;
  console.log(
    `  @backstage/create-app@${CREATE_APP_VERSION} made a Backstage ${made} app (this repository: ${release})`,
  );
  if (made !== release)
    fail(
      `@backstage/create-app@${CREATE_APP_VERSION} makes Backstage ${made}, not ${release}: set CREATE_APP_VERSION`,
    );

  // What stands in for the npm registry and GitHub on this machine, not part of the READMEs:
  //  - yarn.lock: create-app seeds it from GitHub (unreachable here); this repository's lockfile is one of the same
  //    release, so the app resolves the versions of 1.55.0 instead of newer ones that do not fit together;
  //  - resolutions: the four this machine's registry needs (docs: SETUP-NOTES), and each of our packages from its
  //    tarball, as if published (copied into the work folder: a new path each run, so Yarn's cache is never stale);
  //  - native modules: better-sqlite3 and keytar find the binaries this repository compiled as local prebuilds
  //    (their download is from GitHub), instead of compiling them again.
  copyFileSync(path.join(root, 'yarn.lock'), path.join(app, 'yarn.lock'));
  const local = path.join(workDir, 'tarballs');
  mkdirSync(local);
  const appPkgPath = path.join(app, 'package.json');
  const appPkg = JSON.parse(readFileSync(appPkgPath, 'utf8'));
  const rootPkg = JSON.parse(
    readFileSync(path.join(root, 'package.json'), 'utf8'),
  );
  for (const name of ['@yarnpkg/core', '@swc/core', 'rollup', 'unrs-resolver'])
    if (rootPkg.resolutions?.[name])
      appPkg.resolutions[name] = rootPkg.resolutions[name];
  for (const [name, file] of tarballs) {
    copyFileSync(file, path.join(local, path.basename(file)));
    appPkg.resolutions[name] = `file:${path.relative(
      app,
      path.join(local, path.basename(file)),
    )}`;
  }
  writeFileSync(appPkgPath, `${JSON.stringify(appPkg, null, 2)}\n`);
  const prebuilds = path.join(workDir, 'prebuilds');
  mkdirSync(prebuilds);
  // the new app's lockfile is create-app's, and adding the plugins changes it: Yarn forbids that when CI is set
  // (it turns immutable installs on), so the app installs as an adopter's machine does
  const env = { YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' };
  for (const [mod, binary] of [
    ['better-sqlite3', 'better_sqlite3.node'],
    ['keytar', 'keytar.node'],
  ]) {
    const dir = path.join(root, 'node_modules', mod);
    if (!existsSync(path.join(dir, 'build/Release', binary))) continue;
    const { version } = JSON.parse(
      readFileSync(path.join(dir, 'package.json'), 'utf8'),
    );
    const name = `${mod}-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    execFileSync('tar', [
      '-czf',
      path.join(prebuilds, name),
      '-C',
      dir,
      `build/Release/${binary}`,
    ]);
    env[`npm_config_${mod.replace(/[^a-zA-Z0-9]/g, '_')}_local_prebuilds`] =
      prebuilds;
  }
  return env;
}

// ---------------------------------------------------------------- 3. the READMEs' snippets
function mergeYaml(doc, pathSoFar, value) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value))
      mergeYaml(doc, [...pathSoFar, k], v);
  } else {
    doc.setIn(pathSoFar, doc.createNode(value));
  }
}

function applySnippet(s, env) {
  const target = s.file && path.join(app, s.file);
  const content = s.content.endsWith('\n') ? s.content : `${s.content}\n`;
  switch (s.kind) {
    case 'shell':
      run('bash', ['-euo', 'pipefail', '-c', content], {
        env,
        log: 'readme-shell',
      });
      return;
    case 'before':
    case 'replace': {
      const text = readFileSync(target, 'utf8');
      const at = findIgnoringWhitespace(text, s.anchor);
      if (!at) fail(`${s.where}: "${s.anchor}" is not in ${s.file}`);
      const lineStart = text.lastIndexOf('\n', at.start - 1) + 1;
      if (s.kind === 'before') {
        writeFileSync(
          target,
          text.slice(0, lineStart) + content + text.slice(lineStart),
        );
      } else {
        const lineEnd = text.indexOf('\n', at.end);
        writeFileSync(
          target,
          text.slice(0, lineStart) +
            content +
            (lineEnd < 0 ? '' : text.slice(lineEnd + 1)),
        );
      }
      return;
    }
    case 'append': {
      const text = readFileSync(target, 'utf8');
      writeFileSync(target, `${text.replace(/\n*$/, '\n')}${content}`);
      return;
    }
    case 'create':
      if (existsSync(target)) fail(`${s.where}: ${s.file} exists already`);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content);
      return;
    case 'merge': {
      const doc = YAML.parseDocument(readFileSync(target, 'utf8'));
      mergeYaml(doc, [], YAML.parse(content));
      writeFileSync(target, doc.toString());
      return;
    }
    default:
      fail(`${s.where}: cannot apply ${s.kind}`);
  }
}

function applyReadmes(env) {
  const later = [];
  let tables;
  const applied = [];
  for (const plugin of README_ORDER) {
    const readme = path.join(root, 'plugins', plugin, 'README.md');
    const pkg = JSON.parse(
      readFileSync(path.join(root, 'plugins', plugin, 'package.json'), 'utf8'),
    );
    for (const s of readInstallSnippets(readme)) {
      // a version range in a command must be one the packed version satisfies
      for (const m of s.content.matchAll(
        /(@reliability-suite\/[a-z-]+)@\^(\d+\.\d+\.\d+)/g,
      )) {
        const other = readdirSync(path.join(root, 'plugins'))
          .map(p => path.join(root, 'plugins', p, 'package.json'))
          .filter(existsSync)
          .map(p => JSON.parse(readFileSync(p, 'utf8')))
          .find(p => p.name === m[1]);
        if (!other) fail(`${s.where}: ${m[1]} is not a package of the suite`);
        const [wa, wb] = m[2].split('.').map(Number);
        const [ha, hb] = other.version.split('.').map(Number);
        if (wa !== ha || (wa === 0 && wb !== hb) || m[2] > other.version)
          fail(`${s.where}: ^${m[2]} does not match ${m[1]}@${other.version}`);
      }
      if (s.kind === 'legacy') continue; // plugins/reliability/src/legacyEntityPage.test.tsx
      if (s.kind === 'tables') {
        tables = s.content.split('\n').filter(Boolean);
        continue;
      }
      if (s.kind === 'shell-after-start') {
        later.push(s);
        continue;
      }
      console.log(
        `  ${s.where}: ${s.kind}${s.file ? ` ${s.file}` : ''}${
          s.anchor ? ` "${s.anchor}"` : ''
        }`,
      );
      applySnippet(s, env);
      applied.push(s);
    }
    void pkg;
  }
  if (!later.length)
    fail('no README says how to send SLI data (install: shell after start)');
  if (!tables) fail('no README lists the database tables (install: tables)');
  return { later, tables, applied };
}

// ---------------------------------------------------------------- 4. boot, data, browser
const backends = new Set();
function stopBackend(child) {
  for (const b of child ? [child] : [...backends]) {
    backends.delete(b);
    if (!b?.pid) continue;
    try {
      process.kill(-b.pid, 'SIGKILL');
    } catch {}
  }
}
process.on('exit', () => stopBackend());
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => {
    stopBackend();
    process.exit(1);
  });

async function boot(label, extraConfig, env, later, port) {
  const BASE = `http://localhost:${port}`;
  const configFile = path.join(workDir, `app-config.${label}.yaml`);
  writeFileSync(
    configFile,
    YAML.stringify({
      app: { baseUrl: BASE },
      backend: {
        baseUrl: BASE,
        listen: { port, host: '127.0.0.1' },
        ...extraConfig,
      },
    }),
  );
  const logFile = path.join(logDir, `backend-${label}.log`);
  writeFileSync(logFile, '');
  const backend = spawn(
    'yarn',
    ['start', '--config', '../../app-config.yaml', '--config', configFile],
    {
      cwd: path.join(app, 'packages/backend'),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...env,
        NODE_ENV: 'development',
        RELIABILITY_INGEST_TOKEN: INGEST_TOKEN,
      },
    },
  );
  backends.add(backend);
  let exited = false;
  backend.on('exit', () => (exited = true));
  backend.stdout.on('data', d => appendFileSync(logFile, d));
  backend.stderr.on('data', d => appendFileSync(logFile, d));
  // what a reader needs first: the backend's warnings and errors (a kind the catalog refused, a plugin that failed),
  // then the last lines
  const tail = () => {
    const lines = readFileSync(logFile, 'utf8')
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n');
    const problems = lines.filter(l => / (warn|error) /.test(l)).slice(-15);
    return `${
      problems.length ? `warnings and errors:\n${problems.join('\n')}\n` : ''
    }last lines:\n${lines.slice(-8).join('\n')}`;
  };
  try {
    await until(
      `the backend on ${label}`,
      async () => {
        if (exited) fail(`the backend exited:\n${tail()}`);
        return (await fetch(`${BASE}/api/reliability/health`)).ok;
      },
      300_000,
    );
    const { backstageIdentity } = await (
      await fetch(`${BASE}/api/auth/guest/refresh?env=development`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      })
    ).json();
    const slos = async () => {
      const res = await fetch(
        `${BASE}/api/reliability/slos?entityRef=component:default/shop`,
        { headers: { Authorization: `Bearer ${backstageIdentity.token}` } },
      );
      if (!res.ok) fail(`GET /slos answered ${res.status}`);
      return (await res.json()).items ?? [];
    };
    await until(
      'the catalog to read the SLO shop-availability and the backend to register it',
      async () =>
        (await slos()).some(s => s.name === 'shop-availability') ||
        (exited && fail(`the backend exited:\n${tail()}`)),
      180_000,
      2000,
    ).catch(e =>
      fail(`${e.message}\n--- backend log (${logFile}) ---\n${tail()}`),
    );
    for (const s of later) {
      console.log(`  [${label}] ${s.where}: shell, with the backend running`);
      run('bash', ['-euo', 'pipefail', '-c', s.content], {
        env: {
          ...env,
          BACKSTAGE_BACKEND_URL: BASE,
          RELIABILITY_INGEST_TOKEN: INGEST_TOKEN,
        },
        log: `readme-shell-${label}`,
      });
    }
    const evaluated = await until(
      'the evaluation to count the posted events',
      async () =>
        (
          await slos()
        ).find(s => s.name === 'shop-availability' && s.status?.total > 0),
      150_000,
      2000,
    );
    console.log(
      `  [${label}] GET /slos: shop-availability total ${evaluated.status.total}, budget remaining ${evaluated.status.budgetRemaining}`,
    );
    await browse(label, BASE);
  } catch (e) {
    e.message += `\n(backend log: ${path.relative(root, logFile)})`;
    throw e;
  } finally {
    stopBackend(backend);
    await new Promise(r => setTimeout(r, 1500));
  }
}

async function browse(label, BASE) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage({
    viewport: { width: 1600, height: 1200 },
  });
  try {
    await page.goto(`${BASE}/catalog/default/component/shop`);
    // guest sign-in, when the app shows a sign-in page
    await page.waitForSelector('button:has-text("Enter"), main', {
      timeout: 120_000,
    });
    const enter = page.getByRole('button', { name: /enter/i });
    if (await enter.count()) await enter.first().click();
    // the entity page's tab: a link to the entity's /reliability route (a role=tab in older catalog versions)
    const tab = page
      .locator(
        'a[href$="/catalog/default/component/shop/reliability"], [role="tab"]:has-text("Reliability")',
      )
      .first();
    await tab.waitFor({ timeout: 60_000 });
    console.log(
      `  [${label}] Chromium: signed in as guest, the Reliability tab is there`,
    );
    await tab.click();
    const row = page.getByTestId('slo-row-shop-availability');
    await row.waitFor({ timeout: 60_000 });
    // the SLO's charts are on its own screen of the tab (slo/shop-availability), opened from its row
    await page.getByTestId('slo-link-shop-availability').click();
    await page.waitForURL(/\/reliability\/slo\/shop-availability$/, {
      timeout: 60_000,
    });
    const budget = page
      .getByTestId('slo-charts-shop-availability')
      .getByTestId('budget-chart');
    const now = await until(
      'a value on the budget chart',
      async () => /now (\d+(\.\d+)?)%/.exec(await budget.innerText())?.[1],
      60_000,
    );
    console.log(
      `  [${label}] Chromium: the budget chart says ${now}% remaining (998 good of 1000 against 99.5%: 60.0%)`,
    );
    if (Number(now) !== 60)
      fail(`the budget chart says ${now}%, expected 60.0%`);
    await page.screenshot({
      path: path.join(logDir, `reliability-tab-${label}.png`),
      fullPage: true,
    });
  } catch (e) {
    await page
      .screenshot({
        path: path.join(logDir, `reliability-tab-${label}-failure.png`),
        fullPage: true,
      })
      .catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------- PostgreSQL
const psql = (db, sql) =>
  execFileSync('psql', [`${PG_URL}/${db}`, '-tAc', sql], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
function dropDatabases(prefix) {
  for (const db of psql(
    'postgres',
    `select datname from pg_database where datname like '${prefix}%'`,
  ))
    psql('postgres', `drop database if exists "${db}" with (force)`);
}

async function postgres(env, later, tables, port) {
  try {
    await boot(
      'postgres',
      { database: { client: 'pg', connection: PG_URL, prefix: pgPrefix } },
      env,
      later,
      port,
    );
    const have = psql(
      `${pgPrefix}reliability`,
      "select table_name from information_schema.tables where table_schema = 'public' and table_name not like '%knex_migrations%' and table_name not like 'backstage\\_backend\\_%' order by table_name",
    );
    const missing = tables.filter(t => !have.includes(t));
    const unlisted = have.filter(t => !tables.includes(t));
    if (missing.length || unlisted.length)
      fail(
        `the backend README's tables differ from the database: not created ${
          missing.join(', ') || '-'
        }; not listed ${unlisted.join(', ') || '-'}`,
      );
    console.log(
      `  [postgres] ${pgPrefix}reliability: the ${have.length} tables the backend's README lists (and Backstage's own backstage_backend_*)`,
    );
  } finally {
    dropDatabases(pgPrefix);
  }
}

/** The app on SQLite and on PostgreSQL, at the same time (most of a boot is waiting: the catalog, a tick). */
async function bothDatabases(env, later, tables) {
  await phase(
    'SQLite and PostgreSQL, side by side: boot, register, ingest, Chromium',
    async () => {
      const results = await Promise.allSettled([
        boot('sqlite', {}, env, later, PORT),
        postgres(env, later, tables, PORT + 1),
      ]);
      const failed = results
        .map((r, i) => [['SQLite', 'PostgreSQL'][i], r])
        .filter(([, r]) => r.status === 'rejected');
      if (failed.length)
        fail(
          failed
            .map(([db, r]) => `${db}: ${r.reason?.message ?? r.reason}`)
            .join('\n'),
        );
    },
  );
}

// ---------------------------------------------------------------- main
const started = Date.now();
const pgPrefix = `rs_install_${process.pid}_`;
let code = 0;
try {
  const tarballs = await phase('tarballs: metadata', () => checkTarballs());
  const reuse =
    process.env.RELIABILITY_INSTALL_REUSE === '1' && existsSync(app);
  if (reuse) {
    // debugging the last phases: the app of the previous run, installed and built as it is
    console.log(`  RELIABILITY_INSTALL_REUSE=1: reusing ${app}`);
    const later = [];
    let tables;
    for (const plugin of README_ORDER)
      for (const s of readInstallSnippets(
        path.join(root, 'plugins', plugin, 'README.md'),
      )) {
        if (s.kind === 'shell-after-start') later.push(s);
        if (s.kind === 'tables') tables = s.content.split('\n').filter(Boolean);
      }
    await bothDatabases({}, later, tables);
    process.exit(0);
  }
  const env = await phase(
    `new app: @backstage/create-app@${CREATE_APP_VERSION} in ${app}`,
    () => createApp(tarballs),
  );
  await phase('new app: yarn install (shared Yarn cache)', () => {
    console.log(
      `  Yarn cache: ${run('yarn', ['config', 'get', 'cacheFolder'], {
        env,
        log: 'yarn-install',
      }).trim()}`,
    );
    run('yarn', ['install'], { env, log: 'yarn-install' });
  });
  const { later, tables } = await phase("the READMEs' install snippets", () =>
    applyReadmes(env),
  );
  await phase('yarn tsc', () => run('yarn', ['tsc'], { env, log: 'tsc' }));
  await phase('build the app', () =>
    run('yarn', ['workspace', 'app', 'build'], { env, log: 'build-app' }),
  );
  await phase('build the backend', () =>
    run('yarn', ['workspace', 'backend', 'build'], {
      env,
      log: 'build-backend',
    }),
  );
  await bothDatabases(env, later, tables);
} catch (e) {
  console.error(`\n[install] FAILED: ${e.message}`);
  code = 1;
} finally {
  stopBackend();
  console.log('\n[install] phase timings');
  for (const [name, s] of timings) console.log(`  ${s.padStart(7)} s  ${name}`);
  console.log(
    `  ${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  total`,
  );
}
process.exit(code);
