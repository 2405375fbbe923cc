import { readFile } from 'fs/promises';
import { parseAllDocuments } from 'yaml';
import { ChaosViolation, lintChaosExperiment } from '@internal/plugin-reliability-common';

/** Where the command writes; a test passes its own. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  readFile?: (path: string) => Promise<string>;
}

const USAGE = 'usage: yarn chaos:lint [--slos default/a,default/b] <experiment.yaml>...';
/** Experiment files are small; a larger one is refused rather than parsed. */
const MAX_FILE_BYTES = 1_000_000;

/**
 * `yarn chaos:lint`: lints chaos experiment files (YAML, one or more documents each) with the same linter as the
 * portal and `POST /chaos/lint`. Prints every violation as `file[#doc]: field [rule]: message` and answers the exit
 * code: 0 when every experiment passes, 1 when any breaks a rule, 2 for a usage or read error.
 */
export async function runChaosLint(argv: string[], io: CliIo): Promise<number> {
  const read = io.readFile ?? (path => readFile(path, 'utf8'));
  const files: string[] = [];
  let sloRefs: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--slos') {
      const value = argv[++i];
      if (!value) {
        io.err(`--slos needs a comma-separated list of SLO refs\n${USAGE}`);
        return 2;
      }
      sloRefs = value.split(',').map(s => s.trim()).filter(Boolean);
    } else if (argv[i] === '--help' || argv[i] === '-h') {
      io.out(USAGE);
      return 0;
    } else files.push(argv[i]);
  }
  if (!files.length) {
    io.err(USAGE);
    return 2;
  }
  let failed = 0;
  let checked = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await read(file);
    } catch (e) {
      io.err(`${file}: cannot read: ${(e as Error).message}`);
      return 2;
    }
    if (text.length > MAX_FILE_BYTES) {
      io.err(`${file}: larger than ${MAX_FILE_BYTES} bytes; not an experiment file`);
      failed++;
      continue;
    }
    const docs = parseAllDocuments(text);
    const list = Array.isArray(docs) ? docs : [docs];
    for (const [n, doc] of list.entries()) {
      const where = list.length > 1 ? `${file}#${n + 1}` : file;
      if (doc.errors.length) {
        io.out(`${where}: (yaml) [syntax]: ${doc.errors[0].message.split('\n')[0]}`);
        failed++;
        continue;
      }
      const value = doc.toJS({ maxAliasCount: 100 });
      if (value === null || value === undefined) continue;
      checked++;
      const r = lintChaosExperiment(value, { sloRefs });
      if (!r.ok) {
        failed++;
        r.violations.forEach((v: ChaosViolation) => io.out(`${where}: ${v.field} [${v.rule}]: ${v.message}`));
      }
    }
  }
  io.out(failed ? `chaos:lint: ${failed} of ${checked} experiment(s) break a rule` : `chaos:lint: ${checked} experiment(s) pass`);
  return failed ? 1 : 0;
}
