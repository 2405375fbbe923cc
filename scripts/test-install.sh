#!/usr/bin/env bash
# The install test, in one command: builds every published plugin (backstage-cli package build), packs each into a
# tarball (yarn pack), then test/install/run.mjs makes a new app with @backstage/create-app, installs the tarballs
# into it exactly as the plugins' READMEs say, type-checks and builds it, boots its backend on SQLite and on
# PostgreSQL and checks the Reliability tab in headless Chromium. Exits non-zero on the first failure.
#   RELIABILITY_INSTALL_WORKDIR   where the new app goes (default /tmp/reliability-install, outside this repository)
#   CREATE_APP_VERSION            @backstage/create-app version (default 0.9.2: Backstage 1.55.0, as backstage.json)
#   RELIABILITY_TEST_PG_URL       PostgreSQL server (default postgresql://postgres@127.0.0.1:5432)
#   RELIABILITY_INSTALL_SKIP_SETUP=1   skip scripts/setup.sh --test (a machine set up already)
set -euo pipefail
HERE="$(dirname "${BASH_SOURCE[0]}")"
T0=$(date +%s)
phase_start=$T0
timings=()
phase() { # phase "name": closes the previous phase's timing
  local now
  now=$(date +%s)
  [ -n "${current:-}" ] && timings+=("$(printf '%5d s  %s' $((now - phase_start)) "$current")")
  current="$1"
  phase_start=$now
  [ -n "$1" ] && echo "[test-install] $1"
  return 0
}
print_timings() {
  phase ""
  echo "[test-install] timings of the build:"
  printf '  %s\n' "${timings[@]}"
}

# scripts/test.sh leaves a stamp of the tree it set up and type-checked: the same tree needs neither again
STAMP="$(cd "$HERE/.." && pwd)/test-results/setup-and-tsc.stamp"
stamp() { (cd "$HERE/.." && echo "$(git rev-parse HEAD 2>/dev/null) $(git status --porcelain 2>/dev/null | sha1sum)"); }
CHECKED=0
[ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp)" ] && CHECKED=1
phase "setup (scripts/setup.sh --test: Node 22, Yarn 4, Chromium, PostgreSQL, dependencies)"
if [ "${RELIABILITY_INSTALL_SKIP_SETUP:-}" = 1 ]; then
  echo "[test-install] RELIABILITY_INSTALL_SKIP_SETUP=1: this machine is set up already"
elif [ "$CHECKED" = 1 ]; then
  echo "[test-install] scripts/test.sh set up and type-checked this same tree (test-results/setup-and-tsc.stamp)"
else
  "$HERE/setup.sh" --test
fi
source "$HERE/env.sh"
cd "$ROOT"

# ---- PostgreSQL on 127.0.0.1:5432 ----
PG_URL="${RELIABILITY_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432}"
if ! psql "$PG_URL/postgres" -tAc 'select 1' >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null 2>&1; then
  for v in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start >/dev/null 2>&1 || true
  done
  for _ in $(seq 1 30); do psql "$PG_URL/postgres" -tAc 'select 1' >/dev/null 2>&1 && break; sleep 1; done
fi
psql "$PG_URL/postgres" -tAc 'select 1' >/dev/null 2>&1 || {
  echo "[test-install] PostgreSQL is not reachable at $PG_URL (set RELIABILITY_TEST_PG_URL)" >&2
  exit 1
}
export RELIABILITY_TEST_PG_URL="$PG_URL"

OUT="$ROOT/test-results/install"
TARBALLS="$OUT/tarballs"
rm -rf "$OUT"
mkdir -p "$TARBALLS"

phase "yarn tsc (the type declarations the backend packages' builds read from dist-types/)"
if [ "$CHECKED" = 1 ] && [ -d dist-types ]; then
  echo "[test-install] dist-types/ is from scripts/test.sh's type check of this tree"
else
  yarn tsc >"$OUT/repo-tsc.log" 2>&1 || { tail -40 "$OUT/repo-tsc.log"; exit 1; }
fi

# the published packages: every plugin that is not private (the demo module is the demo portal's only)
PLUGINS=$(node -e '
  const fs = require("fs");
  for (const d of fs.readdirSync("plugins").sort()) {
    const f = `plugins/${d}/package.json`;
    if (fs.existsSync(f) && !JSON.parse(fs.readFileSync(f, "utf8")).private) console.log(d);
  }')

for p in $PLUGINS; do
  phase "build plugins/$p (backstage-cli package build)"
  (cd "plugins/$p" && yarn backstage-cli package build) >"$OUT/build-$p.log" 2>&1 ||
    { tail -40 "$OUT/build-$p.log"; exit 1; }
done
for p in $PLUGINS; do
  phase "pack plugins/$p (yarn pack)"
  (cd "plugins/$p" && yarn pack --out "$TARBALLS/%s-%v.tgz") >"$OUT/pack-$p.log" 2>&1 ||
    { tail -40 "$OUT/pack-$p.log"; exit 1; }
done
WORK="${RELIABILITY_INSTALL_WORKDIR:-/tmp/reliability-install}"
phase "remove the previous run's app ($WORK)"
rm -rf "$WORK"
print_timings
ls -l "$TARBALLS"

set +e
node test/install/run.mjs "$TARBALLS" "$WORK"
rc=$?
set -e
echo "[test-install] total $(($(date +%s) - T0)) s; $([ $rc = 0 ] && echo passed || echo FAILED)"
exit $rc
