#!/usr/bin/env bash
# Sets up a fresh machine for this repository: Node 22 + Yarn 4 (scripts/env.sh), the Debian packages the
# native modules need, and the dependencies. Safe to run again.
#   scripts/setup.sh           what the portal needs
#   scripts/setup.sh --test    plus Chromium (end-to-end tests), PostgreSQL (store tests), and MariaDB, Redis,
#                              RabbitMQ and NATS (the synthetics deep checks; scripts/services.sh starts them)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

WANT_TEST=0
[ "${1:-}" = "--test" ] && WANT_TEST=1

SUDO=""
[ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"

need=()
command -v make >/dev/null 2>&1 || need+=(make)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v python3 >/dev/null 2>&1 || need+=(python3)
dpkg -s libsecret-1-dev >/dev/null 2>&1 || need+=(libsecret-1-dev)
# the demo's Prometheus (scripts/start.sh) scrapes the demo shop; promtool validates the exported rule files in tests
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# the suite's docs in the portal (TechDocs builds docs/ with the local mkdocs and the Material theme; the techdocs-core
# plugin it adds is the stand-in in scripts/techdocs, which start.sh puts on PYTHONPATH: PyPI is not needed)
command -v mkdocs >/dev/null 2>&1 || need+=(mkdocs)
dpkg -s mkdocs-material >/dev/null 2>&1 || need+=(mkdocs-material)
if [ "$WANT_TEST" = 1 ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v pg_ctlcluster >/dev/null 2>&1 || command -v psql >/dev/null 2>&1 || need+=(postgresql)
  # the fault suite runs a PostgreSQL server of its own (initdb, pg_ctl): the server's binaries, not only the client
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
  command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)   # routes alerts to the receiver in the remediation tests
  # the synthetics deep checks' real services (scripts/services.sh starts them): Debian's own packages, NATS included
  command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 || need+=(mariadb-server)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || need+=(rabbitmq-server)
  command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "[setup] node $(node --version), yarn $(yarn --version)"
if [ -n "${CI:-}" ]; then
  yarn install --immutable
else
  yarn install
fi
