import fs from 'fs';
import path from 'path';

/**
 * The routes the route files register (`<feature>/routes.ts`, `*Routes.ts`, http/router.ts): `router.get('/x', …)`
 * calls, and for a route registered through a variable (`router.post(path, …)`) the route literals of that file
 * that open an array or a call (`ingestRoute('/sli-events', …)`, `[['/chaos/:id/start', …]]`), as
 * scripts/check-docs.mjs reads them.
 */
export function registeredRoutes(): string[] {
  const src = path.resolve(__dirname, '..');
  const files = [path.join(src, 'http', 'router.ts')];
  for (const dir of fs.readdirSync(src)) {
    const folder = path.join(src, dir);
    if (!fs.statSync(folder).isDirectory()) continue;
    for (const name of fs.readdirSync(folder))
      if (name.toLowerCase().endsWith('routes.ts'))
        files.push(path.join(folder, name));
  }
  const routes = new Set<string>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /router\.(get|post|put|patch|delete)\(\s*'([^']+)'/g,
    ))
      routes.add(`${m[1].toUpperCase()} ${m[2]}`);
    for (const m of text.matchAll(
      /router\.(get|post|put|patch|delete)\(\s*[A-Za-z[]/g,
    )) {
      for (const lit of text.matchAll(/(?:\[|\b[A-Za-z]+\()\s*'(\/[^']*)'/g))
        if (!text.slice(0, lit.index).endsWith('router.'))
          routes.add(`${m[1].toUpperCase()} ${lit[1]}`);
    }
  }
  return [...routes].sort();
}
