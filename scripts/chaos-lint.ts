/*
 * `yarn chaos:lint [--slos default/a,...] <experiment.yaml>...`: the chaos experiment linter for CI, the same rules
 * as the portal and POST /api/reliability/chaos/lint. Exits 1 with the violations when any experiment breaks a rule.
 */
import { runChaosLint } from '../plugins/reliability-backend/src/chaos/lintCli';

runChaosLint(process.argv.slice(2), {
  out: line => process.stdout.write(`${line}\n`),
  err: line => process.stderr.write(`${line}\n`),
}).then(
  code => {
    process.exitCode = code;
  },
  e => {
    process.stderr.write(
      `chaos:lint failed: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exitCode = 2;
  },
);
