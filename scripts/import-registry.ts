/*
 * `yarn reliability:import <registry> <file> [--entity <ref>] [--dry-run] [--url <backend base URL>]`: imports
 * one of the seeds' CSV registries (slos, burn-rate-alerts, synthetics, drills; a .csv file), or a file of SLO
 * documents (slo-documents: OpenSLO v1, v1alpha or v2alpha, Sloth or Pyrra; a .yaml, .yml or .json file, each SLO
 * written as an OpenSLO v1 file where the scaffolder publishes), through POST /api/reliability/import/<registry>.
 * The token is read from RELIABILITY_TOKEN (a static external access token, such as the SLI reporters' one), the
 * URL from RELIABILITY_URL or --url (default http://localhost:7007). Prints every row's (or document's) outcome;
 * exits 1 with every bad row or document when the file is refused (nothing is imported then), 2 when the backend
 * cannot be reached.
 */
import { readFile } from 'fs/promises';
import {
  IMPORT_REGISTRY_NAMES,
  MAX_REGISTRY_IMPORT_BYTES,
  RegistryImportResult,
  SLO_DOCUMENTS_REGISTRY,
} from '../plugins/reliability-common/src/imports/registry';

const USAGE = [
  `usage: yarn reliability:import <${IMPORT_REGISTRY_NAMES.join(
    '|',
  )}> <file> [--entity <ref>] [--dry-run] [--url <backend>]`,
  '  slos, burn-rate-alerts, synthetics, drills: a CSV file (text/csv)',
  `  ${SLO_DOCUMENTS_REGISTRY}: OpenSLO (v1, v1alpha, v2alpha), Sloth or Pyrra documents in a .yaml, .yml or .json file;`,
  '    --entity names the component of the SLOs that do not name their own',
].join('\n');

/** The content type a file is sent as: CSV for the registries, YAML or JSON (by its extension) for SLO documents. */
function contentType(registry: string, file: string): string | undefined {
  if (registry !== SLO_DOCUMENTS_REGISTRY) return 'text/csv';
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'application/json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml'))
    return 'application/yaml';
  return undefined;
}

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
    !(IMPORT_REGISTRY_NAMES as readonly string[]).includes(registry)
  ) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const type = contentType(registry, file);
  if (!type) {
    process.stderr.write(
      `${registry}: ${file} must be a .yaml, .yml or .json file\n${USAGE}\n`,
    );
    return 2;
  }
  const text = await readFile(file, 'utf8');
  if (Buffer.byteLength(text) > MAX_REGISTRY_IMPORT_BYTES) {
    process.stderr.write(
      `${registry}: ${file} is over ${
        MAX_REGISTRY_IMPORT_BYTES / 1024 / 1024
      } MB, the most one import takes: split it\n`,
    );
    return 1;
  }
  const query = new URLSearchParams();
  if (entity) query.set('entityRef', entity);
  if (dryRun) query.set('dryRun', 'true');
  const token = process.env.RELIABILITY_TOKEN;
  const res = await fetch(
    `${url.replace(/\/+$/, '')}/api/reliability/import/${registry}?${query}`,
    {
      method: 'POST',
      headers: {
        'Content-Type': type,
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
  // the SLO documents answer per document (counted from 1), the registries per line
  const unit = registry === SLO_DOCUMENTS_REGISTRY ? 'document' : 'line';
  for (const r of result.rows)
    process.stdout.write(
      `${unit} ${r.line} ${r.id}: ${r.outcome}${
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
