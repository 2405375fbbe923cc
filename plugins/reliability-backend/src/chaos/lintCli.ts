import { readFile } from 'fs/promises';
import { lintExperimentYaml } from './lintYaml';

/** Where the command writes; a test passes its own. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  readFile?: (path: string) => Promise<string>;
}

const USAGE =
  'usage: yarn chaos:lint [--slos default/a,default/b] <experiment.yaml>...';

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
      sloRefs = value
        .split(',')
        .map(s => s.trim())
        .filter(Boolean);
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
    const docs = lintExperimentYaml(text, { sloRefs });
    for (const [n, doc] of docs.entries()) {
      const where = docs.length > 1 ? `${file}#${n + 1}` : file;
      checked++;
      if (!doc.ok) {
        failed++;
        doc.violations.forEach(v =>
          io.out(`${where}: ${v.field} [${v.rule}]: ${v.message}`),
        );
      }
    }
  }
  io.out(
    failed
      ? `chaos:lint: ${failed} of ${checked} experiment(s) break a rule`
      : `chaos:lint: ${checked} experiment(s) pass`,
  );
  return failed ? 1 : 0;
}
