#!/usr/bin/env node
// Checks that the documentation says what is true of the repository (plain node, no dependencies):
//   node scripts/check-docs.mjs
//
// Reads README.md, docs/**/*.md, plugins/README.md, packages/README.md and plugins/*/README.md, outside fenced code
// blocks, and checks:
//   - every repository path named in backticks (`plugins/reliability/src/routes.ts`, `catalog/slos/`) or as a
//     relative link target exists. A path that starts with a top-level folder of the repository is read from the
//     root only. A shorter one is read, in order, from the root, the README's own package, and every
//     `plugins/*/src`, `plugins/*` and `packages/*/src` (the docs write backend paths from
//     `plugins/reliability-backend/src`, frontend paths from `plugins/reliability/src`); `-common/…` and `-node/…`
//     stand for `plugins/reliability-common/…` and `plugins/reliability-node/…`. A bare file name
//     (`plugin.ts`, `secrets.test.ts`) must be some file's name. Paths that are examples (in an adopter's repository,
//     or made at run time) are in ALLOWED_PATHS below;
//   - every link's `#anchor` names a heading of its page (GitHub's or mkdocs' spelling);
//   - every REST route named in backticks with its method (`GET /slos/:namespace/:name`, with or without
//     `/api/reliability`, query strings and `[/optional]` parts ignored or expanded, `a\|b` alternatives expanded),
//     and every `/api/reliability/…` path named without a method, is one the backend registers: the
//     `router.get|post|put|delete('…')` calls in plugins/reliability-backend*/src/**/routes.ts (and *Routes.ts, such as
//     remediation/ownerRulesRoutes.ts) and http/router.ts
//     (a route registered through a variable, `router.post(path, …)`, is taken from the route literals of that
//     file that open a call or an array, `ingestRoute('/sli-events', …)`, `[['/chaos/:id/start', …]]`).
//   - every `reliability.…` config key named in backticks (`reliability.gate.window`,
//     `reliability.prometheus.instances[].name`) is declared in a package's config.d.ts, or is a permission's name
//     (`reliability.slo.read`, from plugins/reliability-common/src/**/permissions.ts).
// Exits 1 listing each false path, route or key with its file and line.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Paths the docs name that are not in this repository on purpose. */
const ALLOWED_PATHS = new Set([
  // in an adopter's repository
  '.github/workflows/chaos-test.yml',
  'chaos-test.yml',
  'capacity-trend.yml',
  'EntityPage.tsx',
  './docs/runbook.md',
  'loadtests/checkout_traffic.js',
  'alertmanager.yml',
  // made at run time (gitignored)
  'test-results/',
  'test-results/screens/',
  '.tools/',
  'packages/app/dist/',
  'techdocs_metadata.json',
]);

const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  'dist',
  'dist-types',
  '.tools',
  'test-results',
  'coverage',
  '.yarn',
]);
const FILE_EXT = /\.(ts|tsx|js|mjs|cjs|json|ya?ml|csv|md|sh|sql|txt)$/;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

const exists = rel => fs.existsSync(path.join(ROOT, rel));
const isDir = rel => {
  try {
    return fs.statSync(path.join(ROOT, rel)).isDirectory();
  } catch {
    return false;
  }
};
const ls = rel => {
  try {
    return fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true });
  } catch {
    return [];
  }
};

function walk(rel, visit) {
  for (const e of ls(rel)) {
    if (SKIP_DIRS.has(e.name)) continue;
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) walk(p, visit);
    else visit(p);
  }
}

// ---- the documents ----
const docs = [];
for (const f of ['README.md', 'plugins/README.md', 'packages/README.md'])
  if (exists(f)) docs.push(f);
walk('docs', f => f.endsWith('.md') && docs.push(f));
for (const e of ls('plugins'))
  if (e.isDirectory() && exists(`plugins/${e.name}/README.md`))
    docs.push(`plugins/${e.name}/README.md`);

// ---- what the repository holds ----
const topLevel = new Set(ls('').map(e => e.name));
const basenames = new Set();
const dirnames = new Set();
walk('', f => {
  basenames.add(path.posix.basename(f));
  for (const d of path.posix.dirname(f).split('/')) dirnames.add(`${d}/`);
});
const bases = [''];
for (const parent of ['plugins', 'packages']) {
  for (const e of ls(parent)) {
    if (!e.isDirectory()) continue;
    if (isDir(`${parent}/${e.name}/src`)) bases.push(`${parent}/${e.name}/src`);
    if (parent === 'plugins') bases.push(`${parent}/${e.name}`);
  }
}
bases.push('plugins');

// ---- the routes the backend registers ----
const routeFiles = [];
for (const e of ls('plugins')) {
  if (e.isDirectory() && e.name.startsWith('reliability-backend')) {
    walk(
      `plugins/${e.name}/src`,
      f =>
        /(^|\/)(routes|router|[a-z][A-Za-z]*Routes)\.ts$/.test(f) &&
        routeFiles.push(f),
    );
  }
}
const registered = []; // { method, segments }
const ROUTE_LITERAL = /['"`](\/[A-Za-z0-9:_/-]*)['"`]/g;
for (const f of routeFiles) {
  const text = fs.readFileSync(path.join(ROOT, f), 'utf8');
  const literal = new Set();
  for (const m of text.matchAll(
    /router\.(get|post|put|delete|patch)\(\s*['"`]([^'"`]+)['"`]/g,
  )) {
    registered.push({ method: m[1].toUpperCase(), path: m[2] });
    literal.add(m[2]);
  }
  const indirect = [
    ...text.matchAll(/router\.(get|post|put|delete|patch)\(\s*[A-Za-z_$]/g),
  ].map(m => m[1].toUpperCase());
  if (indirect.length) {
    for (const m of text.matchAll(ROUTE_LITERAL)) {
      if (literal.has(m[1])) continue;
      const before = text.slice(Math.max(0, m.index - 3), m.index);
      if (!/[([]\s*$/.test(before)) continue;
      for (const method of new Set(indirect))
        registered.push({ method, path: m[1] });
    }
  }
}
const segs = p => p.replace(/\/+$/, '').split('/').filter(Boolean);
for (const r of registered) r.segments = segs(r.path);

function routeKnown(method, docPath) {
  const d = segs(docPath);
  return registered.some(
    r =>
      (!method || r.method === method) &&
      r.segments.length === d.length &&
      r.segments.every((s, i) =>
        s.startsWith(':')
          ? d[i] !== ''
          : d[i] === s || (d[i].startsWith(':') && s.startsWith(':')),
      ),
  );
}

/** `/a/b[/:c]` and `/a/x\|y` into every concrete path they name. */
function expandRoute(p) {
  const opt = /\[([^\][]*)\]/.exec(p);
  if (opt)
    return [
      ...expandRoute(
        p.slice(0, opt.index) + p.slice(opt.index + opt[0].length),
      ),
      ...expandRoute(
        p.slice(0, opt.index) + opt[1] + p.slice(opt.index + opt[0].length),
      ),
    ];
  const parts = p.split('/');
  const i = parts.findIndex(s => s.includes('|'));
  if (i >= 0)
    return parts[i]
      .split(/\\?\|/)
      .flatMap(alt =>
        expandRoute(
          [...parts.slice(0, i), alt, ...parts.slice(i + 1)].join('/'),
        ),
      );
  return [p];
}

// ---- the config keys the packages declare, and the permissions' names ----
const configKeys = new Set();
for (const parent of ['plugins', 'packages']) {
  for (const e of ls(parent)) {
    const f = `${parent}/${e.name}/config.d.ts`;
    if (!e.isDirectory() || !exists(f)) continue;
    const stack = [];
    for (const raw of fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n')) {
      const line = raw.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
      if (!line || line.startsWith('*') || line.startsWith('/*')) continue;
      const m = /^([A-Za-z_$][\w$]*)\??:\s*(.*)$/.exec(line);
      if (m) {
        const full = [...stack, m[1]];
        configKeys.add(full.join('.'));
        const rest = m[2];
        if (/^\{\s*\[\w+: string\]/.test(rest))
          configKeys.add([...full, '*'].join('.')); // a map: any key below
        const inline = /\{([^{}]*)\}/.exec(rest);
        if (inline)
          for (const k of inline[1].matchAll(/([A-Za-z_$][\w$]*)\??:/g))
            configKeys.add([...full, k[1]].join('.'));
        const opens =
          (rest.match(/\{/g) ?? []).length - (rest.match(/\}/g) ?? []).length;
        if (opens > 0) {
          stack.push(m[1]);
          for (let i = 1; i < opens; i++) stack.push(null); // `{ [name: string]: {`: keys under the index signature
        }
        continue;
      }
      // an index signature on its own line (`[name: string]: {`, as prettier writes a long one): keys under it
      if (/^\[\w+: string\]:\s*\{$/.test(line)) {
        configKeys.add([...stack, '*'].join('.'));
        stack.push(null);
        continue;
      }
      const closes =
        (line.match(/\}/g) ?? []).length - (line.match(/\{/g) ?? []).length;
      for (let i = 0; i < closes; i++) stack.pop();
    }
  }
}
const configKeyList = [...configKeys].map(k =>
  k
    .split('.')
    .filter(s => s !== 'null')
    .join('.'),
);
const permissionNames = new Set();
walk('plugins/reliability-common/src', f => {
  if (/permissions\.ts$/.test(f))
    for (const m of fs
      .readFileSync(path.join(ROOT, f), 'utf8')
      .matchAll(/name:\s*'(reliability\.[\w.]+)'/g))
      permissionNames.add(m[1]);
});
const keyKnown = key => {
  const k = key.replace(/\[\]/g, '');
  return (
    permissionNames.has(key) ||
    configKeyList.some(
      d =>
        d === k ||
        d.startsWith(`${k}.`) ||
        (d.endsWith('.*') && k.startsWith(d.slice(0, -1))),
    )
  );
};

// ---- headings, for anchors ----
const githubSlug = h =>
  h
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
const mkdocsSlug = h =>
  h
    .normalize('NFKD')
    .replace(/[^\x00-\x7f]/g, '')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '-');
const anchorCache = new Map();
function anchorsOf(rel) {
  if (!anchorCache.has(rel)) {
    const set = new Set();
    let fence = false;
    for (const line of fs
      .readFileSync(path.join(ROOT, rel), 'utf8')
      .split('\n')) {
      if (/^\s*(```|~~~)/.test(line)) fence = !fence;
      const m = !fence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (m) {
        const text = m[1]
          .replace(/`/g, '')
          .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
        set.add(githubSlug(text));
        set.add(mkdocsSlug(text));
      }
    }
    anchorCache.set(rel, set);
  }
  return anchorCache.get(rel);
}

// ---- the checks ----
const problems = [];
const checked = { paths: 0, routes: 0, links: 0, keys: 0 };
const report = (file, line, what) => problems.push(`${file}:${line}: ${what}`);

function resolvePath(token, doc) {
  let t = token.replace(/^\.\//, '');
  if (t.startsWith('-common/')) t = `plugins/reliability-common/${t.slice(8)}`;
  else if (t.startsWith('-node/')) t = `plugins/reliability-node/${t.slice(6)}`;
  const first = t.split('/')[0];
  if (topLevel.has(first) && t.includes('/')) return exists(t);
  const own =
    doc.startsWith('plugins/') && doc.split('/').length === 3
      ? [path.posix.dirname(doc), `${path.posix.dirname(doc)}/src`]
      : [];
  for (const base of [...own, ...bases])
    if (exists(base ? `${base}/${t}` : t)) return true;
  return false;
}

for (const doc of docs) {
  const raw = fs.readFileSync(path.join(ROOT, doc), 'utf8');
  // fenced blocks become blank lines, so offsets keep their line numbers
  let fence = false;
  const text = raw
    .split('\n')
    .map(line => {
      if (/^\s*(```|~~~)/.test(line)) {
        fence = !fence;
        return '';
      }
      return fence ? '' : line;
    })
    .join('\n');
  const lineAt = offset => text.slice(0, offset).split('\n').length;

  // code spans: one or more backticks, not across a blank line
  for (const m of text.matchAll(/(`+)((?:(?!\1)[^\n]|\n(?!\s*\n))+?)\1/g)) {
    const span = m[2].replace(/\s+/g, ' ').trim();
    const line = lineAt(m.index);
    const route = new RegExp(`^(${METHODS.join('|')}) (/\\S*)`).exec(span);
    if (route || /^\/api\/reliability\/\S+$/.test(span)) {
      const method = route ? route[1] : undefined;
      let p = route ? route[2] : span;
      if (p.startsWith('/api/') && !p.startsWith('/api/reliability')) continue; // another API (Prometheus's, the catalog's)
      p =
        p
          .replace(/^\/api\/reliability(?=\/|$)/, '')
          .replace(/\?.*$/, '')
          .replace(/[.,;:]$/, '') || '/';
      for (const concrete of expandRoute(p)) {
        checked.routes++;
        if (!routeKnown(method, concrete))
          report(
            doc,
            line,
            `route '${
              method ? `${method} ` : ''
            }${concrete}' is not registered by the backend (${span})`,
          );
      }
      continue;
    }
    if (/^reliability(\.[A-Za-z]\w*(\[\])?)+$/.test(span)) {
      checked.keys++;
      if (!keyKnown(span))
        report(
          doc,
          line,
          `config key '${span}' is declared in no config.d.ts (and is no permission)`,
        );
      continue;
    }
    if (ALLOWED_PATHS.has(span)) continue;
    if (
      !/^(\.\/)?[A-Za-z0-9_.-][A-Za-z0-9_.@/-]*$/.test(span) ||
      span.startsWith('@') ||
      /^\.[a-z]+$/.test(span)
    )
      continue;
    checked.paths++;
    const hasSlash = span.includes('/');
    const isFile = FILE_EXT.test(span);
    if (!isFile && !(hasSlash && span.endsWith('/'))) continue; // not a path: a package, a MIME type, a label, a ref
    if (!hasSlash) {
      if (!basenames.has(span))
        report(doc, line, `file '${span}' is no file's name in the repository`);
      continue;
    }
    if (/^[^/]+\/$/.test(span)) {
      if (!dirnames.has(span))
        report(
          doc,
          line,
          `folder '${span}' is no folder's name in the repository`,
        );
      continue;
    }
    if (!resolvePath(span, doc))
      report(doc, line, `path '${span}' does not exist`);
  }

  // links: [text](target)
  for (const m of text.matchAll(/\[[^\]\n]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1];
    checked.links++;
    const line = lineAt(m.index);
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('/')) continue; // URLs, portal routes
    const [file, anchor] = target.split('#');
    const rel = file
      ? path.posix.normalize(
          path.posix.join(path.posix.dirname(doc), decodeURIComponent(file)),
        )
      : doc;
    if (ALLOWED_PATHS.has(file)) continue;
    if (rel.startsWith('..') || !exists(rel)) {
      report(
        doc,
        line,
        `link '${target}' names a path that does not exist (${rel})`,
      );
      continue;
    }
    if (
      anchor &&
      rel.endsWith('.md') &&
      !anchorsOf(rel).has(anchor.toLowerCase())
    )
      report(doc, line, `link '${target}': no heading '#${anchor}' in ${rel}`);
  }
}

if (problems.length) {
  console.error(
    `check-docs: ${problems.length} false statement(s) in the documentation (${checked.paths} paths, ${checked.links} links, ${checked.routes} routes, ${checked.keys} config keys checked):`,
  );
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(
  `check-docs: ${docs.length} documents; ${checked.paths} paths, ${checked.links} links, ${checked.routes} routes and ${checked.keys} config keys named, all true (${registered.length} routes registered)`,
);
