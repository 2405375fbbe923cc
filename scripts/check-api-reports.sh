#!/usr/bin/env bash
# Checks that the API report of every published package (plugins/<name>/report.api.md, and report-alpha.api.md for
# an /alpha entry point) still matches what the package exports, as backstage-repo-tools api-reports --ci does in
# backstage/community-plugins. Release tags are validated (@public in report.api.md, @alpha or @public in
# report-alpha.api.md) and a report may carry no warning (a missing release tag, a forgotten export, bad TSDoc).
#
# The declarations the reports are read from are emitted here, from the packages' entry points and what they import
# (see below). TypeScript prints inferred types (zod's, in -common) with union
# members and properties in the order it first met them, so the declarations of the whole repository's program
# (yarn tsc) change order when unrelated code changes; these do not.
#
# Usage: scripts/check-api-reports.sh [--update] [plugins/<name> ...]
#   default: every package under plugins/ that is not private; --update rewrites the reports instead of checking.
set -uo pipefail
cd "$(dirname "$0")/.."

OPTIONS=(-o ae-wrong-input-file-type,ae-undocumented --validate-release-tags)
mode=--ci
if [ "${1:-}" = "--update" ]; then
  mode=
  shift
fi

mapfile -t published < <(node -e '
  const fs = require("fs");
  for (const dir of fs.readdirSync("plugins").sort()) {
    const file = `plugins/${dir}/package.json`;
    if (fs.existsSync(file) && !JSON.parse(fs.readFileSync(file, "utf8")).private) console.log(`plugins/${dir}`);
  }')
if [ $# -gt 0 ]; then
  packages=("${@%/}")
else
  packages=("${published[@]}")
fi
if [ ${#packages[@]} -eq 0 ]; then
  echo "check-api-reports: no published package found" >&2
  exit 1
fi

start=$SECONDS
# The declarations go to dist-types/<dir>, where the extractor reads them (yarn tsc writes the same files), from one
# program whose roots are the entry points of every published package (whichever are checked), a package after the
# packages it depends on: what TypeScript meets before a package's types is then the published packages before it
# in that order (for -common, nothing), never the app, the backend, tests or benchmarks.
cache=node_modules/.cache/check-api-reports
mkdir -p "$cache"
node - "$cache/tsconfig.json" "${published[@]}" <<'NODE'
const fs = require('fs');
const [out, ...dirs] = process.argv.slice(2);
const pkgs = new Map(dirs.map(dir => [JSON.parse(fs.readFileSync(`${dir}/package.json`, 'utf8')).name, dir]));
const deps = dir => {
  const pkg = JSON.parse(fs.readFileSync(`${dir}/package.json`, 'utf8'));
  return Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).filter(name => pkgs.has(name));
};
const ordered = [];
const visit = name => {
  if (ordered.includes(name)) return;
  for (const dep of deps(pkgs.get(name)).sort()) visit(dep);
  ordered.push(name);
};
[...pkgs.keys()].sort().forEach(visit);
const files = ordered.flatMap(name => {
  const dir = pkgs.get(name);
  const pkg = JSON.parse(fs.readFileSync(`${dir}/package.json`, 'utf8'));
  const entries = pkg.exports
    ? Object.values(pkg.exports).filter(p => typeof p === 'string' && /\.tsx?$/.test(p))
    : [pkg.types ?? 'src/index.ts'];
  return entries.map(p => `../../../${dir}/${p.replace(/^\.\//, '')}`);
});
const config = { extends: '../../../tsconfig.json', files, include: [], compilerOptions: { incremental: false } };
fs.writeFileSync(out, `${JSON.stringify(config, null, 2)}\n`);
NODE
# Type errors are yarn tsc's to report (scripts/test.sh runs it first); declarations are emitted all the same.
if ! node_modules/.bin/tsc -p "$cache/tsconfig.json" >"$cache/tsc.log" 2>&1; then
  echo "check-api-reports: warning: the published packages have type errors (yarn tsc names them):" \
    "$(grep -c 'error' "$cache/tsc.log") lines of $cache/tsc.log; checking the declarations emitted anyway" >&2
fi
emitted=$((SECONDS - start))

log=$(mktemp)
trap 'rm -f "$log"' EXIT
remaining=("${packages[@]}")
failed=()

# The tool stops at the first report that is out of date: run it again on the packages it had not reached yet, so
# that every stale report is named.
while [ ${#remaining[@]} -gt 0 ]; do
  # shellcheck disable=SC2086 # $mode is empty or one flag
  if yarn backstage-repo-tools api-reports $mode "${OPTIONS[@]}" "${remaining[@]}" >"$log" 2>&1; then
    break
  fi
  mapfile -t processed < <(sed -n 's/^## Processing //p' "$log")
  if [ ${#processed[@]} -eq 0 ]; then
    echo "check-api-reports: backstage-repo-tools api-reports failed before processing a package:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  bad=${processed[-1]}
  failed+=("$bad")
  echo "API report out of date or failing: $bad"
  # What the tool says, without the full text of the new report that it prints after a signature change.
  grep -E '^(.\[33m)?(Warning|Error): |not allowed to have warnings|no longer relevant|Unexpected release tag' "$log" |
    sed 's/^/  /' | head -n 20
  # The difference, from the report the tool wrote into its cache.
  name=$(node -p "require('./$bad/package.json').name.replace(/^@[^/]+\//, '')")
  for report in "$bad"/report*.api.md; do
    [ -f "$report" ] || continue
    suffix=${report##*/report}
    suffix=${suffix%.api.md}
    fresh="node_modules/.cache/api-extractor/$name$suffix/report$suffix.api.md"
    if [ -f "$fresh" ] && ! cmp -s "$report" "$fresh"; then
      echo "  --- $report (committed) vs the package's current API:"
      diff -u "$report" "$fresh" | tail -n +3 | head -n 60 | sed 's/^/  /'
    fi
  done
  next=()
  for dir in "${remaining[@]}"; do
    seen=0
    for done_dir in "${processed[@]}"; do
      [ "$dir" = "$done_dir" ] && seen=1
    done
    [ $seen -eq 0 ] && next+=("$dir")
  done
  remaining=("${next[@]+"${next[@]}"}")
done

elapsed=$((SECONDS - start))
if [ ${#failed[@]} -gt 0 ]; then
  echo
  echo "check-api-reports: ${#failed[@]} of ${#packages[@]} packages fail (${elapsed}s): ${failed[*]}"
  echo "If the API change is intended: yarn build:api-reports ${failed[*]} and commit the reports."
  exit 1
fi
if [ -z "$mode" ]; then
  echo "check-api-reports: API reports of ${#packages[@]} packages written (${elapsed}s, declarations ${emitted}s)"
else
  echo "check-api-reports: API reports of ${#packages[@]} packages up to date (${elapsed}s, declarations ${emitted}s)"
fi
