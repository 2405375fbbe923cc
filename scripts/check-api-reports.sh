#!/usr/bin/env bash
# Checks that the API report of every published package (plugins/<name>/report.api.md, and report-alpha.api.md for
# an /alpha entry point) still matches what the package exports, as backstage-repo-tools api-reports --ci does in
# backstage/community-plugins. Release tags are validated (@public in report.api.md, @alpha or @public in
# report-alpha.api.md) and a report may carry no warning (a missing release tag, a forgotten export, bad TSDoc).
#
# It reads the type declarations in dist-types/, which `yarn tsc` writes: run that first (scripts/test.sh does).
# After an intended API change, regenerate the reports with `yarn build:api-reports:only <package dirs>` and commit
# them.
#
# Usage: scripts/check-api-reports.sh [plugins/<name> ...]   (default: every package under plugins/ not private)
set -uo pipefail
cd "$(dirname "$0")/.."

OPTIONS=(-o ae-wrong-input-file-type,ae-undocumented --validate-release-tags)

if [ $# -gt 0 ]; then
  packages=("$@")
else
  mapfile -t packages < <(node -e '
    const fs = require("fs");
    for (const dir of fs.readdirSync("plugins").sort()) {
      const file = `plugins/${dir}/package.json`;
      if (fs.existsSync(file) && !JSON.parse(fs.readFileSync(file, "utf8")).private) console.log(`plugins/${dir}`);
    }')
fi
if [ ${#packages[@]} -eq 0 ]; then
  echo "check-api-reports: no published package found" >&2
  exit 1
fi

for dir in "${packages[@]}"; do
  if [ ! -d "dist-types/$dir/src" ]; then
    echo "check-api-reports: dist-types/$dir is missing; run yarn tsc first" >&2
    exit 1
  fi
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
remaining=("${packages[@]}")
failed=()

# The tool stops at the first report that is out of date: run it again on the packages it had not reached yet, so
# that every stale report is named.
while [ ${#remaining[@]} -gt 0 ]; do
  if yarn backstage-repo-tools api-reports --ci "${OPTIONS[@]}" "${remaining[@]}" >"$log" 2>&1; then
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
  echo "API report out of date: $bad"
  # What the tool says, without the full text of the new report that it prints after a signature change.
  grep -E '^(Error|Warning|\[33mWarning)|API Extractor completed|not allowed to have warnings|no longer relevant|Unexpected release tag|report file (is|was) missing|changed the API signature' "$log" |
    grep -v 'bundled TypeScript' | sed 's/^/  /' | head -n 20
  # The difference, from the report the tool wrote into its cache.
  name=$(node -p "require('./$bad/package.json').name.replace(/^@[^/]+\//, '')")
  for report in "$bad"/report*.api.md; do
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
    skip=0
    for done_dir in "${processed[@]}"; do
      [ "$dir" = "$done_dir" ] && skip=1
    done
    [ $skip -eq 0 ] && next+=("$dir")
  done
  remaining=("${next[@]+"${next[@]}"}")
done

elapsed=$((SECONDS - start))
if [ ${#failed[@]} -gt 0 ]; then
  echo
  echo "check-api-reports: ${#failed[@]} of ${#packages[@]} packages have an API report out of date (${elapsed}s): ${failed[*]}"
  echo "If the change is intended: yarn build:api-reports:only ${failed[*]} and commit the reports."
  exit 1
fi
echo "check-api-reports: the API reports of ${#packages[@]} packages are up to date (${elapsed}s)"
