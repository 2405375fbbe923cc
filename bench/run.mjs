// yarn bench [-- --slos 10000 --db sqlite|pg]: runs the evaluation benchmark with the repo's TypeScript loader.
import { spawnSync } from 'node:child_process';
const args = process.argv.slice(2);
const dbs = args.includes('--db') ? [] : ['--db', 'sqlite'];
const r = spawnSync(process.execPath, ['--max-old-space-size=8192', '--require', '@backstage/cli/config/nodeTransform.cjs', 'bench/evaluation.bench.ts', ...dbs, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
