/*
 * `yarn reliability:import <registry> <file.csv> [--entity <ref>] [--dry-run] [--url <backend base URL>]`: imports
 * one of the seeds' CSV registries (slos, burn-rate-alerts, synthetics, drills) through POST /api/reliability/import.
 * The token is read from RELIABILITY_TOKEN (a static external access token, such as the SLI reporters' one), the
 * URL from RELIABILITY_URL or --url (default http://localhost:7007). Prints every row's outcome; exits 1 with every
 * bad row when the file is refused (nothing is imported then), 2 when the backend cannot be reached.
 */
import { readFile } from 'fs/promises';
import {
  REGISTRY_NAMES,
  RegistryImportResult,
} from '../plugins/reliability-common/src/imports/registry';

const USAGE = `usage: yarn reliability:import <${REGISTRY_NAMES.join(
  '|',
)}> <file.csv> [--entity <ref>] [--dry-run] [--url <backend>]`;

async function main(argv: string[]): Promise<number> {
  const positional: string[] = [];
  let entity: string | undefined;
  let dryRun = false;
  let url = process.env.RELIABILITY_URL ?? 'http://localhost:7007';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--entity') entity = argv[++i];
    else if (a === '--dry-run') dryRun = true;
    else if (a === '--url') url = argv[++i];
    else if (a.startsWith('--')) {
      process.stderr.write(`unknown option ${a}\n${USAGE}\n`);
      return 2;
    } else positional.push(a);
  }
  const [registry, file] = positional;
  if (
    !registry ||
    !file ||
    positional.length > 2 ||
    !(REGISTRY_NAMES as readonly string[]).includes(registry)
  ) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const text = await readFile(file, 'utf8');
  const query = new URLSearchParams();
  if (entity) query.set('entityRef', entity);
  if (dryRun) query.set('dryRun', 'true');
  const token = process.env.RELIABILITY_TOKEN;
  const res = await fetch(
    `${url.replace(/\/+$/, '')}/api/reliability/import/${registry}?${query}`,
    {
      method: 'POST',
      headers: {
        'Content-Type': 'text/csv',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: text,
      signal: AbortSignal.timeout(60_000),
    },
  );
  const body = await res.text();
  if (!res.ok) {
    let message = body.slice(0, 4_000);
    try {
      message = JSON.parse(body).error?.message ?? message;
    } catch {
      // not JSON: the text as it came
    }
    process.stderr.write(
      `${registry}: ${res.status} ${message.split('; ').join('\n  ')}\n`,
    );
    return res.status === 401 || res.status === 403 || res.status >= 500
      ? 2
      : 1;
  }
  const result = JSON.parse(body) as RegistryImportResult;
  for (const r of result.rows)
    process.stdout.write(
      `line ${r.line} ${r.id}: ${r.outcome}${
        r.detail ? ` (${r.detail})` : ''
      }\n`,
    );
  for (const n of result.notes) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(
    `${registry}${result.dryRun ? ' (dry run, nothing written)' : ''}: ${
      result.created
    } created, ${result.updated} updated, ${result.unchanged} unchanged\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  e => {
    process.stderr.write(
      `reliability:import failed: ${
        e instanceof Error ? e.message : String(e)
      }\n`,
    );
    process.exitCode = 2;
  },
);
