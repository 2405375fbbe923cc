#!/usr/bin/env node
// Checks the folder structure of every package's src/ (packages/*/src, plugins/*/src):
//   node scripts/check-folder-cycles.mjs
//
// - No folder cycle: the graph of first-level folders under src/ (a file directly in src/ is a node of its own), with an
//   edge A -> B when a file of A imports a file of B, has no cycle. Every import counts: `import type`, `export … from`,
//   `import()` and `require()` too (import/no-cycle does not see type-only imports, nor cycles that go through
//   different files of one folder).
// - Front doors: a file of folder A that imports from a folder B (B is not A) that has a front door
//   (B/index.ts) imports B/index.ts, not B's other files. (The files directly in src/, the package's entry points,
//   are no feature folder: they may import what they compose.)
// Import statements are read with the TypeScript compiler's own scanner (ts.preProcessFile), not with patterns over
// the code. Test code (*.test.ts, __tests__/, __testUtils__/, __fixtures__/, setupTests.ts) sits on top of the folders
// and may reach into any of them: it is not part of the graph.
// Exits 1 naming each cycle with one import per edge, and each import through a side door.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ts = createRequire(import.meta.url)('typescript');

const SOURCE = /\.(ts|tsx|mts|cts)$/;
const isTestCode = rel =>
  /\.test\.tsx?$/.test(rel) ||
  /(^|\/)(__tests__|__testUtils__|__fixtures__)\//.test(rel) ||
  /(^|\/)setupTests\.tsx?$/.test(rel);

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The file a relative specifier names, or undefined (a file outside src/, or not a source file). */
function resolve(from, spec) {
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
  for (const c of [
    base,
    `${base}.ts`,
    `${base}.tsx`,
    path.join(base, 'index.ts'),
    path.join(base, 'index.tsx'),
  ]) {
    if (SOURCE.test(c) && fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  return undefined;
}

/** A file's node of the graph: its first-level folder under src/, or itself for a file directly in src/. */
const folderOf = rel => rel.split('/')[0];

function checkPackage(pkgDir) {
  const src = path.join(pkgDir, 'src');
  const name = path.relative(ROOT, pkgDir);
  const problems = [];
  /** folder -> folder -> the first import seen of that edge ("src/a/x.ts -> src/b/y.ts") */
  const edges = new Map();
  for (const file of walk(src)) {
    const rel = path.relative(src, file).split(path.sep).join('/');
    if (isTestCode(rel)) continue;
    const from = folderOf(rel);
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of info.importedFiles) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(file, spec);
      if (!target || !target.startsWith(src + path.sep)) continue;
      const trel = path.relative(src, target).split(path.sep).join('/');
      const to = folderOf(trel);
      if (to === from) continue;
      const via = `src/${rel} -> src/${trel}`;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from).has(to)) edges.get(from).set(to, via);
      // a folder with a front door is entered through it (the files directly in src/ are not a feature folder)
      const door = ['index.ts', 'index.tsx']
        .map(f => path.join(src, to, f))
        .find(f => fs.existsSync(f));
      if (
        trel.includes('/') &&
        rel.includes('/') &&
        door &&
        path.resolve(target) !== path.resolve(door)
      )
        problems.push(
          `${name}: ${from} imports ${to}'s internals (its front door is src/${to}/index.ts) via ${via}`,
        );
    }
  }
  // cycles: each strongly connected component of more than one folder, named by one cycle through it
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const comps = [];
  const strong = v => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) comps.push(comp.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!idx.has(v)) strong(v);
  for (const comp of comps) {
    const inComp = new Set(comp);
    // the shortest cycle from the component's first folder back to itself (breadth first)
    const start = comp[0];
    const prev = new Map([[start, undefined]]);
    const queue = [start];
    let closing;
    while (queue.length && !closing) {
      const v = queue.shift();
      for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
        if (!inComp.has(w)) continue;
        if (w === start) {
          closing = v;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const cycle = [start];
    for (let v = closing; v !== start; v = prev.get(v)) cycle.splice(1, 0, v);
    cycle.push(start);
    const vias = cycle
      .slice(0, -1)
      .map((v, i) => edges.get(v).get(cycle[i + 1]));
    problems.push(
      `${name}: ${cycle.join(' -> ')} via ${vias.join(', ')}${
        comp.length > cycle.length - 1
          ? ` (the cycle's folders: ${comp.join(', ')})`
          : ''
      }`,
    );
  }
  return problems;
}

const packages = ['packages', 'plugins'].flatMap(group =>
  fs
    .readdirSync(path.join(ROOT, group), { withFileTypes: true })
    .filter(e => e.isDirectory())
    .map(e => path.join(ROOT, group, e.name))
    .filter(p => fs.existsSync(path.join(p, 'src'))),
);
const problems = packages.flatMap(checkPackage);
if (problems.length) {
  for (const p of problems) console.error(p);
  console.error(
    `check-folder-cycles: ${problems.length} problem(s) in the folders of ${packages.length} packages`,
  );
  process.exit(1);
}
console.log(
  `check-folder-cycles: no folder cycle and no side door in ${packages.length} packages`,
);
