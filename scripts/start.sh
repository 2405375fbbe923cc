#!/usr/bin/env bash
# One command from a fresh clone to a running portal: the app on http://localhost:3000 and the backend on
# http://localhost:7007, SQLite in memory, the demo organisation from catalog/ with 30 days of SLO traffic.
set -euo pipefail
"$(dirname "${BASH_SOURCE[0]}")/setup.sh"
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
exec yarn start
