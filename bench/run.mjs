// yarn bench [-- --slos 10000 --db sqlite|pg]: runs the evaluation benchmark with the repo's TypeScript loader.
//
// yarn bench --scale: every row of the scale table (issue 15), one benchmark after another, each with its baseline
// measured in its own run (the from-scratch tick, the catalog's read and Overview tab, Prometheus's own rule
// evaluation, a loopback POST), then a summary of the rows with their targets. About 15 minutes on 2 cores; the
// Reliability tab's row builds the app first when packages/app/dist is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const node = (script, extra = [], heap = 8192) => [
  process.execPath,
  [
    `--max-old-space-size=${heap}`,
    '--require',
    '@backstage/cli/config/nodeTransform.cjs',
    script,
    ...extra,
  ],
];

if (!args.includes('--scale')) {
  const dbs = args.includes('--db') ? [] : ['--db', 'sqlite'];
  const [cmd, argv] = node('bench/evaluation.bench.ts', [...dbs, ...args]);
  const r = spawnSync(cmd, argv, { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

/** Runs one benchmark, echoing its output; answers its lines. */
function run(title, cmd, argv) {
  console.log(
    `\n=== ${title}: ${[
      cmd === process.execPath ? 'node' : cmd,
      ...argv.filter(
        a =>
          !a.startsWith('--max-old') &&
          a !== '--require' &&
          !a.endsWith('nodeTransform.cjs'),
      ),
    ].join(' ')}`,
  );
  const r = spawnSync(cmd, argv, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.stdout.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  const lines = `${r.stdout ?? ''}`.split('\n');
  if (r.status !== 0) lines.push(`(exited with ${r.status ?? r.signal})`);
  return lines;
}

/** The lines of a run that start with (after indentation) one of `starts`, in that order. */
const pick = (lines, starts) => [
  ...new Set(
    starts.flatMap(s =>
      lines.filter(l => l.trimStart().startsWith(s)).map(l => l.trim()),
    ),
  ),
];

const rows = [];
for (const db of ['sqlite', 'pg']) {
  const lines = run(
    `evaluation tick, 10,000 SLOs, ${db}`,
    ...node('bench/evaluation.bench.ts', [
      '--db',
      db,
      '--slos',
      '10000',
      '--days',
      '1',
      '--sample',
      '5',
      '--ticks',
      '15',
    ]),
  );
  rows.push([
    `evaluation tick, 10,000 SLOs x 9 windows, ${
      db === 'pg' ? 'PostgreSQL' : 'SQLite'
    }`,
    pick(lines, [
      'incremental tick:',
      'from-scratch tick, same minutes',
      'ratio from-scratch',
      'target incremental tick',
      '(exited',
    ]),
  ]);
}
rows.push([
  "GET /slos?entityRef, the overview's first page and GET /gate against the catalog's by-name read, 50 in flight",
  pick(run('reads', process.execPath, ['bench/reads.bench.mjs']), [
    'catalog ',
    'slos ',
    'overview ',
    'gate ',
    'slos / catalog',
    'overview / catalog',
    'gate / catalog',
    '(exited',
  ]),
]);
rows.push([
  'Prometheus-backed tick, 1,000 SLOs, against Prometheus evaluating their rules',
  pick(run('prometheus', ...node('bench/prometheus.bench.ts', [], 4096)), [
    'Prometheus rule evaluation',
    'by group kind',
    'suite tick, recorded series, next',
    'recorded, mean of',
    'recorded vs raw',
    'target:',
    '(exited',
  ]),
]);
rows.push([
  'webhook -> action, PostgreSQL, 20 in flight, default pool',
  pick(
    run('remediation', ...node('bench/remediation.bench.ts', ['--db', 'pg'])),
    ['webhook received', 'baseline loopback', 'target p95', '(exited'],
  ),
]);
rows.push([
  'first bad minute -> action call (fast check) and Alertmanager webhook -> action, SQLite',
  pick(
    run('selfheal', ...node('bench/selfheal.bench.ts', ['--db', 'sqlite'])),
    [
      '(a) old path',
      '(b) fast path',
      '(c) Alertmanager',
      'ratio old',
      'target fast',
      'target Alertmanager',
      '(exited',
    ],
  ),
]);
if (!existsSync('packages/app/dist/index.html'))
  run('app build (for the tab)', 'yarn', ['workspace', 'app', 'build']);
rows.push([
  'Reliability tab against the Overview tab, production build, Chromium',
  pick(run('tab', process.execPath, ['bench/tab.bench.mjs']), [
    'Overview tab',
    'Reliability tab',
    'ratio Reliability',
    '(exited',
  ]),
]);

console.log(
  '\n=== Scale (issue 15): each row against its baseline, measured in the same run',
);
for (const [title, lines] of rows) {
  console.log(`\n${title}`);
  for (const l of lines.length ? lines : ['(no result printed)'])
    console.log(`  ${l}`);
}
const verdicts = rows.flatMap(([, lines]) =>
  lines.filter(l => /: (NOT )?met\b/.test(l) || l.startsWith('(exited')),
);
const missed = verdicts.filter(
  l => l.includes('NOT met') || l.startsWith('(exited'),
);
console.log(
  `\n${verdicts.length - missed.length} of ${verdicts.length} targets met${
    missed.length ? `; not met: ${missed.length}` : ''
  }`,
);
