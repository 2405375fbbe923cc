#!/usr/bin/env bash
# One command from a fresh clone to every test passing:
#   type check, unit + backend (SQLite and PostgreSQL) + frontend tests, the end-to-end test in Chromium, then the
#   fault suite (test/faults: the backend through database, Prometheus and remediation-target faults).
# Installs what is missing (Node 22, Yarn 4, Chromium, PostgreSQL, MariaDB, Redis, RabbitMQ, NATS) and starts each
# when it is not running (scripts/services.sh for all but PostgreSQL).
set -euo pipefail
HERE="$(dirname "${BASH_SOURCE[0]}")"
T0=$(date +%s)
# each step's start, in seconds since the command began (the closing lines list them)
STEPS=()
step() { STEPS+=("$(printf '%5d s  %s' $(($(date +%s) - T0)) "$1")"); echo "[test] $1"; }
step "setup (scripts/setup.sh --test)"
"$HERE/setup.sh" --test
source "$HERE/env.sh"
cd "$ROOT"

# ---- PostgreSQL for the store tests (TestDatabases) ----
PG_URL="${RELIABILITY_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432}"
pg_ok() { psql "$1" -tAc 'select 1' >/dev/null 2>&1; }
if ! pg_ok "$PG_URL"; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for v in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$v" main start >/dev/null 2>&1 || true
    done
    for _ in $(seq 1 30); do pg_ok "$PG_URL" && break; pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
  fi
  if ! pg_ok "$PG_URL" && [ "$(id -u)" = "0" ] && id postgres >/dev/null 2>&1; then
    # a freshly installed cluster asks for a password on 127.0.0.1: give the postgres role one for the tests
    su postgres -c "psql -qc \"ALTER ROLE postgres PASSWORD 'reliability-tests'\"" >/dev/null
    PG_URL="postgresql://postgres:reliability-tests@127.0.0.1:5432"
  fi
  pg_ok "$PG_URL" || { echo "[test] PostgreSQL is not reachable at 127.0.0.1:5432" >&2; exit 1; }
fi
# ---- MariaDB, Redis, RabbitMQ, NATS for the synthetics deep checks (each started only when its port is closed) ----
"$HERE/services.sh"
export BACKSTAGE_TEST_DISABLE_DOCKER=1
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="$PG_URL"
export CI=true

LOG_DIR="$ROOT/test-results"
mkdir -p "$LOG_DIR"

step "type check"
yarn tsc
# the install test (scripts/test-install.sh) skips its setup and type check when this tree was just checked here
stamp() { echo "$(git rev-parse HEAD 2>/dev/null) $(git status --porcelain 2>/dev/null | sha1sum)"; }
stamp >"$LOG_DIR/setup-and-tsc.stamp"
step "API reports: each published package's public API matches its report.api.md"
bash scripts/check-api-reports.sh
node scripts/check-docs.mjs
step "no folder cycle and no side door into a folder with a front door (index.ts), in every package"
node scripts/check-folder-cycles.mjs

step "style: prettier --check (Backstage's prettier config; other tools' fixtures and the demo organisation are kept as written)"
yarn prettier --check . >"$LOG_DIR/prettier.log" 2>&1 || { grep -v '^Checking' "$LOG_DIR/prettier.log" | head -40; echo "[test] run: yarn prettier --write ." >&2; exit 1; }

step "lint of every plugin (Backstage's rules); the backend's with its import boundaries (route files never import stores; slos/ never imports remediation/)"
# ESLint is single-threaded: two plugins at a time on the two cores; every folder of plugins/ with a package.json,
# the largest first (the backend, then the frontend) so the two lanes end together
{ printf '%s\n' reliability-backend reliability; for d in plugins/*/package.json; do d=${d#plugins/}; echo "${d%/package.json}"; done | grep -vxE 'reliability-backend|reliability'; } |
  xargs -P2 -I{} bash -c 'cd "plugins/$1" && yarn backstage-cli package lint >"$2/lint-$1.log" 2>&1 || { cat "$2/lint-$1.log"; echo "[test] lint failed: plugins/$1" >&2; exit 1; }' _ {} "$LOG_DIR"

step "unit, backend and frontend tests (jest, SQLite + PostgreSQL)"
set +e
yarn backstage-cli repo test --maxWorkers=2 2>&1 | tee "$LOG_DIR/jest.log"
jest_rc=${PIPESTATUS[0]}
set -e

step "the fuzzer: 5,000 hostile requests per database, alone on the CPU (its event-loop delay is measured)"
set +e
yarn fuzz 2>&1 | tee "$LOG_DIR/fuzz.log"
fuzz_rc=${PIPESTATUS[0]}
set -e

step "build the app for the end-to-end test"
yarn workspace app build >"$LOG_DIR/app-build.log" 2>&1 || { tail -50 "$LOG_DIR/app-build.log"; exit 1; }

step "end-to-end test in Chromium"
# one file at a time: two multi-process files at once (chaos's and the chaos schedule's, each a second backend on its
# own PostgreSQL database) left the second backends' reliability plugin unanswered for 4 minutes in a clean-clone
# run, so nothing runs beside anything else; every file has its own ports and database
set +e
node --test --test-concurrency=1 test/e2e/*.test.mjs 2>&1 | tee "$LOG_DIR/e2e.log"
e2e_rc=${PIPESTATUS[0]}
: >"$LOG_DIR/e2e-lane2.log"
set -e

step "the fault suite: its own PostgreSQL (initdb on a free port) restarted and its connections killed mid-ingest, Prometheus hanging and failing, remediation targets hanging, resetting and slow"
set +e
node --test --test-concurrency=1 test/faults/*.test.mjs 2>&1 | tee "$LOG_DIR/faults.log"
faults_rc=${PIPESTATUS[0]}
set -e

# one closing line for everything: jest's "Tests: a failed, b passed, c total" and node's "# pass n / # fail n"
count() { grep -E '^Tests:' "$1" | tail -1 | sed 's/\x1b\[[0-9;]*m//g' | grep -oE "[0-9]+ $2" | grep -oE '[0-9]+' || echo 0; }
jp=$(( $(count "$LOG_DIR/jest.log" passed) + $(count "$LOG_DIR/fuzz.log" passed) ))
jf=$(( $(count "$LOG_DIR/jest.log" failed) + $(count "$LOG_DIR/fuzz.log" failed) ))
node_count() { grep -E "^# $2 " "$1" | tail -1 | grep -oE '[0-9]+' || echo 0; }
ep=$(( $(node_count "$LOG_DIR/e2e.log" pass) + $(node_count "$LOG_DIR/e2e-lane2.log" pass) + $(node_count "$LOG_DIR/faults.log" pass) ))
ef=$(( $(node_count "$LOG_DIR/e2e.log" fail) + $(node_count "$LOG_DIR/e2e-lane2.log" fail) + $(node_count "$LOG_DIR/faults.log" fail) ))
step "done"
echo
printf '%s\n' "[test] when each step began:" "${STEPS[@]/#/  }"
echo "tests: $((jp + ep)) passed, $((jf + ef)) failed"
if [ "$jest_rc" != 0 ] || [ "$fuzz_rc" != 0 ] || [ "$e2e_rc" != 0 ] || [ "$faults_rc" != 0 ]; then exit 1; fi
if [ "$((jp + ep))" = 0 ]; then echo "[test] no test ran" >&2; exit 1; fi
